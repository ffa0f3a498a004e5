"""Pipeline step 3, second half: what each action does when its rule fires.

Every handler changes the working profile or session in memory, or queues an
effect (an outbox row, an internal event, a response part), and returns one
line for the event's trace. A handler never raises for a user's mistake: a
value that does not fit is reported on the rule and the action does nothing.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tracsh.engine import docpath, timers
from tracsh.engine.merge import request_merge
from tracsh.engine.outcome import Outcome
from tracsh.engine.rulebook import CompiledAction, CompiledRule
from tracsh.engine.working import WorkingSet
from tracsh.errors import UserError
from tracsh.lang import nodes
from tracsh.lang.printer import value as shown
from tracsh.lang.scope import MISSING, Scope
from tracsh.lang.values import plain as to_json

log = logging.getLogger(__name__)

DEFAULT_RECIPIENT = {
    "email": ("pii", "email"),
    "sms": ("pii", "phone"),
    "push": ("pii", "push_token"),
}
"""Where a message action finds its recipient when it has no ``to``."""


@dataclass
class Firing:
    """Everything an action handler may read or change for one rule firing."""

    rule: CompiledRule
    scope: Scope
    event: dict
    profile: dict
    session: dict
    work: WorkingSet
    outcome: Outcome
    emitted: list[dict] = field(default_factory=list)
    stop: bool = False
    renderer: Any = None
    journeys: Any = None
    """The engine's JourneyBook, for ``start journey`` and ``exit journey``."""

    def value(self, action: CompiledAction, name: str, default: Any = MISSING) -> Any:
        """Evaluate one of the action's compiled expressions."""
        expr = action.exprs.get(name)
        return default if expr is None else expr(self.scope)

    def now_text(self) -> str:
        """The evaluation's current time as stored text."""
        return self.scope.now.isoformat()

    def problem(self, message: str) -> str:
        """Count an action failure on the rule and return the trace line."""
        self.work.stats[self.rule.id]["errors"] += 1
        self.work.stats[self.rule.id]["last_error"] = message
        self.outcome.errors.append(f"{self.rule.id}: {message}")
        return f"error: {message}"

    def count_report(self) -> None:
        """Count what evaluating the action's values reported, as for a condition."""
        report = self.scope.report
        stats = self.work.stats[self.rule.id]
        stats["errors"] += report.errors
        stats["type_warnings"] += report.type_warnings
        if report.messages:
            stats["last_error"] = report.messages[-1]
        if report.errors:
            self.outcome.errors.extend(f"{self.rule.id}: {m}" for m in report.messages)
        report.errors = report.type_warnings = 0
        report.messages.clear()


def _target_doc(firing: Firing, path: nodes.Path) -> dict:
    return firing.profile if path.root == "profile" else firing.session


def _path_text(path: nodes.Path) -> str:
    text = path.root
    for part in path.parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


_KEPT = {
    "profile": frozenset({"id", "ids", "created", "journeys"}),
    "session": frozenset({"id", "profile", "started", "last_seen"}),
}
"""Fields tracsh keeps itself: no rule writes them or anything inside them."""

_KINDS = {
    "profile": {
        "visits": "a number",
        "views": "a number",
        "updated": "text",
        "last_seen": "text",
        "traits": "an object",
        "pii": "an object",
        "segments": "a list",
        "interests": "an object",
        "consents": "an object",
        "counters": "an object",
    },
    "session": {"visits": "a number", "events": "a number", "context": "an object"},
}
"""Fields the engine reads back: a rule replaces them only by their kind of value."""

_IS_KIND = {
    "a number": lambda value: _is_number(value),
    "text": lambda value: isinstance(value, str),
    "an object": lambda value: isinstance(value, dict),
    "a list": lambda value: isinstance(value, list),
}


def _writable(firing: Firing, path: nodes.Path) -> str | None:
    """Why a write to ``path`` is refused, or None when it may go ahead."""
    if not path.parts:
        return f"cannot replace the whole {path.root}"
    if path.parts[0] in _KEPT.get(path.root, ()):
        return f"{_path_text(path)} is kept by tracsh and cannot be written"
    return None


def _wrong_kind(path: nodes.Path, value: Any) -> str | None:
    """Why ``value`` (MISSING to unset) cannot replace a whole field, or None.

    The engine itself reads these fields (visits, segments, consents, …); a value
    of another kind there would break every later event of the profile.
    """
    kind = (
        _KINDS.get(path.root, {}).get(path.parts[0]) if len(path.parts) == 1 else None
    )
    if kind is None or (value is not MISSING and _IS_KIND[kind](value)):
        return None
    return f"{_path_text(path)} must stay {kind}"


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
        expires = (
            firing.scope.now + timedelta(seconds=node.duration.seconds)
        ).isoformat()
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


def do_log(firing: Firing, action: CompiledAction) -> str:
    node: nodes.Log = action.node
    text = node.text
    if firing.renderer is not None:
        try:
            text = firing.renderer.render_text(node.text, _template_context(firing, {}))
        except Exception as err:  # a template failure is the author's mistake
            return firing.problem(f"log: {err}")
    log.info("%s: %s", firing.rule.id, text)
    return f"log: {text}"


def do_stop(firing: Firing, action: CompiledAction) -> str:
    firing.stop = True
    return "stop: no further rule runs for this event"


def action_key(firing: Firing, action: CompiledAction) -> str:
    """The stable idempotency key of one action for one event."""
    text = f"{firing.event['id']}\x1f{firing.rule.id}\x1f{action.index}"
    return hashlib.sha256(text.encode()).hexdigest()


def _args(firing: Firing, action: CompiledAction) -> dict:
    args = to_json(firing.value(action, "args", {}))
    return args if isinstance(args, dict) else {}


def _template_context(firing: Firing, args: dict) -> dict:
    context = dict(args)
    context.update(profile=firing.profile, event=firing.event, session=firing.session)
    return context


def _outbox_row(firing: Firing, action: CompiledAction, kind: str, target: str) -> dict:
    now = firing.now_text()
    return {
        "key": action_key(firing, action),
        "kind": kind,
        "target": target,
        "recipient": None,
        "args": {},
        "event_id": firing.event["id"],
        "rule_id": firing.rule.id,
        "profile_id": firing.profile["id"],
        "status": "pending",
        "reason": None,
        "attempts": 0,
        "next_attempt": now,
        "last_status": None,
        "created": now,
        "updated": now,
        "rendered": None,
    }


def _recipient(firing: Firing, action: CompiledAction, channel: str) -> Any:
    if "to" in action.exprs:
        return to_json(firing.value(action, "to"))
    return docpath.read(firing.profile, DEFAULT_RECIPIENT[channel])


def _guard(firing: Firing, action: CompiledAction, recipient: Any) -> str | None:
    """Why a message must not be sent (language.md §6), or None."""
    channel = action.node.channel
    consent = firing.profile.get("consents", {}).get(channel)
    if isinstance(consent, dict) and consent.get("granted") is False:
        return f"consent {shown(channel)} is revoked"
    if recipient is MISSING or recipient is None or recipient == "":
        where = "profile." + ".".join(DEFAULT_RECIPIENT[channel])
        if "to" in action.exprs:
            where = "the 'to' value"
        return f"no recipient: {where} is missing"
    if not isinstance(recipient, str):
        return f"no recipient: {type(recipient).__name__} is not an address"
    return None


def _render(firing: Firing, row: dict, render: Callable[[], Any]) -> None:
    """Render the row's message now, so it shows the profile as it is now."""
    if firing.renderer is None:
        return
    try:
        row["rendered"] = render()
    except Exception as err:  # TemplateFailure and missing templates alike
        row["status"] = "failed"
        row["reason"] = str(err)


def do_send(firing: Firing, action: CompiledAction) -> str:
    node: nodes.Send = action.node
    row = _outbox_row(firing, action, node.channel, node.template)
    recipient = _recipient(firing, action, node.channel)
    reason = _guard(firing, action, recipient)
    if reason:
        row.update(status="skipped", reason=reason, recipient=None)
    else:
        row["recipient"] = recipient
        context = _template_context(firing, {})
        _render(
            firing,
            row,
            lambda: firing.renderer.render_message(
                node.channel, node.template, context
            ),
        )
    return _queue(firing, row, f"send {node.channel} {shown(node.template)}")


def do_webhook(firing: Firing, action: CompiledAction) -> str:
    node: nodes.CallWebhook = action.node
    row = _outbox_row(firing, action, "webhook", node.webhook)
    row["args"] = _args(firing, action)
    context = _template_context(firing, row["args"])
    _render(firing, row, lambda: firing.renderer.render_webhook(node.webhook, context))
    return _queue(firing, row, f"call webhook {shown(node.webhook)}")


def do_enrich(firing: Firing, action: CompiledAction) -> str:
    """Store a built-in enricher's result now, or queue an HTTP enricher's lookup.

    A failing enricher leaves the profile as it was; the failure counts as an
    error of the rule. An HTTP lookup's answer comes back later as an internal
    ``enriched`` event (tracsh.engine.enrichment applies it).
    """
    node: nodes.Enrich = action.node
    where = f"enrich {_path_text(node.target)} from {shown(node.enricher)}"
    refused = _writable(firing, node.target)
    if refused:
        return firing.problem(refused)
    if firing.renderer is None:
        return firing.problem(f"{where}: enrichers are not available here")
    args = _args(firing, action)
    try:
        found = firing.renderer.enrich(
            node.enricher, args, _template_context(firing, args)
        )
    except UserError as err:
        return firing.problem(f"{where}: {err}")
    if found.request is not None:
        return _queue_lookup(firing, action, args, found.request, where)
    value = to_json(found.value)
    refused = _wrong_kind(node.target, value)
    if refused:
        return firing.problem(refused)
    try:
        docpath.write(_target_doc(firing, node.target), node.target.parts, value)
    except docpath.PathConflict as err:
        return firing.problem(f"{where}: {err}")
    return f"{where}: stored"


def _queue_lookup(
    firing: Firing, action: CompiledAction, args: dict, request: dict, where: str
) -> str:
    node: nodes.Enrich = action.node
    row = _outbox_row(firing, action, "enrich", node.enricher)
    row["args"] = {
        "path": _path_text(node.target),
        "root": node.target.root,
        "parts": list(node.target.parts),
        "with": args,
        "session": firing.session["id"],
        "time": firing.event["time"],
    }
    row["rendered"] = request
    return _queue(firing, row, where)


def _queue(firing: Firing, row: dict, what: str) -> str:
    firing.work.outbox.append(row)
    firing.outcome.outbox.append(row)
    if row["status"] == "pending":
        return f"{what}: queued"
    return f"{what}: {row['status']} ({row['reason']})"


def do_emit(firing: Firing, action: CompiledAction) -> str:
    node: nodes.Emit = action.node
    event = {
        "id": action_key(firing, action),
        "type": node.event_type,
        "time": firing.event["time"],
        "received": firing.event.get("received", firing.event["time"]),
        "source": {"id": "internal"},
        "session": {"id": firing.session["id"]},
        "profile": {"id": firing.profile["id"]},
        "properties": _args(firing, action),
        "context": {"rule": firing.rule.id, "parent": firing.event["id"]},
        "tags": ["internal"],
    }
    if node.delay is None and node.at is None:
        firing.emitted.append(event)
        return f"emit event {shown(node.event_type)}"
    return _schedule_emit(firing, action, event)


def _schedule_emit(firing: Firing, action: CompiledAction, event: dict) -> str:
    """``emit … in/at``: a timer, or at once when the time has come."""
    now = firing.scope.now
    due = timers.due_time(
        now, action.node.delay, firing.value(action, "at"), firing.scope.report
    )
    if isinstance(due, str):
        return firing.problem(f"emit event {shown(event['type'])}: {due}")
    if timers.schedule(firing.work, event, due, now, "event"):
        firing.emitted.append(event)
        return f"emit event {shown(event['type'])} (due already)"
    return f"emit event {shown(event['type'])} at {event['time']}"


def do_merge(firing: Firing, action: CompiledAction) -> str:
    return request_merge(firing, action.node)


def do_journey(firing: Firing, action: CompiledAction) -> str:
    if firing.journeys is None:
        return firing.problem("journeys are not available here")
    return firing.journeys.act(firing, action.node)


def do_show_message(firing: Firing, action: CompiledAction) -> str:
    """An in-app message for the ``/track`` answer, rendered when it has a template.

    The entry names the template and the rule. When the renderer finds the
    template (``templates/NAME.message.j2``), ``rendered`` holds the result,
    made now so it shows the profile as it is now; without one the site
    renders the message itself. A message that fails to render is not shown;
    the failure is an error of the rule.
    """
    node: nodes.ShowMessage = action.node
    message: dict[str, Any] = {"template": node.template, "rule": firing.rule.id}
    if firing.renderer is not None:
        context = _template_context(firing, {})
        try:
            rendered = firing.renderer.render_in_app(node.template, context)
        except Exception as err:  # TemplateFailure and render limits alike
            return firing.problem(f"message {shown(node.template)} not shown: {err}")
        if rendered is not None:
            message["rendered"] = rendered
    firing.outcome.messages.append(message)
    return f"show message {shown(node.template)}"


def do_show_widget(firing: Firing, action: CompiledAction) -> str:
    node: nodes.ShowWidget = action.node
    widget = {
        "widget": node.name,
        "rule": firing.rule.id,
        "args": _args(firing, action),
    }
    firing.outcome.ux.append(widget)
    return f"show widget {shown(node.name)}"


def do_respond(firing: Firing, action: CompiledAction) -> str:
    value = to_json(firing.value(action, "value", {}))
    if isinstance(value, dict):
        firing.outcome.response.update(value)
    return "respond with " + ", ".join(sorted(value)) if isinstance(value, dict) else ""


HANDLERS: dict[type, Callable[[Firing, CompiledAction], str]] = {
    nodes.SetField: do_set,
    nodes.Unset: do_unset,
    nodes.Increment: do_increment,
    nodes.Append: do_append,
    nodes.Remove: do_remove,
    nodes.SegmentAction: do_segment,
    nodes.AddInterest: do_interest,
    nodes.GrantConsent: do_grant,
    nodes.RevokeConsent: do_revoke,
    nodes.Log: do_log,
    nodes.Stop: do_stop,
    nodes.Send: do_send,
    nodes.CallWebhook: do_webhook,
    nodes.Emit: do_emit,
    nodes.ShowMessage: do_show_message,
    nodes.ShowWidget: do_show_widget,
    nodes.RespondWith: do_respond,
    nodes.Enrich: do_enrich,
    nodes.Merge: do_merge,
    nodes.JourneyAction: do_journey,
}


def run_action(firing: Firing, action: CompiledAction) -> str:
    """Run one action and return its trace line.

    Failures while evaluating the action's values (a division by zero, a type
    mismatch) count on the rule like those of its condition.
    """
    line = HANDLERS[type(action.node)](firing, action)
    firing.count_report()
    return line


def parse_time(text: str) -> datetime:
    """An event's stored time as an aware datetime."""
    return datetime.fromisoformat(text)
