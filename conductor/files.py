"""Reading and writing files so that they keep what makes them work: encoding (PEP 263 cookie, BOM), line
endings and mode; writes are atomic; reads of big files are streamed, never loaded whole."""

from __future__ import annotations

import codecs
import contextlib
import difflib
import io
import os
import stat
import tempfile
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from file_cache import ViewError

_UMASK = os.umask(0)
os.umask(_UMASK)
NEW_FILE_MODE = 0o666 & ~_UMASK
"""What a new file gets: the process umask applied, as any editor would (mkstemp alone gives 0600)."""


def atomic_write(path: Path, data: str | bytes, mode: int | None = None) -> None:
    """Write ``data`` so that ``path`` holds either its old or its new content, whatever happens. The file keeps
    its mode (``mode`` when given, else the existing file's, else the umask's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = NEW_FILE_MODE
    payload = data.encode("utf-8") if isinstance(data, str) else data
    descriptor, temp = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


@dataclass(frozen=True)
class TextFile:
    """A text file's content with what it takes to write it back byte for byte."""

    text: str
    encoding: str = "utf-8"
    """The codec: `utf-8`, `utf-8-sig` (with a BOM), or a PEP 263 cookie's (`iso-8859-1`, ...)."""
    mode: int | None = None
    """Permission bits; None for a file that does not exist yet (it gets the umask's)."""

    @classmethod
    def new(cls, text: str) -> TextFile:
        return cls(text)

    @property
    def crlf(self) -> bool:
        return "\r\n" in self.text

    def with_text(self, text: str) -> TextFile:
        return replace(self, text=text)

    def encode(self) -> bytes:
        try:
            return self.text.encode(self.encoding)
        except UnicodeEncodeError as error:
            bad = self.text[error.start:error.end]
            raise ViewError(f"the new text has {bad!r}, which this file's encoding ({self.encoding}) cannot hold; "
                            "the file was not changed") from None

    def record(self) -> dict[str, Any]:
        return {"text": self.text, "encoding": self.encoding, "mode": self.mode}

    @classmethod
    def from_record(cls, record: dict[str, Any] | str | None) -> TextFile | None:
        if record is None:
            return None
        if isinstance(record, str):  # changes recorded before encodings were kept
            return cls(record)
        return cls(record["text"], record.get("encoding", "utf-8"), record.get("mode"))


FileState = dict[str, Any] | str | None
"""A file's state in a change record: None (absent), a `TextFile.record()` (text, encoding, mode), a checkpoint
blob `{"blob": id, "mode": bits}`, a folder `{"folder": true, "mode": bits}`, or (records from before encodings
were kept) the text itself."""
BlobReader = Callable[[str], bytes]


def state_bytes(state: FileState, read_blob: BlobReader) -> bytes | None:
    """The file's bytes in ``state`` (None: the file did not exist, or it is a folder)."""
    if state is None or is_folder_state(state):
        return None
    if isinstance(state, dict) and "blob" in state:
        return read_blob(state["blob"])
    file = TextFile.from_record(state)
    return file.encode() if file is not None else None


def is_folder_state(state: FileState) -> bool:
    """True when ``state`` is a folder (`{"folder": true, "mode": bits}`: what a command made, emptied or
    deleted, which git does not keep)."""
    return isinstance(state, dict) and state.get("folder") is True


def is_link_state(state: FileState) -> bool:
    """True when ``state`` is a symbolic link (a checkpoint blob of git's mode 120000: the link's target)."""
    return isinstance(state, dict) and "blob" in state and (int(state.get("mode") or 0) & 0o170000) == 0o120000


def state_mode(state: FileState) -> int | None:
    if isinstance(state, dict) and state.get("mode") is not None:
        return int(state["mode"]) & 0o7777
    return None


def bytes_diff(path: str, old: bytes | None, new: bytes | None) -> str:
    """A unified diff of one file's bytes (UTF-8 text; binary files named, not shown)."""
    try:
        old_text = old.decode("utf-8") if old is not None else None
        new_text = new.decode("utf-8") if new is not None else None
    except UnicodeDecodeError:
        return f"Binary file {path} {'added' if old is None else 'deleted' if new is None else 'changed'}\n"
    return text_diff(path, old_text, new_text)


def text_diff(path: str, old: str | None, new: str | None) -> str:
    """A unified diff of one file (None: the file does not exist on that side)."""
    lines = difflib.unified_diff((old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
                                 fromfile="/dev/null" if old is None else f"a/{path}",
                                 tofile="/dev/null" if new is None else f"b/{path}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def detect_encoding(head: bytes) -> str:
    """The encoding a PEP 263 cookie or a BOM names, else UTF-8 (for any text file, Python or not)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(head).readline)
    except SyntaxError as error:
        if "invalid or missing encoding declaration" in str(error):
            return "utf-8"  # no cookie and not UTF-8: decoding says so, with the byte
        raise ViewError(f"unusable encoding declaration: {error}") from None
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ViewError(f"unknown encoding {encoding!r}") from None
    return encoding


def read_text_file(path: Path, max_bytes: int) -> TextFile | None:
    """The file as text, or None when it does not exist. Refuses (ViewError) a file that is not regular, is
    bigger than ``max_bytes``, is binary or cannot be decoded: such a file is never rewritten."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise ViewError(f"{path.name}: not a regular file; it cannot be edited")
    if info.st_size > max_bytes:
        raise ViewError(f"{path.name}: {info.st_size} bytes, above the {max_bytes}-byte limit for edits")
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        raise ViewError(f"{path.name}: binary file; it cannot be edited as text")
    encoding = detect_encoding(data[:4096])
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise ViewError(f"{path.name}: cannot be decoded as {encoding} (byte {error.start}); it is left "
                        "unchanged") from None
    return TextFile(text, encoding, stat.S_IMODE(info.st_mode))


def write_text_file(path: Path, file: TextFile) -> None:
    atomic_write(path, file.encode(), file.mode)


def read_line_range(path: Path, start: int, end: int, max_chars: int) -> tuple[str, bool]:
    """Lines ``start``..``end`` (1-based, inclusive) without loading the file; a huge line is cut. Returns the
    text and whether it was cut at ``max_chars``."""
    with path.open("rb") as raw:
        encoding = detect_encoding(raw.read(4096))
    pieces: list[str] = []
    chars, number, cut = 0, 1, False
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        while number <= end:
            wanted = max_chars + 1 - chars if number >= start else 1 << 16
            piece = handle.readline(wanted)
            if not piece:
                break
            if number >= start:
                pieces.append(piece)
                chars += len(piece)
                if chars > max_chars:
                    cut = True
                    break
            if piece.endswith(("\n", "\r")):
                number += 1
    text = "".join(pieces)
    if cut:
        text = text[:max_chars]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.removesuffix("\n"), cut


def count_lines(path: Path) -> int:
    """Lines in the file, counted in chunks (constant memory)."""
    count, last = 0, b""
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            count += chunk.count(b"\n")
            last = chunk
    return count + (1 if last and not last.endswith(b"\n") else 0)
