"""Action handlers that change the working profile or session in place."""

from __future__ import annotations

import math
from typing import Any

from tracsh.engine import docpath
from tracsh.engine.firing import Firing
from tracsh.engine.rulebook import CompiledAction
from tracsh.engine.times import shifted
from tracsh.lang import fields, nodes
from tracsh.lang.printer import value as shown
from tracsh.lang.scope import MISSING
from tracsh.lang.values import plain as to_json


def _target_doc(firing: Firing, path: nodes.Path) -> dict:
    return firing.profile if path.root == "profile" else firing.session


def _path_text(path: nodes.Path) -> str:
    text = path.root
    for part in path.parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _writable(firing: Firing, path: nodes.Path) -> str | None:
    """Why a write to ``path`` is refused, or None when it may go ahead."""
    return fields.kept(path.root, path.parts)


def _wrong_kind(path: nodes.Path, value: Any) -> str | None:
    """Why ``value`` (MISSING to unset) cannot replace a whole field, or None."""
    return fields.wrong_kind(path.root, path.parts, value)


def do_set(firing: Firing, action: CompiledAction) -> str:
    node: nodes.SetField = action.node
    refused = _writable(firing, node.target)
    if refused:
        return firing.problem(refused)
    doc = _target_doc(firing, node.target)
    if node.if_missing and docpath.read(doc, node.target.parts) is not MISSING:
        return f"{_path_text(node.target)} is already set"
    value = to_json(firing.value(action, "value"))
    if value is MISSING:
        return f"{_path_text(node.target)} not set: the value is missing"
    refused = _wrong_kind(node.target, value)
    if refused:
        return firing.problem(refused)
    try:
        docpath.write(doc, node.target.parts, value)
    except docpath.PathConflict as err:
        return firing.problem(f"set {_path_text(node.target)}: {err}")
    return f"set {_path_text(node.target)} = {shown(value)}"


def do_unset(firing: Firing, action: CompiledAction) -> str:
    node: nodes.Unset = action.node
    refused = _writable(firing, node.target) or _wrong_kind(node.target, MISSING)
    if refused:
        return firing.problem(refused)
    removed = docpath.delete(_target_doc(firing, node.target), node.target.parts)
    return f"unset {_path_text(node.target)}" + ("" if removed else " (was missing)")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def do_increment(firing: Firing, action: CompiledAction) -> str:
    node: nodes.Increment = action.node
    refused = _writable(firing, node.target)
    if refused:
        return firing.problem(refused)
    doc = _target_doc(firing, node.target)
    by = firing.value(action, "by", 1)
    current = docpath.read(doc, node.target.parts)
    current = 0 if current is MISSING or current is None else current
    if not _is_number(by) or not _is_number(current):
        what = "amount" if not _is_number(by) else "stored value"
        return firing.problem(
            f"increment {_path_text(node.target)}: the {what} is not a number"
        )
    result = current + node.sign * by
    if not math.isfinite(result):
        return firing.problem(
            f"increment {_path_text(node.target)}: the result is not a finite number"
        )
    try:
        docpath.write(doc, node.target.parts, result)
    except docpath.PathConflict as err:
        return firing.problem(f"increment {_path_text(node.target)}: {err}")
    return f"{_path_text(node.target)} = {shown(result)}"


def _list_at(firing: Firing, path: nodes.Path) -> list | str:
    doc = _target_doc(firing, path)
    current = docpath.read(doc, path.parts)
    if current is MISSING or current is None:
        current = []
        docpath.write(doc, path.parts, current)
    if not isinstance(current, list):
        return f"{_path_text(path)} is not a list"
    return current


def do_append(firing: Firing, action: CompiledAction) -> str:
    node: nodes.Append = action.node
    refused = _writable(firing, node.target)
    if refused:
        return firing.problem(refused)
    value = to_json(firing.value(action, "value"))
    if value is MISSING:
        return f"nothing appended to {_path_text(node.target)}: the value is missing"
    try:
        found = _list_at(firing, node.target)
    except docpath.PathConflict as err:
        return firing.problem(f"append to {_path_text(node.target)}: {err}")
    if isinstance(found, str):
        return firing.problem(found)
    if value in found:
        return f"{shown(value)} already in {_path_text(node.target)}"
    found.append(value)
    return f"appended {shown(value)} to {_path_text(node.target)}"


def do_remove(firing: Firing, action: CompiledAction) -> str:
    node: nodes.Remove = action.node
    refused = _writable(firing, node.target)
    if refused:
        return firing.problem(refused)
    value = to_json(firing.value(action, "value"))
    found = docpath.read(_target_doc(firing, node.target), node.target.parts)
    if not isinstance(found, list) or value not in found:
        return f"{shown(value)} not in {_path_text(node.target)}"
    found[:] = [item for item in found if item != value]
    return f"removed {shown(value)} from {_path_text(node.target)}"


def do_segment(firing: Firing, action: CompiledAction) -> str:
    node: nodes.SegmentAction = action.node
    segments = firing.profile.setdefault("segments", [])
    if node.add and node.segment not in segments:
        segments.append(node.segment)
        return f"added to segment {shown(node.segment)}"
    if not node.add and node.segment in segments:
        segments.remove(node.segment)
        return f"removed from segment {shown(node.segment)}"
    return f"segment {shown(node.segment)} unchanged"


def do_interest(firing: Firing, action: CompiledAction) -> str:
    node: nodes.AddInterest = action.node
    by = firing.value(action, "by", 1)
    if not _is_number(by):
        return firing.problem(
            f"add interest {shown(node.interest)}: the amount is not a number"
        )
    interests = firing.profile.setdefault("interests", {})
    current = interests.get(node.interest, 0)
    if not _is_number(current):
        return firing.problem(
            f"add interest {shown(node.interest)}: the stored score is not a number"
        )
    if not math.isfinite(current + by):
        return firing.problem(
            f"add interest {shown(node.interest)}: the result is not a finite number"
        )
    interests[node.interest] = current + by
    return f"interest {shown(node.interest)} = {shown(interests[node.interest])}"


def do_grant(firing: Firing, action: CompiledAction) -> str:
    node: nodes.GrantConsent = action.node
    expires = None
    if node.duration is not None:
        expires = shifted(firing.scope.now, node.duration.seconds).isoformat()
    consents = firing.profile.setdefault("consents", {})
    consents[node.consent] = {
        "granted": True,
        "time": firing.now_text(),
        "expires": expires,
    }
    return f"consent {shown(node.consent)} granted" + (
        f" until {expires}" if expires else ""
    )


def do_revoke(firing: Firing, action: CompiledAction) -> str:
    node: nodes.RevokeConsent = action.node
    consents = firing.profile.setdefault("consents", {})
    consents[node.consent] = {
        "granted": False,
        "time": firing.now_text(),
        "expires": None,
    }
    return f"consent {shown(node.consent)} revoked"
