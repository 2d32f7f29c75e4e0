"""Syntax colours for the window's code views: each line of Python source as (text, style) segments.

Styles come from `queries/highlights.scm` through the one captures wrapper; where captures nest the outer one
wins, so a segment has one style. Text that is not Python (or does not parse) is returned as plain lines.
"""

from __future__ import annotations

from file_cache.parser import ASTParser, captures

Segment = tuple[str, str | None]
"""A piece of one line and its style (`keyword`, `string`, ...; None: plain)."""
STYLES = ("comment", "string", "decorator", "number", "constant", "function", "type", "self", "builtin", "keyword")

_PARSER = ASTParser()


PYTHON_SUFFIXES = (".py", ".pyi", ".pyw")


def highlight_file(path: str | None, text: str) -> list[list[Segment]]:
    """``text`` coloured as Python when ``path`` names a Python file (or none is known), else plain lines."""
    if path is None or path.endswith(PYTHON_SUFFIXES):
        return highlight(text)
    return [[(line, None)] for line in text.splitlines()]


def highlight(source: str) -> list[list[Segment]]:
    """Every line of ``source`` (as `str.splitlines` cuts it) as its styled segments."""
    lines = source.splitlines()
    if not lines:
        return []
    parsed = _PARSER.parse(source)
    if parsed.text.splitlines() != lines:  # newlines were normalised: positions would not match the lines
        return [[(line, None)] for line in lines]
    ranges = sorted(((node.start_point, node.end_point, style) for style, nodes in
                     captures("highlights", parsed.tree.root_node).items() for node in nodes),
                    key=lambda r: (r[0], (-r[1][0], -r[1][1])))
    styled: list[list[tuple[int, int, str]]] = [[] for _ in lines]
    reached = (0, 0)
    for start, end, style in ranges:
        if start < reached or start == end:
            continue  # inside an outer capture, which wins
        reached = end
        for row in range(start[0], min(end[0], len(lines) - 1) + 1):
            first = start[1] if row == start[0] else 0
            last = end[1] if row == end[0] else len(lines[row].encode("utf-8", "surrogatepass"))
            styled[row].append((first, last, style))
    return [_segments(line, spans) for line, spans in zip(lines, styled, strict=True)]


def _segments(line: str, spans: list[tuple[int, int, str]]) -> list[Segment]:
    """Cut one line at its styled byte ranges (converted to characters for non-ASCII lines)."""
    if not spans:
        return [(line, None)]
    data = line.encode("utf-8", "surrogatepass") if not line.isascii() else None

    def char(column: int) -> int:
        return column if data is None else len(data[:column].decode("utf-8", "ignore"))

    segments: list[Segment] = []
    position = 0
    for first, last, style in spans:
        start, end = char(first), char(last)
        if start > position:
            segments.append((line[position:start], None))
        if end > start:
            segments.append((line[start:end], style))
        position = max(position, end)
    if position < len(line):
        segments.append((line[position:], None))
    return _merge_blanks(segments)


def _merge_blanks(segments: list[Segment]) -> list[Segment]:
    """Whitespace has no colour: joined to the piece before it (or after it, at the start of a line), so a line
    is drawn with fewer pieces."""
    merged: list[Segment] = []
    pending = ""
    for text, style in segments:
        if text.isspace():
            if merged:
                merged[-1] = (merged[-1][0] + text, merged[-1][1])
            else:
                pending += text
            continue
        merged.append((pending + text, style))
        pending = ""
    return merged or [(pending, None)]
