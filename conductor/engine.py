"""ConductorEngine: runs a track's executable tickets one at a time, each with one Tier 3 worker."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from conductor.accounting import Accountant, with_overrides
from conductor.config import Credentials, ProjectConfig, TierConfig, credential_paths
from conductor.context import build_brief
from conductor.errors import ConductorError
from conductor.gate import ApprovalPolicy, Decision, EngineStopped, PendingCall
from conductor.messages import AssistantTurn, Message, ToolCall
from conductor.models import Ticket, TicketStatus, Track
from conductor.protocols import ApprovalGate, Model
from conductor.providers import ProviderError, RateLimiter, create_model
from conductor.shell import run_command
from conductor.store import TrackStore, atomic_write
from conductor.tier4 import Tier4Summariser
from conductor.tools import (
    MUTATING_TOOLS,
    ProjectTools,
    ToolArgumentError,
    ToolOutcome,
    parse_arguments,
    parse_edited_json,
)
from conductor.worker import LimitReached, StepStopped, Worker, WorkerHooks, WorkerState
from file_cache import FileCache, ViewError, estimate_tokens


@dataclass(frozen=True)
class EngineEvent:
    """What the engine tells front-ends; `data` is plain JSON-able values."""

    kind: str
    track_id: str
    ticket_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    time: float = field(default_factory=time.time)


class EventQueue:
    """The one thread-safe hand-off from the engine thread to a front-end, drained once per frame."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[EngineEvent] = queue.SimpleQueue()

    def publish(self, event: EngineEvent) -> None:
        self._queue.put(event)

    def drain(self, limit: int = 10_000) -> list[EngineEvent]:
        events = []
        while len(events) < limit:
            try:
                events.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return events


@dataclass
class RunResult:
    completed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    stopped: bool = False
    paused_on: str | None = None
    """The ticket whose call still awaits a decision when the run stopped."""


ModelFactory = Callable[..., Model]


class ConductorEngine:
    def __init__(self, config: ProjectConfig, track_id: str, gate: ApprovalGate, *, events: EventQueue | None = None,
                 auto: bool = False, store: TrackStore | None = None, model_factory: ModelFactory = create_model,
                 credentials: Credentials | None = None) -> None:
        self.config = config
        self.track_id = track_id
        self.gate = gate
        self.events = events or EventQueue()
        self.store = store or TrackStore(config.tracks_path)
        self.cache = FileCache(config.root)
        self.policy = ApprovalPolicy(config, force_auto=auto)
        self.accountant = Accountant(prices=with_overrides(config.prices))
        self.model_factory = model_factory
        self.credentials = credentials
        self.tools = ProjectTools(
            cache=self.cache,
            run_command=lambda command: run_command(command, config.root, config.shell.timeout_seconds,
                                                    config.shell.max_output_bytes),
            protected=[config.tracks_path, config.root / ".git"],
            secrets=[*(path.resolve() for path in credential_paths(config)), config.root / ".env"],
        )
        self.ledger = self.store.ledger(track_id)
        self._stop = threading.Event()
        self._limiters: dict[str, RateLimiter] = {}
        self._tier4: Tier4Summariser | None = None
        self.track: Track | None = None
        self.active_ticket_id: str | None = None

    # -- control -------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop after the current step; a call awaiting approval stays pending (and persisted)."""
        self._stop.set()
        if hasattr(self.gate, "stop"):
            self.gate.stop()

    def publish(self, kind: str, ticket_id: str | None = None, **data: Any) -> None:
        self.events.publish(EngineEvent(kind, self.track_id, ticket_id, data))

    def record(self, event: str, ticket_id: str | None = None, **fields: Any) -> None:
        self.ledger.append(event, track=self.track_id, ticket=ticket_id, **fields)

    # -- the run -------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        result = RunResult()
        with self.store.locked(self.track_id):
            self.track = track = self.store.load(self.track_id)
            saved = {t.id for t in track.tickets if self.store.worker_state_path(self.track_id, t.id).exists()}
            for ticket_id in track.recover(keep=saved):
                self.record("ticket_reset", ticket_id, reason="left in progress by a process that died")
            self.store.save(track)
            self.record("run_started", auto=self.policy.force_auto)
            self.publish("run_started", track=track.model_dump(mode="json"))
            while not self._stop.is_set():
                ticket = self._next_ticket(track)
                if ticket is None:
                    break
                outcome = self.run_ticket(track, ticket)
                if outcome == "completed":
                    result.completed.append(ticket.id)
                elif outcome == "blocked":
                    result.blocked.append(ticket.id)
                elif outcome == "paused":
                    result.paused_on = ticket.id
                    break
                else:
                    break
            result.stopped = self._stop.is_set()
            self.record("run_finished", completed=result.completed, blocked=result.blocked, stopped=result.stopped,
                        track_status=track.status, usage=_usage_json(self.accountant.track))
            self.publish("run_finished", completed=result.completed, blocked=result.blocked, stopped=result.stopped,
                         track_status=str(track.status))
        return result

    def _next_ticket(self, track: Track) -> Ticket | None:
        """A ticket with a saved worker (paused or interrupted) first, then the first executable one."""
        for ticket in track.tickets:
            if ticket.status in (TicketStatus.IN_PROGRESS, TicketStatus.STEP_PAUSED):
                return ticket
        executable = track.get_executable_tickets()
        return executable[0] if executable else None

    def run_ticket(self, track: Track, ticket: Ticket) -> str:
        """Run one worker to its end; returns completed, blocked, paused or stopped."""
        self.active_ticket_id = ticket.id
        state = self._load_state(ticket) or self._fresh_state(track, ticket)
        resumed = bool(state.messages[1:])
        ticket.transition(TicketStatus.IN_PROGRESS)
        self._save_track()
        self.record("ticket_started", ticket.id, resumed=resumed, archetype=ticket.worker_archetype)
        self.publish("ticket_started", ticket.id, resumed=resumed, title=ticket.title, status=str(ticket.status))
        try:
            model = self._tier3_model(ticket)
            worker = Worker(state, model, self.tools, self._hooks(ticket), self.config.limits,
                            self.config.tier3.max_output_tokens)
            summary = worker.run()
        except EngineStopped:
            self._save_track()
            self.publish("run_paused", ticket.id, reason="stopped while a call awaited approval")
            return "paused"
        except StepStopped:
            self._save_track()
            self.publish("run_paused", ticket.id, reason="stopped between steps; the ticket resumes on the next run")
            return "stopped"
        except (LimitReached, ProviderError) as error:
            return self._finish_blocked(track, ticket, state, str(error))
        return self._finish_completed(track, ticket, state, summary)

    def _finish_completed(self, track: Track, ticket: Ticket, state: WorkerState, summary: str) -> str:
        archive = self.store.archive_history(self.track_id, ticket.id, state.flush())
        unlocked = track.mark_complete(ticket.id, summary)
        self._save_track()
        self.store.worker_state_path(self.track_id, ticket.id).unlink(missing_ok=True)
        totals = self.accountant.snapshot()["tickets"].get(ticket.id)
        self.record("ticket_completed", ticket.id, summary=summary, unlocked=unlocked, history=archive.name,
                    steps=state.steps, usage=_usage_json(totals))
        self.publish("ticket_completed", ticket.id, summary=summary, unlocked=unlocked, history=str(archive))
        return "completed"

    def _finish_blocked(self, track: Track, ticket: Ticket, state: WorkerState, reason: str) -> str:
        archive = self.store.archive_history(self.track_id, ticket.id, state.flush())
        cascaded = track.block(ticket.id, reason)
        self._save_track()
        self.store.worker_state_path(self.track_id, ticket.id).unlink(missing_ok=True)
        self.record("ticket_blocked", ticket.id, reason=reason, cascaded=cascaded, history=archive.name)
        self.publish("ticket_blocked", ticket.id, reason=reason, cascaded=cascaded)
        return "blocked"

    def _save_track(self) -> None:
        assert self.track is not None
        self.store.save(self.track)
        self.publish("track_saved", track=self.track.model_dump(mode="json"))

    # -- worker state --------------------------------------------------------------------------------
    def _fresh_state(self, track: Track, ticket: Ticket) -> WorkerState:
        brief = build_brief(ticket, track, self.config, self.cache)
        self.publish("context_built", ticket.id, related=brief.related,
                     tokens=estimate_tokens(brief.system + brief.first_message))
        tier = self._tier3(ticket)
        archetype = self.config.archetype(ticket.worker_archetype)
        return WorkerState(ticket_id=ticket.id, provider=tier.provider, model=tier.model, system=brief.system,
                           config={"archetype": ticket.worker_archetype, "trust": archetype.trust,
                                   "context_view": archetype.context_view,
                                   "limits": self.config.limits.model_dump()},
                           messages=[Message(role="user", text=brief.first_message)])

    def _load_state(self, ticket: Ticket) -> WorkerState | None:
        path = self.store.worker_state_path(self.track_id, ticket.id)
        if not path.exists():
            return None
        try:
            return WorkerState.model_validate_json(path.read_text(encoding="utf-8"))
        except (ValidationError, ValueError) as error:
            # never overwrite it: keep the unreadable file aside and start the ticket afresh
            path.rename(path.with_suffix(".unreadable.json"))
            self.record("worker_state_unreadable", ticket.id, error=str(error)[:500])
            return None

    def _save_state(self, state: WorkerState) -> None:
        atomic_write(self.store.worker_state_path(self.track_id, state.ticket_id), state.model_dump_json())

    def pending_path(self) -> Path:
        return self.store.folder(self.track_id) / "pending.json"

    # -- hooks ---------------------------------------------------------------------------------------
    def _hooks(self, ticket: Ticket) -> WorkerHooks:
        return WorkerHooks(
            decide=lambda call: self._decide(ticket, call),
            on_turn=lambda turn: self._on_turn(ticket, turn),
            on_outcome=lambda call, outcome: self._on_outcome(ticket, call, outcome),
            save=self._save_state,
            should_stop=self._stop.is_set,
        )

    def _on_turn(self, ticket: Ticket, turn: AssistantTurn) -> float | None:
        cost = self.accountant.record("tier3", ticket.id, turn.model, turn.usage)
        self.record("model_call", ticket.id, tier="tier3", model=turn.model, usage=turn.usage.model_dump(),
                    cost_usd=cost, stop_reason=turn.stop_reason, tool_calls=[c.name for c in turn.tool_calls])
        self.publish("assistant_turn", ticket.id, text=turn.text, tool_calls=[c.model_dump() for c in turn.tool_calls],
                     usage=turn.usage.model_dump(), cost_usd=cost)
        self.publish("usage", usage=_usage_snapshot(self.accountant))
        return cost

    def _decide(self, ticket: Ticket, call: ToolCall) -> Decision:
        reason = self.policy.auto_reason(ticket.worker_archetype, call)
        if reason is not None:
            decision = Decision(action="approve", reason=reason, decided_by="rule")
            self.record("decision", ticket.id, tool=call.name, call_id=call.id, action="approve", by=reason)
            return decision
        pending = self._restore_pending(ticket, call) or self.make_pending(ticket.id, call)
        atomic_write(self.pending_path(), pending.model_dump_json(indent=2))
        if ticket.status != TicketStatus.STEP_PAUSED:
            ticket.transition(TicketStatus.STEP_PAUSED)
            self._save_track()
        self.record("approval_requested", ticket.id, tool=call.name, call_id=call.id, pending=pending.id)
        self.publish("approval_needed", ticket.id, pending=pending.model_dump(mode="json"))
        while True:
            decision = self.gate.decide(pending)
            if decision.action != "edit":
                break
            try:
                arguments = parse_arguments(call.name, decision.arguments or {}).model_dump()
                break
            except ToolArgumentError as error:
                self.record("edit_refused", ticket.id, call_id=call.id, error=str(error))
                self.publish("edit_refused", ticket.id, pending=pending.id, error=str(error))
        if decision.action == "edit":
            decision = decision.model_copy(update={"arguments": arguments})
        self.pending_path().unlink(missing_ok=True)
        ticket.transition(TicketStatus.IN_PROGRESS)
        self._save_track()
        self.record("decision", ticket.id, tool=call.name, call_id=call.id, action=decision.action,
                    by=decision.decided_by, reason=decision.reason,
                    edited_arguments=decision.arguments if decision.action == "edit" else None)
        self.publish("decision", ticket.id, pending=pending.id, action=decision.action, reason=decision.reason)
        return decision

    def make_pending(self, ticket_id: str, call: ToolCall) -> PendingCall:
        diff, problem = None, None
        try:
            diff = self.tools.preview(call)
        except (ToolArgumentError, ViewError, OSError) as error:
            problem = str(error)
        return PendingCall(track_id=self.track_id, ticket_id=ticket_id, call=call, diff=diff, preview_error=problem)

    def preview_edit(self, pending: PendingCall, text: str) -> PendingCall:
        """The pending call with edited JSON arguments and its recomputed diff; raises ToolArgumentError."""
        arguments = parse_edited_json(pending.call.name, text)
        edited = pending.call.model_copy(update={"arguments": arguments})
        fresh = self.make_pending(pending.ticket_id, edited)
        return pending.model_copy(update={"call": edited, "diff": fresh.diff, "preview_error": fresh.preview_error})

    def _restore_pending(self, ticket: Ticket, call: ToolCall) -> PendingCall | None:
        path = self.pending_path()
        if not path.exists():
            return None
        try:
            pending = PendingCall.model_validate_json(path.read_text(encoding="utf-8"))
        except (ValidationError, ValueError):
            return None
        return pending if pending.ticket_id == ticket.id and pending.call.id == call.id else None

    def _on_outcome(self, ticket: Ticket, call: ToolCall, outcome: ToolOutcome) -> str:
        content = outcome.content
        if outcome.change is not None:
            change = outcome.change
            self.store.record_change(self.track_id, ticket.id, change.path, change.before, change.after)
            self.publish("file_changed", ticket.id, path=change.path)
        if outcome.shell is not None:
            output_id = self.store.save_output(self.track_id, outcome.shell.output) if outcome.shell.output else None
            report = self._summariser().report(outcome.shell, output_id)
            content = report.text
            self.record("shell", ticket.id, command=outcome.command, exit_code=outcome.shell.exit_code,
                        seconds=round(outcome.shell.seconds, 3), timed_out=outcome.shell.timed_out,
                        output=output_id, hint=report.hint, hint_source=report.hint_source)
            self.publish("shell", ticket.id, command=outcome.command, exit_code=outcome.shell.exit_code,
                         hint=report.hint, hint_source=report.hint_source, output_id=output_id, report=report.text)
        self.record("tool_result", ticket.id, tool=call.name, call_id=call.id, is_error=outcome.is_error,
                    mutating=call.name in MUTATING_TOOLS, chars=len(content))
        self.publish("tool_result", ticket.id, tool=call.name, arguments=call.arguments, content=content,
                     is_error=outcome.is_error)
        return content

    # -- models --------------------------------------------------------------------------------------
    def _limiter(self, provider: str) -> RateLimiter:
        if provider not in self._limiters:
            self._limiters[provider] = RateLimiter(self.config.providers.requests_per_minute)
        return self._limiters[provider]

    def _tier3(self, ticket: Ticket) -> TierConfig:
        """The project's Tier 3 settings with the ticket's own provider/model, when it has them."""
        overrides = {k: v for k, v in (("provider", ticket.provider), ("model", ticket.model)) if v}
        return self.config.tier3.model_copy(update=overrides) if overrides else self.config.tier3

    def _tier3_model(self, ticket: Ticket) -> Model:
        tier = self._tier3(ticket)
        return self.model_factory(tier, self.config, tier_name="tier3", ticket_id=ticket.id,
                                  credentials=self.credentials, limiter=self._limiter(tier.provider))

    def _summariser(self) -> Tier4Summariser:
        if self._tier4 is None:
            model = None
            tier = self.config.tier4
            if tier is not None:
                try:
                    model = self.model_factory(tier, self.config, tier_name="tier4", credentials=self.credentials,
                                               limiter=self._limiter(tier.provider))
                except ConductorError as error:
                    self.record("tier4_unavailable", error=str(error))
            self._tier4 = Tier4Summariser(self.config.root, self.cache, model, on_usage=self._on_tier4_usage,
                                          max_output_tokens=tier.max_output_tokens if tier else 200)
        return self._tier4

    def _on_tier4_usage(self, turn: AssistantTurn) -> None:
        ticket_id = self.active_ticket_id
        cost = self.accountant.record("tier4", ticket_id, turn.model, turn.usage)
        self.record("model_call", ticket_id, tier="tier4", model=turn.model, usage=turn.usage.model_dump(),
                    cost_usd=cost)
        self.publish("usage", usage=_usage_snapshot(self.accountant))



def _usage_json(totals: Any) -> dict[str, Any] | None:
    if totals is None:
        return None
    return {"calls": totals.calls, "input_tokens": totals.input_tokens, "output_tokens": totals.output_tokens,
            "cache_read_tokens": totals.cache_read_tokens, "cost_usd": round(totals.cost_usd, 6),
            "unpriced_calls": totals.unpriced_calls, "cost_text": totals.cost_text()}


def _usage_snapshot(accountant: Accountant) -> dict[str, Any]:
    snapshot = accountant.snapshot()
    return {"track": _usage_json(snapshot["track"]),
            "tiers": {k: _usage_json(v) for k, v in snapshot["tiers"].items()},
            "tickets": {k: _usage_json(v) for k, v in snapshot["tickets"].items()}}
