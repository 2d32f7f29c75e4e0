"""Diffs a reviewer reads: numbered lines of both sides, changed words inside a line, hunks that can be dropped.

`difflib` does the matching; this module only shapes its opcodes for review and puts a change back together
from the hunks a developer kept.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

CONTEXT = 3
"""Unchanged lines shown around each change (as in `diff -u`)."""
_WORDS = re.compile(r"\w+|\s+|[^\w\s]")


@dataclass(frozen=True)
class DiffLine:
    kind: Literal["context", "removed", "added"]
    old_number: int | None
    """1-based line number in the file before (None for an added line)."""
    new_number: int | None
    """1-based line number in the file after (None for a removed line)."""
    text: str
    """The line without its line ending."""
    changed: tuple[tuple[int, int], ...] = ()
    """Character ranges of the words that differ from the paired line on the other side."""


@dataclass(frozen=True)
class Hunk:
    index: int
    header: str
    """`@@ -a,b +c,d @@`, as in a unified diff."""
    lines: tuple[DiffLine, ...]

    @property
    def added(self) -> int:
        return sum(line.kind == "added" for line in self.lines)

    @property
    def removed(self) -> int:
        return sum(line.kind == "removed" for line in self.lines)


def _split(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _matcher(before: str, after: str) -> tuple[list[str], list[str], difflib.SequenceMatcher[str]]:
    old, new = _split(before), _split(after)
    return old, new, difflib.SequenceMatcher(None, old, new, autojunk=False)


def hunks(before: str, after: str, context: int = CONTEXT) -> list[Hunk]:
    """The change from ``before`` to ``after`` as hunks of numbered lines, changed words marked."""
    old, new, matcher = _matcher(before, after)
    found = []
    for index, group in enumerate(matcher.get_grouped_opcodes(context)):
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("context", i + 1, j1 + i - i1 + 1, _bare(old[i])) for i in range(i1, i2)]
                continue
            removed = [_bare(line) for line in old[i1:i2]]
            added = [_bare(line) for line in new[j1:j2]]
            pairs = [_changed_words(a, b) for a, b in zip(removed, added, strict=False)] if tag == "replace" else []
            lines += [DiffLine("removed", i1 + k + 1, None, text, pairs[k][0] if k < len(pairs) else ())
                      for k, text in enumerate(removed)]
            lines += [DiffLine("added", None, j1 + k + 1, text, pairs[k][1] if k < len(pairs) else ())
                      for k, text in enumerate(added)]
        first, last = group[0], group[-1]
        header = (f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@")
        found.append(Hunk(index, header, tuple(lines)))
    return found


def side_by_side(hunk: Hunk) -> list[tuple[DiffLine | None, DiffLine | None]]:
    """The hunk's lines as (before, after) rows: context on both sides, removed lines beside the added ones."""
    rows: list[tuple[DiffLine | None, DiffLine | None]] = []
    removed: list[DiffLine] = []
    added: list[DiffLine] = []

    def flush() -> None:
        for k in range(max(len(removed), len(added))):
            rows.append((removed[k] if k < len(removed) else None, added[k] if k < len(added) else None))
        removed.clear()
        added.clear()

    for line in hunk.lines:
        if line.kind == "context":
            flush()
            rows.append((line, line))
        else:
            (removed if line.kind == "removed" else added).append(line)
    flush()
    return rows


def keep_hunks(before: str, after: str, kept: set[int], context: int = CONTEXT) -> str:
    """``after`` with only the ``kept`` hunks applied to ``before`` (the others dropped)."""
    old, new, matcher = _matcher(before, after)
    opcodes = list(matcher.get_opcodes())  # a copy: get_grouped_opcodes trims the cached list in place
    owner = {}
    for index, group in enumerate(matcher.get_grouped_opcodes(context)):
        for tag, i1, i2, j1, j2 in group:
            if tag != "equal":
                owner[(i1, i2, j1, j2)] = index
    pieces: list[str] = []
    for tag, i1, i2, j1, j2 in opcodes:
        take_new = tag != "equal" and owner.get((i1, i2, j1, j2)) in kept
        pieces += new[j1:j2] if take_new else old[i1:i2]
    return "".join(pieces)


def edit_with_hunks(file_text: str, old_text: str, new_text: str, kept: set[int]) -> str:
    """The `new_text` of an edit that makes only the ``kept`` hunks of its change to ``file_text`` (whose hunks
    are those of the whole file before and after the edit). ``old_text`` must occur in ``file_text``."""
    at = file_text.index(old_text)
    prefix, suffix = file_text[:at], file_text[at + len(old_text):]
    result = keep_hunks(file_text, prefix + new_text + suffix, kept)
    # dropped hunks put whole lines of the file back; the text before and after the edited span is untouched
    assert result.startswith(prefix) and result.endswith(suffix)
    return result[len(prefix):len(result) - len(suffix)]


def _bare(line: str) -> str:
    return line.rstrip("\r\n")


def _range(start: int, end: int) -> str:
    length = end - start
    return f"{start + 1 if length else start},{length}"


def _changed_words(old: str, new: str) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """Character ranges that differ between two paired lines, word by word, on each side."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    offsets_a = [0, *_accumulate(a)]
    offsets_b = [0, *_accumulate(b)]
    left: list[tuple[int, int]] = []
    right: list[tuple[int, int]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            left.append((offsets_a[i1], offsets_a[i2]))
        if j2 > j1:
            right.append((offsets_b[j1], offsets_b[j2]))
    return tuple(left), tuple(right)


def _accumulate(words: list[str]) -> list[int]:
    total, out = 0, []
    for word in words:
        total += len(word)
        out.append(total)
    return out
