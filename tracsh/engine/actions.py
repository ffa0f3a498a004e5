"""Pipeline step 3, second half: what each action does when its rule fires.

Every handler changes the working profile or session in memory, or queues an
effect (an outbox row, an internal event, a response part), and returns one
line for the event's trace. A handler never raises for a user's mistake: a
value that does not fit is reported on the rule and the action does nothing.

Handlers that change profile or session fields in place are in changes.py;
this module has the rest, and HANDLERS, which picks one for each kind of action.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tracsh.engine import docpath, timers
from tracsh.engine.changes import (
    _path_text,
    _target_doc,
    _writable,
    _wrong_kind,
    do_append,
    do_grant,
    do_increment,
    do_interest,
    do_remove,
    do_revoke,
    do_segment,
    do_set,
    do_unset,
)
from tracsh.engine.firing import Firing
from tracsh.engine.merge import request_merge
from tracsh.engine.rulebook import CompiledAction
from tracsh.errors import UserError
from tracsh.lang import nodes
from tracsh.lang.printer import value as shown
from tracsh.lang.scope import MISSING
from tracsh.lang.values import plain as to_json

log = logging.getLogger(__name__)

DEFAULT_RECIPIENT = {
    "email": ("pii", "email"),
    "sms": ("pii", "phone"),
    "push": ("pii", "push_token"),
}
"""Where a message action finds its recipient when it has no ``to``."""


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
