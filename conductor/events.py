"""What happens to a track, as typed events: one `emit()` writes the ledger line and notifies the front-ends.

Each event is a frozen pydantic model tagged by its `event` field. The ledger (`tracks/<id>/ledger.jsonl`) holds
one JSON object per event, exactly the model's fields (`time`, `event`, `track`, `ticket`, then the event's
own), minus the fields named in its `NOT_LEDGERED` (snapshots a front-end needs but the ledger does not), and
minus the events whose `LEDGERED` is False. Front-ends subscribe with any object that has `notify(event)`.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from conductor.accounting import Accountant, UsageReport, UsageTotals
from conductor.failures import Failure
from conductor.gate import PendingCall
from conductor.messages import AssistantTurn, ToolCall, Usage
from conductor.models import utc_now

Actor = str
"""Who did it: `engine`, `cli`, `gui`, `human`, `rule`, or an outside agent's name."""


class Event(BaseModel):
    """Fields every event has."""

    model_config = ConfigDict(frozen=True)

    LEDGERED: ClassVar[bool] = True
    """False: the event only informs front-ends (snapshots), the ledger does not keep it."""
    NOT_LEDGERED: ClassVar[frozenset[str]] = frozenset()
    """Fields left out of the ledger line (large snapshots the ledger has elsewhere)."""

    time: datetime = Field(default_factory=utc_now)
    event: str
    """The event's kind (the tag of the union)."""
    track: str
    """The track's id."""
    ticket: str | None = None
    """The ticket's id, when the event is about one."""

    def ledger_record(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude=set(self.NOT_LEDGERED))


# -- track and ticket edits (the ticket service) -----------------------------------------------------------
class TrackCreated(Event):
    event: Literal["track_created"] = "track_created"
    title: str
    by: Actor = "cli"


class TicketAdded(Event):
    event: Literal["ticket_added"] = "ticket_added"
    target: str
    status: str
    by: Actor = "cli"


class TicketEdited(Event):
    event: Literal["ticket_edited"] = "ticket_edited"
    changes: list[str]
    """Names of the fields that changed."""
    by: Actor = "cli"


class TicketUnblocked(Event):
    event: Literal["ticket_unblocked"] = "ticket_unblocked"
    status: str
    restored: list[str]
    """Dependents no longer blocked through this ticket."""
    retry: bool = False
    """Sent back to run again (counts a retry)."""
    by: Actor = "cli"


class TicketClaimed(Event):
    """An outside agent (over MCP) took the ticket: in progress, with a lease."""

    event: Literal["ticket_claimed"] = "ticket_claimed"
    agent: str
    lease_expires_at: datetime
    by: Actor = "mcp"


class TicketReleased(Event):
    """A claim ended without completing the ticket (released by the agent or a person, or its lease expired)."""

    event: Literal["ticket_released"] = "ticket_released"
    agent: str | None = None
    reason: str
    by: Actor = "mcp"


class TicketUndone(Event):
    event: Literal["ticket_undone"] = "ticket_undone"
    paths: list[str]
    from_call: str | None = None
    """Set when only the changes of that call and the later ones were undone (restore to before that call)."""
    by: Actor = "cli"


# -- the engine ------------------------------------------------------------------------------------------
class RunStarted(Event):
    NOT_LEDGERED = frozenset({"snapshot"})
    event: Literal["run_started"] = "run_started"
    auto: bool
    snapshot: dict[str, Any] = Field(default_factory=dict)
    """The track as loaded (for front-ends; not in the ledger)."""


class TrackSaved(Event):
    LEDGERED = False
    event: Literal["track_saved"] = "track_saved"
    snapshot: dict[str, Any]


class TicketReset(Event):
    event: Literal["ticket_reset"] = "ticket_reset"
    reason: str


class TicketStarted(Event):
    event: Literal["ticket_started"] = "ticket_started"
    title: str
    resumed: bool
    archetype: str


class ContextBuilt(Event):
    event: Literal["context_built"] = "context_built"
    related: list[str]
    """Files shown beside the target."""
    tokens: int
    """Estimated tokens of the system prompt and the first message."""


class ModelCalled(Event):
    NOT_LEDGERED = frozenset({"text", "tool_calls"})
    event: Literal["model_call"] = "model_call"
    tier: str
    model: str
    usage: Usage
    cost_usd: float | None
    stop_reason: str = "end_turn"
    tool_names: list[str] = Field(default_factory=list)
    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)

    @classmethod
    def of(cls, turn: AssistantTurn, track: str, tier: str, ticket: str | None, cost_usd: float | None) -> ModelCalled:
        """The record of one model answer (its text and calls go to the front-ends, not the ledger)."""
        return cls(track=track, ticket=ticket, tier=tier, model=turn.model, usage=turn.usage, cost_usd=cost_usd,
                   stop_reason=turn.stop_reason, tool_names=[c.name for c in turn.tool_calls], text=turn.text,
                   tool_calls=turn.tool_calls)


class UsageUpdated(Event):
    LEDGERED = False
    event: Literal["usage"] = "usage"
    usage: UsageReport


class ApprovalRequested(Event):
    NOT_LEDGERED = frozenset({"pending"})
    event: Literal["approval_requested"] = "approval_requested"
    tool: str
    call_id: str
    pending_id: str
    pending: PendingCall | None = None
    """The call with its diff, as the human sees it (for front-ends; not in the ledger)."""


class EditRefused(Event):
    event: Literal["edit_refused"] = "edit_refused"
    call_id: str
    pending_id: str
    error: str


class DecisionMade(Event):
    event: Literal["decision"] = "decision"
    tool: str
    call_id: str
    pending_id: str | None = None
    """None when a rule approved the call without asking."""
    action: Literal["approve", "edit", "reject"]
    by: Actor
    reason: str = ""
    edited_arguments: dict[str, Any] | None = None
    note: str = ""
    """The developer's note to the worker, sent with the decision."""


class CheckpointTaken(Event):
    """The project's files were snapshotted just before a mutating call ran (restore to it: undo from the call)."""

    event: Literal["checkpoint"] = "checkpoint"
    call_id: str
    tool: str
    commit: str
    """The checkpoint's commit in the track's shadow repository."""


class FilesChangedByCommand(Event):
    """What a shell command added, modified or deleted, between the checkpoints before and after it."""

    event: Literal["command_changes"] = "command_changes"
    call_id: str
    before: str
    after: str
    files: dict[str, str]
    """path -> added, modified or deleted."""
    diff: str
    """Git's unified diff (cut with a marker past 200,000 characters)."""


class FileChanged(Event):
    event: Literal["file_changed"] = "file_changed"
    path: str


class ShellRan(Event):
    NOT_LEDGERED = frozenset({"report"})
    event: Literal["shell"] = "shell"
    command: str
    exit_code: int
    seconds: float
    timed_out: bool
    output: str | None
    """Id of the saved full output."""
    limit: str | None = None
    """The limit that stopped the command (`killed: memory limit 4096 MB`), if one did."""
    hint: str | None
    hint_source: str | None
    report: str = ""
    """What the worker was told (not in the ledger: the output is saved under `output`)."""
    failures: list[Failure] = Field(default_factory=list)
    """One record per failure the output reports, each with its own test, exception and place."""


class ToolFinished(Event):
    NOT_LEDGERED = frozenset({"arguments", "content"})
    event: Literal["tool_result"] = "tool_result"
    tool: str
    call_id: str
    is_error: bool
    mutating: bool
    chars: int
    arguments: dict[str, Any] = Field(default_factory=dict)
    content: str = ""


class TicketCompleted(Event):
    event: Literal["ticket_completed"] = "ticket_completed"
    summary: str
    unlocked: list[str]
    history: str | None = None
    """File name of the archived conversation (None when completed by hand)."""
    steps: int = 0
    usage: UsageTotals | None = None
    by: Actor = "engine"


class TicketCommitted(Event):
    """`[git] commit = "ticket"`: the completed ticket's files were committed to the project's repository."""

    event: Literal["ticket_committed"] = "ticket_committed"
    commit: str | None
    paths: list[str]
    problem: str | None = None
    """Why nothing was committed (not a repository, nothing changed, git refused)."""


class TicketBlocked(Event):
    event: Literal["ticket_blocked"] = "ticket_blocked"
    reason: str
    cascaded: list[str]
    history: str | None = None
    by: Actor = "engine"


class RunPaused(Event):
    event: Literal["run_paused"] = "run_paused"
    reason: str


class RunFinished(Event):
    event: Literal["run_finished"] = "run_finished"
    completed: list[str]
    blocked: list[str]
    stopped: bool
    track_status: str
    usage: UsageTotals | None = None


class Tier4Unavailable(Event):
    event: Literal["tier4_unavailable"] = "tier4_unavailable"
    error: str


class PlanProposed(Event):
    """The planner proposed a track (``track`` is the plan's id until a track is made)."""

    event: Literal["plan_proposed"] = "plan_proposed"
    goal: str
    attempts: int
    tickets: int
    problems: list[str]
    tokens: int
    revision_of: str | None = None
    """The running track whose remaining tickets this plan revises."""


class PlanRevised(Event):
    event: Literal["plan_revised"] = "plan_revised"
    feedback: str
    by: Actor = "cli"


class PlanAccepted(Event):
    event: Literal["plan_accepted"] = "plan_accepted"
    plan: str
    edited: bool
    """The person changed the proposal before accepting it."""
    proposal: dict[str, Any]
    """What was accepted, as accepted."""
    by: Actor = "cli"


class PlanRejected(Event):
    event: Literal["plan_rejected"] = "plan_rejected"
    reason: str
    by: Actor = "cli"


class PendingRefused(Event):
    """The persisted pending call was not shown: unreadable, or not the call the worker will run."""

    event: Literal["pending_refused"] = "pending_refused"
    reason: str


class WorkerStateUnreadable(Event):
    event: Literal["worker_state_unreadable"] = "worker_state_unreadable"
    error: str


AnyEvent = Annotated[
    TrackCreated | TicketAdded | TicketEdited | TicketUnblocked | TicketClaimed | TicketReleased | TicketUndone
    | RunStarted | TrackSaved
    | TicketReset | TicketStarted | ContextBuilt | ModelCalled | UsageUpdated | ApprovalRequested | EditRefused
    | DecisionMade | CheckpointTaken | FilesChangedByCommand | FileChanged | ShellRan | ToolFinished
    | TicketCompleted | TicketCommitted | TicketBlocked | RunPaused | RunFinished | Tier4Unavailable | PendingRefused
    | WorkerStateUnreadable | PlanProposed | PlanRevised | PlanAccepted | PlanRejected,
    Field(discriminator="event"),
]
logger = logging.getLogger(__name__)
EVENTS: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)
"""Parses a ledger line (or any event's JSON) back into its typed event."""


def typed_events(records: Iterable[dict[str, Any]]) -> list[Event]:
    """Ledger lines as typed events; a line no event model reads (written by another version) is skipped."""
    events: list[Event] = []
    for record in records:
        try:
            events.append(EVENTS.validate_python(record))
        except ValueError:
            logger.info("ledger line not read: %.200s", record)
    return events


def usage_of(events: Iterable[Event]) -> UsageReport:
    """The usage and cost of every model call the events record (a whole track, from its ledger)."""
    accountant = Accountant()
    for event in events:
        if isinstance(event, ModelCalled):
            accountant.add(event.tier, event.ticket, event.usage, event.cost_usd)
    return accountant.snapshot()


class Subscriber(Protocol):
    """A front-end (or anything) told of every event. Called on the thread that emits."""

    def notify(self, event: Event) -> None: ...


class EventLog:
    """The one way events leave the engine and the ticket service: the ledger line first, then subscribers."""

    def __init__(self, write: Callable[[dict[str, Any]], object] | None,
                 subscribers: Iterable[Subscriber] = ()) -> None:
        self._write = write
        self.subscribers: list[Subscriber] = list(subscribers)

    def emit(self, event: Event) -> None:
        if self._write is not None and event.LEDGERED:
            self._write(event.ledger_record())
        for subscriber in self.subscribers:
            subscriber.notify(event)


class EventQueue:
    """The one thread-safe hand-off from the engine thread to a front-end, drained once per frame."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Event] = queue.SimpleQueue()

    def notify(self, event: Event) -> None:
        self._queue.put(event)

    def drain(self, limit: int = 10_000) -> list[Event]:
        events: list[Event] = []
        while len(events) < limit:
            try:
                events.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return events
