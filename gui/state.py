"""What the panels show, as plain Python (no dearpygui): built from engine events, asserted on by tests.

Every change bumps the revision of the panels it touches, so views rebuild only what changed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conductor.engine import EngineEvent
from conductor.gate import PendingCall
from conductor.models import Track

PANELS = ("tracks", "tickets", "detail", "approval", "files", "view", "hints", "usage", "settings", "status")
STATUS_COLORS: dict[str, tuple[int, int, int]] = {
    "locked": (140, 140, 140),
    "pending": (90, 150, 255),
    "in_progress": (235, 180, 30),
    "step_paused": (250, 120, 40),
    "completed": (70, 190, 100),
    "blocked": (230, 70, 70),
}
MAX_STREAM_ENTRIES = 2000


@dataclass(frozen=True)
class TicketRow:
    id: str
    title: str
    status: str
    target: str
    dependencies: tuple[str, ...]
    depth: int
    """Longest chain of dependencies above the ticket (indentation of the tree)."""

    @property
    def color(self) -> tuple[int, int, int]:
        return STATUS_COLORS.get(self.status, (255, 255, 255))

    @property
    def label(self) -> str:
        after = f"  <- {', '.join(self.dependencies)}" if self.dependencies else ""
        return f"{'  ' * self.depth}{self.id} [{self.status}] {self.title}{after}"


@dataclass(frozen=True)
class StreamEntry:
    kind: str
    """assistant, tool_call, tool_result, shell, decision, info."""
    text: str
    is_error: bool = False


@dataclass(frozen=True)
class HintEntry:
    ticket_id: str | None
    command: str
    exit_code: int
    hint: str
    source: str
    output_id: str | None
    report: str


@dataclass
class ApprovalState:
    pending: PendingCall | None = None
    text: str = ""
    """The arguments as editable JSON."""
    error: str | None = None
    """Why the edited JSON cannot be used (shown inline)."""
    diff: str | None = None
    """Unified diff of the call as currently edited."""
    edited: bool = False


@dataclass
class FileViewState:
    files: list[str] = field(default_factory=list)
    selected: str | None = None
    kind: str = "skeleton"
    text: str = ""
    tokens: dict[str, int] = field(default_factory=dict)
    """Token estimate of each view of the selected file."""
    error: str | None = None
    stale: bool = False
    """The selected file changed on disk: its views must be rebuilt."""
    stale_tree: bool = False
    """A file was created: the tree must be listed again."""


class ViewState:
    def __init__(self, project_root: Path) -> None:
        self.project_root = project_root
        self.tracks: list[dict[str, Any]] = []
        self.track: Track | None = None
        self.selected_ticket: str | None = None
        self.streams: dict[str, list[StreamEntry]] = defaultdict(list)
        self.approval = ApprovalState()
        self.hints: list[HintEntry] = []
        self.usage: dict[str, Any] = {}
        self.engine = "idle"
        """idle, running, waiting (a call awaits you), stopping, finished."""
        self.mode = "step"
        self.message = ""
        self.files = FileViewState()
        self.revision: dict[str, int] = dict.fromkeys(PANELS, 0)

    def touch(self, *panels: str) -> None:
        for panel in panels:
            self.revision[panel] += 1

    def notify(self, message: str) -> None:
        self.message = message
        self.touch("status")

    # -- derived views -------------------------------------------------------------------------------
    def ticket_rows(self) -> list[TicketRow]:
        if self.track is None:
            return []
        order = self.track.topological_order()
        depth: dict[str, int] = {}
        for ticket_id in order:
            ticket = self.track.ticket(ticket_id)
            depth[ticket_id] = 1 + max((depth[d] for d in ticket.dependencies), default=-1)
        return [TicketRow(t.id, t.title, str(t.status), t.target_file, tuple(t.dependencies), depth[t.id])
                for t in (self.track.ticket(i) for i in order)]

    def selected(self):
        if self.track is None or self.selected_ticket is None:
            return None
        try:
            return self.track.ticket(self.selected_ticket)
        except KeyError:
            return None

    # -- engine events -------------------------------------------------------------------------------
    def apply(self, event: EngineEvent) -> None:
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler is not None:
            handler(event)

    def _stream(self, ticket_id: str | None, entry: StreamEntry) -> None:
        if ticket_id is None:
            return
        entries = self.streams[ticket_id]
        entries.append(entry)
        if len(entries) > MAX_STREAM_ENTRIES:
            del entries[: len(entries) - MAX_STREAM_ENTRIES]
        self.touch("detail")

    def _set_track(self, data: dict[str, Any]) -> None:
        self.track = Track.model_validate(data)
        self.touch("tickets", "detail")

    def _on_run_started(self, event: EngineEvent) -> None:
        self._set_track(event.data["track"])
        self.engine = "running"
        self.notify("running")

    def _on_track_saved(self, event: EngineEvent) -> None:
        self._set_track(event.data["track"])

    def _on_ticket_started(self, event: EngineEvent) -> None:
        self.selected_ticket = event.ticket_id
        resumed = " (resumed)" if event.data.get("resumed") else ""
        self._stream(event.ticket_id, StreamEntry("info", f"worker started{resumed}"))

    def _on_assistant_turn(self, event: EngineEvent) -> None:
        if event.data["text"].strip():
            self._stream(event.ticket_id, StreamEntry("assistant", event.data["text"].strip()))
        for call in event.data["tool_calls"]:
            self._stream(event.ticket_id, StreamEntry("tool_call", f"{call['name']} {_short_json(call['arguments'])}"))

    def _on_tool_result(self, event: EngineEvent) -> None:
        if event.data["tool"] == "run_shell":
            return  # shown by the shell event
        text = event.data["content"]
        self._stream(event.ticket_id, StreamEntry("tool_result", _clip(text, 2000), event.data["is_error"]))

    def _on_shell(self, event: EngineEvent) -> None:
        data = event.data
        self._stream(event.ticket_id, StreamEntry("shell", data["report"], data["exit_code"] != 0))
        if data.get("hint"):
            self.hints.append(HintEntry(event.ticket_id, data["command"], data["exit_code"], data["hint"],
                                        data["hint_source"], data.get("output_id"), data["report"]))
            self.touch("hints")

    def _on_approval_needed(self, event: EngineEvent) -> None:
        pending = PendingCall.model_validate(event.data["pending"])
        self.approval = ApprovalState(pending=pending, text=pending.arguments_json(), diff=pending.diff,
                                      error=pending.preview_error)
        self.engine = "waiting"
        self.touch("approval")
        self.notify(f"{pending.call.name} awaits your decision")

    def _on_edit_refused(self, event: EngineEvent) -> None:
        self.approval.error = event.data["error"]
        self.touch("approval")

    def _on_decision(self, event: EngineEvent) -> None:
        self._stream(event.ticket_id, StreamEntry("decision", f"{event.data['action']}"
                                                  + (f": {event.data['reason']}" if event.data.get("reason") else "")))
        self.approval = ApprovalState()
        self.engine = "running"
        self.touch("approval")

    def _on_file_changed(self, event: EngineEvent) -> None:
        if event.data["path"] == self.files.selected:
            self.files.stale = True
        if event.data["path"] not in self.files.files:
            self.files.stale_tree = True

    def _on_ticket_completed(self, event: EngineEvent) -> None:
        self._stream(event.ticket_id, StreamEntry("info", f"completed: {event.data['summary']}"))

    def _on_ticket_blocked(self, event: EngineEvent) -> None:
        self._stream(event.ticket_id, StreamEntry("info", f"blocked: {event.data['reason']}", True))

    def _on_usage(self, event: EngineEvent) -> None:
        self.usage = event.data["usage"]
        self.touch("usage")

    def _on_run_paused(self, event: EngineEvent) -> None:
        self.engine = "idle"
        self.notify(f"paused: {event.data['reason']}")

    def _on_run_finished(self, event: EngineEvent) -> None:
        self.engine = "finished"
        self.approval = ApprovalState()
        self.touch("approval")
        status = event.data["track_status"]
        self.notify(f"run finished: track {status}" + (" (stopped)" if event.data.get("stopped") else ""))


def _short_json(arguments: dict[str, Any]) -> str:
    shown = {k: (_clip(v, 60) if isinstance(v, str) else v) for k, v in arguments.items()}
    return str(shown)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
