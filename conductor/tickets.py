"""The one place where tracks and tickets are edited by a person: validation, the track lock, the ledger.

Every front-end (the terminal, the window, next an MCP server) calls these methods, so the rules are the same
everywhere: a ticket that is running or completed cannot be edited, a target that does not exist needs
`new_file`, a target must be inside the project and outside the tracks folder, `.git/` and secret files, an
archetype must be one the project defines.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from conductor.checkpoints import Checkpoints
from conductor.config import ProjectConfig
from conductor.errors import ConductorError
from conductor.events import (
    Actor,
    Event,
    EventLog,
    Subscriber,
    TicketAdded,
    TicketBlocked,
    TicketClaimed,
    TicketCompleted,
    TicketEdited,
    TicketReleased,
    TicketUnblocked,
    TicketUndone,
    TrackCreated,
)
from conductor.guards import PathGuard
from conductor.models import Ticket, TicketStatus, Track, find_cycle, utc_now
from conductor.proposals import Proposal
from conductor.store import TrackStore


class TicketDraft(BaseModel):
    """A new ticket as a person writes it."""

    model_config = ConfigDict(frozen=True)

    prompt: str
    """What the worker is asked to do (must not be empty)."""
    target: str
    """The one file the worker edits, relative to the project root."""
    title: str = ""
    """Defaults to the prompt's first line."""
    dependencies: list[str] = Field(default_factory=list)
    archetype: str = "default"
    new_file: bool = False
    """The target does not exist yet (the ticket creates it)."""
    symbols: list[str] = Field(default_factory=list)
    """Definitions of the target the ticket is about (shown whole even when the target is long)."""


class TicketChanges(BaseModel):
    """An edit of a ticket: None leaves a field as it is."""

    model_config = ConfigDict(frozen=True)

    title: str | None = None
    prompt: str | None = None
    target: str | None = None
    archetype: str | None = None
    dependencies: list[str] | None = None
    """Replaces the dependencies ([] for none)."""
    new_file: bool = False
    """The new target does not exist yet."""


_TICKET_ID = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")

EDITABLE = (TicketStatus.LOCKED, TicketStatus.PENDING, TicketStatus.BLOCKED)


EDIT_WAIT_SECONDS = 5.0
"""How long an edit (a claim, a completion, a person's change) waits for another edit of the same track."""


class TicketService:
    """Track and ticket edits for one project, made by ``by`` (`cli`, `gui`, ...)."""

    def __init__(self, config: ProjectConfig, store: TrackStore | None = None, by: Actor = "cli",
                 subscribers: tuple[Subscriber, ...] = (), clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self.clock = clock
        """What time it is, for claims and their leases (tests move it instead of sleeping)."""
        self.store = store or TrackStore(config.tracks_path)
        self.by = by
        self.subscribers = subscribers
        self.guard = PathGuard.for_project(config)

    def emit(self, event: Event) -> None:
        EventLog(self.store.ledger(event.track).append_record, self.subscribers).emit(event)

    @contextlib.contextmanager
    def editing(self, track_id: str) -> Iterator[Track]:
        """Load a track under its lock, hand it out for changes, save it when the block ends without error."""
        self.store.load(track_id)  # the clear unknown-track error before any lock file is made
        with self.store.locked(track_id, wait_seconds=EDIT_WAIT_SECONDS):
            track = self.store.load(track_id)
            yield track
            self.store.save(track)

    # -- checks -------------------------------------------------------------------------------------------
    def check_target(self, target: str, new_file: bool) -> str:
        """The target as a project-relative path, or ConductorError saying why it cannot be one."""
        if not target.strip():
            raise ConductorError("a ticket needs a target file")
        path = self.guard.writable(target.strip())
        if path.is_dir():
            raise ConductorError(f"{target}: is a folder; a ticket targets one file")
        if not path.exists() and not new_file:
            raise ConductorError(f"{target}: no such file in the project (mark it a new file if the ticket creates "
                                 "it: --new-file, the 'new file' box, new_file)")
        return path.relative_to(self.config.root).as_posix()

    def check_archetype(self, name: str) -> str:
        name = name.strip() or "default"
        known = sorted({"default", *self.config.archetypes})
        if name not in known:
            raise ConductorError(f"unknown archetype {name!r}; known: {', '.join(known)} (define more under "
                                 "[archetypes.NAME] in project.toml)")
        return name

    def proposal_problems(self, proposal: Proposal, kept: set[str] | frozenset[str] = frozenset()) -> list[str]:
        """Everything that would stop the proposal from becoming a track, one line each ([] when none), by the
        same checks as a ticket added by hand. ``kept``: ids of tickets kept beside it (a revision), which it
        may depend on but not reuse."""
        problems: list[str] = []
        if not proposal.title.strip():
            problems.append("the track needs a title")
        if not proposal.tickets:
            problems.append("the track has no tickets")
        ids = [t.id for t in proposal.tickets]
        for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
            problems.append(f"ticket id {duplicate!r} is used more than once")
        for reused in sorted(set(ids) & set(kept)):
            problems.append(f"ticket id {reused!r} belongs to a ticket that has already started")
        for ticket in proposal.tickets:
            label = f"ticket {ticket.id}"
            if not _TICKET_ID.match(ticket.id):
                problems.append(f"{label}: the id must be letters, digits, '.', '_' or '-' (at most 40)")
            if not ticket.prompt.strip():
                problems.append(f"{label}: the prompt is empty")
            if not ticket.title.strip():
                problems.append(f"{label}: the title is empty")
            for dependency in ticket.depends_on:
                if dependency == ticket.id:
                    problems.append(f"{label} depends on itself")
                elif dependency not in ids and dependency not in kept:
                    problems.append(f"{label} depends on unknown ticket {dependency!r}")
            try:
                self.check_archetype(ticket.archetype or "default")
            except ConductorError as error:
                problems.append(f"{label}: {error}")
            try:
                self.check_target(ticket.target_file, ticket.new_file)
            except ConductorError as error:
                problems.append(f"{label}: target {error}")
        cycle = find_cycle({t.id: t.depends_on for t in proposal.tickets})
        if cycle:
            problems.append(f"dependency cycle: {' -> '.join(cycle)}")
        return problems

    # -- tracks -------------------------------------------------------------------------------------------
    def create_track(self, title: str, description: str = "", tickets: list[Ticket] | None = None) -> Track:
        track = self.store.create(title, description, tickets or [])
        self.emit(TrackCreated(track=track.id, title=track.title, by=self.by))
        return track

    def create_from(self, proposal: Proposal) -> Track:
        """The track an accepted proposal makes; ConductorError (saving nothing) when it has problems."""
        self._refuse_problems(proposal)
        return self.create_track(proposal.title.strip(), proposal.description, [t.ticket() for t in proposal.tickets])

    def replace_unstarted(self, track_id: str, proposal: Proposal) -> Track:
        """A revision: the track's tickets that have not started are replaced by the proposal's (which may depend
        on the kept ones); ConductorError (changing nothing) when it has problems."""
        with self.editing(track_id) as track:  # checked against the track as it is under the lock
            kept_tickets = [t for t in track.tickets if t.started]
            self._refuse_problems(proposal, {t.id for t in kept_tickets})
            try:  # validated as a whole: the statuses of the new tickets follow from the kept ones
                revised = Track(id=track.id, title=track.title, description=track.description,
                                created_at=track.created_at,
                                tickets=[*kept_tickets, *(t.ticket() for t in proposal.tickets)])
            except ValidationError as error:
                raise ConductorError(f"the revision does not fit the track: {error.errors()[0]['msg']}") from None
            track.tickets = revised.tickets
        return track

    def _refuse_problems(self, proposal: Proposal, kept: set[str] | frozenset[str] = frozenset()) -> None:
        problems = self.proposal_problems(proposal, kept)
        if problems:
            raise ConductorError("the proposal cannot be accepted: " + "; ".join(problems))

    # -- tickets ------------------------------------------------------------------------------------------
    def add_ticket(self, track_id: str, draft: TicketDraft) -> Ticket:
        prompt = draft.prompt.strip()
        if not prompt:
            raise ConductorError("a ticket needs a prompt")
        target = self.check_target(draft.target, draft.new_file)
        archetype = self.check_archetype(draft.archetype)
        with self.editing(track_id) as track:
            ticket = Ticket(id=track.next_ticket_id(), title=draft.title.strip() or prompt.splitlines()[0][:60],
                            target_file=target, prompt=draft.prompt, worker_archetype=archetype,
                            symbols=list(draft.symbols),
                            dependencies=_unique_dependencies(draft.dependencies))
            track.add_ticket(ticket)
        self.emit(TicketAdded(track=track_id, ticket=ticket.id, target=target, status=ticket.status, by=self.by))
        return ticket

    def edit_ticket(self, track_id: str, ticket_id: str, changes: TicketChanges) -> Ticket:
        with self.editing(track_id) as track:
            ticket = track.ticket(ticket_id)
            if ticket.status not in EDITABLE:
                raise ConductorError(f"ticket {ticket_id} is {ticket.status}; only locked, pending or blocked "
                                     "tickets can be edited")
            values: dict[str, object] = {}
            if changes.title is not None and changes.title.strip():
                values["title"] = changes.title.strip()
            if changes.prompt is not None:
                if not changes.prompt.strip():
                    raise ConductorError("a ticket needs a prompt")
                values["prompt"] = changes.prompt
            if changes.target is not None:
                target = self.check_target(changes.target, new_file=True)
                if target != ticket.target_file:  # a new target must exist unless the ticket creates it
                    target = self.check_target(changes.target, changes.new_file)
                values["target_file"] = target
            if changes.archetype is not None:
                values["worker_archetype"] = self.check_archetype(changes.archetype)
            changed = [name for name, value in values.items() if getattr(ticket, name) != value]
            for name, value in values.items():
                setattr(ticket, name, value)
            if changes.dependencies is not None:
                wanted = _unique_dependencies(changes.dependencies)
                if wanted != ticket.dependencies:
                    track.set_dependencies(ticket_id, wanted)
                    changed.append("dependencies")
        self.emit(TicketEdited(track=track_id, ticket=ticket_id, changes=changed, by=self.by))
        return ticket

    def block(self, track_id: str, ticket_id: str, reason: str, agent: str | None = None) -> list[str]:
        """Block a ticket with a reason; returns the dependents blocked with it. ``agent``: an outside agent acts,
        and only on a ticket it holds."""
        reason = reason.strip() or f"blocked by hand ({self.by})"
        with self.editing(track_id) as track:
            self._check_holder(track, ticket_id, agent)
            holder = track.ticket(ticket_id).claimed_by
            track.ticket(ticket_id).release_claim()
            cascaded = track.block(ticket_id, reason)
        self.emit(TicketBlocked(track=track_id, ticket=ticket_id, reason=reason, cascaded=cascaded,
                                by=holder or self.by))
        return cascaded

    def unblock(self, track_id: str, ticket_id: str, retry: bool = False) -> tuple[TicketStatus, list[str]]:
        """Lift a block (``retry``: and count a retry); returns the new status and the dependents restored."""
        with self.editing(track_id) as track:
            restored = track.retry(ticket_id) if retry else track.unblock(ticket_id)
            status = track.ticket(ticket_id).status
        self.emit(TicketUnblocked(track=track_id, ticket=ticket_id, status=status, restored=restored, retry=retry,
                                  by=self.by))
        return status, restored

    # -- claims by outside agents ------------------------------------------------------------------------
    def claim_next(self, track_id: str, agent: str, lease_seconds: float) -> Ticket | None:
        """Atomically (under the track's lock) take the first ready ticket for ``agent``: it goes in progress with
        a lease. Expired leases are returned to pending first. None when nothing is ready."""
        agent = agent.strip()
        if not agent:
            raise ConductorError("a claim needs the agent's name")
        now = self.clock()
        with self.editing(track_id) as track:
            expired = self._expire(track, now)
            ready = track.get_executable_tickets()
            ticket = ready[0] if ready else None
            if ticket is not None:
                ticket.transition(TicketStatus.IN_PROGRESS)
                ticket.claimed_by = agent
                ticket.claim_expires_at = now + timedelta(seconds=lease_seconds)
        for ticket_id, holder in expired:
            self.emit(TicketReleased(track=track_id, ticket=ticket_id, agent=holder, reason="the claim's lease "
                                     "expired", by=self.by))
        if ticket is not None:
            assert ticket.claim_expires_at is not None
            self.emit(TicketClaimed(track=track_id, ticket=ticket.id, agent=agent,
                                    lease_expires_at=ticket.claim_expires_at, by=self.by))
        return ticket

    def release(self, track_id: str, ticket_id: str, agent: str | None = None) -> Ticket:
        """End a claim without completing the ticket: it goes back to pending (``agent``: only its own claim)."""
        with self.editing(track_id) as track:
            self._check_holder(track, ticket_id, agent)
            ticket = track.ticket(ticket_id)
            if not ticket.claimed_by:
                raise ConductorError(f"ticket {ticket_id} is not claimed")
            holder = ticket.claimed_by
            ticket.release_claim()
            ticket.transition(TicketStatus.PENDING)
        self.emit(TicketReleased(track=track_id, ticket=ticket_id, agent=holder, reason="released", by=self.by))
        return ticket

    def _check_holder(self, track: Track, ticket_id: str, agent: str | None) -> None:
        """An outside agent acts only on a ticket it holds now: a lapsed lease, taken since by another agent, is
        no longer its own (a person at the CLI or in the window may act on any ticket)."""
        if agent is None:
            return
        holder = track.ticket(ticket_id).claimed_by
        expires = track.ticket(ticket_id).claim_expires_at
        if holder != agent.strip() or (expires is not None and expires <= self.clock()):
            held = f"held by {holder}" if holder else "not claimed"
            raise ConductorError(f"ticket {ticket_id} is {held}; {agent} may act only on a ticket it has claimed "
                                 "(claim_next_ticket), before its lease lapses")

    @staticmethod
    def _expire(track: Track, now: datetime) -> list[tuple[str, str | None]]:
        holders = {t.id: t.claimed_by for t in track.tickets}
        return [(ticket_id, holders[ticket_id]) for ticket_id in track.expire_claims(now)]

    def complete(self, track_id: str, ticket_id: str, summary: str = "", agent: str | None = None) -> list[str]:
        """Mark a ticket done by hand or by the agent that claimed it (``agent``: only while it holds the claim; no
        model of ours involved); returns the dependents it unlocked."""
        summary = summary.strip() or f"marked done by hand ({self.by})"
        with self.editing(track_id) as track:
            self._check_holder(track, ticket_id, agent)
            ticket = track.ticket(ticket_id)
            holder = ticket.claimed_by
            if ticket.claimed_by and ticket.status == TicketStatus.IN_PROGRESS:
                ticket.release_claim()
            elif ticket.status in (TicketStatus.COMPLETED, TicketStatus.LOCKED, TicketStatus.IN_PROGRESS):
                raise ConductorError(f"ticket {ticket_id} is {ticket.status}; only a pending, paused or blocked "
                                     "ticket can be marked done")
            if ticket.status == TicketStatus.BLOCKED:
                if ticket.blocked_by:
                    raise ConductorError(f"ticket {ticket_id} waits on blocked {', '.join(ticket.blocked_by)}; "
                                         "finish or unblock that first")
                track.unblock(ticket_id)
                if track.ticket(ticket_id).status == TicketStatus.LOCKED:
                    raise ConductorError(f"ticket {ticket_id}'s dependencies are not completed")
            unlocked = track.mark_complete(ticket_id, summary)
        self.store.worker_state_path(track_id, ticket_id).unlink(missing_ok=True)
        pending = self.store.pending_path(track_id)
        if pending.is_file() and _pending_ticket(pending) == ticket_id:
            pending.unlink()  # the call this ticket was paused on will never run
        self.emit(TicketCompleted(track=track_id, ticket=ticket_id, summary=summary, unlocked=unlocked,
                                  by=holder or self.by))
        return unlocked

    def undo(self, track_id: str, ticket_id: str, force: bool = False, from_call: str | None = None) -> list[str]:
        """Put back every file the ticket changed, by any means (``from_call``: what that call and the later ones
        changed, i.e. restore to before that call); returns the paths restored."""
        self.store.load(track_id).ticket(ticket_id)
        with self.store.locked(track_id, wait_seconds=EDIT_WAIT_SECONDS):
            restored = self.store.undo_ticket(track_id, ticket_id, self.config.root, force=force,
                                              read_blob=self._read_blob(track_id), from_call=from_call)
        self.emit(TicketUndone(track=track_id, ticket=ticket_id, paths=restored, from_call=from_call, by=self.by))
        return restored

    def diff(self, track_id: str, ticket_id: str) -> str:
        """The ticket's whole change (every file it touched, by any means) as one unified diff."""
        self.store.load(track_id).ticket(ticket_id)
        return self.store.ticket_diff(track_id, ticket_id, self._read_blob(track_id))

    def changes_by_call(self, track_id: str, ticket_id: str) -> list[tuple[str, list[str]]]:
        """The ticket's calls that changed files, oldest first, with the files each changed."""
        calls: dict[str, list[str]] = {}
        for record in self.store.changes(track_id, ticket_id):
            calls.setdefault(record.call or "?", []).append(record.path)
        return [(call, sorted(set(paths))) for call, paths in calls.items()]

    def _read_blob(self, track_id: str) -> Callable[[str], bytes]:
        def read(blob: str) -> bytes:
            checkpoints = Checkpoints(self.config.root, self.store.checkpoint_dir(track_id), [])
            return checkpoints.blob(blob)

        return read


def _pending_ticket(path: Path) -> str | None:
    """The ticket a pending-call file belongs to (None when it cannot be read)."""
    try:
        value = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return value.get("ticket_id") if isinstance(value, dict) else None


def _unique_dependencies(dependencies: list[str]) -> list[str]:
    """The ids as given, or ConductorError when one is named twice (a typo the person should see)."""
    named = [d for d in dependencies if d]
    twice = sorted({d for d in named if named.count(d) > 1})
    if twice:
        raise ConductorError(f"dependencies name {', '.join(twice)} more than once")
    return named
