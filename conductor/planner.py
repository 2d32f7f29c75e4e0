"""Tier 2 planning: a goal becomes a proposed track, which a person edits and accepts (or not).

The planner model starts from the goal, the repository map and the existing tracks' titles; it may read with the
worker's read-only tools (within `[planner] max_steps`) and ends by calling `propose_track`, whose arguments are a
`Proposal`. Every proposal is validated like any track (ids, cycles, dangling dependencies, targets inside the
project and outside secret files, `tracks/` and `.git/`, missing targets marked `new_file`, empty prompts); the
problems go back to the model as the call's error result, and it proposes again, up to `[planner] max_attempts`;
then the person sees the proposal with its problems. Nothing is created until a person accepts.
"""

from __future__ import annotations

import difflib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conductor.accounting import Accountant, with_overrides
from conductor.config import READ_ONLY_TOOLS, ProjectConfig
from conductor.errors import ConductorError
from conductor.events import Actor, EventLog, ModelCalled, PlanAccepted, PlanProposed, PlanRejected, PlanRevised
from conductor.gate import Decision
from conductor.messages import AssistantTurn, Message
from conductor.models import Track
from conductor.proposals import Proposal, ProposedTicket
from conductor.protocols import Model
from conductor.store import Ledger, TrackStore
from conductor.tickets import TicketService
from conductor.tools import TOOLS, ProjectTools, ToolDefinition, ToolOutcome
from conductor.worker import Finished, GaveUp, LimitReached, Worker, WorkerHooks, WorkerState
from file_cache import FileCache
from file_cache.repomap import repository_map

PLANNER_SYSTEM = """\
You are the Tier 2 planner in Conductor: you turn a developer's goal into a track of tickets that Tier 3 workers \
carry out one at a time, each on exactly one target file, seeing mostly signatures of the rest of the code.
- Make each ticket small: one file, one clear change, a prompt that says what to do and how to check it (which \
test to run or write). Order work with dependencies: a ticket that uses another's result depends on it.
- Targets are paths relative to the project root. A target that does not exist yet needs "new_file": true.
- You may read the code with the read-only tools first; keep it short.
- End by calling propose_track. If it answers with problems, fix them and call it again."""


class ProposalRefused(ConductorError):
    """The proposal has problems; the message lists them for the model to fix."""


@dataclass
class PlannerTools(ProjectTools):
    """The planner's tools: the worker's read-only ones, and `propose_track`, which checks a proposal like any
    track and ends the run when it can be accepted, or when the attempts run out."""

    tickets: TicketService = field(kw_only=True)
    """Checks each proposal by the rules of any track."""
    kept: frozenset[str] = frozenset()
    """Ids of tickets kept beside the proposal (a revision)."""
    max_attempts: int = 3
    on_progress: Callable[[str], None] = lambda text: None
    attempts: int = 0
    proposal: Proposal | None = None
    """The latest proposal, with its problems ([] when it can be accepted)."""
    problems: list[str] = field(default_factory=list)

    @property
    def tools(self) -> dict[str, ToolDefinition]:
        return PLANNER_TOOLS

    def propose_track(self, proposal: Proposal) -> ToolOutcome:
        self.attempts += 1
        self.proposal, self.problems = proposal, self.tickets.proposal_problems(proposal, self.kept)
        if not self.problems:
            return ToolOutcome("accepted for review", final=True)
        self.on_progress(f"proposal {self.attempts} refused: {len(self.problems)} problems")
        refused = ProposalRefused("Not accepted; fix these and call propose_track again:\n"
                                  + "\n".join(f"- {p}" for p in self.problems))
        return ToolOutcome.failed(refused, final=self.attempts > self.max_attempts)


PLANNER_TOOLS: dict[str, ToolDefinition] = {
    **{name: TOOLS[name] for name in READ_ONLY_TOOLS},
    "propose_track": ToolDefinition("propose_track", "Propose the track: its title, description and tickets. Call "
                                    "it once the plan is ready; it answers with the problems to fix, if any.",
                                    Proposal, PlannerTools.propose_track),
}


@dataclass
class PlanResult:
    proposal: Proposal | None
    problems: list[str]
    """Empty when the proposal can be accepted as it is."""
    attempts: int
    messages: list[Message] = field(default_factory=list)
    """The conversation so far (a revision continues it)."""
    tokens: int = 0


class PlanFailed(ConductorError):
    """The planner ended without any proposal (step limit, or it never called propose_track)."""


@dataclass
class Planner:
    """A worker whose tools read the code and propose a track."""

    config: ProjectConfig
    model: Model
    tools: ProjectTools
    tickets: TicketService
    on_turn: Callable[[AssistantTurn], float | None] = lambda turn: None
    on_progress: Callable[[str], None] = lambda text: None

    def first_message(self, goal: str, store: TrackStore) -> str:
        repo_map = repository_map(self.tools.cache, self.config.planner.map_budget_tokens,
                                  focus=goal, include=self.tools.guard.allows)
        titles = [f"- {summary.title}" for summary in store.summaries() if summary.error is None]
        archetypes = ", ".join(sorted({"default", *self.config.archetypes}))
        parts = [f"# Goal\n{goal.strip()}", f"# Repository map ({repo_map.tokens} tokens)\n{repo_map.text}",
                 f"# Archetypes\n{archetypes}"]
        if titles:
            parts.append("# Existing tracks\n" + "\n".join(titles))
        return "\n\n".join(parts) + "\n"

    def plan(self, messages: list[Message], kept: frozenset[str] = frozenset()) -> PlanResult:
        """Run the conversation until an acceptable proposal, or the attempts/steps run out. ``kept``: ids of
        tickets kept beside the proposal (a revision)."""
        tools = PlannerTools(cache=self.tools.cache, guard=self.tools.guard, run_command=self.tools.run_command,
                             max_file_bytes=self.tools.max_file_bytes, tickets=self.tickets, kept=kept,
                             max_attempts=self.config.planner.max_attempts, on_progress=self.on_progress)
        state = WorkerState(ticket_id="plan", provider=self.model.provider, model=self.model.model,
                            system=PLANNER_SYSTEM, messages=messages)
        hooks = WorkerHooks(decide=lambda request: (Decision(action="approve", decided_by="planner"), request),
                            on_turn=self._on_turn(state), before_execute=lambda request: None,
                            on_outcome=lambda request, outcome: outcome.content, save=lambda state: None,
                            should_stop=lambda: False)
        limits = self.config.limits.model_copy(update={"max_steps": self.config.planner.max_steps})
        why = ""
        try:
            Worker(state, self.model, tools, hooks, limits, 4096, require_tool=True).run()
        except (LimitReached, GaveUp) as stopped:
            why = f": {stopped}"
        except Finished:
            pass
        if tools.proposal is None:
            raise PlanFailed(f"the planner made no proposal{why}")
        return PlanResult(tools.proposal, tools.problems, tools.attempts, state.messages, state.tokens)

    def _on_turn(self, state: WorkerState) -> Callable[[AssistantTurn], float | None]:
        def on_turn(turn: AssistantTurn) -> float | None:
            called = ", ".join(call.name for call in turn.tool_calls) or "no tool"
            self.on_progress(f"planner step {state.steps}: {called}")
            return self.on_turn(turn)

        return on_turn


class PlanSession:
    """One planning conversation with its accounting and ledger (`tracks/plans.jsonl`, and the new track's own
    ledger on acceptance). Front-ends drive it: start, revise with feedback, accept (edited or not), reject."""

    def __init__(self, config: ProjectConfig, store: TrackStore, model: Model, by: Actor = "cli",
                 subscribers: tuple[Any, ...] = (), on_progress: Callable[[str], None] = lambda text: None) -> None:
        self.config = config
        self.store = store
        self.by = by
        self.tickets = TicketService(config, store, by=by)
        self.accountant = Accountant(prices=with_overrides(config.prices))
        self.plan_id = "plan-" + secrets.token_hex(4)
        tools = ProjectTools(cache=FileCache(config.root), guard=self.tickets.guard,
                             max_file_bytes=config.guard.max_file_bytes)
        self.planner = Planner(config, model, tools, self.tickets, on_turn=self._on_turn, on_progress=on_progress)
        self.events = EventLog(Ledger(store.root / "plans.jsonl").append_record, subscribers)
        self.goal = ""
        self.revision_of: str | None = None
        self.result: PlanResult | None = None

    @classmethod
    def open(cls, config: ProjectConfig, store: TrackStore, by: Actor,
             on_progress: Callable[[str], None] = lambda text: None) -> PlanSession:
        """A session on the project's Tier 2 model; ConductorError saying how to choose one when none is set."""
        from conductor.providers import HOW_TO_CHOOSE, create_model

        if config.tier2 is None or config.tier2.provider is None:
            raise ConductorError("no Tier 2 provider configured: " + HOW_TO_CHOOSE.format(tier="tier2", upper="TIER2"))
        return cls(config, store, create_model(config.tier2, config, tier_name="tier2"), by=by,
                   on_progress=on_progress)

    def _on_turn(self, turn: AssistantTurn) -> float | None:
        cost = self.accountant.record("tier2", None, turn)
        self.events.emit(ModelCalled.of(turn, self.plan_id, "tier2", None, cost))
        return cost

    def start(self, goal: str) -> PlanResult:
        if not goal.strip():
            raise ConductorError("a plan needs a goal")
        self.goal = goal.strip()
        messages = [Message(role="user", text=self.planner.first_message(self.goal, self.store))]
        return self._run(messages)

    def start_revision(self, track_id: str, note: str = "") -> PlanResult:
        """Ask for new tickets in place of the ones of ``track_id`` that have not started."""
        track = self.store.load(track_id)
        self.revision_of = track_id
        self.goal = f"Revise the remaining tickets of the track '{track.title}'"
        lines = [f"# Revise a running track: {track.title}", track.description, "",
                 "Propose the tickets that remain to be done (the ones not started below may be kept, changed, "
                 "split or dropped). New tickets may depend on the kept ones by id; do not reuse their ids.", "",
                 "# Its tickets now"]
        for ticket in track.tickets:
            line = f"- {ticket.id} [{ticket.status}] {ticket.title} -> {ticket.target_file}"
            if ticket.dependencies:
                line += f" (after {', '.join(ticket.dependencies)})"
            if ticket.summary:
                line += f"\n  done: {ticket.summary}"
            if ticket.block_reason:
                line += f"\n  blocked: {ticket.block_reason}"
            if not ticket.started:
                line += f"\n  prompt: {ticket.prompt.strip()}"
            lines.append(line)
        if note.strip():
            lines += ["", f"# From the developer\n{note.strip()}"]
        messages = [Message(role="user", text="\n".join(lines) + "\n\n"
                            + self.planner.first_message(self.goal, self.store))]
        return self._run(messages)

    def revise(self, feedback: str) -> PlanResult:
        """Propose again, with the person's feedback on the last proposal."""
        if self.result is None:
            raise ConductorError("there is no proposal to revise yet")
        self.events.emit(PlanRevised(track=self.plan_id, feedback=feedback, by=self.by))
        messages = list(self.result.messages)
        text = f"The developer asks for changes before accepting:\n{feedback.strip()}\nCall propose_track again."
        if messages and messages[-1].role == "user":  # the accepted call's result: feedback goes with it
            last = messages.pop()
            messages.append(last.model_copy(update={"text": text}))
        else:
            messages.append(Message(role="user", text=text))
        return self._run(messages)

    def _run(self, messages: list[Message]) -> PlanResult:
        result = self.planner.plan(messages, kept=self._kept_ids())
        self.result = result
        assert result.proposal is not None
        self.events.emit(PlanProposed(track=self.plan_id, goal=self.goal, attempts=result.attempts,
                                      tickets=len(result.proposal.tickets), problems=result.problems,
                                      tokens=result.tokens, revision_of=self.revision_of))
        return result

    def _kept_ids(self) -> frozenset[str]:
        if self.revision_of is None:
            return frozenset()
        return frozenset(t.id for t in self.store.load(self.revision_of).tickets if t.started)

    def problems(self, proposal: Proposal) -> list[str]:
        return self.tickets.proposal_problems(proposal, self._kept_ids())

    def accept(self, proposal: Proposal, edited: bool = False) -> Track:
        """Make the track (or, for a revision, replace the tickets not started); raises ConductorError."""
        if self.revision_of is not None:
            track = self.tickets.replace_unstarted(self.revision_of, proposal)
        else:
            track = self.tickets.create_from(proposal)
        accepted = PlanAccepted(track=track.id, plan=self.plan_id, edited=edited,
                                proposal=proposal.model_dump(mode="json"), by=self.by)
        self.events.emit(accepted)
        self.tickets.emit(accepted)
        return track

    def reject(self, reason: str = "") -> None:
        self.events.emit(PlanRejected(track=self.plan_id, reason=reason.strip() or "rejected", by=self.by))

    def revision_diff(self, proposal: Proposal) -> str:
        """The proposal against the tickets it replaces, as a unified diff of their tables."""
        if self.revision_of is None:
            return ""
        track = self.store.load(self.revision_of)
        current = Proposal(title=track.title, description=track.description,
                           tickets=[ProposedTicket.of(t) for t in track.tickets if not t.started])
        before = current.table().splitlines(keepends=True)
        after = proposal.model_copy(update={"title": track.title, "description": track.description}).table()
        return "".join(difflib.unified_diff(before, after.splitlines(keepends=True), "remaining now", "proposed"))

