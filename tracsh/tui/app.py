"""The operator console: the Textual app that ties screens, feed, keys and themes.

``tracsh tui`` (tracsh/cli/tui.py) builds a FeedPlan and runs ConsoleApp. The
app starts the feed in a thread worker (it runs the engine in a process of its
own), keeps the bounded ring of recent events, counts events per second, and
routes what the feed and the loaders post to the screen that is showing.
Screens are Textual modes, one per area.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections import Counter, deque
from collections.abc import Iterable, Mapping

from textual.actions import ActionParseResult
from textual.app import App, SystemCommand
from textual.dom import DOMNode
from textual.screen import Screen
from textual.worker import Worker, WorkerFailed, WorkerState

from tracsh.errors import UserError, failed_at
from tracsh.lang.loader import RuleSet
from tracsh.runtime.memory import settle_after_start
from tracsh.tui import logs
from tracsh.tui.feed import Feed, FeedPlan, NotAvailable, make_feed
from tracsh.tui.keys import bindings, keymap_of, of_area
from tracsh.tui.messages import (
    FeedError,
    FeedEvents,
    FeedState,
    ForgetPreview,
    Forgotten,
    Listening,
    LogLine,
    Notice,
    RulesLoaded,
    Seen,
)
from tracsh.tui.palette import ConsolePalette
from tracsh.tui.reader import Reader
from tracsh.tui.screens.base import ConsoleScreen
from tracsh.tui.screens.dashboard import DashboardScreen
from tracsh.tui.screens.dialogs import (
    ConfirmScreen,
    ErrorPanel,
    HelpScreen,
    forget_question,
    forgotten_text,
)
from tracsh.tui.screens.editor import EditorScreen
from tracsh.tui.screens.events import EventsScreen
from tracsh.tui.screens.journeys import JourneysScreen
from tracsh.tui.screens.outbox import OutboxScreen
from tracsh.tui.screens.profiles import ProfilesScreen
from tracsh.tui.screens.rules import RulesScreen
from tracsh.tui.screens.segments import SegmentsScreen
from tracsh.tui.themes import DARK, LIGHT, THEMES
from tracsh.tui.widgets.details import why_unknown

log = logging.getLogger(__name__)

LOG_LINES = 500
"""Log lines the panel keeps."""

DRAW_EVERY = 0.1
"""Seconds between two hand-overs of new events to the screen: drawing the stream
for every batch of a busy feed would leave no time for keys."""

SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while another waits (Python's default: 5 ms):
loader threads decoding many documents then let keys in sooner."""


def where_it_failed(error: BaseException) -> str:
    """The innermost frame of an exception, in one line, for the error panel."""
    where = failed_at(error)
    hint = "the full traceback is in the log panel (ctrl+l)"
    return f"{where}\n{hint}" if where else hint


class ConsoleApp(App):
    """The tracsh operator console."""

    TITLE = "tracsh"
    BINDINGS = bindings("console")
    """Screens by number, help, palette, theme, log panel, screenshot, quit."""

    MODES = {
        "dashboard": DashboardScreen,
        "events": EventsScreen,
        "rules": RulesScreen,
        "editor": EditorScreen,
        "profiles": ProfilesScreen,
        "outbox": OutboxScreen,
        "segments": SegmentsScreen,
        "journeys": JourneysScreen,
    }
    """One screen per area; the number keys switch between them."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    """Screens narrower than 100 columns get the class ``-narrow`` and put a
    row's detail under their list rather than beside it."""

    CSS = """
    .-hidden { display: none; }
    #log-panel { height: 10; border-top: solid $primary 40%; }
    #status { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(
        self,
        plan: FeedPlan,
        ruleset: RuleSet,
        theme: str = "dark",
        keys: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.plan = plan
        """What the command line asked for."""
        self.ruleset = ruleset
        """The rules as last loaded (the engine runs these when it runs here)."""
        self.reader = Reader(plan.db)
        """Read-only queries for the screens."""
        self.recent: deque = deque(maxlen=plan.rows)
        """The last events seen, oldest first; old ones drop off."""
        self.seen_by_id: dict[str, Seen] = {}
        """The same events by event id, to find an event's outcome."""
        self.rates: deque[int] = deque([0], maxlen=60)
        """Events per second over the last minute."""
        self.moves: Counter = Counter()
        """(segment, "entered"|"left") counts while the console ran the engine."""
        self.segment_baseline: dict[str, int] | None = None
        """Segment sizes when the console started, for "change"."""
        self.first_seq = 0
        """The log's last ``seq`` when the console started: events after it were
        stored while it ran (by its engine, unless attached)."""
        self.seen_total = 0
        self.feed_text = "starting"
        self.feed_running = True
        self.log_lines: deque[str] = deque(maxlen=LOG_LINES)
        self.show_log = False
        self.feed: Feed | None = None
        self.listening: str | None = None
        """The URL the engine's collector listens on, once it does."""
        self._this_second = 0
        self._undrawn: list = []
        self._switch_interval = sys.getswitchinterval()
        self._logging = None
        self.keymap, self.key_problems = keymap_of(keys or {})
        for candidate in (DARK, LIGHT):
            self.register_theme(candidate)
        self.theme = THEMES[theme].name

    @property
    def mode_text(self) -> str:
        """What the console is doing, for the header."""
        if self.plan.attach:
            return f"watching {self.plan.db} read-only"
        text = f"engine on {self.plan.db.name}"
        if self.plan.replay is not None:
            text = f"replaying {self.plan.replay.name} into {self.plan.db.name}"
        if self.listening is not None:
            text += f" · collector {self.listening}"
        return text

    def status_text(self) -> str:
        """The status line: the feed's state and the current rate."""
        rate = f"{self.rates[-1]:,} events/s"
        return f"{rate} · {self.feed_text} · 1-8 screens · ? keys"

    # Starting and stopping.

    def on_mount(self) -> None:
        """Keys, logging, the feed, the rate clock, then the dashboard."""
        self.set_keymap(self.keymap)
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._logging = logs.attach(self)
        self.segment_baseline = self.reader.segment_sizes()
        self.first_seq = self.reader.last_seq()
        for problem in self.key_problems:
            self.notify(problem, title="tracsh.toml", severity="warning", timeout=10)
        self.feed = make_feed(self.plan, self.post_message)
        self.run_worker(
            self.feed.run, thread=True, name="feed", group="feed", exit_on_error=False
        )
        self.set_interval(1.0, self._tick)
        self.set_interval(DRAW_EVERY, self._draw_seen)
        self._exit_on_signals()
        self.switch_mode("dashboard")
        # Full collections walked every widget, style and module each time,
        # 100 ms and more on the app's thread: most of the keys slower than
        # 100 ms under benchmarks/console_latency.py waited for one. (Only
        # when the console owns its process: tracsh.runtime.memory.)
        self.call_after_refresh(settle_after_start)

    def _exit_on_signals(self) -> None:
        """SIGTERM and SIGHUP end the app as ctrl+q does, giving the terminal back."""
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(number, self._signalled, number)
            except (NotImplementedError, RuntimeError, ValueError):
                return  # not the main thread, or a platform without them

    def _signalled(self, number: int) -> None:
        log.info("ending on signal %s", signal.Signals(number).name)
        self.stop_feed()
        self.exit(return_code=128 + number)

    def on_unmount(self) -> None:
        """Stop the feed (and wait for the engine process), close the reader."""
        if self.feed is not None:
            self.feed.close()
        self.reader.close()
        sys.setswitchinterval(self._switch_interval)
        if self._logging is not None:
            logs.detach(*self._logging)

    def stop_feed(self) -> None:
        """Ask the feed to stop (it closes its writer on its own thread)."""
        if self.feed is not None:
            self.feed.stop()

    async def action_quit(self) -> None:
        """Stop the feed, then leave."""
        self.stop_feed()
        self.exit()

    def _tick(self) -> None:
        """Close one second of counting and refresh the status line."""
        self.rates.append(self._this_second)
        self._this_second = 0
        self.refresh_status()

    def refresh_status(self) -> None:
        """Show the status on the screen in view, or under the dialog in view."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, ConsoleScreen):
                screen.show_status(self.status_text())
                return

    # What the feed posts.

    def on_feed_events(self, message: FeedEvents) -> None:
        """Keep the events (bounded), count them, show them."""
        for seen in message.seen:
            if len(self.recent) == self.recent.maxlen:
                dropped = self.recent.popleft()
                self.seen_by_id.pop(dropped.event.get("id"), None)
            self.recent.append(seen)
            self.seen_by_id[seen.event.get("id")] = seen
        self.moves.update(message.moves)
        arrived = len(message.seen) + message.omitted
        self._this_second += arrived
        self.seen_total += arrived
        self._undrawn.extend(message.seen)

    @property
    def in_view(self) -> ConsoleScreen | None:
        """The console screen in view; None under a dialog or while the app ends.

        Timers and messages can still arrive after the last screen left the
        stack, when ``App.screen`` raises, so every handler asks here instead.
        """
        stack = self.screen_stack
        if stack and isinstance(stack[-1], ConsoleScreen):
            return stack[-1]
        return None

    def _draw_seen(self) -> None:
        """Hand the events that arrived since the last call to the screen."""
        if not self._undrawn:
            return
        seen, self._undrawn = self._undrawn, []
        if (screen := self.in_view) is not None:
            screen.events_arrived(seen[-self.plan.rows :])

    def on_feed_state(self, message: FeedState) -> None:
        """Show what the feed is doing."""
        self.feed_text = message.text
        self.feed_running = message.running
        self.refresh_status()

    def on_rules_loaded(self, message: RulesLoaded) -> None:
        """Use newly loaded rules, or say why the old ones still run."""
        if message.applied:
            self.ruleset = message.ruleset
            if (screen := self.in_view) is not None:
                screen.rules_changed()
        severity = "information" if message.applied else "error"
        self.notify(message.text, severity=severity)

    def on_notice(self, message: Notice) -> None:
        """The feed's answer to a request."""
        self.notify(message.text, severity=message.severity)

    def on_forget_preview(self, message: ForgetPreview) -> None:
        """Ask the operator, with what forgetting would delete."""
        if message.counts is None:
            text = f"no profile answers to {message.profile_id}; nothing to forget"
            self.notify(text, severity="warning")
            return
        profile_id = message.counts["profile"]

        def answered(yes: bool | None) -> None:
            if yes:
                self.forget(profile_id)

        self.push_screen(ConfirmScreen(forget_question(message.counts)), answered)

    def on_forgotten(self, message: Forgotten) -> None:
        """Say what forgetting a profile deleted; the screens let go of it."""
        if message.counts is None:
            text = f"no profile answers to {message.profile_id}; nothing was deleted"
            self.notify(text, severity="warning")
        else:
            self.notify(forgotten_text(message.counts), timeout=10)
        if (screen := self.in_view) is not None:
            screen.profile_forgotten(message.profile_id)

    def on_listening(self, message: Listening) -> None:
        """Show where the collector listens."""
        self.listening = message.url
        for screen in self.screen_stack:
            screen.sub_title = self.mode_text

    def on_feed_error(self, message: FeedError) -> None:
        """The replay or the engine process failed: a panel, the detail logged."""
        log.error("%s\n%s", message.summary, message.detail)
        self.feed_text = f"{message.summary} (ctrl+l shows the log)"
        self.refresh_status()
        where = f"{message.where}\n" if message.where else ""
        hint = "the full traceback is in the log panel (ctrl+l)"
        self.push_screen(ErrorPanel(message.summary, where + hint))

    def on_log_line(self, message: LogLine) -> None:
        """Keep the line for the panel and show it if the panel is open."""
        self.log_lines.append(message.text)
        if (screen := self.in_view) is not None:
            screen.log_line(message.text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that failed gets an error panel; the console keeps going."""
        worker = event.worker
        if event.state != WorkerState.ERROR:
            if worker.name == "feed" and event.state == WorkerState.SUCCESS:
                if self.feed_running:
                    self.feed_text = f"feed stopped · {self.feed_text}"
                self.refresh_status()
            return
        error = worker.error
        kind = "" if isinstance(error, UserError) else f"{type(error).__name__}: "
        summary = f"{worker.name} failed: {kind}{error}"
        if worker.name == "feed":
            self.feed_text = "feed stopped on an error (ctrl+l shows the log)"
            self.refresh_status()
        log.error(summary, exc_info=error)
        self.push_screen(ErrorPanel(summary, where_it_failed(error)))

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Run an action (what a key, a palette command or a footer click asks
        for); one that fails gets an error panel and the console keeps going."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as error:
            name = action if isinstance(action, str) else action[1]
            summary = f"action {name} failed: {type(error).__name__}: {error}"
            log.error(summary, exc_info=error)
            self.push_screen(ErrorPanel(summary, where_it_failed(error)))
            return True

    def _handle_exception(self, error: Exception) -> None:
        """A worker that fails (ours or one of Textual's own, such as the command
        palette's search) gets an error panel. Anything else that reaches here
        ends the app as Textual ends it, with the terminal restored: Textual has
        already stopped the message loop of the widget that raised, so going on
        would leave a screen that no longer answers (a failing action never
        gets here; see run_action)."""
        if isinstance(error, WorkerFailed):
            summary = f"a background task failed: {error.error}"
            log.error(summary, exc_info=error.error)
            self.push_screen(ErrorPanel(summary, where_it_failed(error.error)))
            return
        super()._handle_exception(error)

    # What screens ask of the app.

    def seen_of(self, event: dict) -> Seen:
        """The event as this console saw it, with its outcome, when it still
        keeps it; else the stored event alone."""
        return self.seen_by_id.get(event.get("id")) or Seen(0, event, None)

    def why_unknown(self, event: dict) -> str:
        """Why this console cannot say which rules ``event`` fired."""
        ran_here = event.get("seq", self.first_seq + 1) > self.first_seq
        return why_unknown(self.plan.attach, ran_here, self.plan.rows)

    async def open_profile(self, profile_id: str) -> None:
        """Show the Profiles screen with ``profile_id`` open."""
        await self.switch_mode("profiles")
        self.screen.find(profile_id)

    async def edit(self, path: str, line: int) -> None:
        """Show the editor with ``path`` open at ``line``."""
        await self.switch_mode("editor")
        self.screen.open(path, line)

    def rules_saved(self) -> None:
        """A rule file was saved: the engine reloads the rules."""
        self._ask(self.feed.reload)

    def retry(self, outbox_id: int) -> None:
        """Have the feed send an outbox row again."""
        self._ask(lambda: self.feed.retry(outbox_id))

    def preview_forget(self, profile_id: str) -> None:
        """Ask the feed what forgetting a profile would delete; then the operator."""
        self._ask(lambda: self.feed.preview_forget(profile_id))

    def forget(self, profile_id: str) -> None:
        """Have the feed forget a profile."""
        self._ask(lambda: self.feed.forget(profile_id))

    def _ask(self, request) -> None:
        try:
            request()
        except NotAvailable as err:
            self.notify(str(err), severity="error", timeout=8)

    # Actions.

    async def action_show(self, area: str) -> None:
        """Switch to the screen of ``area``."""
        await self.switch_mode(area)

    def action_command_palette(self) -> None:
        """Open the command palette (tracsh/tui/palette.py says why it is ours)."""
        if not ConsolePalette.is_open(self):
            self.push_screen(ConsolePalette(id="--command-palette"))

    def action_help(self) -> None:
        """Show every key."""
        self.push_screen(HelpScreen(self.keymap))

    def action_toggle_theme(self) -> None:
        """Switch between the dark and the light theme."""
        self.theme = LIGHT.name if self.theme == DARK.name else DARK.name

    def action_toggle_log(self) -> None:
        """Show or hide the log panel."""
        self.show_log = not self.show_log
        if (screen := self.in_view) is not None:
            screen.sync_log()

    def action_screenshot(self) -> None:
        """Save an SVG of the screen in the current directory."""
        path = self.save_screenshot()
        self.notify(f"saved {path}")

    # The command palette lists the same registry as the keys.

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every console command, and those of the screen showing, as "area: name"."""
        area = getattr(screen, "AREA", None)
        for entry in of_area("console") + (of_area(area) if area else []):
            if entry.widget is not None or entry.id == "console.palette":
                continue
            target = self if entry.area == "console" else screen
            yield SystemCommand(
                entry.title,
                entry.description,
                lambda t=target, a=entry.action: t.run_action(a),
            )
