"""Action nodes: what a rule or a journey step does when it runs."""

from __future__ import annotations

from dataclasses import dataclass

from tracsh.lang.nodes.expressions import Duration, Expr, ObjectExpr, Path
from tracsh.lang.nodes.tree import Span, _span

# --- actions ------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """``send email|sms|push "tpl" [to <expr>]``."""

    channel: str
    template: str
    to: Expr | None = None
    span: Span = _span()


@dataclass(frozen=True)
class ShowMessage:
    """``show message "tpl"``: an in-app message for the /track response."""

    template: str
    span: Span = _span()


@dataclass(frozen=True)
class ShowWidget:
    """``show widget "name" [with {…}]``: a widget for the /track response."""

    name: str
    args: ObjectExpr | None = None
    span: Span = _span()


@dataclass(frozen=True)
class RespondWith:
    """``respond with {…}``: data merged into the /track response."""

    value: ObjectExpr
    span: Span = _span()


@dataclass(frozen=True)
class SetField:
    """``set <path> = <expr> [if missing]``."""

    target: Path
    value: Expr
    if_missing: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class Unset:
    """``unset <path>``."""

    target: Path
    span: Span = _span()


@dataclass(frozen=True)
class Increment:
    """``increment <path> [by <expr>]``, or ``decrement`` when ``sign`` is -1."""

    target: Path
    by: Expr | None = None
    sign: int = 1
    span: Span = _span()


@dataclass(frozen=True)
class Append:
    """``append <expr> to <path>`` (no duplicates)."""

    value: Expr
    target: Path
    span: Span = _span()


@dataclass(frozen=True)
class Remove:
    """``remove <expr> from <path>``."""

    value: Expr
    target: Path
    span: Span = _span()


@dataclass(frozen=True)
class SegmentAction:
    """``add segment "x"`` (``add`` true) or ``remove segment "x"``."""

    segment: str
    add: bool = True
    span: Span = _span()


@dataclass(frozen=True)
class AddInterest:
    """``add interest "x" [by n]``."""

    interest: str
    by: Expr | None = None
    span: Span = _span()


@dataclass(frozen=True)
class GrantConsent:
    """``grant consent "x" [for <duration>]``."""

    consent: str
    duration: Duration | None = None
    span: Span = _span()


@dataclass(frozen=True)
class RevokeConsent:
    """``revoke consent "x"``."""

    consent: str
    span: Span = _span()


@dataclass(frozen=True)
class CallWebhook:
    """``call webhook "name" [with {…}]``."""

    webhook: str
    args: ObjectExpr | None = None
    span: Span = _span()


@dataclass(frozen=True)
class Enrich:
    """``enrich <path> from "enricher" [with {…}]``."""

    target: Path
    enricher: str
    args: ObjectExpr | None = None
    span: Span = _span()


@dataclass(frozen=True)
class Merge:
    """``merge profile on <path>[, <path>…]``."""

    keys: tuple[Path, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Emit:
    """``emit event "type" [with {…}] [in <duration> | at <expr>]``."""

    event_type: str
    args: ObjectExpr | None = None
    delay: Duration | None = None
    at: Expr | None = None
    span: Span = _span()


@dataclass(frozen=True)
class JourneyAction:
    """``start journey "name"`` (``start`` true) or ``exit journey "name"``."""

    journey: str
    start: bool = True
    span: Span = _span()


@dataclass(frozen=True)
class Log:
    """``log "text"``; the text is a template over profile, event and session."""

    text: str
    span: Span = _span()


@dataclass(frozen=True)
class Stop:
    """``stop``: no lower-priority rule runs for this event."""

    span: Span = _span()


Action = (
    Send
    | ShowMessage
    | ShowWidget
    | RespondWith
    | SetField
    | Unset
    | Increment
    | Append
    | Remove
    | SegmentAction
    | AddInterest
    | GrantConsent
    | RevokeConsent
    | CallWebhook
    | Enrich
    | Merge
    | Emit
    | JourneyAction
    | Log
    | Stop
)
