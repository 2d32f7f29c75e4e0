"""`conductor run TRACK --dry-run`: what a run would do and what its first calls would cost, with nothing sent and
nothing on disk changed (the track is read without its lock; briefs are built as the engine builds them)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from conductor.accounting import cost_of, find_price, with_overrides
from conductor.config import ProjectConfig
from conductor.context import build_brief
from conductor.engine import run_order, ticket_tier
from conductor.guards import PathGuard
from conductor.messages import Message, Usage, request_tokens
from conductor.models import Track
from conductor.store import TrackStore
from conductor.tools import TOOLS, specs_of
from file_cache import FileCache


@dataclass(frozen=True)
class TicketPreview:
    id: str
    title: str
    target: str
    archetype: str
    trust: str
    """step (writes and commands wait for you) or auto."""
    provider: str | None
    model: str | None
    first_request_tokens: int
    """The first request's size: system prompt, brief and tool definitions (the offline estimate)."""
    first_call_cost_usd: float | None
    """Its input cost from the price table (None: the model has no price)."""
    resumes: bool
    """A saved worker resumes (its next request is longer than the first)."""


@dataclass(frozen=True)
class DryRun:
    track: str
    ready: list[TicketPreview]
    """The tickets the run would take now, in the order it takes them."""
    after: list[str]
    """The tickets that unlock once those are done, in the order they would become ready."""

    def text(self) -> str:
        lines = [f"dry run of track {self.track}: nothing is sent, nothing changes"]
        if not self.ready:
            lines.append("no ticket would run now")
        for ticket in self.ready:
            cost = f"${ticket.first_call_cost_usd:.4f}" if ticket.first_call_cost_usd is not None else "unknown"
            lines.append(f"  {ticket.id} {ticket.title}  ->  {ticket.target}  [{ticket.archetype}, {ticket.trust}]"
                         f"{'  (resumes a saved worker)' if ticket.resumes else ''}")
            where = f"{ticket.provider or 'no provider'}/{ticket.model or '-'}"
            lines.append(f"      first request {ticket.first_request_tokens} tokens to {where}, input cost {cost}")
        if self.after:
            lines.append(f"then, as those complete: {', '.join(self.after)}")
        return "\n".join(lines)

    def json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def dry_run(config: ProjectConfig, store: TrackStore, track_id: str) -> DryRun:
    track = store.load(track_id)
    guard = PathGuard.for_project(config)
    cache = FileCache(config.root)
    prices = with_overrides(config.prices)
    specs = specs_of(TOOLS)
    saved = store.saved_workers(track)
    ready = run_order(track, saved)
    previews = []
    for ticket in ready:
        brief = build_brief(ticket, track, config, cache, guard)
        tier = ticket_tier(config, ticket)
        tokens = request_tokens(brief.system, [Message(role="user", text=brief.first_message)], specs)
        price = find_price(tier.model, prices) if tier.model else None
        archetype = config.archetype(ticket.worker_archetype)
        previews.append(TicketPreview(
            id=ticket.id, title=ticket.title, target=ticket.target_file, archetype=ticket.worker_archetype,
            trust=archetype.trust, provider=tier.provider, model=tier.model, first_request_tokens=tokens,
            first_call_cost_usd=cost_of(Usage(input_tokens=tokens), price),
            resumes=ticket.id in saved))
    return DryRun(track=track.id, ready=previews, after=_unlocked_after(track, [t.id for t in ready]))


def _unlocked_after(track: Track, done: list[str]) -> list[str]:
    """On a copy of the track: complete ``done``, then whatever becomes ready, until nothing more unlocks."""
    copy = Track.model_validate(track.model_dump())  # rebuilt, so its indexes are its own
    unlocked: list[str] = []
    for ticket_id in done:
        copy.mark_complete(ticket_id, "dry run")
    while True:
        ready = [t.id for t in copy.get_executable_tickets()]
        if not ready:
            return unlocked
        for ticket_id in ready:
            unlocked.append(ticket_id)
            copy.mark_complete(ticket_id, "dry run")
