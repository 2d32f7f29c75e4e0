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
import json
import re
import secrets
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from conductor.accounting import Accountant, with_overrides
from conductor.config import READ_ONLY_TOOLS, ProjectConfig
from conductor.errors import ConductorError
from conductor.events import (
    EventLog,
    ModelCalled,
    PlanAccepted,
    PlanProposed,
    PlanRejected,
    PlanRevised,
    TrackCreated,
)
from conductor.guards import PathGuard
from conductor.messages import AssistantTurn, Message, ToolCall, ToolResult, ToolSpec, clean_turn
from conductor.models import Ticket, Track
from conductor.protocols import Model
from conductor.shell import run_command
from conductor.store import Ledger, TrackStore, slugify
from conductor.tools import ProjectTools, tool_specs
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


class ProposedTicket(BaseModel):
    """One ticket of a proposed track."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Short id, unique in the proposal: letters, digits, '.', '_' or '-' (e.g. T1).")
    title: str = Field(description="What the ticket does, in a few words.")
    target_file: str = Field(description="The one file the worker edits, relative to the project root.")
    prompt: str = Field(description="What the worker is asked to do, and how to check it.")
    depends_on: list[str] = Field(default_factory=list, description="Ids of tickets that must be done first.")
    archetype: str | None = Field(default=None, description="A worker archetype of the project (optional).")
    new_file: bool = Field(default=False, description="True when the target does not exist yet.")


class Proposal(BaseModel):
    """The arguments of `propose_track`: a track and its tickets."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(description="The track's title.")
    description: str = Field(default="", description="What the track achieves, in a sentence or two.")
    tickets: list[ProposedTicket] = Field(description="The tickets, in a sensible order.")


def propose_track_spec() -> ToolSpec:
    schema = Proposal.model_json_schema()
    return ToolSpec(name="propose_track", description="Propose the track: its title, description and tickets. "
                    "Call it once the plan is ready; it answers with the problems to fix, if any.",
                    parameters=schema)


_ID = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


def proposal_problems(proposal: Proposal, config: ProjectConfig, guard: PathGuard,
                      known: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Everything that would stop the proposal from becoming a track, one line each ([] when none). ``known``:
    ids of tickets kept beside it (a revision), which it may depend on but not reuse."""
    problems: list[str] = []
    if not proposal.title.strip():
        problems.append("the track needs a title")
    if not proposal.tickets:
        problems.append("the track has no tickets")
    ids = [t.id for t in proposal.tickets]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"ticket id {duplicate!r} is used more than once")
    for reused in sorted(set(ids) & set(known)):
        problems.append(f"ticket id {reused!r} belongs to a ticket that has already started")
    archetypes = {"default", *config.archetypes}
    for ticket in proposal.tickets:
        label = f"ticket {ticket.id}"
        if not _ID.match(ticket.id):
            problems.append(f"{label}: the id must be letters, digits, '.', '_' or '-' (at most 40)")
        if not ticket.prompt.strip():
            problems.append(f"{label}: the prompt is empty")
        if not ticket.title.strip():
            problems.append(f"{label}: the title is empty")
        for dependency in ticket.depends_on:
            if dependency == ticket.id:
                problems.append(f"{label} depends on itself")
            elif dependency not in ids and dependency not in known:
                problems.append(f"{label} depends on unknown ticket {dependency!r}")
        if ticket.archetype and ticket.archetype not in archetypes:
            problems.append(f"{label}: unknown archetype {ticket.archetype!r} (known: {', '.join(sorted(archetypes))})")
        try:
            path = guard.writable(ticket.target_file)  # (refuses folders too)
        except ConductorError as error:
            problems.append(f"{label}: target {error}")
            continue
        if not path.exists() and not ticket.new_file:
            problems.append(f"{label}: target {ticket.target_file} does not exist (set new_file if the ticket "
                            "creates it)")
    cycle = _cycle(proposal)
    if cycle:
        problems.append(f"dependency cycle: {' -> '.join(cycle)}")
    return problems


def _cycle(proposal: Proposal) -> list[str] | None:
    edges = {t.id: [d for d in t.depends_on if d != t.id] for t in proposal.tickets}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in edges.get(node, []):
            if nxt not in edges:
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in edges:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def proposal_tickets(proposal: Proposal) -> list[Ticket]:
    return [Ticket(id=t.id, title=t.title.strip(), target_file=t.target_file.strip().removeprefix("./"),
                   prompt=t.prompt, worker_archetype=t.archetype or "default", dependencies=t.depends_on)
            for t in proposal.tickets]


def to_track(proposal: Proposal, track_id: str) -> Track:
    """The track a valid proposal makes (statuses derived from the dependencies); raises ValueError."""
    return Track(id=track_id, title=proposal.title.strip(), description=proposal.description,
                 tickets=proposal_tickets(proposal))


def proposal_table(proposal: Proposal, problems: list[str] | None = None) -> str:
    """The proposal as a person reads it at the terminal."""
    lines = [f"{proposal.title}", *([proposal.description] if proposal.description else []), ""]
    width = max([len(t.id) for t in proposal.tickets] + [2])
    for ticket in proposal.tickets:
        after = f"  after {', '.join(ticket.depends_on)}" if ticket.depends_on else ""
        new = " (new)" if ticket.new_file else ""
        kind = f" [{ticket.archetype}]" if ticket.archetype else ""
        lines.append(f"  {ticket.id:<{width}}  {ticket.title}  -> {ticket.target_file}{new}{kind}{after}")
        lines.extend(f"  {'':<{width}}    {line}" for line in ticket.prompt.strip().splitlines())
    if problems:
        lines += ["", "problems:", *(f"  - {p}" for p in problems)]
    return "\n".join(lines) + "\n"


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
    config: ProjectConfig
    model: Model
    tools: ProjectTools
    on_turn: Callable[[AssistantTurn], None] = lambda turn: None
    on_progress: Callable[[str], None] = lambda text: None

    def first_message(self, goal: str, store: TrackStore) -> str:
        repo_map = repository_map(self.tools.cache, self.config.planner.map_budget_tokens,
                                  focus=goal, include=self.tools.guard.allows)
        titles = []
        for track_id in store.ids():
            try:
                titles.append(f"- {store.load(track_id).title}")
            except ConductorError:
                continue
        archetypes = ", ".join(sorted({"default", *self.config.archetypes}))
        parts = [f"# Goal\n{goal.strip()}", f"# Repository map ({repo_map.tokens} tokens)\n{repo_map.text}",
                 f"# Archetypes\n{archetypes}"]
        if titles:
            parts.append("# Existing tracks\n" + "\n".join(titles))
        return "\n\n".join(parts) + "\n"

    def plan(self, messages: list[Message], known: set[str] | frozenset[str] = frozenset()) -> PlanResult:
        """Run the conversation until an acceptable proposal, or the attempts/steps run out. ``known``: ids of
        tickets kept beside the proposal (a revision)."""
        specs = [spec for spec in tool_specs() if spec.name in READ_ONLY_TOOLS] + [propose_track_spec()]
        attempts, tokens = 0, 0
        last: tuple[Proposal | None, list[str]] = (None, [])
        for _step in range(self.config.planner.max_steps):
            self.on_progress(f"asking the planner (step {_step + 1})")
            turn = clean_turn(self.model.complete(PLANNER_SYSTEM, messages, specs, 4096, require_tool=True))
            self.on_turn(turn)
            tokens += turn.usage.input_tokens + turn.usage.output_tokens
            messages.append(turn.as_message())
            if not turn.tool_calls:
                attempts += 1
                if attempts > self.config.planner.max_attempts:
                    break
                messages.append(Message(role="user", text="Call propose_track with the plan (no plain-text "
                                                          "answer)."))
                continue
            results: list[ToolResult] = []
            for call in turn.tool_calls:
                if call.name == "propose_track":
                    attempts += 1
                    proposal, problems = self._check(call, known)
                    last = (proposal or last[0], problems)
                    if proposal is not None and not problems:
                        results.append(ToolResult(tool_call_id=call.id, name=call.name, content="accepted for review"))
                        messages.append(Message(role="user", tool_results=results + self._skipped(turn, call)))
                        return PlanResult(proposal, [], attempts, messages, tokens)
                    self.on_progress(f"proposal {attempts} refused: {len(problems)} problems")
                    results.append(ToolResult(tool_call_id=call.id, name=call.name, is_error=True,
                                              content="Not accepted; fix these and call propose_track again:\n"
                                                      + "\n".join(f"- {p}" for p in problems)))
                else:
                    outcome = self.tools.execute(call) if call.name in READ_ONLY_TOOLS else None
                    content = outcome.content if outcome else f"error: {call.name} is not available to the planner"
                    results.append(ToolResult(tool_call_id=call.id, name=call.name, content=content,
                                              is_error=outcome.is_error if outcome else True))
            messages.append(Message(role="user", tool_results=results))
            if attempts > self.config.planner.max_attempts:
                break
        proposal, problems = last
        if proposal is None:
            raise PlanFailed("the planner made no proposal" + (f" in {self.config.planner.max_steps} steps"
                                                               if attempts <= self.config.planner.max_attempts else ""))
        return PlanResult(proposal, problems, attempts, messages, tokens)

    @staticmethod
    def _skipped(turn: AssistantTurn, answered: ToolCall) -> list[ToolResult]:
        """Every call of the answer gets a result, even those after the accepted proposal."""
        done = False
        skipped = []
        for call in turn.tool_calls:
            if call.id == answered.id:
                done = True
                continue
            if done:
                skipped.append(ToolResult(tool_call_id=call.id, name=call.name, content="not run: plan accepted",
                                          is_error=True))
        return skipped

    def _check(self, call: ToolCall, known: set[str] | frozenset[str]) -> tuple[Proposal | None, list[str]]:
        try:
            proposal = Proposal.model_validate(call.arguments)
        except ValidationError as error:
            return None, [f"{'.'.join(map(str, p['loc'])) or 'arguments'}: {p['msg']}" for p in error.errors()[:10]]
        return proposal, proposal_problems(proposal, self.config, self.tools.guard, known)


def parse_proposal(text: str) -> Proposal:
    """A proposal a person edited as JSON (or TOML); ConductorError naming what is wrong."""
    data: Any
    try:
        data = json.loads(text)
    except json.JSONDecodeError as json_error:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            raise ConductorError(f"not valid JSON (line {json_error.lineno}, column {json_error.colno}: "
                                 f"{json_error.msg}) nor TOML") from None
    try:
        return Proposal.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, p['loc'])) or 'proposal'}: {p['msg']}" for p in error.errors()[:5])
        raise ConductorError(f"the edited proposal is not valid: {problems}") from None


class PlanSession:
    """One planning conversation with its accounting and ledger (`tracks/plans.jsonl`, and the new track's own
    ledger on acceptance). Front-ends drive it: start, revise with feedback, accept (edited or not), reject."""

    def __init__(self, config: ProjectConfig, store: TrackStore, model: Model, by: str = "cli",
                 subscribers: tuple[Any, ...] = (), on_progress: Callable[[str], None] = lambda text: None) -> None:
        self.config = config
        self.store = store
        self.by = by
        self.accountant = Accountant(prices=with_overrides(config.prices))
        self.plan_id = "plan-" + secrets.token_hex(4)
        guard = PathGuard.for_project(config)
        tools = ProjectTools(cache=FileCache(config.root), guard=guard, max_file_bytes=config.guard.max_file_bytes,
                             run_command=lambda command: run_command(command, config.root, 1))
        self.planner = Planner(config, model, tools, on_turn=self._on_turn, on_progress=on_progress)
        self.events = EventLog(Ledger(store.root / "plans.jsonl").append_record, subscribers)
        self.goal = ""
        self.revision_of: str | None = None
        self.result: PlanResult | None = None

    def _on_turn(self, turn: AssistantTurn) -> None:
        cost = self.accountant.record("tier2", None, turn)
        self.events.emit(ModelCalled(track=self.plan_id, tier="tier2", model=turn.model, usage=turn.usage,
                                     cost_usd=cost, stop_reason=turn.stop_reason,
                                     tool_names=[c.name for c in turn.tool_calls]))

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
            if not started(ticket):
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
        result = self.planner.plan(messages, known=self._kept_ids())
        self.result = result
        assert result.proposal is not None
        self.events.emit(PlanProposed(track=self.plan_id, goal=self.goal, attempts=result.attempts,
                                      tickets=len(result.proposal.tickets), problems=result.problems,
                                      tokens=result.tokens, revision_of=self.revision_of))
        return result

    def _kept_ids(self) -> set[str]:
        if self.revision_of is None:
            return set()
        return {t.id for t in self.store.load(self.revision_of).tickets if started(t)}

    def problems(self, proposal: Proposal) -> list[str]:
        return proposal_problems(proposal, self.config, self.planner.tools.guard, known=self._kept_ids())

    def accept(self, proposal: Proposal, edited: bool = False) -> Track:
        """Make the track (or, for a revision, replace the tickets not started); raises ConductorError."""
        problems = self.problems(proposal)
        if problems:
            raise ConductorError("the proposal cannot be accepted: " + "; ".join(problems))
        if self.revision_of is not None:
            track = self._apply_revision(self.revision_of, proposal)
        else:
            track_id = f"{slugify(proposal.title)}-{secrets.token_hex(3)}"
            try:
                track = to_track(proposal, track_id)
            except ValueError as error:
                raise ConductorError(str(error)) from None
            self.store.save(track)
            EventLog(self.store.ledger(track.id).append_record).emit(
                TrackCreated(track=track.id, title=track.title, by=self.by))
        accepted = PlanAccepted(track=track.id, plan=self.plan_id, edited=edited,
                                proposal=proposal.model_dump(mode="json"), by=self.by)
        self.events.emit(accepted)
        EventLog(self.store.ledger(track.id).append_record).emit(accepted)
        return track

    def _apply_revision(self, track_id: str, proposal: Proposal) -> Track:
        with self.store.locked(track_id):
            track = self.store.load(track_id)
            kept = [t for t in track.tickets if started(t)]
            fresh = proposal_tickets(proposal)
            data = track.model_dump(mode="json")
            data["tickets"] = [t.model_dump(mode="json") for t in kept] + [
                {**t.model_dump(mode="json"), "status": "locked"} for t in fresh]
            try:
                revised = Track.model_validate(data)
            except ValidationError as error:
                raise ConductorError(f"the revision does not fit the track: {error.errors()[0]['msg']}") from None
            self.store.save(revised)
        return revised

    def reject(self, reason: str = "") -> None:
        self.events.emit(PlanRejected(track=self.plan_id, reason=reason.strip() or "rejected", by=self.by))

    def revision_diff(self, proposal: Proposal) -> str:
        """The proposal against the tickets it replaces, as a unified diff of their tables."""
        if self.revision_of is None:
            return ""
        track = self.store.load(self.revision_of)
        current = Proposal(title=track.title, description=track.description, tickets=[
            ProposedTicket(id=t.id, title=t.title, target_file=t.target_file, prompt=t.prompt,
                           depends_on=t.dependencies, archetype=None if t.worker_archetype == "default"
                           else t.worker_archetype) for t in track.tickets if not started(t)])
        before = proposal_table(current).splitlines(keepends=True)
        after = proposal_table(proposal.model_copy(update={"title": track.title,
                                                           "description": track.description})).splitlines(
            keepends=True)
        return "".join(difflib.unified_diff(before, after, "remaining now", "proposed"))


def started(ticket: Ticket) -> bool:
    """A ticket a revision keeps: completed, running, paused, or claimed by an agent."""
    return ticket.status in ("completed", "in_progress", "step_paused") or bool(ticket.claimed_by)
