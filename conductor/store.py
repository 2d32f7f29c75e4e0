"""Tracks on disk: `<tracks>/<track_id>/track.json`, an append-only `ledger.jsonl`, archived histories and
saved command outputs. Every file write is atomic (temp file, fsync, rename)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from conductor.errors import ConductorError
from conductor.files import (
    BlobReader,
    FileState,
    atomic_write,
    bytes_diff,
    is_folder_state,
    is_link_state,
    state_bytes,
    state_mode,
)
from conductor.models import Ticket, Track, utc_now
from conductor.providers.base import redact
from conductor.track_index import TRACK_FILE, TrackSummary, track_ids
from conductor.track_index import summaries as track_summaries
from file_cache import resolve_inside

if TYPE_CHECKING:
    from conductor.messages import Message

LEDGER_FILE = "ledger.jsonl"
LOCK_FILE = ".lock"
CHANGES_FILE = "changes.jsonl"


class TrackFileError(ConductorError):
    """A track file that cannot be read: names the file, the line or field, and what is wrong."""


class UnknownTrackError(ConductorError):
    """No track with that id."""


class TrackLockedError(ConductorError):
    """Another process holds the track (a run in progress)."""


def slugify(text: str, limit: int = 32) -> str:
    """An id from a title: letters kept as their plain Latin base (`Ünïcode` -> `unicode`), anything else a dash;
    `track` when nothing is left."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:limit].strip("-")
    return slug or "track"


class Ledger:
    """Append-only JSONL of events: one JSON object per line with its time, never rewritten."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        record = {"time": utc_now().isoformat(), "event": event, **fields}
        self.append_record(record)
        return record

    def append_record(self, record: dict[str, Any]) -> None:
        """Write one JSON line and fsync it."""
        # a configured key never reaches the disk, even inside the model's own text
        line = (redact(json.dumps(record, ensure_ascii=False, default=str)) + "\n").encode("utf-8",
                                                                                          "backslashreplace")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab+") as handle:
                if handle.seek(0, os.SEEK_END) and (handle.seek(-1, os.SEEK_END), handle.read(1))[1] != b"\n":
                    handle.write(b"\n")  # a line torn by a crash stays alone on its line (and is skipped)
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())

    def read(self) -> list[dict[str, Any]]:
        """Every complete event; a last line cut short by a crash is skipped."""
        if not self.path.exists():
            return []
        events = []
        for line in self.path.read_bytes().splitlines():
            try:  # a line torn inside a multi-byte character fails to decode: skipped like any torn line
                record = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                continue
            if isinstance(record, dict):
                events.append(record)
        return events


class FileWritten(BaseModel):
    """One file's change by a ticket (a line of `changes.jsonl`): its state before and after."""

    model_config = ConfigDict(frozen=True)

    time: str = Field(default_factory=lambda: utc_now().isoformat())
    event: Literal["write"] = "write"
    ticket: str
    path: str
    """Relative to the project root."""
    before: FileState
    after: FileState
    call: str | None = None
    """The tool call that made the change (None: a change recorded before calls were kept)."""


class ChangesUndone(BaseModel):
    """A ticket's changes put back (a line of `changes.jsonl`): the ones of the calls not in ``kept_calls`` end."""

    model_config = ConfigDict(frozen=True)

    time: str = Field(default_factory=lambda: utc_now().isoformat())
    event: Literal["undo"] = "undo"
    ticket: str
    paths: list[str]
    from_call: str | None = None
    kept_calls: list[str | None] = Field(default_factory=list)
    """The calls whose changes stay (an undo from a later call keeps the earlier ones)."""


ChangeRecord = Annotated[FileWritten | ChangesUndone, Field(discriminator="event")]
_CHANGE_RECORD: TypeAdapter[FileWritten | ChangesUndone] = TypeAdapter(ChangeRecord)


class TrackStore:
    """All tracks of a project, one folder each."""

    def __init__(self, tracks_dir: str | os.PathLike[str]) -> None:
        self.root = Path(tracks_dir)

    def folder(self, track_id: str) -> Path:
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", track_id) or track_id in (".", ".."):
            raise UnknownTrackError(f"invalid track id {track_id[:120]!r}: letters, digits, '.', '_' and '-', "
                                    "at most 100")
        return self.root / track_id

    def track_file(self, track_id: str) -> Path:
        return self.folder(track_id) / TRACK_FILE

    def ledger(self, track_id: str) -> Ledger:
        return Ledger(self.folder(track_id) / LEDGER_FILE)

    def ids(self) -> list[str]:
        return track_ids(self.root)

    def summaries(self) -> list[TrackSummary]:
        """One line's worth of every track, by id; an unreadable track is listed with its error, never skipped.
        Tracks unchanged since the last listing are not read again (`track_index`)."""
        return track_summaries(self.root, self.summary)

    def summary(self, track_id: str) -> TrackSummary:
        """The track in its folder ``track_id`` summarized (under that id: the one every command takes)."""
        try:
            track = self.load(track_id)
        except ConductorError as error:
            return TrackSummary(track_id, "", "error", 0, 0, str(error))
        return TrackSummary(track_id, track.title, str(track.status), track.counts()["completed"], len(track.tickets))

    def create(self, title: str, description: str = "", tickets: list[Ticket] | None = None) -> Track:
        """A new track under a fresh id; ConductorError when its tickets do not make a valid graph."""
        if not title.strip():
            raise ConductorError("a track needs a title")
        track_id = f"{slugify(title)}-{secrets.token_hex(3)}"
        try:
            track = Track(id=track_id, title=title.strip(), description=description, tickets=tickets or [])
        except ValidationError as error:
            raise ConductorError(f"the track is not valid: {error.errors()[0]['msg']}") from None
        self.save(track)
        return track

    def save(self, track: Track) -> None:
        atomic_write(self.track_file(track.id), redact(track.model_dump_json(indent=2)) + "\n")

    def load(self, track_id: str) -> Track:
        path = self.track_file(track_id)
        if not path.exists():
            known = ", ".join(self.ids()) or "none"
            raise UnknownTrackError(f"no track {track_id!r} in {self.root} (known: {known})")
        data = read_json_file(path)
        try:
            return Track.model_validate(data)
        except ValidationError as error:
            problems = "; ".join(_describe(problem, data) for problem in error.errors()[:5])
            raise TrackFileError(f"{path}: {problems}") from None

    # -- side files --------------------------------------------------------------------------------
    def archive_history(self, track_id: str, ticket_id: str, messages: list[Message]) -> Path:
        """Keep a worker's full history after the ticket ends; returns the archive path."""
        folder = self.folder(track_id) / "histories"
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
        path = folder / f"{ticket_id}-{stamp}.json"
        payload = [message.model_dump(mode="json") for message in messages]
        atomic_write(path, redact(json.dumps(payload, indent=1, ensure_ascii=False)) + "\n")
        return path

    def histories(self, track_id: str, ticket_id: str) -> list[Path]:
        return sorted((self.folder(track_id) / "histories").glob(f"{ticket_id}-*.json"))

    def load_history(self, path: Path) -> list[Message]:
        from conductor.messages import Message  # histories are read by the window and `ticket show`, not listings

        return [Message.model_validate(item) for item in json.loads(path.read_text(encoding="utf-8"))]

    def save_output(self, track_id: str, text: str) -> str:
        """Keep a full command output; returns its id (the model and the GUI refer to it by id)."""
        output_id = f"out-{datetime.now().strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"
        atomic_write(self.folder(track_id) / "outputs" / f"{output_id}.log", text)
        return output_id

    def output_path(self, track_id: str, output_id: str) -> Path:
        if not re.fullmatch(r"out-[0-9]+-[0-9a-f]+", output_id):
            raise ConductorError(f"invalid output id {output_id!r}")
        return self.folder(track_id) / "outputs" / f"{output_id}.log"

    def load_output(self, track_id: str, output_id: str) -> str:
        path = self.output_path(track_id, output_id)
        if not path.exists():
            raise ConductorError(f"no saved output {output_id} in track {track_id}")
        return path.read_text(encoding="utf-8", errors="replace")

    # -- worker state and file changes ---------------------------------------------------------------
    def checkpoint_dir(self, track_id: str) -> Path:
        """The track's shadow git repository (see `conductor.checkpoints`)."""
        return self.folder(track_id) / "checkpoints.git"

    def pending_path(self, track_id: str) -> Path:
        """The call awaiting a human decision, if any."""
        return self.folder(track_id) / "pending.json"

    def worker_state_path(self, track_id: str, ticket_id: str) -> Path:
        return self.folder(track_id) / "workers" / f"{ticket_id}.json"

    def saved_workers(self, track: Track) -> set[str]:
        """The tickets of ``track`` with a saved worker (one that resumes where it was)."""
        return {t.id for t in track.tickets if self.worker_state_path(track.id, t.id).exists()}

    def record_change(self, track_id: str, ticket_id: str, path: str, before: FileState, after: FileState,
                      call_id: str | None = None) -> None:
        """Keep one file's change (its state before and after: text with encoding and mode, or a checkpoint blob)
        so the ticket's changes can be shown and undone."""
        record = FileWritten(ticket=ticket_id, path=path, before=before, after=after, call=call_id)
        Ledger(self.folder(track_id) / CHANGES_FILE).append_record(record.model_dump(mode="json"))

    def changes(self, track_id: str, ticket_id: str, from_call: str | None = None) -> list[FileWritten]:
        """The ticket's changes since its last undo, oldest first (``from_call``: that call's and later ones); a
        line that is not a change record (written by hand, or by a future version) is skipped."""
        found: list[FileWritten] = []
        for line in Ledger(self.folder(track_id) / CHANGES_FILE).read():
            try:
                record = _CHANGE_RECORD.validate_python(line)
            except ValidationError:
                continue
            if record.ticket != ticket_id:
                continue
            if isinstance(record, ChangesUndone):
                found = [r for r in found if r.call in record.kept_calls]
            else:
                found.append(record)
        if from_call is not None:
            calls = [r.call for r in found]
            if from_call not in calls:
                raise ConductorError(f"ticket {ticket_id} has no change from call {from_call}")
            found = found[calls.index(from_call):]
        return found

    def ticket_files(self, track_id: str, ticket_id: str, from_call: str | None = None
                     ) -> dict[str, tuple[FileState, FileState]]:
        """Each file the ticket changed: (its state before the ticket's first change, after its last)."""
        spans: dict[str, tuple[FileState, FileState]] = {}
        for record in self.changes(track_id, ticket_id, from_call):
            first = spans[record.path][0] if record.path in spans else record.before
            spans[record.path] = (first, record.after)
        return spans

    def ticket_diff(self, track_id: str, ticket_id: str, read_blob: BlobReader) -> str:
        """The ticket's whole change as one unified diff (binary files named, not shown)."""
        parts = []
        for path, (before, after) in sorted(self.ticket_files(track_id, ticket_id).items()):
            if is_folder_state(before) or is_folder_state(after):
                continue  # a folder has no text; its files have their own records
            old, new = state_bytes(before, read_blob), state_bytes(after, read_blob)
            parts.append(bytes_diff(path, old, new))
        return "".join(parts)

    def undo_ticket(self, track_id: str, ticket_id: str, root: Path, force: bool = False,
                    read_blob: BlobReader | None = None, from_call: str | None = None) -> list[str]:
        """Put back every file the ticket changed, by any means (``from_call``: only what that call and the later
        ones changed): changed files get their content and whole mode back, created ones are deleted, deleted ones
        come back; folders a command deleted come back (with their mode), folders it made are removed when empty.
        Refuses (naming the files) when a file changed since the ticket left it, unless ``force``."""
        reader = read_blob or _no_blobs
        spans = self.ticket_files(track_id, ticket_id, from_call)
        if not spans:
            raise ConductorError(f"ticket {ticket_id} has no file changes to undo")
        folders = {path: span for path, span in spans.items() if is_folder_state(span[0]) or is_folder_state(span[1])}
        changed = [path for path, (_, after) in spans.items() if path not in folders
                   and _present_bytes(_place(root, path)) != state_bytes(after, reader)]
        if changed and not force:
            raise ConductorError(f"changed since ticket {ticket_id} left them: {', '.join(sorted(changed))} "
                                 "(use --force to overwrite)")
        for path in sorted((p for p, (before, _) in folders.items() if is_folder_state(before)), key=len):
            target = _place(root, path)
            if target.is_symlink() or (target.exists() and not target.is_dir()):
                target.unlink()  # a link or a file where the folder was: the folder comes back, nothing followed
            target.mkdir(exist_ok=True)
        for path, (before, _) in spans.items():
            if path in folders:
                continue
            target = _place(root, path)
            content = state_bytes(before, reader)
            if target.is_symlink() or (content is None and target.exists()):
                target.unlink()  # a link is replaced, never written through
            if content is None:
                continue
            if is_link_state(before):
                os.symlink(os.fsdecode(content), target)
            else:
                atomic_write(target, content, state_mode(before))
        for path, (before, _) in sorted(folders.items(), key=lambda item: -len(item[0])):  # deepest first
            target = _place(root, path)
            if before is None:
                _remove_empty_folders(target)
            elif (mode := state_mode(before)) is not None:
                os.chmod(target, mode)
        kept = sorted({r.call for r in self.changes(track_id, ticket_id)} -
                      {r.call for r in self.changes(track_id, ticket_id, from_call)}, key=str)
        undone = ChangesUndone(ticket=ticket_id, paths=sorted(spans), from_call=from_call, kept_calls=kept)
        Ledger(self.folder(track_id) / CHANGES_FILE).append_record(undone.model_dump(mode="json"))
        return sorted(spans)

    @contextlib.contextmanager
    def locked(self, track_id: str, holder: str = "process", wait_seconds: float = 0.0) -> Iterator[None]:
        """Hold the track for this process; a dead holder releases it. Another holder gets TrackLockedError, at
        once when it is a run (which holds the track until it stops), after ``wait_seconds`` when it is a short
        edit (agents claiming at the same moment take turns instead of failing)."""
        path = self.folder(track_id) / LOCK_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + wait_seconds
        with path.open("a+") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    handle.seek(0)
                    other = handle.read().strip() or "another process"
                    if other.startswith(RUN_HOLDER):
                        raise TrackLockedError(f"track {track_id} is being run ({other}): nothing of it can be "
                                               "claimed or edited until that run stops; other tracks can") from None
                    if time.monotonic() >= deadline:
                        raise TrackLockedError(f"track {track_id} is in use by {other}") from None
                    time.sleep(0.02)
            handle.seek(0)
            handle.truncate()
            handle.write(f"{holder} {os.getpid()}")
            handle.flush()
            try:
                yield
            finally:
                handle.truncate(0)
                fcntl.flock(handle, fcntl.LOCK_UN)


RUN_HOLDER = "a run, process"
"""How a running engine names itself in the lock file (a run holds its track until it stops)."""


def set_aside(path: Path) -> Path:
    """Rename an unreadable or refused side file (or folder) next to itself, never deleting it; returns where."""
    number = len(list(path.parent.glob(f"{path.name}.refused-*")))
    aside = path.with_name(f"{path.name}.refused-{number}")
    path.rename(aside)
    return aside


def read_json_file(path: Path) -> Any:
    """A JSON file's value, or TrackFileError naming the file and what is wrong (never a traceback)."""
    if path.is_dir():
        raise TrackFileError(f"{path}: is a folder, not a file; move it aside")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise TrackFileError(f"{path}: not valid UTF-8 (byte {error.start})") from None
    except OSError as error:
        raise TrackFileError(f"{path}: cannot be read: {error.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise TrackFileError(f"{path}: line {error.lineno}, column {error.colno}: {error.msg}") from None
    except RecursionError:
        raise TrackFileError(f"{path}: nested too deeply to be a track file") from None
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise TrackFileError(f"{path}: {error}") from None


def _place(root: Path, path: str) -> Path:
    """Where ``path`` lies: its folder resolved inside ``root``, its own name not followed (a link is a link)."""
    relative = Path(path)
    return resolve_inside(root, relative.parent.as_posix() or ".") / relative.name


def _remove_empty_folders(folder: Path) -> None:
    """Remove ``folder`` and the empty folders in it, deepest first; a folder holding anything else is kept (what
    was put there since is not the ticket's to remove)."""
    if folder.is_symlink() or not folder.is_dir():
        return
    for inner, _, _ in os.walk(folder, topdown=False):
        with contextlib.suppress(OSError):
            os.rmdir(inner)


def _present_bytes(path: Path) -> bytes | None:
    """What is at ``path`` now as a checkpoint keeps it: a link as its target's text (as git does), a file as its
    bytes, nothing as None."""
    try:
        if path.is_symlink():
            return os.fsencode(os.readlink(path))
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        return b"(unreadable)"


def _no_blobs(blob: str) -> bytes:
    raise ConductorError(f"this change was recorded in a checkpoint ({blob[:12]}) that cannot be read here")


def _describe(problem: ErrorDetails, data: Any) -> str:
    """`tickets[2] (T3).status: Input should be ...` from a pydantic error."""
    location = problem.get("loc", ())
    parts, node = [], data
    for key in location:
        if isinstance(key, int):
            parts.append(f"[{key}]")
            node = node[key] if isinstance(node, list) and key < len(node) else None
            if isinstance(node, dict) and "id" in node:
                parts.append(f" ({node['id']})")
        else:
            parts.append(("." if parts else "") + str(key))
            node = node.get(key) if isinstance(node, dict) else None
    field = "".join(parts) or "track"
    return f"{field}: {problem.get('msg', 'invalid')}"
