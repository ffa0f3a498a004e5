"""A profile shown as a tree of fields and a summary of who it is."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

OPEN = ("traits", "pii", "segments", "consents", "journeys", "counters", "interests")
"""Branches shown open when a profile opens."""


def fill_tree(tree: Tree, doc: dict) -> None:
    """Replace the tree's contents with the profile's fields."""
    tree.clear()
    tree.root.set_label(Text(f"profile {doc.get('id')}", style="bold"))
    _add(tree.root, doc)
    tree.root.expand()
    for child in tree.root.children:
        if str(child.data) in OPEN:
            child.expand()


def _add(node: TreeNode, value: Any) -> None:
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if isinstance(item, dict | list) and item:
            branch = node.add(Text(f"{key}", style="bold"), data=key)
            _add(branch, item)
        else:
            label = Text(f"{key}: ", style="bold")
            label.append(json.dumps(item, ensure_ascii=False), style="cyan")
            node.add_leaf(label, data=key)


def person_name(doc: dict) -> str:
    """The person's name as the profile holds it (``pii`` first, then ``traits``):
    ``name``, or first and last name; empty when it holds none."""
    for part in (doc.get("pii") or {}, doc.get("traits") or {}):
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("name"), str) and part["name"].strip():
            return part["name"].strip()
        names = [part.get(key) for key in ("first_name", "last_name")]
        names = [str(name).strip() for name in names if name]
        if names:
            return " ".join(names)
    return ""


def summary_text(data: dict) -> Text:
    """Who this is: ids, name, address, visits, segments, journeys, consents."""
    doc = data["profile"]
    pii = doc.get("pii") or {}
    text = Text()
    text.append(doc["id"], style="bold")
    others = [i for i in doc.get("ids") or [] if i != doc["id"]]
    if others:
        text.append(f"  also {', '.join(others)}", style="dim")
    name = person_name(doc)
    if name:
        text.append(f"  {name}")
    if pii.get("email"):
        text.append(f"  {pii['email']}")
    text.append(
        f"\nvisits {doc.get('visits', 0)}  views {doc.get('views', 0)}  "
        f"sessions {len(data['sessions'])}  last seen {doc.get('last_seen') or '-'}",
        style="dim",
    )
    segments = ", ".join(doc.get("segments") or []) or "none"
    text.append(f"\nsegments: {segments}")
    journeys = ", ".join(sorted(doc.get("journeys") or {})) or "none"
    text.append(f"\njourneys: {journeys}")
    text.append("\nconsents: ")
    text.append_text(_consents(doc.get("consents") or {}))
    return text


def _consents(consents: dict) -> Text:
    if not consents:
        return Text("none recorded", style="dim")
    text = Text()
    for name, state in sorted(consents.items()):
        granted = isinstance(state, dict) and state.get("granted") is True
        text.append(f"{name} ", style="green" if granted else "red")
        text.append("granted " if granted else "revoked ", style="dim")
    return text
