"""Between a worker's call and its execution: run by a rule, or shown and asked.

The call asked about is persisted (`pending.json`) so a restart asks the same call; a pending file that differs
from the worker's own call is set aside, never shown. Edits are validated before they run; a preview (the diff,
where a command would run) is computed here for both front-ends.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from conductor.errors import ConductorError
from conductor.events import ApprovalRequested, DecisionMade, EditRefused, Event, PendingRefused
from conductor.files import atomic_write, text_diff
from conductor.gate import ApprovalPolicy, Decision, PendingCall
from conductor.models import Ticket, TicketStatus
from conductor.protocols import ApprovalGate
from conductor.shell import CommandRunner
from conductor.store import TrackStore, set_aside
from conductor.tools import ProjectTools, ToolArgumentError, ToolRequest, edited, edited_request
from file_cache import ViewError


class ApprovalFlow:
    """Decides each mutating call: the policy's rule, else the gate (the ticket paused while it waits)."""

    def __init__(self, track_id: str, gate: ApprovalGate, policy: ApprovalPolicy, tools: ProjectTools,
                 commands: CommandRunner, store: TrackStore, emit: Callable[[Event], None],
                 save_track: Callable[[], None], network: Callable[[], bool]) -> None:
        self.track_id = track_id
        self.gate = gate
        self.policy = policy
        self.tools = tools
        self.commands = commands
        self.store = store
        self.emit = emit
        self.save_track = save_track
        self.network = network

    def decide(self, ticket: Ticket, request: ToolRequest) -> tuple[Decision, ToolRequest]:
        """The decision, and the request to run: the one asked about, or the person's edit of it (validated)."""
        call = request.call
        rule = self.policy.auto_reason(ticket.worker_archetype, call)
        if rule is not None:
            self.emit(DecisionMade(track=self.track_id, ticket=ticket.id, tool=call.name, call_id=call.id,
                                   action="approve", by="rule", reason=rule))
            return Decision(action="approve", reason=rule, decided_by="rule"), request
        pending = self._restore_pending(ticket, request) or self.make_pending(ticket.id, request)
        if ticket.status != TicketStatus.STEP_PAUSED:  # saved first: a pending file means a paused ticket
            ticket.transition(TicketStatus.STEP_PAUSED)
            self.save_track()
        atomic_write(self.pending_path, pending.model_dump_json(indent=2))
        self.emit(ApprovalRequested(track=self.track_id, ticket=ticket.id, tool=call.name, call_id=call.id,
                                    pending_id=pending.id, pending=pending))
        decision, request = self._ask(ticket, pending, request)
        self.pending_path.unlink(missing_ok=True)
        ticket.transition(TicketStatus.IN_PROGRESS)
        self.save_track()
        self.emit(DecisionMade(track=self.track_id, ticket=ticket.id, tool=call.name, call_id=call.id,
                               pending_id=pending.id, action=decision.action, by=decision.decided_by,
                               reason=decision.reason, note=decision.note,
                               edited_arguments=decision.arguments if decision.action == "edit" else None))
        return decision, request

    @property
    def pending_path(self) -> Path:
        return self.store.pending_path(self.track_id)

    def _ask(self, ticket: Ticket, pending: PendingCall, request: ToolRequest) -> tuple[Decision, ToolRequest]:
        """The gate's decision; an edit enters here, validated once: one that does not fit is refused and asked
        again."""
        decision = self.gate.decide(pending)
        while decision.action == "edit":
            try:
                request = edited(pending.call, decision.arguments or {})
            except ToolArgumentError as error:
                self.emit(EditRefused(track=self.track_id, ticket=ticket.id, call_id=pending.call.id,
                                      pending_id=pending.id, error=str(error)))
                decision = self.gate.decide(pending)
                continue
            return decision.model_copy(update={"arguments": request.call.arguments}), request
        return decision, request

    def make_pending(self, ticket_id: str, request: ToolRequest) -> PendingCall:
        texts, problem = self.preview_texts(request)
        sandbox = self.commands.describe(network=self.network()) if request.name == "run_shell" else None
        return PendingCall(track_id=self.track_id, ticket_id=ticket_id, call=request.call,
                           diff=text_diff(*texts) if texts else None, preview_error=problem, sandbox=sandbox)

    def preview_texts(self, request: ToolRequest) -> tuple[tuple[str, str | None, str] | None, str | None]:
        """A file write's path with the file's text before (None: a new file) and after it, or None for other
        tools; and why the call would fail as it stands (None when it would not)."""
        try:
            return self.tools.preview_texts(request), None
        except (ViewError, ConductorError, OSError) as error:
            return None, str(error)

    def preview_edit(self, pending: PendingCall, text: str) -> PendingCall:
        """The pending call with edited JSON arguments and its recomputed diff; raises ToolArgumentError."""
        fresh = self.make_pending(pending.ticket_id, edited_request(pending.call, text))
        return pending.model_copy(update={"call": fresh.call, "diff": fresh.diff, "preview_error": fresh.preview_error,
                                          "sandbox": fresh.sandbox})

    def _restore_pending(self, ticket: Ticket, request: ToolRequest) -> PendingCall | None:
        """The persisted pending call, only when it is exactly the call the worker will run: a pending file that
        disagrees with the worker's snapshot (edited by hand, left by another run) is never shown."""
        path = self.pending_path
        if not path.exists():
            return None
        try:
            pending = PendingCall.model_validate_json(path.read_bytes())
        except (ValidationError, ValueError, OSError, RecursionError) as error:
            self._refuse_pending(ticket, f"unreadable ({type(error).__name__})")
            return None
        if pending.ticket_id != ticket.id or pending.call != request.call:
            self._refuse_pending(ticket, "it differs from the call the worker's snapshot holds")
            return None
        # the diff is recomputed: the file may have changed since, and a stored diff could say anything
        return self.make_pending(ticket.id, request).model_copy(update={"id": pending.id})

    def _refuse_pending(self, ticket: Ticket, why: str) -> None:
        aside = set_aside(self.pending_path)
        self.emit(PendingRefused(track=self.track_id, ticket=ticket.id, reason=f"{why}; kept as {aside.name}, "
                                 "the call is asked again as the worker holds it"))
