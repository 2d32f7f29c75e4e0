"""Tracks, tickets and worker contexts: the state machine everything else stands on."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, computed_field, model_validator

from conductor.errors import ConductorError


def utc_now() -> datetime:
    return datetime.now(UTC)


def next_ticket_id(ids: Iterable[str]) -> str:
    """`T<n>` after the highest `T<n>` among ``ids`` (`T1` when there is none)."""
    numbers = [int(i[1:]) for i in ids if i[:1] == "T" and i[1:].isdigit()]
    return f"T{max(numbers, default=0) + 1}"


def find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A dependency cycle of the graph as the path that closes it (`A -> B -> A` is ["A", "B", "A"]), or None.
    Edges to nodes outside the graph and self-edges are left to the callers, which name them on their own."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in edges:
        if start in state:
            continue
        path, stack = [start], [iter(edges[start])]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif nxt in edges and nxt != path[-1]:
                if state.get(nxt) == 1:
                    return [*path[path.index(nxt):], nxt]
                if nxt not in state:
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append(iter(edges[nxt]))
    return None


class TicketStatus(StrEnum):
    LOCKED = "locked"
    """Some dependency is not completed yet."""
    PENDING = "pending"
    """Ready to run."""
    IN_PROGRESS = "in_progress"
    """A worker is on it."""
    STEP_PAUSED = "step_paused"
    """A tool call awaits a human decision."""
    COMPLETED = "completed"
    BLOCKED = "blocked"
    """Failed, rejected, blocked by hand, or a dependency is blocked."""


S = TicketStatus
ALLOWED_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.LOCKED: frozenset({S.PENDING, S.BLOCKED}),
    # completed from pending: done by hand, no model involved
    S.PENDING: frozenset({S.IN_PROGRESS, S.LOCKED, S.BLOCKED, S.COMPLETED}),
    # back to pending: a run interrupted by a crash or a stop starts the ticket afresh
    S.IN_PROGRESS: frozenset({S.STEP_PAUSED, S.COMPLETED, S.BLOCKED, S.PENDING}),
    # completed from a pause: the human finishes the ticket by hand, dropping the pending call
    S.STEP_PAUSED: frozenset({S.IN_PROGRESS, S.COMPLETED, S.BLOCKED, S.PENDING}),
    S.COMPLETED: frozenset(),
    S.BLOCKED: frozenset({S.PENDING, S.LOCKED}),
}


class TrackStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    BLOCKED = "blocked"
    EMPTY = "empty"


class InvalidTransitionError(ConductorError):
    """A status change the state machine does not allow."""


class DependencyError(ConductorError):
    """A dependency edit that would create a cycle, a self-dependency or a dangling id."""


class UnknownTicketError(ConductorError, KeyError):
    """No ticket with that id in the track."""

    def __str__(self) -> str:
        return str(self.args[0])


class Ticket(BaseModel):
    """One unit of work for one Tier 3 worker, on one target file."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    """Unique within its track (`T1`, `T2`, ...)."""
    title: str
    target_file: str = Field(min_length=1)
    """The one file the worker edits, relative to the project root."""
    prompt: str
    """What the worker is asked to do."""
    worker_archetype: str = "default"
    """Selects the system prompt and the trust level (step or auto) from project.toml."""
    symbols: list[str] = Field(default_factory=list)
    """Definitions of the target the ticket is about (`Class.method`): shown whole even when the target is long."""
    status: TicketStatus = TicketStatus.LOCKED
    dependencies: list[str] = Field(default_factory=list)
    """Ids of tickets that must be completed first."""
    summary: str | None = None
    """The worker's final text when the ticket completed."""
    block_reason: str | None = None
    """Why this ticket itself is blocked (failure, rejection, by hand); None when only cascaded."""
    blocked_by: list[str] = Field(default_factory=list)
    """Blocked upstream tickets that cascade a block onto this one."""
    retries: int = 0
    """How many times the ticket was sent back to pending after being blocked."""
    provider: str | None = None
    """Tier 3 provider for this ticket only (overrides the project)."""
    model: str | None = None
    """Tier 3 model for this ticket only (overrides the project)."""
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    claimed_by: str | None = None
    """An outside agent (over MCP) working on the ticket: it is `in_progress` and no Conductor worker runs it."""
    claim_expires_at: datetime | None = None
    """When the claim lapses if the agent neither completes, blocks nor releases the ticket (back to pending)."""

    @property
    def started(self) -> bool:
        """Completed, running, paused, or claimed by an agent: a revision of the track keeps it as it is."""
        return self.status in (TicketStatus.COMPLETED, TicketStatus.IN_PROGRESS, TicketStatus.STEP_PAUSED) \
            or bool(self.claimed_by)

    def release_claim(self) -> None:
        self.claimed_by = None
        self.claim_expires_at = None

    def transition(self, new: TicketStatus) -> None:
        """Move to ``new`` or raise InvalidTransitionError naming both states."""
        if new == self.status:
            return
        if new not in ALLOWED_TRANSITIONS[self.status]:
            raise InvalidTransitionError(f"ticket {self.id}: cannot go from {self.status} to {new}")
        self.status = new
        self.updated_at = utc_now()
        if new == TicketStatus.IN_PROGRESS and self.started_at is None:
            self.started_at = self.updated_at
        if new == TicketStatus.COMPLETED:
            self.completed_at = self.updated_at

    def mark_blocked(self, dependency_id: str | None = None, reason: str | None = None) -> None:
        """Block because a dependency is blocked (``dependency_id``) or for a reason of its own."""
        if dependency_id is None and not reason:
            raise ConductorError(f"ticket {self.id}: a block needs a reason or a blocked dependency")
        if self.status != TicketStatus.BLOCKED:
            self.transition(TicketStatus.BLOCKED)
        if dependency_id is not None and dependency_id not in self.blocked_by:
            self.blocked_by = [*self.blocked_by, dependency_id]
        if reason:
            self.block_reason = reason

    def mark_complete(self, summary: str | None = None) -> None:
        self.transition(TicketStatus.COMPLETED)
        self.summary = summary


class Track(BaseModel):
    """A plan: tickets with dependencies, run one at a time in dependency order."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    title: str
    description: str = ""
    tickets: list[Ticket] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utc_now)

    _index: dict[str, Ticket] = PrivateAttr(default_factory=dict)
    _dependents: dict[str, list[str]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        # `status` is derived from the tickets; it is written to the file for readers, not read back.
        if isinstance(data, dict) and "status" in data:
            data = {k: v for k, v in data.items() if k != "status"}
        return data

    @model_validator(mode="after")
    def _check_graph(self) -> Track:
        self._reindex()
        for ticket in self.tickets:
            for dependency in ticket.dependencies:
                if dependency not in self._index:
                    raise ValueError(f"ticket {ticket.id} depends on unknown ticket {dependency}")
                if dependency == ticket.id:
                    raise ValueError(f"ticket {ticket.id} depends on itself")
        cycle = find_cycle({ticket.id: ticket.dependencies for ticket in self.tickets})
        if cycle:
            raise ValueError(f"dependency cycle: {' -> '.join(cycle)}")
        order = self.topological_order()
        self._check_statuses(order)
        return self

    def _check_statuses(self, order: list[str]) -> None:
        """`locked` is derived (a ticket whose dependencies are all completed is `pending`); any other status
        that contradicts the dependencies is an error, never silently accepted."""
        for ticket in (self._index[ticket_id] for ticket_id in order):
            unfinished = [d for d in ticket.dependencies if self._index[d].status != TicketStatus.COMPLETED]
            if ticket.status == TicketStatus.LOCKED and not unfinished:
                ticket.status = TicketStatus.PENDING
            elif ticket.status in (TicketStatus.PENDING, TicketStatus.IN_PROGRESS, TicketStatus.STEP_PAUSED,
                                   TicketStatus.COMPLETED) and unfinished:
                states = ", ".join(f"{d} is {self._index[d].status}" for d in unfinished)
                raise ValueError(f"ticket {ticket.id} is {ticket.status} but its dependencies are not completed "
                                 f"({states})")
            elif ticket.status == TicketStatus.BLOCKED and not ticket.block_reason and not ticket.blocked_by:
                raise ValueError(f"ticket {ticket.id} is blocked with neither a reason nor a blocked dependency")

    def _reindex(self) -> None:
        self._index = {}
        for ticket in self.tickets:
            if ticket.id in self._index:
                raise ValueError(f"duplicate ticket id {ticket.id}")
            self._index[ticket.id] = ticket
        self._dependents = {ticket.id: [] for ticket in self.tickets}
        for ticket in self.tickets:
            for dependency in ticket.dependencies:
                if dependency in self._dependents:
                    self._dependents[dependency].append(ticket.id)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> TrackStatus:
        statuses = {ticket.status for ticket in self.tickets}
        if not statuses:
            return TrackStatus.EMPTY
        if statuses == {TicketStatus.COMPLETED}:
            return TrackStatus.COMPLETED
        if statuses & {TicketStatus.IN_PROGRESS, TicketStatus.STEP_PAUSED}:
            return TrackStatus.ACTIVE
        if TicketStatus.PENDING not in statuses and TicketStatus.BLOCKED in statuses:
            return TrackStatus.BLOCKED
        return TrackStatus.ACTIVE if TicketStatus.COMPLETED in statuses else TrackStatus.PLANNED

    # -- lookup ------------------------------------------------------------------------------------
    def ticket(self, ticket_id: str) -> Ticket:
        try:
            return self._index[ticket_id]
        except KeyError:
            raise UnknownTicketError(f"no ticket {ticket_id!r} in track {self.id}") from None

    def dependents(self, ticket_id: str) -> list[str]:
        """Ids of the tickets that depend directly on ``ticket_id``."""
        self.ticket(ticket_id)
        return list(self._dependents[ticket_id])

    def next_ticket_id(self) -> str:
        return next_ticket_id(t.id for t in self.tickets)

    def topological_order(self) -> list[str]:
        """Ticket ids with every dependency before its dependents (Kahn; ties in file order)."""
        remaining = {t.id: len(set(t.dependencies) & self._index.keys()) for t in self.tickets}
        ready = deque(t.id for t in self.tickets if remaining[t.id] == 0)
        order = []
        while ready:
            current = ready.popleft()
            order.append(current)
            for dependent in self._dependents.get(current, []):
                remaining[dependent] -= 1
                if remaining[dependent] == 0:
                    ready.append(dependent)
        return order

    def get_executable_tickets(self) -> list[Ticket]:
        """Tickets ready to run (`pending`), in file order."""
        return [ticket for ticket in self.tickets if ticket.status == TicketStatus.PENDING]

    # -- graph edits -------------------------------------------------------------------------------
    def add_ticket(self, ticket: Ticket) -> Ticket:
        if ticket.id in self._index:
            raise DependencyError(f"track {self.id} already has a ticket {ticket.id}")
        self._check_dependencies(ticket.id, ticket.dependencies)
        ticket.dependencies = list(dict.fromkeys(ticket.dependencies))
        ticket.status = self._ready_status(ticket)
        if any(self._index[d].status == TicketStatus.BLOCKED for d in ticket.dependencies):
            ticket.status = TicketStatus.BLOCKED
            ticket.blocked_by = [d for d in ticket.dependencies if self._index[d].status == TicketStatus.BLOCKED]
        self.tickets.append(ticket)
        self._index[ticket.id] = ticket
        self._dependents[ticket.id] = []
        for dependency in ticket.dependencies:
            self._dependents[dependency].append(ticket.id)
        return ticket

    def set_dependencies(self, ticket_id: str, dependencies: list[str]) -> None:
        """Replace a ticket's dependencies; refuses cycles, self-dependencies and unknown ids."""
        ticket = self.ticket(ticket_id)
        if ticket.status in (TicketStatus.IN_PROGRESS, TicketStatus.STEP_PAUSED, TicketStatus.COMPLETED):
            raise DependencyError(f"ticket {ticket_id} is {ticket.status}; its dependencies can no longer change")
        self._check_dependencies(ticket_id, dependencies)
        ticket.dependencies = list(dict.fromkeys(dependencies))
        self._reindex()
        upstream_blocked = [d for d in ticket.dependencies if self._index[d].status == TicketStatus.BLOCKED]
        ticket.blocked_by = upstream_blocked
        if upstream_blocked or ticket.block_reason:
            ticket.mark_blocked(upstream_blocked[0] if upstream_blocked else None, ticket.block_reason)
        else:
            ticket.transition(self._ready_status(ticket))

    def _check_dependencies(self, ticket_id: str, dependencies: list[str]) -> None:
        for dependency in dependencies:
            if dependency == ticket_id:
                raise DependencyError(f"ticket {ticket_id} cannot depend on itself")
            if dependency not in self._index:
                raise DependencyError(f"ticket {ticket_id}: unknown dependency {dependency!r} in track {self.id}")
        if ticket_id in self._index:
            edges = {t.id: dependencies if t.id == ticket_id else t.dependencies for t in self.tickets}
            cycle = find_cycle(edges)
            if cycle:
                raise DependencyError(f"ticket {ticket_id}: depending on {', '.join(dependencies)} makes a cycle "
                                      f"({' -> '.join(cycle)})")

    def _ready_status(self, ticket: Ticket) -> TicketStatus:
        done = all(self._index[d].status == TicketStatus.COMPLETED for d in ticket.dependencies)
        return TicketStatus.PENDING if done else TicketStatus.LOCKED

    # -- lifecycle ---------------------------------------------------------------------------------
    def mark_complete(self, ticket_id: str, summary: str | None = None) -> list[str]:
        """Complete a ticket; returns the ids it unlocked (now `pending`)."""
        self.ticket(ticket_id).mark_complete(summary)
        unlocked = []
        for dependent_id in self._dependents[ticket_id]:
            dependent = self._index[dependent_id]
            if dependent.status == TicketStatus.LOCKED and self._ready_status(dependent) == TicketStatus.PENDING:
                dependent.transition(TicketStatus.PENDING)
                unlocked.append(dependent_id)
        return unlocked

    def block(self, ticket_id: str, reason: str) -> list[str]:
        """Block a ticket with a reason; its not-completed dependents are blocked too. Returns those ids."""
        self.ticket(ticket_id).mark_blocked(reason=reason)
        return self._cascade_block(ticket_id)

    def _cascade_block(self, ticket_id: str) -> list[str]:
        cascaded, stack = [], [ticket_id]
        while stack:
            upstream = stack.pop()
            for dependent_id in self._dependents[upstream]:
                dependent = self._index[dependent_id]
                if dependent.status == TicketStatus.COMPLETED or upstream in dependent.blocked_by:
                    continue
                already_blocked = dependent.status == TicketStatus.BLOCKED
                dependent.mark_blocked(dependency_id=upstream)
                if not already_blocked:
                    cascaded.append(dependent_id)
                    stack.append(dependent_id)
        return cascaded

    def unblock(self, ticket_id: str) -> list[str]:
        """Lift a ticket's own block; dependents blocked only through it are restored. Returns restored ids."""
        ticket = self.ticket(ticket_id)
        if ticket.status != TicketStatus.BLOCKED:
            raise InvalidTransitionError(f"ticket {ticket_id} is {ticket.status}, not blocked")
        if ticket.blocked_by:
            raise InvalidTransitionError(
                f"ticket {ticket_id} is blocked because {', '.join(ticket.blocked_by)} is blocked; unblock that first"
            )
        ticket.block_reason = None
        ticket.transition(self._ready_status(ticket))
        restored, stack = [], [ticket_id]
        while stack:
            upstream = stack.pop()
            for dependent_id in self._dependents[upstream]:
                dependent = self._index[dependent_id]
                if upstream not in dependent.blocked_by:
                    continue
                dependent.blocked_by = [b for b in dependent.blocked_by if b != upstream]
                if not dependent.blocked_by and not dependent.block_reason:
                    dependent.transition(self._ready_status(dependent))
                    restored.append(dependent_id)
                    stack.append(dependent_id)
        return restored

    def retry(self, ticket_id: str) -> list[str]:
        """Send a blocked ticket back to run again (counts a retry)."""
        restored = self.unblock(ticket_id)
        self.ticket(ticket_id).retries += 1
        return restored

    def recover(self, keep: set[str] | frozenset[str] = frozenset()) -> list[str]:
        """After a crash: tickets left `in_progress` go back to `pending`, except those in ``keep`` (the engine
        saved their worker and resumes them); `step_paused` tickets stay paused, their pending call being
        persisted. Returns the ids reset."""
        reset = []
        for ticket in self.tickets:
            if ticket.status == TicketStatus.IN_PROGRESS and ticket.id not in keep and ticket.claimed_by is None:
                ticket.transition(TicketStatus.PENDING)
                reset.append(ticket.id)
        return reset

    def expire_claims(self, now: datetime) -> list[str]:
        """Claims whose lease has passed: their tickets go back to pending. Returns their ids."""
        expired = []
        for ticket in self.tickets:
            if ticket.claimed_by and ticket.claim_expires_at is not None and ticket.claim_expires_at <= now:
                ticket.release_claim()
                if ticket.status == TicketStatus.IN_PROGRESS:
                    ticket.transition(TicketStatus.PENDING)
                expired.append(ticket.id)
        return expired

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in TicketStatus}
        for ticket in self.tickets:
            counts[ticket.status.value] += 1
        return counts
