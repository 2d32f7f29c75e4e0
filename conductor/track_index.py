"""What a list of tracks shows of each, kept by the identity of its track file, so that listing validates only
the tracks written since the last listing (and a listing of unchanged tracks imports no model at all).

A summary is made by validating the track (`TrackStore.load`) and is kept, with the file's `stat` (mtime, ctime,
size, inode), in one JSON file per tracks folder under the user's cache folder. The store replaces a track file by
rename (a new inode), and an edit in place changes its times, so a changed file is validated again. The index is
derived data: a damaged or unwritable one is rebuilt or skipped, never an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from file_cache.paths import user_cache_dir

log = logging.getLogger(__name__)

TRACK_FILE = "track.json"
Entry = list[Any]
"""A kept summary: [the track file's stat key, [title, status, completed, tickets]]."""


class TrackSummary(NamedTuple):
    """What a list of tracks shows of one."""

    id: str
    title: str
    status: str
    """The track's status, or `error` when its file cannot be read."""
    completed: int
    tickets: int
    error: str | None = None
    """Why the track cannot be read (then the other fields are empty)."""


def index_path(tracks: Path) -> Path:
    digest = hashlib.sha256(os.fsencode(tracks.resolve())).hexdigest()[:16]
    return user_cache_dir() / "tracks" / f"{digest}.json"


def track_ids(tracks: Path) -> list[str]:
    """The folders of ``tracks`` that hold a track file, sorted."""
    if not tracks.is_dir():
        return []
    return sorted(p.parent.name for p in tracks.glob(f"*/{TRACK_FILE}"))


def summaries(tracks: Path, summarize: Callable[[str], TrackSummary]) -> list[TrackSummary]:
    """One summary per track of ``tracks``, by id: kept ones for unchanged files, ``summarize(track_id)`` for the
    others (an unreadable track is summarized with its error every time, never kept)."""
    path = index_path(tracks)
    kept = _read(path)
    rows: list[TrackSummary] = []
    fresh: dict[str, Entry] = {}
    for track_id in track_ids(tracks):
        key = _stat_key(tracks / track_id / TRACK_FILE)
        entry = kept.get(track_id)
        if key is not None and entry is not None and entry[0] == key:
            rows.append(TrackSummary(track_id, *entry[1]))
            fresh[track_id] = entry
            continue
        row = summarize(track_id)
        rows.append(row)
        if key is not None and row.error is None:
            fresh[track_id] = [key, [row.title, row.status, row.completed, row.tickets]]
    if fresh != kept:
        _write(path, fresh)
    return rows


def _stat_key(path: Path) -> str | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return f"{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_size}:{info.st_ino}"


def _read(path: Path) -> dict[str, Entry]:
    """The kept entries; none when the file is missing or not what this module writes."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {track_id: entry for track_id, entry in data.items() if _well_formed(entry)}


def _well_formed(entry: object) -> bool:
    if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
        return False
    fields = entry[1]
    return (isinstance(fields, list) and len(fields) == 4 and isinstance(fields[0], str)
            and isinstance(fields[1], str) and all(isinstance(n, int) for n in fields[2:]))


def _write(path: Path, entries: dict[str, Entry]) -> None:
    from conductor.files import atomic_write  # only when something changed

    try:
        atomic_write(path, json.dumps(entries, ensure_ascii=False))
    except OSError as error:  # a read-only cache folder: listing still works, validating every time
        log.warning("track index %s not written: %s", path, error)
