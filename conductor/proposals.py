"""A proposed track, as the planner's `propose_track` call makes it and a person edits it before accepting."""

from __future__ import annotations

import json
import tomllib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from conductor.errors import ConductorError
from conductor.models import Ticket, Track
from conductor.text import validation_problems


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

    def ticket(self) -> Ticket:
        return Ticket(id=self.id, title=self.title.strip(), target_file=self.target_file.strip().removeprefix("./"),
                      prompt=self.prompt, worker_archetype=self.archetype or "default", dependencies=self.depends_on)

    @classmethod
    def of(cls, ticket: Ticket) -> ProposedTicket:
        """A ticket of a track as a proposal shows it (for a revision's diff)."""
        return cls(id=ticket.id, title=ticket.title, target_file=ticket.target_file, prompt=ticket.prompt,
                   depends_on=ticket.dependencies,
                   archetype=None if ticket.worker_archetype == "default" else ticket.worker_archetype)


class Proposal(BaseModel):
    """The arguments of `propose_track`: a track and its tickets."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(description="The track's title.")
    description: str = Field(default="", description="What the track achieves, in a sentence or two.")
    tickets: list[ProposedTicket] = Field(description="The tickets, in a sensible order.")

    def track(self, track_id: str) -> Track:
        """The track a valid proposal makes (statuses derived from the dependencies); raises ValueError."""
        return Track(id=track_id, title=self.title.strip(), description=self.description,
                     tickets=[t.ticket() for t in self.tickets])

    def table(self, problems: list[str] | None = None) -> str:
        """The proposal as a person reads it at the terminal."""
        lines = [f"{self.title}", *([self.description] if self.description else []), ""]
        width = max([len(t.id) for t in self.tickets] + [2])
        for ticket in self.tickets:
            after = f"  after {', '.join(ticket.depends_on)}" if ticket.depends_on else ""
            new = " (new)" if ticket.new_file else ""
            kind = f" [{ticket.archetype}]" if ticket.archetype else ""
            lines.append(f"  {ticket.id:<{width}}  {ticket.title}  -> {ticket.target_file}{new}{kind}{after}")
            lines.extend(f"  {'':<{width}}    {line}" for line in ticket.prompt.strip().splitlines())
        if problems:
            lines += ["", "problems:", *(f"  - {p}" for p in problems)]
        return "\n".join(lines) + "\n"


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
        raise ConductorError(f"the edited proposal is not valid: {validation_problems(error, label='proposal')}") \
            from None
