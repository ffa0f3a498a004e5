"""Journeys: per-profile state machines that advance on events and on timers.

A profile's place in each journey is kept in ``profile.journeys`` (tracsh
writes it; rules only read it), so it is committed with the profile. Each step
runs as an internal ``journey-step`` event at the step's time: right away when
it is due, otherwise through a timer (timers.py). The step event's id is
derived from the journey, the run and the step, so a step that is fired twice
(a restart between firing and commit) is a duplicate the second time. See
docs/journeys.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracsh.engine.identify import derived_id, event_time
from tracsh.engine.rulebook import CompiledRule, compile_action
from tracsh.engine.timers import timer_row
from tracsh.engine.times import shifted, utc_text
from tracsh.lang import nodes
from tracsh.lang.compile import compile_condition
from tracsh.lang.printer import value as shown
from tracsh.lang.scope import Scope

STEP_EVENT = "journey-step"
"""The type of the internal event that runs a journey step."""


def _always(scope: Scope) -> bool:
    return True


def _rule(rule_id: str, condition: Any, actions: tuple = ()) -> CompiledRule:
    """A CompiledRule for a journey's condition or step, for statistics and firing."""
    node = nodes.Rule(name=rule_id, condition=condition, actions=actions)
    return CompiledRule(
        id=rule_id,
        node=node,
        path="",
        line=condition.span.line if condition is not None else 0,
        order=0,
        event_types=None,
        pre=None,
        main=_always if condition is None else compile_condition(condition),
        actions=tuple(compile_action(a, i) for i, a in enumerate(actions)),
    )


@dataclass(frozen=True)
class CompiledStep:
    """A step: its delay after the previous one, and its guard and actions."""

    name: str
    after: float
    rule: CompiledRule


@dataclass(frozen=True)
class CompiledJourney:
    """A journey ready to run."""

    name: str
    enter: CompiledRule
    exit: CompiledRule | None
    steps: tuple[CompiledStep, ...]

    def step(self, name: str) -> int | None:
        """The index of the step called ``name``."""
        return next((i for i, s in enumerate(self.steps) if s.name == name), None)


def compile_journey(journey: nodes.Journey) -> CompiledJourney:
    """Compile a journey's conditions and steps; their statistics go by these ids."""
    prefix = f"journey {journey.name}"
    steps = tuple(
        CompiledStep(
            step.name,
            step.after.seconds if step.after is not None else 0.0,
            _rule(f"{prefix}: {step.name}", step.when, step.actions),
        )
        for step in journey.steps
    )
    exit_rule = None
    if journey.exit is not None:
        exit_rule = _rule(f"{prefix}: exit", journey.exit)
    return CompiledJourney(
        journey.name, _rule(f"{prefix}: enter", journey.enter), exit_rule, steps
    )


def step_event(
    journey: CompiledJourney, index: int, run: str, profile: dict, scope: Scope, due
) -> dict:
    """The internal event that runs step ``index`` of a run at time ``due``."""
    step = journey.steps[index]
    time = utc_text(due)
    return {
        "id": derived_id(STEP_EVENT, journey.name, run, step.name),
        "type": STEP_EVENT,
        "time": time,
        "received": time,
        "source": {"id": "internal"},
        "session": {"id": scope.session["id"]},
        "profile": {"id": profile["id"]},
        "properties": {"journey": journey.name, "step": step.name, "run": run},
        "context": {"parent": scope.event["id"]},
        "tags": ["internal"],
    }


def state_of(profile: dict, name: str) -> dict | None:
    """The profile's state in journey ``name``, or None."""
    journeys = profile.get("journeys")
    found = journeys.get(name) if isinstance(journeys, dict) else None
    return found if isinstance(found, dict) else None


def is_active(state: dict | None) -> bool:
    """Whether a journey state is a run in progress."""
    return state is not None and state.get("status") == "active"


class JourneyBook:
    """Every journey of a rule book, and what an event does to them."""

    def __init__(self, journeys: list[nodes.Journey]) -> None:
        self.journeys = [compile_journey(j) for j in journeys]
        self.by_name = {j.name: j for j in self.journeys}

    def __bool__(self) -> bool:
        return bool(self.journeys)

    # --- per event ------------------------------------------------------------

    def advance(self, engine: Any, work: Any, scope: Scope, outcome: Any) -> list[dict]:
        """Run a due step, then exit and enter journeys; the events to process now.

        A journey's own step events never enter it, and a journey exited by an
        event is not entered again by the same event.
        """
        emitted: list[dict] = []
        own = None
        if scope.event["type"] == STEP_EVENT:
            own = (scope.event.get("properties") or {}).get("journey")
            emitted += self.run_step(engine, work, scope, outcome)
        for journey in self.journeys:
            state = state_of(scope.profile, journey.name)
            if is_active(state):
                if journey.exit is not None and (
                    engine.evaluate_rule(work, journey.exit, scope, outcome) is True
                ):
                    self.exit(work, scope, journey, "exit when")
            elif journey.name != own:
                if engine.evaluate_rule(work, journey.enter, scope, outcome) is True:
                    emitted += self.enter(work, scope, journey)
        return emitted

    def enter(self, work: Any, scope: Scope, journey: CompiledJourney) -> list[dict]:
        """Start a run of ``journey`` now; the first step's event if it is due."""
        profile = scope.profile
        run = derived_id("journey-run", journey.name, scope.event["id"])
        state = {"status": "active", "run": run, "entered": utc_text(scope.now)}
        journeys = profile.setdefault("journeys", {})
        journeys[journey.name] = state
        if not journey.steps:
            state.update(status="done", finished=state["entered"])
            return []
        return self.schedule(work, scope, journey, 0, scope.now)

    def schedule(
        self, work: Any, scope: Scope, journey: CompiledJourney, index: int, start
    ) -> list[dict]:
        """Set step ``index`` to run ``after`` its delay from ``start``."""
        state = state_of(scope.profile, journey.name)
        due = shifted(start, journey.steps[index].after)
        event = step_event(journey, index, state["run"], scope.profile, scope, due)
        state.update(step=journey.steps[index].name, due=event["time"])
        if due <= scope.now:
            return [event]
        work.timers.add(timer_row(event, "journey", scope.now))
        return []

    def exit(self, work: Any, scope: Scope, journey: CompiledJourney, why: str) -> None:
        """End the profile's run of ``journey``; its waiting step never runs."""
        state = state_of(scope.profile, journey.name)
        if not is_active(state):
            return
        if state.get("step") is not None:
            work.timers.done(
                derived_id(STEP_EVENT, journey.name, state["run"], state["step"])
            )
        state.update(status="exited", step=None, due=None, exited=utc_text(scope.now))
        state["why"] = why

    # --- running a step ---------------------------------------------------------

    def run_step(
        self, engine: Any, work: Any, scope: Scope, outcome: Any
    ) -> list[dict]:
        """Run the step a journey-step event stands for, and set up the next one."""
        properties = scope.event.setdefault("properties", {})
        journey = self.by_name.get(properties.get("journey"))
        state = state_of(scope.profile, journey.name) if journey else None
        if journey is None or not self._expects(state, properties):
            properties["result"] = "stale"
            outcome.trace.append(f"journey step {shown(properties.get('step'))}: stale")
            return []
        index = journey.step(properties["step"])
        step = journey.steps[index]
        emitted: list[dict] = []
        if engine.evaluate_rule(work, step.rule, scope, outcome) is True:
            emitted += engine.fire_rule(work, step.rule, scope, outcome).emitted
            properties["result"] = "ran"
        else:
            properties["result"] = "skipped"
        if not (is_active(state) and state.get("step") == step.name):
            return emitted  # the step's own actions ended or restarted the run
        if index + 1 < len(journey.steps):
            start = event_time(scope.event["time"])
            return emitted + self.schedule(work, scope, journey, index + 1, start)
        state.update(status="done", step=None, due=None, finished=utc_text(scope.now))
        return emitted

    @staticmethod
    def _expects(state: dict | None, properties: dict) -> bool:
        return (
            is_active(state)
            and state.get("run") == properties.get("run")
            and state.get("step") == properties.get("step")
        )

    # --- the actions ------------------------------------------------------------

    def act(self, firing: Any, node: nodes.JourneyAction) -> str:
        """``start journey`` / ``exit journey`` from a rule or a step."""
        journey = self.by_name.get(node.journey)
        if journey is None:
            return firing.problem(f"no journey {shown(node.journey)} is loaded")
        state = state_of(firing.profile, journey.name)
        if not node.start:
            if not is_active(state):
                return f"not in journey {shown(node.journey)}"
            self.exit(firing.work, firing.scope, journey, f"rule {firing.rule.id}")
            return f"exited journey {shown(node.journey)}"
        if is_active(state):
            return f"already in journey {shown(node.journey)}"
        firing.emitted.extend(self.enter(firing.work, firing.scope, journey))
        return f"started journey {shown(node.journey)}"
