"""Views shared by every Conductor process of a user: one sqlite file under the user's cache folder.

Two tables: `files` maps what `stat` says of a path (path, mtime_ns, ctime_ns, size, inode) to the SHA-256 of its
content, so a new process knows a file without reading it; `views` keeps each view of a content (keyed by the
hash, the kind and the version of the code that renders views) with its token count. Several processes read and
write at once (WAL, a busy timeout). The file is bounded: above `max_bytes` of views the least recently used go.
A damaged file is set aside (`.corrupt-N`) and a fresh one started; when even that fails, the cache is off for
this process — never an error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

from file_cache.paths import user_cache_dir

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (stat TEXT PRIMARY KEY, sha TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS views (sha TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, tokens INTEGER NOT NULL,
                                  used INTEGER NOT NULL, PRIMARY KEY (sha, kind));
CREATE INDEX IF NOT EXISTS views_used ON views (used);
"""
TOUCH_SECONDS = 3600
"""A view's last use is written at most once an hour (a read costs no write)."""
EVICT_EVERY = 500
"""Writes between two checks of the file's size."""


def code_version() -> str:
    """A hash of the code that renders views (the parser, its queries, the token estimate): a new release never
    serves views the old one made."""
    folder = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*folder.glob("*.py"), *(folder / "queries").glob("*.scm")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def default_path() -> Path:
    return user_cache_dir() / "views.sqlite3"


class DiskCache:
    def __init__(self, path: Path | None = None, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.path = path or default_path()
        self.max_bytes = max_bytes
        self.version = code_version()
        self._lock = threading.Lock()
        self._writes = 0
        self._connection: sqlite3.Connection | None = None
        self._open()

    def _open(self, retry: bool = True) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=5, check_same_thread=False, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(SCHEMA)
            connection.execute("SELECT count(*) FROM views WHERE sha = ''").fetchone()
            self._connection = connection
        except (sqlite3.Error, OSError) as error:
            self._connection = None
            if retry and isinstance(error, sqlite3.DatabaseError) and self.path.exists():
                self._set_aside(error)
                self._open(retry=False)
            else:
                log.warning("view cache %s unusable (%s): views are kept in memory only", self.path, error)

    def _set_aside(self, error: Exception) -> None:
        number = 0
        while self.path.with_name(f"{self.path.name}.corrupt-{number}").exists():
            number += 1
        aside = self.path.with_name(f"{self.path.name}.corrupt-{number}")
        log.warning("view cache %s is damaged (%s); set aside as %s", self.path, error, aside.name)
        for suffix in ("", "-wal", "-shm"):
            try:
                Path(f"{self.path}{suffix}").rename(f"{aside}{suffix}")
            except OSError:
                continue

    def _run(self, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        """One statement; a damaged file mid-run is set aside and the cache starts over (or turns off)."""
        with self._lock:
            if self._connection is None:
                return []
            try:
                return self._connection.execute(sql, parameters).fetchall()
            except sqlite3.OperationalError as error:  # locked past the timeout, disk full: skip, never fail
                log.warning("view cache: %s", error)
                return []
            except sqlite3.DatabaseError as error:
                self._connection.close()
                self._connection = None
                self._set_aside(error)
                self._open(retry=False)
                return []

    @staticmethod
    def stat_key(path: str | os.PathLike[str], info: os.stat_result) -> str:
        return f"{path}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_size}\0{info.st_ino}"

    def sha_for(self, stat_key: str) -> str | None:
        rows = self._run("SELECT sha FROM files WHERE stat = ?", (stat_key,))
        return str(rows[0][0]) if rows else None

    def remember(self, stat_key: str, sha: str) -> None:
        self._run("INSERT OR REPLACE INTO files (stat, sha) VALUES (?, ?)", (stat_key, sha))

    def get(self, sha: str, kind: str) -> tuple[str, int] | None:
        rows = self._run("SELECT text, tokens, used FROM views WHERE sha = ? AND kind = ?",
                         (sha, f"{kind}@{self.version}"))
        if not rows:
            return None
        text, tokens, used = rows[0]
        now = int(time.time())
        if now - int(str(used)) > TOUCH_SECONDS:
            self._run("UPDATE views SET used = ? WHERE sha = ? AND kind = ?", (now, sha, f"{kind}@{self.version}"))
        return str(text), int(str(tokens))

    def put(self, sha: str, kind: str, text: str, tokens: int) -> None:
        self._run("INSERT OR REPLACE INTO views (sha, kind, text, tokens, used) VALUES (?, ?, ?, ?, ?)",
                  (sha, f"{kind}@{self.version}", text, tokens, int(time.time())))
        self._writes += 1
        if self._writes % EVICT_EVERY == 0:
            self.evict()

    def evict(self) -> None:
        """Least recently used views out until the views fit in 90 % of `max_bytes`; stat rows of files
        whose content has no view left go too."""
        rows = self._run("SELECT coalesce(sum(length(text)), 0) FROM views")
        total = int(str(rows[0][0])) if rows else 0
        if total <= self.max_bytes:
            return
        excess = total - int(self.max_bytes * 0.9)
        self._run("DELETE FROM views WHERE rowid IN (SELECT rowid FROM (SELECT rowid, sum(length(text)) OVER "
                  "(ORDER BY used, rowid) - length(text) AS before FROM views) WHERE before < ?)", (excess,))
        self._run("DELETE FROM files WHERE sha NOT IN (SELECT sha FROM views)")

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
