"""The Plan panel's actions: ask the Tier 2 planner (on its own thread), edit the proposal as rows validated as
you type, revise, accept or reject. No dearpygui here."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from conductor.errors import ConductorError
from conductor.models import next_ticket_id
from conductor.planner import PlanResult, PlanSession
from conductor.proposals import Proposal
from gui.state import PlanState

if TYPE_CHECKING:
    from gui.controller import Controller


@dataclass(frozen=True)
class PlanProgress:
    """What the planner is doing (shown under the goal)."""

    text: str


@dataclass(frozen=True)
class PlanDone:
    result: PlanResult


@dataclass(frozen=True)
class PlanFailed:
    error: str


PlanMessage = PlanProgress | PlanDone | PlanFailed
"""What the planner's thread sends the window, drained once per frame."""


class PlanController:
    def __init__(self, owner: Controller) -> None:
        self.owner = owner
        self._session: PlanSession | None = None
        self._messages: queue.SimpleQueue[PlanMessage] = queue.SimpleQueue()

    @property
    def state(self) -> PlanState:
        return self.owner.state.plan

    def open(self, goal: str = "") -> None:
        self.state.visible = True
        if goal and not self.state.goal:
            self.state.goal = goal
        self.owner.state.touch("plan")

    def start(self, goal: str) -> None:
        """Ask the Tier 2 planner for a track for ``goal`` (on a background thread; progress in the panel)."""
        self.state.goal = goal
        self._ask(lambda session: session.start(goal), revision_of=None)

    def revise_remaining(self) -> None:
        """Ask the planner to redo the selected track's tickets that have not started."""
        track = self.owner.state.track
        if track is None:
            self.owner.state.notify("select a track first")
            return
        note = self.state.goal
        self._ask(lambda session: session.start_revision(track.id, note), revision_of=track.id)

    def revise(self, feedback: str) -> None:
        session = self._session
        if session is None or session.result is None:
            self.owner.state.notify("plan first")
            return
        self._ask(lambda s: s.revise(feedback), revision_of=self.state.revision_of, session=session)

    def _ask(self, step: Callable[[PlanSession], PlanResult], revision_of: str | None,
             session: PlanSession | None = None) -> None:
        plan = self.state
        if plan.busy:
            return
        if session is None:
            try:
                session = self._new_session()
            except ConductorError as error:
                plan.progress = f"error: {error}"
                self.owner.state.touch("plan")
                return
        self._session = session
        plan.busy, plan.progress, plan.revision_of = True, "asking the planner", revision_of
        self.owner.state.touch("plan")

        def work() -> None:
            try:
                self._messages.put(PlanDone(step(session)))
            except Exception as error:  # shown in the panel, never a dead thread
                self._messages.put(PlanFailed(str(error)))

        threading.Thread(target=work, name="conductor-planner", daemon=True).start()

    def _new_session(self) -> PlanSession:
        return PlanSession.open(self.owner.config, self.owner.store, by="gui",
                                on_progress=lambda text: self._messages.put(PlanProgress(text)))

    def poll(self) -> None:
        plan = self.state
        while not self._messages.empty():
            match self._messages.get_nowait():
                case PlanProgress(text):
                    plan.progress = text
                case PlanFailed(error):
                    plan.busy, plan.progress = False, f"error: {error}"
                case PlanDone(result) if result.proposal is not None:
                    self._show(result, result.proposal)
                case PlanDone():
                    plan.busy, plan.progress = False, "the planner made no proposal"
            self.owner.state.touch("plan")

    def _show(self, result: PlanResult, proposal: Proposal) -> None:
        plan, session = self.state, self._session
        plan.busy, plan.edited = False, False
        plan.title, plan.description = proposal.title, proposal.description
        plan.rows = [{"id": t.id, "title": t.title, "target_file": t.target_file, "prompt": t.prompt,
                      "depends_on": " ".join(t.depends_on), "archetype": t.archetype or "",
                      "new_file": t.new_file} for t in proposal.tickets]
        plan.layout += 1
        self._validate()
        plan.diff = session.revision_diff(proposal) if session else ""
        usage = session.accountant.track if session else None
        plan.progress = (f"proposal after {result.attempts} attempt(s); " + (
            f"{usage.input_tokens} in / {usage.output_tokens} out tokens" if usage else ""))

    # -- editing the proposal --------------------------------------------------------------------------
    def set_cell(self, row: int, name: str, value: object) -> None:
        """A cell edited in the table: validated at once."""
        plan = self.state
        if not 0 <= row < len(plan.rows):
            return
        plan.rows[row][name] = value
        plan.edited = True
        self._validate()
        self.owner.state.touch("plan")

    def set_title(self, title: str) -> None:
        self.state.title, self.state.edited = title, True
        self._validate()
        self.owner.state.touch("plan")

    def add_row(self) -> None:
        plan = self.state
        plan.rows.append({"id": next_ticket_id(str(r.get("id", "")) for r in plan.rows), "title": "",
                          "target_file": "", "prompt": "", "depends_on": "", "archetype": "", "new_file": False})
        self._changed_rows()

    def remove_row(self, row: int) -> None:
        if 0 <= row < len(self.state.rows):
            del self.state.rows[row]
            self._changed_rows()

    def move_row(self, row: int, offset: int) -> None:
        rows = self.state.rows
        other = row + offset
        if 0 <= row < len(rows) and 0 <= other < len(rows):
            rows[row], rows[other] = rows[other], rows[row]
            self._changed_rows()

    def _changed_rows(self) -> None:
        plan = self.state
        plan.edited = True
        plan.layout += 1
        self._validate()
        self.owner.state.touch("plan")

    def _validate(self) -> None:
        plan = self.state
        try:
            proposal = Proposal.model_validate(plan.proposal_data())
        except ValueError as error:
            plan.problems = [str(error).splitlines()[0]]
            return
        session = self._session
        plan.problems = session.problems(proposal) if session else self.owner.tickets.proposal_problems(proposal)

    def accept(self) -> str | None:
        plan, session = self.state, self._session
        if session is None or plan.busy:
            return None
        try:
            track = session.accept(Proposal.model_validate(plan.proposal_data()), edited=plan.edited)
        except (ConductorError, ValueError) as error:
            plan.progress = f"not accepted: {error}"
            self.owner.state.touch("plan")
            return None
        self.owner.state.plan = PlanState()
        self._session = None
        self.owner.refresh_tracks()
        self.owner.select_track(track.id)
        self.owner.state.notify(f"plan accepted: track {track.id}, {len(track.tickets)} tickets")
        self.owner.state.touch("plan")
        return track.id

    def reject(self, reason: str = "") -> None:
        if self._session is not None:
            self._session.reject(reason)
        self.owner.state.plan = PlanState()
        self._session = None
        self.owner.state.notify("plan rejected: nothing was created")
        self.owner.state.touch("plan")
