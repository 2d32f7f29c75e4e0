"""What the panels show, as plain Python (no dearpygui): built from engine events, asserted on by tests.

Every change bumps the revision of the panels it touches, so views rebuild only what changed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conductor.accounting import UsageReport
from conductor.diffs import Hunk
from conductor.events import (
    ApprovalRequested,
    DecisionMade,
    EditRefused,
    Event,
    FileChanged,
    FilesChangedByCommand,
    ModelCalled,
    RunFinished,
    RunPaused,
    RunStarted,
    ShellRan,
    TicketBlocked,
    TicketCompleted,
    TicketStarted,
    ToolFinished,
    TrackSaved,
    UsageUpdated,
    usage_of,
)
from conductor.failures import Cause, Failure, group_causes
from conductor.gate import PendingCall
from conductor.models import Ticket, Track
from conductor.text import clip
from file_cache import Symbol
from file_cache.cache import ViewKind
from file_cache.highlight import Segment

PANELS = ("tracks", "tickets", "detail", "approval", "files", "view", "hints", "usage", "settings", "status",
          "changes", "plan", "trust")
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
class TrackRow:
    id: str
    title: str
    status: str
    done: int
    total: int

    @property
    def label(self) -> str:
        return f"{self.title}  ({self.done}/{self.total} done, {self.status})  [{self.id}]"


@dataclass(frozen=True)
class TicketRow:
    id: str
    title: str
    status: str
    target: str
    dependencies: tuple[str, ...]
    depth: int
    """Longest chain of dependencies above the ticket (indentation of the tree)."""
    claim: str = ""
    """`claimed by NAME until HH:MM` when an outside agent holds the ticket."""

    @property
    def color(self) -> tuple[int, int, int]:
        return STATUS_COLORS.get(self.status, (255, 255, 255))

    @property
    def label(self) -> str:
        after = f"  <- {', '.join(self.dependencies)}" if self.dependencies else ""
        claim = f"  ({self.claim})" if self.claim else ""
        return f"{'  ' * min(self.depth, 6)}{self.id} [{self.status}] {self.title}{after}{claim}"


@dataclass(frozen=True)
class StreamEntry:
    kind: str
    """assistant, tool_call, tool_result, shell, changes, decision, info."""
    text: str
    is_error: bool = False
    diff: str = ""
    """For `changes`: the command's diff, shown folded under the entry."""


@dataclass(frozen=True)
class HintEntry:
    ticket_id: str | None
    command: str
    exit_code: int
    hint: str
    source: str
    output_id: str | None
    report: str
    failures: tuple[Failure, ...] = ()
    """One record per failure, each with its place (clickable in the panel)."""

    @property
    def causes(self) -> list[Cause]:
        """The failures grouped by cause, causes before symptoms (what the panel lists)."""
        return group_causes(list(self.failures))


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
    note: str = ""
    """The developer's note to the worker, sent with the decision."""
    why: str = ""
    """Why the call waits for a decision, in words."""
    path: str | None = None
    """The file a write or an edit changes."""
    before: str | None = None
    """The file's text before the call (None: a new file, or not a file write)."""
    after: str | None = None
    """The file's text after the call as currently edited (None: not a file write, or it would fail)."""
    hunks: list[Hunk] = field(default_factory=list)
    dropped: set[int] = field(default_factory=set)
    """Indexes of the hunks the developer dropped: approving makes only the others."""
    rule: str | None = None
    """The allow-rule a shell command implies (None: no rule can admit it)."""
    rule_text: str = ""
    """What that rule will admit, in words."""
    rule_offered: bool = False
    """Always allow was clicked: the rule is shown, waiting to be confirmed."""

    def wrapped_arguments(self, limit: int = 2000) -> str:
        """The arguments as the box holds them, one `name: value` per line, for a wrapped read-out under the box
        (a multi-line input cannot wrap); empty when the box does not hold a JSON object."""
        try:
            arguments = json.loads(self.text)
        except (ValueError, RecursionError):
            return ""
        if not isinstance(arguments, dict):
            return ""
        return "\n".join(f"{name}: {clip(value if isinstance(value, str) else json.dumps(value), limit)}"
                         for name, value in arguments.items())


@dataclass
class ChangesState:
    """The selected ticket's whole change (every file it touched, by any means) and the calls that made it."""

    ticket_id: str | None = None
    diff: str = ""
    calls: list[tuple[str, list[str]]] = field(default_factory=list)
    """(call id, files it changed), oldest first: each can be undone with the later ones."""
    error: str | None = None


@dataclass
class FileViewState:
    files: list[str] = field(default_factory=list)
    selected: str | None = None
    kind: ViewKind = "skeleton"
    text: str = ""
    tokens: dict[str, int] = field(default_factory=dict)
    """Token estimate of each view of the selected file."""
    error: str | None = None
    stale: bool = False
    """The selected file changed on disk: its views must be rebuilt."""
    stale_tree: bool = False
    """A file was created: the tree must be listed again."""
    line: int | None = None
    """A line to show and mark in the raw view (a failure's place, a definition of the outline)."""
    filter: str = ""
    expanded: set[str] = field(default_factory=set)
    """Folders open in the tree."""
    lines: list[list[Segment]] = field(default_factory=list)
    """The view's lines as coloured segments."""
    numbers: list[int | None] = field(default_factory=list)
    """Each view line's number in the file (None: a line the view made up)."""
    outline: list[Symbol] = field(default_factory=list)
    search: str = ""
    matches: list[int] = field(default_factory=list)
    """Rows of the view holding the search text."""
    match: int = 0
    """The match shown (an index into `matches`)."""

    def tree(self) -> list[TreeNode]:
        """The files as folders and files, filtered (a filter opens every folder it keeps)."""
        needle = self.filter.lower()
        return file_tree([p for p in self.files if needle in p.lower()])

    def focus_row(self) -> int | None:
        """The view row to scroll to: the current search match, else the marked line."""
        if self.matches:
            return self.matches[self.match]
        if self.line is not None and self.line in self.numbers:
            return self.numbers.index(self.line)
        return None


@dataclass(frozen=True)
class TreeNode:
    name: str
    """What the tree shows: a file's name, or a folder's (chains of single folders joined: `.github/workflows`)."""
    path: str
    children: tuple[TreeNode, ...] = ()
    is_folder: bool = False


Nested = dict[str, "Nested"]
"""Folder name -> what it holds (a file holds nothing)."""


def file_tree(paths: list[str]) -> list[TreeNode]:
    """Nested folders (first) and files, each level sorted by name."""
    nested: Nested = {}
    for path in paths:
        level = nested
        for part in path.split("/"):
            level = level.setdefault(part, {})

    def build(level: Nested, prefix: str) -> list[TreeNode]:
        folders, files = [], []
        for name, children in sorted(level.items()):
            path = f"{prefix}{name}"
            if not children:
                files.append(TreeNode(name, path))
                continue
            while len(children) == 1 and next(iter(children.values())):  # a folder holding one folder
                only = next(iter(children))
                name, path, children = f"{name}/{only}", f"{path}/{only}", children[only]
            folders.append(TreeNode(name, path, tuple(build(children, f"{path}/")), is_folder=True))
        return folders + files

    return build(nested, "")


def elide_middle(text: str, limit: int) -> str:
    """``text`` cut in the middle with `…` to at most ``limit`` characters (both ends stay readable)."""
    if len(text) <= limit or limit < 5:
        return text
    head = (limit - 1) // 2
    return f"{text[:head]}…{text[len(text) - (limit - 1 - head):]}"


class ViewState:
    def __init__(self, project_root: Path) -> None:
        self.project_root = project_root
        self.tracks: list[TrackRow] = []
        self.track: Track | None = None
        self.selected_ticket: str | None = None
        self.streams: dict[str, list[StreamEntry]] = defaultdict(list)
        self.approval = ApprovalState()
        self.hints: list[HintEntry] = []
        self.hints_generation = 0
        """Bumped when the hints are replaced (another track), not appended to: the panel is rebuilt."""
        self.usage = UsageReport()
        """The whole track's usage: its ledger as read when the track was selected, plus the run so far."""
        self.usage_before_run = UsageReport()
        self.engine = "idle"
        """idle, running, waiting (a call awaits you), stopping, finished."""
        self.mode = "step"
        self.message = ""
        self.alert = False
        """The status line reports a stop, a block, a rejection or an error (shown in red)."""
        self.stop_reason = ""
        """Why the run last paused or stopped (kept for the closing status line)."""
        self.files = FileViewState()
        self.changes = ChangesState()
        self.plan = PlanState()
        self.untrusted: list[str] = []
        """What project.toml asks for that stays ignored until the user trusts it (the trust dialog shows it)."""
        self.revision: dict[str, int] = dict.fromkeys(PANELS, 0)

    def touch(self, *panels: str) -> None:
        for panel in panels:
            self.revision[panel] += 1

    def notify(self, message: str, alert: bool = False) -> None:
        self.message = message
        self.alert = alert or message.startswith(("error", "cannot", "not "))
        self.touch("status")

    def load_history(self, events: list[Event]) -> None:
        """What the track's ledger says happened before this window: usage, hints and why tickets ended."""
        self.usage = self.usage_before_run = usage_of(events)
        self.hints = []
        self.hints_generation += 1
        self.streams.clear()
        for event in events:
            match event:
                case ShellRan():
                    self._on_shell(event)
                case TicketBlocked(reason=reason):
                    self._stream(event.ticket, StreamEntry("info", f"blocked: {reason}", True))
                case TicketCompleted(summary=summary):
                    self._stream(event.ticket, StreamEntry("info", f"completed: {summary}"))
                case RunPaused(reason=reason):
                    self._stream(event.ticket, StreamEntry("info", f"stopped: {reason}", True))
        self.touch("hints", "usage", "detail")

    # -- derived views -------------------------------------------------------------------------------
    def ticket_rows(self) -> list[TicketRow]:
        if self.track is None:
            return []
        order = self.track.topological_order()
        depth: dict[str, int] = {}
        for ticket_id in order:
            ticket = self.track.ticket(ticket_id)
            depth[ticket_id] = 1 + max((depth[d] for d in ticket.dependencies), default=-1)
        return [TicketRow(t.id, t.title, str(t.status), t.target_file, tuple(t.dependencies), depth[t.id],
                          _claim_text(t))
                for t in (self.track.ticket(i) for i in order)]

    def track_changed(self, shown: str | None) -> bool:
        """True when the selected track is not the one a panel shows (another track's T1 is another ticket)."""
        return (self.track.id if self.track else None) != shown

    def selected(self) -> Ticket | None:
        if self.track is None or self.selected_ticket is None:
            return None
        try:
            return self.track.ticket(self.selected_ticket)
        except KeyError:
            return None

    # -- engine events -------------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        """Fold one engine event into what the panels show (events a panel does not show are ignored)."""
        ticket = event.ticket
        match event:
            case RunStarted(snapshot=snapshot):
                self._set_track(snapshot)
                self.engine, self.stop_reason = "running", ""
                self.usage_before_run = self.usage
                self.notify("running")
            case TrackSaved(snapshot=snapshot):
                self._set_track(snapshot)
            case TicketStarted(resumed=resumed):
                self.selected_ticket = ticket
                self._stream(ticket, StreamEntry("info", "worker started" + (" (resumed)" if resumed else "")))
            case ModelCalled(tier="tier3", text=text, tool_calls=calls):
                if text.strip():
                    self._stream(ticket, StreamEntry("assistant", text.strip()))
                for call in calls:
                    self._stream(ticket, StreamEntry("tool_call", describe_call(call.name, call.arguments)))
            case ToolFinished(tool=tool, content=content, is_error=is_error) if tool != "run_shell":
                self._stream(ticket, StreamEntry("tool_result", clip(content, 2000), is_error))
            case ShellRan():
                self._on_shell(event)
            case ApprovalRequested(pending=PendingCall() as pending):
                self.approval = ApprovalState(pending=pending, text=pending.arguments_json(), diff=pending.diff,
                                              error=pending.preview_error)
                self.engine = "waiting"
                self.touch("approval")
                self.notify(f"{pending.call.name} awaits your decision")
            case EditRefused(error=error):
                self.approval.error = error
                self.touch("approval")
            case DecisionMade(by="rule"):
                pass
            case DecisionMade(action=action, reason=reason, note=note, tool=tool):
                label = "approve (edited)" if action == "edit" else action
                words = label + (f": {reason}" if reason else "") + (f" (note: {note})" if note else "")
                self._stream(ticket, StreamEntry("decision", words, action == "reject"))
                if action == "reject":
                    self.notify(f"{ticket}: {tool} rejected: {reason}", alert=True)
                self.approval = ApprovalState()
                self.engine = "running"
                self.touch("approval")
            case FilesChangedByCommand(files=files, diff=diff):
                listed = ", ".join(f"{path} ({status})" for path, status in files.items())
                self._stream(ticket, StreamEntry("changes", f"files changed by the command: {listed}", diff=diff))
            case FileChanged(path=path):
                if path == self.files.selected:
                    self.files.stale = True
                if path not in self.files.files:
                    self.files.stale_tree = True
            case TicketCompleted(summary=summary):
                self._stream(ticket, StreamEntry("info", f"completed: {summary}"))
            case TicketBlocked(reason=reason):
                self._stream(ticket, StreamEntry("info", f"blocked: {reason}", True))
                self.notify(f"{ticket} blocked: {reason}", alert=True)
            case UsageUpdated(usage=usage):
                self.usage = self.usage_before_run + usage
                self.touch("usage")
            case RunPaused(reason=reason):
                self.engine, self.stop_reason = "idle", reason
                self._stream(ticket, StreamEntry("info", f"stopped: {reason}", True))
                self.notify(f"stopped: {reason}", alert=True)
            case RunFinished(track_status=status, stopped=stopped, blocked=blocked):
                self.engine = "finished"
                self.approval = ApprovalState()
                self.touch("approval")
                if stopped:
                    self.notify(f"run stopped: {self.stop_reason or 'asked to stop'}", alert=True)
                elif blocked:
                    self.notify(f"run finished: track {status}; blocked: {', '.join(blocked)}", alert=True)
                else:
                    self.notify(f"run finished: track {status}")

    def _stream(self, ticket_id: str | None, entry: StreamEntry) -> None:
        if ticket_id is None:
            return
        entries = self.streams[ticket_id]
        entries.append(entry)
        if len(entries) > MAX_STREAM_ENTRIES:
            del entries[: len(entries) - MAX_STREAM_ENTRIES]
        self.touch("detail")

    def _set_track(self, data: dict[str, Any]) -> None:
        self.track = track = Track.model_validate(data)
        self.touch("tickets", "detail")
        row = TrackRow(track.id, track.title, str(track.status), track.counts()["completed"], len(track.tickets))
        rows = [row if r.id == track.id else r for r in self.tracks]
        if rows != self.tracks:  # the combo's "(1/2 done, active)" follows the tickets
            self.tracks = rows
            self.touch("tracks")

    def _on_shell(self, event: ShellRan) -> None:
        self._stream(event.ticket, StreamEntry("shell", event.report, event.exit_code != 0))
        if event.hint:
            self.hints.append(HintEntry(event.ticket, event.command, event.exit_code, event.hint,
                                        event.hint_source or "", event.output, event.report, tuple(event.failures)))
            self.touch("hints")


def _claim_text(ticket: Ticket) -> str:
    if not ticket.claimed_by:
        return ""
    until = ticket.claim_expires_at.astimezone().strftime("%H:%M") if ticket.claim_expires_at else "?"
    return f"claimed by {ticket.claimed_by} until {until}"


def describe_call(name: str, arguments: dict[str, Any]) -> str:
    """A tool call in a line a person reads: what it does to what, never escaped JSON."""
    path = arguments.get("path")

    def lines(value: object) -> int:
        return len(str(value).splitlines()) if value else 0

    if name == "edit_file":
        return (f"edit_file {path}: {lines(arguments.get('old_text'))} lines -> "
                f"{lines(arguments.get('new_text'))} lines")
    if name == "write_file":
        return f"write_file {path}: {lines(arguments.get('content'))} lines"
    if name == "run_shell":
        return f"run_shell $ {clip(str(arguments.get('command', '')), 300)}"
    shown = ", ".join(f"{key}={clip(value, 80) if isinstance(value, str) else json.dumps(value)}"
                      for key, value in arguments.items())
    return f"{name} {clip(shown, 300)}"


PLAN_FIELDS = ("id", "title", "target_file", "prompt", "depends_on", "archetype", "new_file")


@dataclass
class PlanState:
    """The Plan panel: the goal, the planner's progress, and its proposal as editable rows."""

    visible: bool = False
    goal: str = ""
    busy: bool = False
    progress: str = ""
    title: str = ""
    description: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)
    """One dict per ticket, PLAN_FIELDS as keys (`depends_on` as text: ids separated by spaces or commas)."""
    problems: list[str] = field(default_factory=list)
    edited: bool = False
    """The person changed the proposal since the planner made it."""
    revision_of: str | None = None
    diff: str = ""
    layout: int = 0
    """Bumped when rows are added, removed, moved or replaced (the table is rebuilt; typing does not)."""

    def proposal_data(self) -> dict[str, Any]:
        tickets = []
        for row in self.rows:
            depends = [d for d in str(row.get("depends_on", "")).replace(",", " ").split() if d]
            tickets.append({"id": str(row.get("id", "")).strip(), "title": str(row.get("title", "")),
                            "target_file": str(row.get("target_file", "")).strip(),
                            "prompt": str(row.get("prompt", "")),
                            "depends_on": depends, "archetype": str(row.get("archetype", "")).strip() or None,
                            "new_file": bool(row.get("new_file"))})
        return {"title": self.title, "description": self.description, "tickets": tickets}

    def preview(self) -> str:
        """The dependency tree, as indented ids and titles."""
        rows = {str(r.get("id", "")).strip(): r for r in self.rows}
        depth: dict[str, int] = {}

        def level(ticket_id: str, seen: frozenset[str] = frozenset()) -> int:
            if ticket_id in depth:
                return depth[ticket_id]
            if ticket_id in seen or ticket_id not in rows:
                return 0
            deps = [d for d in str(rows[ticket_id].get("depends_on", "")).replace(",", " ").split() if d]
            depth[ticket_id] = 1 + max((level(d, seen | {ticket_id}) for d in deps), default=-1)
            return depth[ticket_id]

        return "\n".join(f"{'    ' * level(i)}{i}  {r.get('title', '')}" for i, r in rows.items())
