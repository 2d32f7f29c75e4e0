"""Every change a ticket makes, by its tools or its commands, seen and kept for undo.

Before each mutating call the project is snapshotted (a checkpoint); a file tool's change is recorded from what it
wrote; a command's changes are the difference between the checkpoints before and after it, plus what git does
not keep: permission bits beyond the exec bit (`chmod 000`) and folders (created, emptied, deleted).
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from dataclasses import dataclass

from conductor.checkpoints import Checkpoints, FileDelta
from conductor.events import CheckpointTaken, Event, FileChanged, FilesChangedByCommand
from conductor.files import FileState
from conductor.messages import ToolCall
from conductor.providers.base import redact
from conductor.store import TrackStore
from conductor.text import clip
from conductor.tools import FileChange

MAX_LEDGER_DIFF = 200_000
"""A command's diff is kept in the ledger up to this many characters (the checkpoints hold all of it)."""
LISTED_CHANGES = 20
"""Changes named in the worker's one line after a command (the rest are counted)."""


@dataclass(frozen=True)
class _Before:
    commit: str
    layout: dict[str, int]
    """Modes of files and folders (`Checkpoints.layout`); only taken before a command."""


@dataclass(frozen=True)
class PathChange:
    """One path a command changed, as recorded for undo."""

    path: str
    status: str
    """`added`, `modified`, `deleted`, `mode 644 -> 0`, `folder added`, `folder deleted`, `folder mode ...`."""
    before: FileState
    after: FileState


class ChangeRecorder:
    """Checkpoints around a ticket's mutating calls and the change records undo reads."""

    def __init__(self, track_id: str, store: TrackStore, checkpoints: Checkpoints, emit: Callable[[Event], None]
                 ) -> None:
        self.track_id = track_id
        self.store = store
        self.checkpoints = checkpoints
        self.emit = emit
        self._before: dict[str, _Before] = {}
        """Call id -> the checkpoint taken just before it ran."""

    def before(self, ticket_id: str, call: ToolCall) -> None:
        commit = self.checkpoints.snapshot(f"{ticket_id}: before {call.name} ({call.id})")
        layout = self.checkpoints.layout() if call.name == "run_shell" else {}
        self._before[call.id] = _Before(commit, layout)
        self.emit(CheckpointTaken(track=self.track_id, ticket=ticket_id, call_id=call.id, tool=call.name,
                                  commit=commit))

    def tool_change(self, ticket_id: str, call: ToolCall, change: FileChange | None) -> None:
        """A file tool's own record of what it wrote (its text, encoding and mode)."""
        self._before.pop(call.id, None)
        if change is None:
            return
        self.store.record_change(self.track_id, ticket_id, change.path,
                                 change.before.record() if change.before else None, change.after.record(),
                                 call_id=call.id)
        self.emit(FileChanged(track=self.track_id, ticket=ticket_id, path=change.path))

    def command_changes(self, ticket_id: str, call: ToolCall) -> str:
        """What a command changed (checkpoints and layouts before and after it): recorded for undo, shown with its
        diff, and returned as a line for the worker."""
        before = self._before.pop(call.id, None)
        if before is None:
            return ""
        after = self.checkpoints.snapshot(f"{ticket_id}: after {call.name} ({call.id})")
        changes = self._path_changes(before, after, self.checkpoints.deltas(before.commit, after))
        if not changes:
            return ""
        for change in changes:
            self.store.record_change(self.track_id, ticket_id, change.path, change.before, change.after,
                                     call_id=call.id)
            self.emit(FileChanged(track=self.track_id, ticket=ticket_id, path=change.path))
        diff = redact(self.checkpoints.diff(before.commit, after))
        self.emit(FilesChangedByCommand(track=self.track_id, ticket=ticket_id, call_id=call.id,
                                        before=before.commit, after=after,
                                        files={c.path: c.status for c in changes}, diff=clip(diff, MAX_LEDGER_DIFF)))
        listed = ", ".join(f"{c.path} ({c.status})" for c in changes[:LISTED_CHANGES])
        more = f" and {len(changes) - LISTED_CHANGES} more" if len(changes) > LISTED_CHANGES else ""
        return f"\nfiles changed by the command: {listed}{more}"

    def _path_changes(self, before: _Before, after_commit: str, deltas: list[FileDelta]) -> list[PathChange]:
        """Git's deltas with whole modes, then what git cannot see: mode-only changes and folders."""
        old_layout, new_layout = before.layout, self.checkpoints.layout()
        changes = []
        for delta in deltas:
            old_mode = old_layout.get(delta.path, delta.old_mode) if delta.old_blob else None
            new_mode = new_layout.get(delta.path, delta.new_mode) if delta.new_blob else None
            changes.append(PathChange(delta.path, delta.status,
                                      {"blob": delta.old_blob, "mode": old_mode} if delta.old_blob else None,
                                      {"blob": delta.new_blob, "mode": new_mode} if delta.new_blob else None))
        seen = {delta.path for delta in deltas}
        mode_only = [path for path, mode in new_layout.items() if path not in seen and path in old_layout
                     and not stat.S_ISDIR(mode) and old_layout[path] != mode]
        blobs = self.checkpoints.blobs_at(before.commit, mode_only)
        for path in mode_only:
            if path in blobs:
                old, new = old_layout[path], new_layout[path]
                changes.append(PathChange(path, f"mode {_bits(old)} -> {_bits(new)}", {"blob": blobs[path],
                                          "mode": old}, {"blob": blobs[path], "mode": new}))
        folders = {path for path, mode in (*old_layout.items(), *new_layout.items()) if stat.S_ISDIR(mode)}
        for path in sorted(folders):
            old_mode, new_mode = old_layout.get(path), new_layout.get(path)
            if old_mode == new_mode:
                continue
            status = ("folder added" if old_mode is None else "folder deleted" if new_mode is None
                      else f"folder mode {_bits(old_mode)} -> {_bits(new_mode)}")
            changes.append(PathChange(path, status, _folder(old_mode), _folder(new_mode)))
        return changes


def _folder(mode: int | None) -> FileState:
    return {"folder": True, "mode": mode} if mode is not None and stat.S_ISDIR(mode) else None


def _bits(mode: int) -> str:
    return format(stat.S_IMODE(mode), "o")
