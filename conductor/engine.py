"""ConductorEngine: runs a track's executable tickets one at a time, each with one Tier 3 worker."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from pydantic import ValidationError

from conductor.accounting import Accountant, with_overrides
from conductor.approval_flow import ApprovalFlow
from conductor.change_recorder import ChangeRecorder
from conductor.checkpoints import Checkpoints, commit_to_project
from conductor.config import DEFAULT_MODELS, Credentials, ProjectConfig, TierConfig, load_credentials
from conductor.context import build_brief
from conductor.errors import ConductorError
from conductor.events import (
    ContextBuilt,
    Event,
    EventLog,
    ModelCalled,
    RunFinished,
    RunPaused,
    RunStarted,
    ShellRan,
    Subscriber,
    TicketBlocked,
    TicketCommitted,
    TicketCompleted,
    TicketReleased,
    TicketReset,
    TicketStarted,
    Tier4Unavailable,
    ToolFinished,
    TrackSaved,
    UsageUpdated,
    WorkerStateUnreadable,
)
from conductor.files import atomic_write
from conductor.gate import ApprovalPolicy, EngineStopped
from conductor.guards import PathGuard
from conductor.messages import AssistantTurn, Message, ToolCall
from conductor.models import Ticket, TicketStatus, Track, utc_now
from conductor.protocols import ApprovalGate, Model
from conductor.providers import ProviderError, RateLimiter, check_tier, create_model, register_secret
from conductor.providers.base import redact
from conductor.shell import CommandRunner
from conductor.store import RUN_HOLDER, TrackStore, set_aside
from conductor.tier4 import Tier4Summariser
from conductor.tools import (
    MUTATING_TOOLS,
    ProjectTools,
    ToolOutcome,
)
from conductor.worker import GaveUp, LimitReached, StepStopped, Worker, WorkerHooks, WorkerState
from file_cache import FileCache, estimate_tokens

logger = logging.getLogger(__name__)


# -- how one ticket's run ended ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Completed:
    summary: str


@dataclass(frozen=True)
class Blocked:
    reason: str


@dataclass(frozen=True)
class Paused:
    """The run stopped: a call still awaits a decision, or the provider is in trouble; the ticket resumes."""

    reason: str


@dataclass(frozen=True)
class Stopped:
    reason: str


TicketOutcome = Completed | Blocked | Paused | Stopped


@dataclass
class RunResult:
    completed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    stopped: bool = False
    paused_on: str | None = None
    """The ticket whose call still awaits a decision (or whose provider failed) when the run stopped."""
    problem: str | None = None
    """Why the run stopped early (provider trouble), for the front-end to say."""


ModelFactory = Callable[..., Model]


class ConductorEngine:
    def __init__(self, config: ProjectConfig, track_id: str, gate: ApprovalGate, *,
                 subscribers: Iterable[Subscriber] = (), auto: bool = False,
                 store: TrackStore | None = None, model_factory: ModelFactory = create_model,
                 credentials: Credentials | None = None) -> None:
        self.config = config
        self.track_id = track_id
        self.gate = gate
        self.store = store or TrackStore(config.tracks_path)
        self.events = EventLog(self.store.ledger(track_id).append_record, subscribers)
        self.cache = FileCache(config.root)
        self.guard = PathGuard.for_project(config)
        self.commands = CommandRunner(config, self.guard)
        self.policy = ApprovalPolicy(config, self.guard, force_auto=auto, sandboxed=self.commands.choice.confined)
        self.accountant = Accountant(prices=with_overrides(config.prices))
        self.model_factory = model_factory
        self.credentials = credentials
        self.tools = ProjectTools(
            cache=self.cache, guard=self.guard, max_file_bytes=config.guard.max_file_bytes,
            run_command=lambda command: self.commands.run(command, network=self._network()))
        self.checkpoints = Checkpoints(config.root, self.store.checkpoint_dir(track_id), [config.tracks_path],
                                       config.git.checkpoint_max_file_bytes, config.guard.secret_files)
        self.changes = ChangeRecorder(track_id, self.store, self.checkpoints, self.emit)
        self.approvals = ApprovalFlow(track_id, gate, self.policy, self.tools, self.commands, self.store, self.emit,
                                      self._save_track, self._network)
        self._stop = threading.Event()
        self._limiters: dict[str, RateLimiter] = {}
        self._tier4: Tier4Summariser | None = None
        self.track: Track | None = None
        self.active_ticket_id: str | None = None

    # -- control -------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop after the current step; a call awaiting approval stays pending (and persisted)."""
        self._stop.set()
        self.gate.stop()

    def emit(self, event: Event) -> None:
        self.events.emit(event)

    def preflight(self) -> None:
        """What can be checked without spending tokens (provider and model chosen, key present, an
        OpenAI-compatible server answering), before any ticket changes status; raises ConductorError."""
        self._register_keys()
        track = self.store.load(self.track_id)
        waiting = [t for t in track.tickets if t.status not in (TicketStatus.COMPLETED, TicketStatus.BLOCKED)]
        for tier in {self._tier3(ticket).model_dump_json(): self._tier3(ticket) for ticket in waiting}.values():
            check_tier(tier, self.config, "tier3", self.credentials, reach=True)
        if self.config.tier4 is not None:
            check_tier(self.config.tier4, self.config, "tier4", self.credentials, reach=True)

    def _register_keys(self) -> None:
        """Every configured key is redacted from tool output, logs and errors, whichever provider runs."""
        try:
            credentials = self.credentials or load_credentials(self.config)
        except ConductorError:
            return  # a broken credentials file is reported by the provider that needs it
        for key in (credentials.anthropic_api_key, credentials.gemini_api_key, credentials.openai_api_key):
            if key is not None:
                register_secret(key.get_secret_value())

    # -- the run -------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        """Run the track's tickets until it is done, blocked, paused or stopped; an unexpected error is logged
        with its traceback before it propagates."""
        try:
            return self._run()
        except Exception:
            logger.exception("the run of track %s stopped on an error (ticket %s)", self.track_id,
                             self.active_ticket_id)
            raise

    def _run(self) -> RunResult:
        self.preflight()
        result = RunResult()
        logger.info("run of track %s starts (%s)", self.track_id, "auto" if self.policy.force_auto else "step")
        with self.store.locked(self.track_id, holder=RUN_HOLDER):
            self.track = track = self.store.load(self.track_id)
            for ticket_id in track.expire_claims(utc_now()):
                self.emit(TicketReleased(track=track.id, ticket=ticket_id, reason="the claim's lease expired",
                                         by="engine"))
            for ticket_id in track.recover(keep=self.store.saved_workers(track)):
                self.emit(TicketReset(track=track.id, ticket=ticket_id,
                                      reason="left in progress by a process that died"))
            self.store.save(track)
            self.emit(RunStarted(track=track.id, auto=self.policy.force_auto, snapshot=track.model_dump(mode="json")))
            while not self._stop.is_set():
                ticket = self._next_ticket(track)
                if ticket is None:
                    break
                match self.run_ticket(track, ticket):
                    case Completed():
                        result.completed.append(ticket.id)
                    case Blocked():
                        result.blocked.append(ticket.id)
                    case Paused(reason):
                        result.paused_on, result.problem = ticket.id, reason
                        break
                    case Stopped():
                        break
            result.stopped = self._stop.is_set() or result.paused_on is not None
            self.emit(RunFinished(track=track.id, completed=result.completed, blocked=result.blocked,
                                  stopped=result.stopped, track_status=track.status,
                                  usage=self.accountant.track))
        logger.info("run of track %s ends: completed %s, blocked %s, paused on %s: %s", self.track_id,
                    result.completed, result.blocked, result.paused_on, result.problem)
        return result

    def _network(self) -> bool:
        """Whether the running ticket's archetype lets its sandboxed commands use the network."""
        ticket = self.track.ticket(self.active_ticket_id) if self.track and self.active_ticket_id else None
        return ticket is not None and self.config.archetype(ticket.worker_archetype).network

    def _next_ticket(self, track: Track) -> Ticket | None:
        return next(iter(run_order(track, self.store.saved_workers(track))), None)

    def run_ticket(self, track: Track, ticket: Ticket) -> TicketOutcome:
        """Run one worker to its end."""
        self.active_ticket_id = ticket.id
        try:  # before the ticket changes status: a model that cannot be made leaves it as it was
            model = self._tier3_model(ticket)
        except ProviderError as error:
            return self._pause(ticket, f"cannot start the worker of {ticket.id}: {error}")
        state = self._load_state(ticket) or self._fresh_state(track, ticket)
        ticket.transition(TicketStatus.IN_PROGRESS)
        self._save_track()
        self.emit(TicketStarted(track=track.id, ticket=ticket.id, title=ticket.title, resumed=bool(state.messages[1:]),
                                archetype=ticket.worker_archetype))
        worker = Worker(state, model, self.tools, self._hooks(ticket), self.config.limits,
                        self.config.tier3.max_output_tokens)
        try:
            summary = worker.run()
        except EngineStopped:
            return self._pause(ticket, "stopped while a call awaited approval")
        except StepStopped:
            return self._pause(ticket, "stopped between steps; the ticket resumes on the next run", Stopped)
        except ProviderError as error:
            if error.ticket_level:
                return self._finish(track, ticket, state, Blocked(str(error)))
            # provider trouble is not the ticket's fault: keep the worker and let the next run resume it
            ticket.transition(TicketStatus.PENDING)
            return self._pause(ticket, f"{error.plain}; {ticket.id} resumes on the next run")
        except (LimitReached, GaveUp) as error:
            return self._finish(track, ticket, state, Blocked(str(error)))
        return self._finish(track, ticket, state, Completed(summary))

    def _pause(self, ticket: Ticket, reason: str, kind: type[Paused | Stopped] = Paused) -> TicketOutcome:
        logger.info("ticket %s paused: %s", ticket.id, reason)
        self._save_track()
        self.emit(RunPaused(track=self.track_id, ticket=ticket.id, reason=reason))
        return kind(reason)

    def _finish(self, track: Track, ticket: Ticket, state: WorkerState, outcome: Completed | Blocked
                ) -> TicketOutcome:
        """Archive and flush the worker's history (context amnesia), then complete or block the ticket."""
        logger.info("ticket %s %s", ticket.id, "completed" if isinstance(outcome, Completed) else
                    f"blocked: {outcome.reason}")
        archive = self.store.archive_history(self.track_id, ticket.id, state.flush())
        if isinstance(outcome, Completed):
            unlocked = track.mark_complete(ticket.id, outcome.summary)
            event: Event = TicketCompleted(
                track=track.id, ticket=ticket.id, summary=outcome.summary, unlocked=unlocked, history=archive.name,
                steps=state.steps, usage=self.accountant.snapshot().tickets.get(ticket.id))
        else:
            cascaded = track.block(ticket.id, outcome.reason)
            event = TicketBlocked(track=track.id, ticket=ticket.id, reason=outcome.reason, cascaded=cascaded,
                                  history=archive.name)
        self._save_track()
        self.store.worker_state_path(self.track_id, ticket.id).unlink(missing_ok=True)
        self.emit(event)
        if isinstance(outcome, Completed) and self.config.git.commit == "ticket":
            self._commit(ticket, outcome.summary)
        return outcome

    def _commit(self, ticket: Ticket, summary: str) -> None:
        """`[git] commit = "ticket"`: the completed ticket's files, and only those, go into the project's repo."""
        paths = sorted(self.store.ticket_files(self.track_id, ticket.id))
        message = f"{ticket.id}: {ticket.title}\n\n{summary}\n\nConductor track {self.track_id}"
        try:
            commit = commit_to_project(self.config.root, paths, message) if paths else None
        except ConductorError as error:
            self.emit(TicketCommitted(track=self.track_id, ticket=ticket.id, commit=None, paths=paths,
                                      problem=str(error)))
            return
        self.emit(TicketCommitted(track=self.track_id, ticket=ticket.id, commit=commit, paths=paths,
                                  problem=None if commit else "nothing to commit"))

    def _save_track(self) -> None:
        assert self.track is not None
        self.store.save(self.track)
        self.emit(TrackSaved(track=self.track_id, snapshot=self.track.model_dump(mode="json")))

    # -- worker state --------------------------------------------------------------------------------
    def _fresh_state(self, track: Track, ticket: Ticket) -> WorkerState:
        brief = build_brief(ticket, track, self.config, self.cache, self.guard)
        self.emit(ContextBuilt(track=track.id, ticket=ticket.id, related=brief.related,
                               tokens=estimate_tokens(brief.system + brief.first_message)))
        tier = self._tier3(ticket)
        archetype = self.config.archetype(ticket.worker_archetype)
        return WorkerState(ticket_id=ticket.id, provider=tier.provider or "", model=tier.model or "",
                           system=brief.system,
                           config={"archetype": ticket.worker_archetype, "trust": archetype.trust,
                                   "context_view": archetype.context_view,
                                   "limits": self.config.limits.model_dump()},
                           messages=[Message(role="user", text=brief.first_message)])

    def _load_state(self, ticket: Ticket) -> WorkerState | None:
        path = self.store.worker_state_path(self.track_id, ticket.id)
        if not path.exists():
            return None
        try:
            return WorkerState.model_validate_json(path.read_bytes())
        except (ValidationError, ValueError, OSError, RecursionError) as error:
            # never overwrite it: keep the unreadable file aside and start the ticket afresh
            aside = set_aside(path)
            self.emit(WorkerStateUnreadable(track=self.track_id, ticket=ticket.id,
                                            error=f"{error}"[:500] + f" (kept as {aside.name})"))
            return None

    def _save_state(self, state: WorkerState) -> None:
        atomic_write(self.store.worker_state_path(self.track_id, state.ticket_id), redact(state.model_dump_json()))

    # -- hooks ---------------------------------------------------------------------------------------
    def _hooks(self, ticket: Ticket) -> WorkerHooks:
        return WorkerHooks(
            decide=lambda request: self.approvals.decide(ticket, request),
            on_turn=lambda turn: self._on_turn(ticket, turn),
            before_execute=lambda request: self.changes.before(ticket.id, request.call),
            on_outcome=lambda request, outcome: self._on_outcome(ticket, request.call, outcome),
            save=self._save_state,
            should_stop=self._stop.is_set,
        )

    def _on_turn(self, ticket: Ticket, turn: AssistantTurn) -> float | None:
        cost = self.accountant.record("tier3", ticket.id, turn)
        self.emit(ModelCalled.of(turn, self.track_id, "tier3", ticket.id, cost))
        self.emit(UsageUpdated(track=self.track_id, usage=self.accountant.snapshot()))
        return cost

    def _on_outcome(self, ticket: Ticket, call: ToolCall, outcome: ToolOutcome) -> str:
        content = redact(outcome.content)  # a configured key never reaches the model, a file or the ledger
        if outcome.shell is None:
            self.changes.tool_change(ticket.id, call, outcome.change)
        else:
            shell = replace(outcome.shell, stdout=redact(outcome.shell.stdout), stderr=redact(outcome.shell.stderr))
            output_id = self.store.save_output(self.track_id, shell.output) if shell.output else None
            report = self._summariser().report(shell, output_id)
            content = report.text + self.changes.command_changes(ticket.id, call)
            self.emit(ShellRan(track=self.track_id, ticket=ticket.id, command=shell.command, exit_code=shell.exit_code,
                               seconds=round(shell.seconds, 3), timed_out=shell.timed_out, limit=shell.limit,
                               output=output_id,
                               hint=report.hint, hint_source=report.hint_source, report=report.text,
                               failures=report.failures))
        self.emit(ToolFinished(track=self.track_id, ticket=ticket.id, tool=call.name, call_id=call.id,
                               is_error=outcome.is_error, mutating=call.name in MUTATING_TOOLS, chars=len(content),
                               arguments=call.arguments, content=content))
        return content

    # -- models --------------------------------------------------------------------------------------
    def _limiter(self, provider: str) -> RateLimiter:
        if provider not in self._limiters:
            self._limiters[provider] = RateLimiter(self.config.providers.requests_per_minute)
        return self._limiters[provider]

    def _tier3(self, ticket: Ticket) -> TierConfig:
        return ticket_tier(self.config, ticket)

    def _tier3_model(self, ticket: Ticket) -> Model:
        tier = self._tier3(ticket)
        return self.model_factory(tier, self.config, tier_name="tier3", ticket_id=ticket.id,
                                  credentials=self.credentials, limiter=self._limiter(tier.provider or ""))

    def _summariser(self) -> Tier4Summariser:
        if self._tier4 is None:
            model = None
            tier = self.config.tier4
            if tier is not None:
                try:
                    model = self.model_factory(tier, self.config, tier_name="tier4", credentials=self.credentials,
                                               limiter=self._limiter(tier.provider or ""))
                except ConductorError as error:
                    self.emit(Tier4Unavailable(track=self.track_id, error=str(error)))
            self._tier4 = Tier4Summariser(self.config.root, self.cache, model, on_usage=self._on_tier4_usage,
                                          max_output_tokens=tier.max_output_tokens if tier else 200)
        return self._tier4

    def _on_tier4_usage(self, turn: AssistantTurn) -> None:
        ticket_id = self.active_ticket_id
        cost = self.accountant.record("tier4", ticket_id, turn)
        self.emit(ModelCalled.of(turn, self.track_id, "tier4", ticket_id, cost))
        self.emit(UsageUpdated(track=self.track_id, usage=self.accountant.snapshot()))


def run_order(track: Track, saved: set[str]) -> list[Ticket]:
    """The tickets a run would take, in its order: a paused or interrupted ticket first (not one an outside agent
    claimed), then the ready ones with a saved worker (``saved``), then the other ready ones."""
    started = [t for t in track.tickets
               if t.status in (TicketStatus.IN_PROGRESS, TicketStatus.STEP_PAUSED) and not t.claimed_by]
    executable = track.get_executable_tickets()
    return started + [t for t in executable if t.id in saved] + [t for t in executable if t.id not in saved]


def ticket_tier(config: ProjectConfig, ticket: Ticket) -> TierConfig:
    """The project's Tier 3 settings with the ticket's own provider/model, when it has them."""
    tier = config.tier3
    if ticket.provider and ticket.provider != tier.provider:
        tier = tier.model_copy(update={"provider": ticket.provider, "model": ticket.model
                                       or DEFAULT_MODELS.get(ticket.provider)})
    elif ticket.model:
        tier = tier.model_copy(update={"model": ticket.model})
    return tier
