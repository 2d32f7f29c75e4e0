"""`conductor mcp`: Conductor's views and tickets for other agents, over MCP (the official `mcp` SDK, stdio).

The view tools run through the worker's own `ProjectTools` and `PathGuard` (one implementation of confinement
and the secret rules); the track tools through the `TicketService`, under the track's lock, so a claim is atomic
across processes. A refused path, an unknown id or a bad argument comes back as a tool error (`is_error`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError

from conductor.config import ProjectConfig, load_project_config
from conductor.context import build_brief
from conductor.errors import ConductorError
from conductor.logs import log_to_file
from conductor.messages import ToolCall
from conductor.project_trust import notice
from conductor.store import TrackStore
from conductor.tickets import TicketService
from conductor.tools import ProjectTools
from file_cache import FileCache, ViewError
from file_cache.cache import render_outline
from file_cache.repomap import repository_map

INSTRUCTIONS = """\
Conductor serves cheap views of this repository and a ticket graph. Read code with get_skeleton (signatures only,
a fraction of the raw tokens), get_outline, get_curated_view and get_definition before reading whole files;
repo_map ranks the files the project depends on most. To work on tickets: claim_next_ticket(track_id, agent)
gives you a ticket and its brief; do the work; then complete_ticket with a summary, block_ticket with a reason,
or release_ticket to hand it back. A claim lapses after its lease, so finish or release it."""


class ConductorMcp:
    """The project behind the server; every method returns JSON text or raises ToolError."""

    def __init__(self, project: Path) -> None:
        self.config: ProjectConfig = load_project_config(project)
        if self.config.ignored:  # stdout carries the protocol; the client shows stderr to its user
            print(f"conductor mcp: {notice(self.config.root, self.config.ignored)}", file=sys.stderr)
        self.store = TrackStore(self.config.tracks_path)
        log_to_file(self.config.tracks_path)  # stdout carries the protocol: the log goes to a file
        self.cache = FileCache(self.config.root)
        self.tickets = TicketService(self.config, self.store, by="mcp")
        self.guard = self.tickets.guard
        self.tools = ProjectTools(cache=self.cache, guard=self.guard, max_file_bytes=self.config.guard.max_file_bytes)

    # -- views -----------------------------------------------------------------------------------------------
    def view(self, tool: str, **arguments: Any) -> str:
        outcome = self.tools.run(ToolCall(id="mcp", name=tool, arguments=arguments))
        if outcome.error is not None:
            raise ToolError(str(outcome.error))
        return outcome.content

    def outline(self, path: str) -> str:
        try:
            resolved = self.guard.readable(path)
            return render_outline(self.cache.outline(resolved)) or "(no classes or functions)"
        except (ConductorError, ViewError, OSError) as error:
            raise ToolError(str(error)) from None

    def repo_map(self, budget_tokens: int, focus: str) -> str:
        if budget_tokens < 1:
            raise ToolError(f"budget_tokens must be at least 1, not {budget_tokens}")
        return repository_map(self.cache, budget_tokens, focus, include=self.guard.allows).text

    # -- tracks ----------------------------------------------------------------------------------------------
    def list_tracks(self) -> str:
        return json.dumps([{"id": row.id, "error": row.error} if row.error else
                           {"id": row.id, "title": row.title, "status": row.status, "tickets": row.tickets,
                            "completed": row.completed} for row in self.store.summaries()])

    def show_track(self, track_id: str) -> str:
        return self._guarded(lambda: self.store.load(track_id).model_dump_json())

    def claim_next_ticket(self, track_id: str, agent: str) -> str:
        def claim() -> str:
            ticket = self.tickets.claim_next(track_id, agent, self.config.mcp.lease_seconds)
            if ticket is None:
                return json.dumps({"ticket": None})
            track = self.store.load(track_id)
            brief = build_brief(track.ticket(ticket.id), track, self.config, self.cache, self.guard)
            return json.dumps({"ticket": json.loads(ticket.model_dump_json()), "brief": brief.first_message})

        return self._guarded(claim)

    def complete_ticket(self, track_id: str, ticket_id: str, summary: str, agent: str) -> str:
        return self._guarded(lambda: json.dumps(
            {"completed": ticket_id, "unlocked": self.tickets.complete(track_id, ticket_id, summary, agent=agent)}))

    def block_ticket(self, track_id: str, ticket_id: str, reason: str, agent: str) -> str:
        return self._guarded(lambda: json.dumps(
            {"blocked": ticket_id, "cascaded": self.tickets.block(track_id, ticket_id, reason, agent=agent)}))

    def release_ticket(self, track_id: str, ticket_id: str, agent: str) -> str:
        return self._guarded(lambda: json.dumps(
            {"released": ticket_id, "status": self.tickets.release(track_id, ticket_id, agent=agent).status}))

    @staticmethod
    def _guarded(action: Any) -> str:
        try:
            result: str = action()
            return result
        except (ConductorError, ViewError, OSError, ValueError) as error:
            raise ToolError(str(error)) from None


def build_server(project: Path) -> MCPServer:
    conductor = ConductorMcp(project)
    server = MCPServer("conductor", instructions=INSTRUCTIONS)

    @server.tool()
    def get_skeleton(path: str) -> str:
        """Signatures of every class and function of a Python file (and class fields), bodies hidden."""
        return conductor.view("get_skeleton", path=path)

    @server.tool()
    def get_curated_view(path: str) -> str:
        """A Python file's structure with docstrings and comments; bodies hidden unless marked."""
        return conductor.view("get_curated_view", path=path)

    @server.tool()
    def get_outline(path: str) -> str:
        """Every definition of a Python file with its kind, qualified name and line range."""
        return conductor.outline(path)

    @server.tool()
    def get_definition(path: str, symbol: str) -> str:
        """The full source of one class or function (`Class.method` for a method)."""
        return conductor.view("get_definition", path=path, symbol=symbol)

    @server.tool()
    def list_directory(path: str = "") -> str:
        """Files and folders under a folder of the project (paths only)."""
        return conductor.view("list_directory", path=path or ".")

    @server.tool()
    def search_files(pattern: str, path: str = "") -> str:
        """Search the project's files for a regular expression; `path:line: text` matches."""
        return conductor.view("search_files", pattern=pattern, path=path or ".")

    @server.tool()
    def repo_map(budget_tokens: int = 8000, focus: str = "") -> str:
        """The repository's files ranked by how much of the project depends on them, as signatures, within a
        token budget; `focus` words rank matching files first."""
        return conductor.repo_map(budget_tokens, focus)

    @server.tool()
    def list_tracks() -> str:
        """Every track with its status and ticket counts (JSON)."""
        return conductor.list_tracks()

    @server.tool()
    def show_track(track_id: str) -> str:
        """One track and its tickets (JSON)."""
        return conductor.show_track(track_id)

    @server.tool()
    def claim_next_ticket(track_id: str, agent: str) -> str:
        """Take the next ready ticket for `agent` (JSON `{"ticket": ..., "brief": ...}`, or `{"ticket": null}`)."""
        return conductor.claim_next_ticket(track_id, agent)

    @server.tool()
    def complete_ticket(track_id: str, ticket_id: str, summary: str, agent: str) -> str:
        """Mark the ticket `agent` claimed done with a summary of the change; its dependents unlock. Refused for a
        ticket another agent holds (a lapsed lease is no longer yours)."""
        return conductor.complete_ticket(track_id, ticket_id, summary, agent)

    @server.tool()
    def block_ticket(track_id: str, ticket_id: str, reason: str, agent: str) -> str:
        """Give up on the ticket `agent` claimed, with the reason; its dependents are blocked too."""
        return conductor.block_ticket(track_id, ticket_id, reason, agent)

    @server.tool()
    def release_ticket(track_id: str, ticket_id: str, agent: str) -> str:
        """Hand the ticket `agent` claimed back (pending again) without completing it."""
        return conductor.release_ticket(track_id, ticket_id, agent)

    @server.resource("conductor://tracks/{track_id}", mime_type="application/json")
    def track_resource(track_id: str) -> str:
        """A track and its tickets, as JSON."""
        try:
            return conductor.store.load(track_id).model_dump_json()
        except ConductorError as error:
            raise ResourceError(str(error)) from None

    @server.resource("conductor://skeleton/{+path}", mime_type="text/x-python")
    def skeleton_resource(path: str) -> str:
        """A Python file's skeleton."""
        try:
            return conductor.view("get_skeleton", path=path)
        except ToolError as error:
            raise ResourceError(str(error)) from None

    return server
