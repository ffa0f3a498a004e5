"""Profiles: search by id, e-mail, name or condition; one profile, its events, mail.

Words in the search box find profiles by id prefix, part of the e-mail address
and name (tracsh/tui/search.py); text with an operator or a field path is read
as a condition of the rule language (``profile.visits > 3``). The line under
the box says how many were found and by what, or, in two lines, what is wrong
with the condition.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import DescendantFocus
from textual.widgets import (
    DataTable,
    Input,
    Static,
    TabbedContent,
    TabPane,
    Tree,
)

from tracsh.tui.keys import bindings
from tracsh.tui.screens.base import ConsoleScreen
from tracsh.tui.search import Found
from tracsh.tui.widgets.details import event_detail, outbox_detail
from tracsh.tui.widgets.detailtext import DetailText
from tracsh.tui.widgets.profile import fill_tree, person_name, summary_text
from tracsh.tui.widgets.searchbox import SearchBox

RESULT_COLUMNS = ("profile", "name", "e-mail", "visits", "last seen")
TIMELINE_COLUMNS = ("time", "type", "source", "session")
DELIVERY_COLUMNS = ("created", "kind", "target", "status", "rule")


class ProfilesScreen(ConsoleScreen):
    """Find a person and see everything tracsh knows and did about them."""

    AREA = "profiles"
    BINDINGS = bindings("profiles")
    """Search, results, forget, and the profile's tabs."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]
    """Below 140 columns the results and the profile share the width badly: the
    screen shows one above the other, and the profile alone once it is read."""
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    """Below 30 rows the summary of a profile being read keeps to three lines."""

    DEFAULT_CSS = """
    ProfilesScreen #search { height: 3; }
    ProfilesScreen #search-result { color: $text-muted; height: auto; padding: 0 2; }
    ProfilesScreen #search-result.-problem { color: $error; }
    ProfilesScreen #results { width: 1fr; max-width: 90; }
    ProfilesScreen #profile-pane { width: 1fr; }
    ProfilesScreen #summary { height: auto; padding: 0 1; }
    ProfilesScreen .split > DataTable { height: 1fr; }
    ProfilesScreen .split > VerticalScroll {
        height: 1fr; border-top: solid $primary 40%; padding: 0 1;
    }

    ProfilesScreen.-narrow #profile-body { layout: vertical; }
    ProfilesScreen.-narrow #results { width: 100%; max-width: 100%; height: 1fr; }
    ProfilesScreen.-narrow #profile-pane {
        width: 100%; height: auto; max-height: 50%;
        border-top: solid $primary 40%;
    }
    ProfilesScreen.-narrow #tabs { display: none; }
    ProfilesScreen.-narrow.-reading #search { display: none; }
    ProfilesScreen.-narrow.-reading #search-result { display: none; }
    ProfilesScreen.-narrow.-reading #results { display: none; }
    ProfilesScreen.-narrow.-reading #profile-pane {
        height: 1fr; max-height: 100%; border-top: none;
    }
    ProfilesScreen.-narrow.-reading.-short #summary { max-height: 3; }
    ProfilesScreen.-narrow.-reading #tabs { display: block; height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.profile: dict[str, Any] | None = None
        self.wanted: str | None = None

    def compose_body(self) -> ComposeResult:
        """Search box, results on the left, the open profile on the right (or,
        narrow, the results over the profile's summary, and the profile alone
        while one of its tabs has the focus)."""
        yield SearchBox(
            "profiles.search",
            placeholder="id, e-mail, name, or a condition such as profile.visits > 3",
            id="search",
        )
        yield Static(id="search-result")
        with Horizontal(id="profile-body"):
            yield DataTable(cursor_type="row", id="results")
            with Vertical(id="profile-pane"):
                yield Static("search for a profile", id="summary")
                with TabbedContent(initial="fields", id="tabs"):
                    with TabPane("fields", id="fields"):
                        yield Tree("profile", id="tree")
                    with TabPane("timeline", id="timeline"), Vertical(classes="split"):
                        yield DataTable(cursor_type="row", id="events")
                        with VerticalScroll():
                            yield DetailText(id="event-detail")
                    with TabPane("deliveries", id="deliveries"):
                        with Vertical(classes="split"):
                            yield DataTable(cursor_type="row", id="outbox")
                            with VerticalScroll():
                                yield DetailText(id="delivery-detail")

    def on_mount(self) -> None:
        """Columns once; focus the search box."""
        super().on_mount()
        for table_id, columns in (
            ("#results", RESULT_COLUMNS),
            ("#events", TIMELINE_COLUMNS),
            ("#outbox", DELIVERY_COLUMNS),
        ):
            self.query_one(table_id, DataTable).add_columns(*columns)
        self.query_one("#search", Input).focus()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """Reading the profile (a tab has the focus) or finding one; narrow,
        the screen shows only what that needs."""
        pane = self.query_one("#profile-pane")
        reading = pane in event.widget.ancestors_with_self
        self.set_class(reading, "-reading")

    # Searching.

    def find(self, text: str, open_first: bool = True) -> None:
        """Search for ``text`` (the app's "open profile" comes through here)."""
        self.query_one("#search", Input).value = text
        self.wanted = text if open_first else None
        self.load("results", self.app.reader.search, text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Run the search."""
        self.find(event.value, open_first=False)

    def load_failed(self, what: str, error: str) -> None:
        """A search mistake goes under the box; other failures as notices."""
        if what == "results":
            self.say(error, problem=True)
        else:
            super().load_failed(what, error)

    def say(self, text: str, problem: bool = False) -> None:
        """Put ``text`` in the line under the search box."""
        line = self.query_one("#search-result", Static)
        line.update(text)
        line.set_class(problem, "-problem")

    def show_results(self, found: Found) -> None:
        """List what the search found and open the first (or the wanted) one."""
        self.say(found.summary())
        table = self.query_one("#results", DataTable)
        table.clear()
        for doc in found.profiles:
            email = (doc.get("pii") or {}).get("email") or ""
            last = str(doc.get("last_seen") or "")[:16].replace("T", " ")
            cells = (doc["id"], person_name(doc), email, doc.get("visits", 0), last)
            table.add_row(*cells, key=doc["id"])
        if found.profiles and self.wanted is not None:
            self.open(found.profiles[0]["id"])
        self.wanted = None
        table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Open profiles as the cursor moves; show events and deliveries whole."""
        table_id = event.data_table.id
        key = event.row_key.value if event.row_key else None
        if key is None:
            return
        if table_id == "results":
            self.open(key)
        elif table_id == "events":
            self.show_event(key)
        elif table_id == "outbox":
            self.show_delivery(int(key))

    def open(self, profile_id: str) -> None:
        """Read one profile with its events, sessions and deliveries."""
        if self.profile is None or self.profile["profile"]["id"] != profile_id:
            self.load("profile", self.app.reader.profile, profile_id)

    def show_profile(self, data: dict | None) -> None:
        """Fill the summary, the tree, the timeline and the deliveries."""
        if data is None:
            self.notify("that profile is gone", severity="warning")
            return
        self.profile = data
        doc = data["profile"]
        self.query_one("#summary", Static).update(summary_text(data))
        fill_tree(self.query_one("#tree", Tree), doc)
        events = self.query_one("#events", DataTable)
        events.clear()
        for event in reversed(data["events"]):
            time = str(event.get("time") or "")[:19].replace("T", " ")
            session = (event.get("session") or {}).get("id") or ""
            source = (event.get("source") or {}).get("id") or ""
            events.add_row(time, event["type"], source, session, key=event["id"])
        outbox = self.query_one("#outbox", DataTable)
        outbox.clear()
        for row in data["deliveries"]:
            created = str(row.get("created") or "")[:16].replace("T", " ")
            status = Text(row["status"], style=_status_style(row["status"]))
            cells = (created, row["kind"], row["target"], status, row["rule_id"])
            outbox.add_row(*cells, key=str(row["id"]))

    def show_event(self, event_id: str) -> None:
        """A timeline event, with the rules it fired if this console ran it and
        still keeps it, and what it queued."""
        event = next(e for e in self.profile["events"] if e["id"] == event_id)
        seen = self.app.seen_of(event)
        sent = [r for r in self.profile["deliveries"] if r["event_id"] == event_id]
        unknown = self.app.why_unknown(event)
        detail = event_detail(seen, self.app.ruleset, sent, unknown)
        self.query_one("#event-detail", Static).update(detail)

    def show_delivery(self, outbox_id: int) -> None:
        """One delivery whole: state, message, arguments."""
        row = next(r for r in self.profile["deliveries"] if r["id"] == outbox_id)
        self.query_one("#delivery-detail", Static).update(outbox_detail(row))

    # Actions.

    def action_search(self) -> None:
        """Move to the search box."""
        self.query_one("#search", Input).focus()

    def action_results(self) -> None:
        """Move to the results."""
        self.query_one("#results", DataTable).focus()

    def action_tab(self, name: str) -> None:
        """Show one of the open profile's tabs and move into it."""
        self.set_class(True, "-reading")  # narrow, the tabs show only now
        self.query_one("#tabs", TabbedContent).active = name
        target = {"fields": "#tree", "timeline": "#events", "deliveries": "#outbox"}
        self.call_after_refresh(self.query_one(target[name]).focus)

    def action_forget(self) -> None:
        """Forget the open profile, after asking with what it would delete."""
        if self.profile is None:
            self.notify("open a profile first", severity="warning")
            return
        self.app.preview_forget(self.profile["profile"]["id"])

    def profile_forgotten(self, profile_id: str) -> None:
        """Let go of the profile if it is the one open, and search again."""
        if self.profile is None or self.profile["profile"]["id"] != profile_id:
            return
        self.profile = None
        self.query_one("#summary", Static).update(f"{profile_id} was forgotten")
        self.query_one("#tree", Tree).clear()
        for table_id in ("#events", "#outbox"):
            self.query_one(table_id, DataTable).clear()
        for static_id in ("#event-detail", "#delivery-detail"):
            self.query_one(static_id, Static).update("")
        text = self.query_one("#search", Input).value
        if text.strip():
            self.find(text, open_first=False)


def _status_style(status: str) -> str:
    return {"failed": "red", "dead": "bold red", "sent": "green"}.get(status, "")
