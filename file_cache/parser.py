"""tree-sitter memory views of Python source: skeleton, curated, outline, definition, slice.

The views are built by slicing the original bytes between tree-sitter node boundaries, so every
signature is the developer's own text (minus comments) at its original indentation; nothing is
re-printed from a parse tree, which is why a view is valid Python wherever its source is.
"""

from __future__ import annotations

import ast
import bisect
import collections
import difflib
import io
import keyword
import re
import symtable
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import NamedTuple

import tree_sitter as ts
import tree_sitter_python as tsp

from file_cache.errors import SymbolNotFoundError

LANGUAGE = ts.Language(tsp.language())
QUERY_DIR = Path(__file__).with_name("queries")

DEFINITION_TYPES = frozenset({"function_definition", "class_definition", "decorated_definition"})
COMPOUND_TYPES = frozenset(
    {"if_statement", "for_statement", "while_statement", "try_statement", "with_statement", "match_statement"}
)
CLAUSE_TYPES = frozenset({"elif_clause", "else_clause", "except_clause", "finally_clause", "case_clause"})
IMPORT_TYPES = frozenset({"import_statement", "import_from_statement", "future_import_statement"})
STRING_TYPES = frozenset({"string", "concatenated_string"})
HIDDEN = "... # Hidden"
# Assignments longer than this many lines keep their target and hide the value in the curated view.
MAX_ASSIGNMENT_LINES = 3
MAX_FIELD_DEFAULT = 40
"""A class field's default longer than this (or on several lines) is shown as `...` in the skeleton."""
ENUM_BASE = re.compile(r"\b(?:Enum|IntEnum|StrEnum|Flag|IntFlag|ReprEnum)\b")
_FIELD_CALL = re.compile(r"^(?:[\w.]+\.)?(?:ib|attrib|field|Field)\s*\(")
_DEFINED = re.compile(r"^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+(\w+)", re.MULTILINE)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_LINE_BREAK = re.compile(r"[ \t]*\\?\n\s*")
_CORE_LOGIC = re.compile(r"^@\s*(?:[\w.]+\.)?core_logic\b")


@cache
def load_query(name: str) -> ts.Query:
    """The query in ``queries/<name>.scm`` (compiled once per process)."""
    return ts.Query(LANGUAGE, (QUERY_DIR / f"{name}.scm").read_text(encoding="utf-8"))


def captures(query_name: str, node: ts.Node, byte_range: tuple[int, int] | None = None) -> dict[str, list[ts.Node]]:
    """The one wrapper around the tree-sitter captures API: capture name -> nodes, in source order (only the nodes
    that overlap ``byte_range``, when given)."""
    cursor = ts.QueryCursor(load_query(query_name))
    if byte_range is not None:
        cursor.set_byte_range(*byte_range)
    found = cursor.captures(node)
    # The binding does not promise source order within a capture name.
    return {name: sorted(nodes, key=lambda n: n.start_byte) for name, nodes in found.items()}


def matches(query_name: str, node: ts.Node) -> list[dict[str, list[ts.Node]]]:
    """Each match of the query as its captures (for queries that pair a node with its name)."""
    return [found for _, found in ts.QueryCursor(load_query(query_name)).matches(node)]


def decode_source(data: bytes) -> str:
    """Decode Python source bytes: the PEP 263 coding cookie or UTF-8, undecodable bytes replaced."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        text = data.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff")


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF, as Python's own reader does."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def is_valid_python(text: str) -> bool:
    """Whether `ast.parse` accepts ``text``. Asked first of `symtable`, which runs the same parser without building
    Python objects for the tree (faster); only text it refuses (a scope error `ast` lets through, such as a
    misplaced `__future__` import) is parsed again by `ast` to decide."""
    try:
        symtable.symtable(text, "<view>", "exec")
        return True
    except (SyntaxError, ValueError):
        pass
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Symbol:
    """One definition in a file."""

    kind: str
    """`class`, `function` or `method`."""
    name: str
    """Qualified name: `Class.method`, `outer.inner`."""
    start_line: int
    """First line (1-based), decorators included."""
    end_line: int
    """Last line (1-based, inclusive)."""
    is_async: bool = False


@dataclass(frozen=True, eq=False)
class ParsedSource:
    """Source text with its tree; the unit the file cache keeps per content hash."""

    text: str
    data: bytes
    tree: ts.Tree

    @cached_property
    def comments(self) -> list[tuple[int, int]]:
        """Byte ranges of every comment, sorted (looked up only when a header or docstring holds a `#`)."""
        return [(n.start_byte, n.end_byte) for n in captures("comments", self.tree.root_node).get("comment", [])]

    @cached_property
    def comment_starts(self) -> list[int]:
        return [start for start, _ in self.comments]

    @cached_property
    def hot_positions(self) -> list[int]:
        """Byte offsets of `# [HOT]` comments (no comment is looked up in a file without the marker)."""
        if b"[HOT]" not in self.data:
            return []
        return [s for s, e in self.comments if b"[HOT]" in self.data[s:e]]

    @cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @cached_property
    def reachable_names(self) -> list[str]:
        """The defs and classes a skeleton shows, found once per parse (both views compare against them)."""
        return list(dict.fromkeys(_reachable_names(self.text)))


class ASTParser:
    """Builds the memory views of Python source. Public API relied on by the engine and outside checks."""

    def __init__(self) -> None:
        self._parser = ts.Parser(LANGUAGE)

    def parse(self, source: str | bytes | ParsedSource) -> ParsedSource:
        if isinstance(source, ParsedSource):
            return source
        text = decode_source(source) if isinstance(source, bytes) else source
        text = normalize_newlines(text)
        data = text.encode("utf-8", errors="surrogatepass")
        return ParsedSource(text=text, data=data, tree=self._parser.parse(data))

    def get_skeleton_view(self, source: str | bytes | ParsedSource) -> str:
        """Every class and def reachable without entering a function body, with full signatures; bodies `...`."""
        return self.get_view(source, curated=False)[1]

    def get_curated_view(self, source: str | bytes | ParsedSource) -> str:
        """Structure, docstrings, block comments, imports; `@core_logic`/`# [HOT]` bodies in full."""
        return self.get_view(source, curated=True)[1]

    def get_view_lines(self, source: str | bytes | ParsedSource, curated: bool) -> ViewLines:
        """The view (``curated``, else the skeleton) line by line, each with the source row it came from (None
        for a line the view made up, such as `... # Hidden`): what numbers a view by the file's lines."""
        rows, text = self.get_view(source, curated)
        return list(zip(rows, text.split("\n")[:-1], strict=True))

    def get_view(self, source: str | bytes | ParsedSource, curated: bool) -> tuple[ViewRows, str]:
        """The view's text and the source row of each of its lines (made once: the file cache keeps both)."""
        original = self.parse(source)
        parsed = self._view_source(original)
        built = _built_views(parsed)
        view = built.curated if curated else built.skeleton
        valid = built.curated_valid if curated else built.skeleton_valid
        if valid and parsed is original:
            return view.rows, view.text  # a clean, valid view: every reachable definition was emitted, none dropped
        rows, text = view.rows, view.text
        if not valid:
            # Broken source (an unclosed bracket swallows everything after it), or a view CPython rejects: each
            # top-level definition is viewed on its own and only the views that are valid Python are kept.
            rows, pieces, offset = [], [], 0
            for chunk in split_top_level(parsed.text):
                skeleton, curated_view = _ViewBuilder(self.parse(chunk)).build()
                piece = curated_view if curated else skeleton
                if is_valid_python(piece.text):
                    rows += [None if row is None else row + offset for row in piece.rows]
                    pieces.append(piece.text)
                offset += chunk.count("\n")
            text = "".join(pieces)
            if not is_valid_python(text):
                rows, text = [], ""
        note = _dropped_note(original, text)
        return ([*rows, None], text + note) if note else (rows, text)

    def _view_source(self, parsed: ParsedSource) -> ParsedSource:
        """The tree to build views from.

        tree-sitter's grammar rejects a few constructs CPython accepts (a dedent inside brackets); when
        its tree has errors but `ast` accepts the file, the views come from a copy whose function bodies
        (which the views hide anyway) are blanked out line for line, so the error goes with them.
        """
        if not parsed.tree.root_node.has_error:
            return parsed
        repaired = parsed.__dict__.get("_view_source")
        if repaired is None:
            blanked = blank_function_bodies(parsed.text)
            repaired = self.parse(blanked) if blanked is not None else parsed
            parsed.__dict__["_view_source"] = repaired
        return repaired

    def get_outline(self, source: str | bytes | ParsedSource) -> list[Symbol]:
        parsed = self.parse(source)
        symbols = []
        for found in matches("definitions", parsed.tree.root_node):
            node = (found.get("class") or found["function"])[0]
            outer = node.parent if node.parent is not None and node.parent.type == "decorated_definition" else node
            scope = _enclosing_definitions(node)
            kind = "class" if node.type == "class_definition" else "function"
            if kind == "function" and scope and scope[-1].type == "class_definition":
                kind = "method"
            qualname = ".".join([_name(n) for n in scope] + [_name(node)])
            end_row = node.end_point.row + (0 if node.end_point.column == 0 else 1)
            is_async = node.children[0].type == "async"
            symbols.append(Symbol(kind, qualname, outer.start_point.row + 1, max(end_row, outer.start_point.row + 1),
                                  is_async))
        return symbols

    def get_references(self, source: str | bytes | ParsedSource) -> dict[str, int]:
        """How many times each name occurs in the source (a word scan: walking every identifier node of the tree
        costs four times as much, and a name in a string or comment is a use worth counting too)."""
        counts = collections.Counter(_NAME.findall(self.parse(source).text))
        return {name: count for name, count in counts.items() if name not in keyword.kwlist}

    def get_imports(self, source: str | bytes | ParsedSource) -> list[tuple[int, str]]:
        """(relative level, dotted name) of every module the source may import, in source order.

        `from .m import q` yields (1, "m") and (1, "m.q"), since `q` may be a submodule; callers keep the
        candidates that exist as files.
        """
        parsed = self.parse(source)
        found: list[tuple[int, str]] = []
        for match in matches("imports", parsed.tree.root_node):
            if "module" in match:
                found.extend((0, _text(node)) for node in match["module"])
                continue
            relative = _text(match["relative"][0])
            level, base = len(relative) - len(relative.lstrip(".")), relative.lstrip(".")
            found.append((level, base))
            for node in match.get("relative_name", []):
                name = _text(node)
                found.append((level, f"{base}.{name}" if base else name))
        return list(dict.fromkeys(found))

    def get_definition(self, source: str | bytes | ParsedSource, symbol: str) -> str:
        """Source of one named symbol (`Class.method` works; a unique bare name too)."""
        parsed = self.parse(source)
        outline = self.get_outline(parsed)
        found = [s for s in outline if s.name == symbol] or [s for s in outline if s.name.endswith("." + symbol)]
        if len(found) != 1:
            names = [s.name for s in outline]
            if found:
                raise SymbolNotFoundError(f"{symbol!r} is ambiguous: {', '.join(s.name for s in found)}")
            close = difflib.get_close_matches(symbol, names, n=5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise SymbolNotFoundError(f"no symbol {symbol!r} in this file{hint}")
        return self.get_slice(parsed, found[0].start_line, found[0].end_line)

    def get_slice(self, source: str | bytes | ParsedSource, start_line: int, end_line: int) -> str:
        """Lines ``start_line``..``end_line`` (1-based, inclusive, clamped to the file)."""
        lines = self.parse(source).lines if not isinstance(source, str) else normalize_newlines(source).split("\n")
        start, end = max(start_line, 1), min(end_line, len(lines))
        return "\n".join(lines[start - 1 : end]) + ("\n" if end >= start else "")


Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def reachable_definitions(statements: list[ast.stmt]) -> Iterator[Definition]:
    """Every def/class `ast` node reachable without entering a function body, outermost first."""
    for node in statements:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node
            if isinstance(node, ast.ClassDef):
                yield from reachable_definitions(node.body)
            continue
        for field_name in ("body", "orelse", "finalbody"):
            yield from reachable_definitions(getattr(node, field_name, None) or [])
        for branch in [*(getattr(node, "handlers", None) or []), *(getattr(node, "cases", None) or [])]:
            yield from reachable_definitions(branch.body)


_TOP_LEVEL_DEFINITION = re.compile(r"(?:@|def\s|async\s+def\s|class\s)")


def split_top_level(text: str) -> list[str]:
    """Cut source at column-0 `def`/`class`/decorator lines: the recovery units for broken files."""
    chunks: list[list[str]] = [[]]
    previous = ""
    for line in text.split("\n"):
        if _TOP_LEVEL_DEFINITION.match(line) and not previous.startswith("@") and chunks[-1]:
            chunks.append([])
        chunks[-1].append(line)
        previous = line
    return ["\n".join(chunk) + "\n" for chunk in chunks]


def blank_function_bodies(text: str) -> str | None:
    """``text`` with the bodies of reachable functions emptied, line numbers kept; None if `ast` rejects it.

    Docstrings, `@core_logic` functions and functions with a `# [HOT]` comment are left whole.
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    lines = text.split("\n")
    for node in reachable_definitions(tree.body):
        if isinstance(node, ast.ClassDef) or node.end_lineno is None:
            continue
        span = lines[node.lineno - 1 : node.end_lineno]
        if any("[HOT]" in line for line in span) or any(
            "core_logic" in ast.unparse(decorator) for decorator in node.decorator_list
        ):
            continue
        first = node.body[0]
        first_line = lines[first.lineno - 1]
        if first_line.encode("utf-8")[: first.col_offset].strip():
            continue  # the body shares its line with the header
        docstring = ast.get_docstring(node, clean=False) is not None
        start = (first.end_lineno or first.lineno) + 1 if docstring else first.lineno
        for index in range(start, node.end_lineno + 1):
            lines[index - 1] = ""
        if not docstring:
            lines[first.lineno - 1] = first_line[: len(first_line) - len(first_line.lstrip())] + "pass"
    return "\n".join(lines)


def _text(node: ts.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _name(node: ts.Node) -> str:
    name = node.child_by_field_name("name")
    return _text(name) if name is not None else "?"


def _enclosing_definitions(node: ts.Node) -> list[ts.Node]:
    scope = []
    parent = node.parent
    while parent is not None:
        if parent.type in ("class_definition", "function_definition"):
            scope.append(parent)
        parent = parent.parent
    return scope[::-1]


def _first_block(node: ts.Node) -> ts.Node | None:
    for child in node.children:
        if child.type == "block":
            return child
    return None


class _Lines:
    """One view being built: its lines and the source row of each (None for a line the view made up)."""

    __slots__ = ("lines", "rows")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.rows: list[int | None] = []

    def add(self, text: str, row: int | None) -> int:
        """Lines of the view, the first from source row ``row`` (None: made up), the rest from the rows after;
        returns the index of the last (where a header's `...` goes)."""
        if "\n" not in text:  # most lines: one header, one field
            self.lines.append(text)
            self.rows.append(row)
            return len(self.lines) - 1
        parts = text.split("\n")
        self.lines.extend(parts)
        self.rows.extend(range(row, row + len(parts)) if row is not None else [None] * len(parts))
        return len(self.lines) - 1

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n" if self.lines else ""


class _ViewBuilder:
    """Walks module and class level once (never into function bodies) and emits both views as lines: the
    skeleton and the curated view share the walk and every header."""

    def __init__(self, parsed: ParsedSource) -> None:
        self.parsed = parsed
        self.data = parsed.data
        self.skeleton = _Lines()
        self.curated = _Lines()
        self.kept_bodies = False
        """A `@core_logic` or `# [HOT]` body was kept whole in the curated view."""
        self.rewritten = False
        """Some tokens were not copied as the source has them (a continuation dropped, a field's annotation put on
        one line, a statement moved off its header's line): such views are checked."""

    def build(self) -> tuple[_Lines, _Lines]:
        self.block(self.parsed.tree.root_node, docstring=True)
        return self.skeleton, self.curated

    # -- text helpers ------------------------------------------------------------------------------
    def starts_line(self, node: ts.Node) -> bool:
        line_start = self.data.rfind(b"\n", 0, node.start_byte) + 1
        return not self.data[line_start : node.start_byte].strip()

    def indent_for(self, node: ts.Node) -> str:
        """Indentation to emit ``node`` at on a line of its own.

        A statement sharing its line with its block's header (`class A: x = 1`) gets the header's indentation
        plus four spaces; one after a `;` gets the indentation of its line.
        """
        start = node.start_byte
        if start == 0 or self.data[start - 1] == 10:  # at column 0 (module level): no indentation
            return ""
        line_start = self.data.rfind(b"\n", 0, start) + 1
        prefix = self.data[line_start:start]
        if not prefix.strip():  # the node starts its line (nearly always): its indentation is the prefix
            return prefix.decode("utf-8", errors="replace")
        self.rewritten = True
        indent = prefix[: len(prefix) - len(prefix.lstrip())]
        block = node.parent
        if block is None or block.type != "block" or line_start + len(indent) >= block.start_byte:
            return indent.decode("utf-8", errors="replace")
        owner = block.parent
        return (self.indent_for(owner) if owner is not None else "") + "    "

    def without_comments(self, node: ts.Node, end: int) -> str:
        """Source bytes from ``node``'s start to ``end`` with comments (and the blanks before them) removed: the
        tokens that remain are the source's, so this is no rewrite (Python's tokenizer drops comments too)."""
        start = node.start_byte
        if self.data.find(b"#", start, end) < 0:  # most headers: no comment to look for
            return self.data[start:end].decode("utf-8", errors="replace")
        pieces, position = [], start
        for c_start, c_end in _comments_before(node, end):
            cut = c_start
            while cut > position and self.data[cut - 1 : cut] in (b" ", b"\t"):
                cut -= 1
            pieces.append(self.data[position:cut])
            position = min(c_end, end)
        pieces.append(self.data[position:end])
        return b"".join(pieces).decode("utf-8", errors="replace")

    def source(self, node: ts.Node, end_byte: int | None = None, suffix: str = "") -> str:
        """The node's source from its start (at its line's indentation) to ``end_byte``, verbatim."""
        text = self.data[node.start_byte : node.end_byte if end_byte is None else end_byte].decode(
            "utf-8", errors="replace"
        )
        return self.indent_for(node) + text + suffix

    def header(self, node: ts.Node, body: ts.Node) -> str:
        """The header of a def/class/compound statement without comments (both views show it)."""
        text = self.without_comments(node, body.start_byte).rstrip()
        if text.endswith("\\"):  # `def f(): \` with the body on the next line: the continuation goes too
            self.rewritten = True
            while text.endswith("\\"):
                text = text[:-1].rstrip()
        return self.indent_for(node) + text

    # -- structure ---------------------------------------------------------------------------------
    def contains_definition(self, node: ts.Node) -> bool:
        for child in node.named_children:
            if child.type in DEFINITION_TYPES:
                return True
            if (child.type == "block" or child.type in CLAUSE_TYPES or child.type in COMPOUND_TYPES) and (
                self.contains_definition(child)
            ):
                return True
        return False

    def block(self, node: ts.Node, docstring: bool = False, class_kind: str | None = None) -> tuple[bool, bool]:
        """Emit what each view keeps of a block; whether the skeleton, and the curated view, got a statement (not
        only comments). ``class_kind`` (`class` or `enum`) says the block is a class body, whose fields the
        skeleton keeps."""
        in_skeleton = in_curated = False
        children = node.named_children
        first_statement = next((c for c in children if c.type != "comment"), None) if docstring else None
        for child in children:
            kind = child.type
            if kind in DEFINITION_TYPES:
                if self.definition(child):
                    in_skeleton = in_curated = True
            elif kind in COMPOUND_TYPES:
                if self.contains_definition(child):
                    self.compound(child)
                    in_skeleton = in_curated = True
            elif child is first_statement and _is_docstring(child):
                self.curated.add(self.source(child), child.start_point.row)
                in_curated = True
            else:
                if class_kind and self.field(child, class_kind):
                    in_skeleton = True
                if self.curated_statement(child):
                    in_curated = True
        return in_skeleton, in_curated

    def field(self, node: ts.Node, class_kind: str) -> bool:
        """Skeleton of a class body: annotated fields (dataclasses, pydantic, NamedTuple, TypedDict, attrs),
        `x = attr.ib()`-style fields, enum members and `__slots__`, each on one line, long defaults as `...`."""
        if node.type != "expression_statement" or not node.named_children or node.has_error:
            return False
        assignment = node.named_children[0]
        if assignment.type != "assignment":
            return False
        left = assignment.child_by_field_name("left")
        if left is None or left.type != "identifier":
            return False
        kind, right = assignment.child_by_field_name("type"), assignment.child_by_field_name("right")
        name = _text(left)
        value = _text(right) if right is not None else None
        keep = kind is not None or name == "__slots__" or (class_kind == "enum" and not name.startswith("_")) or (
            value is not None and _FIELD_CALL.match(value) is not None)
        if not keep:
            return False
        line = name
        if kind is not None:
            annotation = self.without_comments(kind, kind.end_byte)
            if "\n" in annotation:
                self.rewritten = True
                annotation = _one_line(annotation)
            line += f": {annotation}"
        if value is not None:
            short = value if "\n" not in value and len(value) <= MAX_FIELD_DEFAULT else "..."
            line += f" = {short}"
        self.skeleton.add(self.indent_for(node) + line, node.start_point.row)
        return True

    def curated_statement(self, node: ts.Node) -> bool:
        """A statement only the curated view shows: comments on their own line, imports, assignments."""
        kind = node.type
        if kind == "comment":
            if self.starts_line(node):
                self.curated.add(self.source(node), node.start_point.row)
            return False
        if kind in IMPORT_TYPES or kind == "type_alias_statement":
            self.curated.add(self.source(node), node.start_point.row)
            return True
        if kind == "expression_statement" and node.named_children and node.named_children[0].type == "assignment":
            self.assignment(node, node.named_children[0])
            return True
        return False

    def assignment(self, statement: ts.Node, assignment: ts.Node) -> None:
        value = assignment.child_by_field_name("right")
        lines = statement.end_point.row - statement.start_point.row + 1
        if value is None or lines <= MAX_ASSIGNMENT_LINES or statement.has_error:
            self.curated.add(self.source(statement), statement.start_point.row)
        else:
            self.curated.add(self.source(statement, end_byte=value.start_byte, suffix=HIDDEN),
                             statement.start_point.row)

    def both(self, text: str, row: int) -> tuple[int, int]:
        """A header both views show; its last line's index in each."""
        return self.skeleton.add(text, row), self.curated.add(text, row)

    def close_empty(self, headers: tuple[int, int], shown: tuple[bool, bool]) -> None:
        """`...` after a header whose block showed no statement in that view."""
        for view, header, emitted in zip((self.skeleton, self.curated), headers, shown, strict=True):
            if not emitted:
                view.lines[header] += " ..."

    def compound(self, node: ts.Node) -> None:
        body = _first_block(node)
        if body is None:
            return
        headers = self.both(self.header(node, body), node.start_point.row)
        if node.type == "match_statement":
            for case in body.named_children:
                if case.type == "case_clause":
                    self.compound(case)
        else:
            self.close_empty(headers, self.block(body))
        for child in node.children:
            if child.type in CLAUSE_TYPES and child.start_byte >= body.end_byte:
                self.compound(child)

    def definition(self, node: ts.Node) -> bool:
        inner = node.child_by_field_name("definition") if node.type == "decorated_definition" else node
        if inner is None:
            return False
        body = inner.child_by_field_name("body")
        if body is None or _header_has_error(node, body):
            return False
        header = self.header(node, body)
        row = node.start_point.row
        if inner.type == "class_definition":
            headers = self.both(header, row)
            self.comments_before_body(inner, body)
            bases = inner.child_by_field_name("superclasses")
            kind = "enum" if bases is not None and ENUM_BASE.search(_text(bases)) else "class"
            self.close_empty(headers, self.block(body, docstring=True, class_kind=kind))
            return True
        self.skeleton.add(header + " ...", row)
        if self.keeps_body(node, inner):
            self.kept_bodies = True
            self.curated.add(self.source(node), row)
            return True
        doc = body.named_children[0] if body.named_children else None
        if doc is not None and _is_docstring(doc):
            self.curated.add(header, row)
            indent = self.indent_for(doc)
            self.curated.add(indent + self.without_comments(doc, doc.end_byte), doc.start_point.row)
            self.curated.add(indent + HIDDEN, None)
        else:
            self.curated.add(header + " " + HIDDEN, row)
        return True

    def comments_before_body(self, definition: ts.Node, body: ts.Node) -> None:
        """Comments between `class X:` and its first statement belong to the class node, not its block."""
        for child in definition.children:
            if child.type == "comment" and child.start_byte < body.start_byte and self.starts_line(child):
                self.curated.add(self.source(child), child.start_point.row)

    def keeps_body(self, node: ts.Node, inner: ts.Node) -> bool:
        """`@core_logic` or a `# [HOT]` comment inside: the curated view keeps the whole function."""
        if node.has_error:
            return False
        if node.type == "decorated_definition":
            for decorator in node.named_children:
                if decorator.type == "decorator" and _CORE_LOGIC.match(_text(decorator)):
                    return True
        hot = self.parsed.hot_positions
        index = bisect.bisect_left(hot, node.start_byte)
        return index < len(hot) and hot[index] < inner.end_byte


class _ViewText(NamedTuple):
    """One view as kept: the source row of each line, and the text."""

    rows: ViewRows
    text: str


@dataclass
class _BuiltViews:
    """Both views of one tree, built in one walk, with what decides whether they are shown as built.

    A view copies the source's own tokens (comments aside), so it is valid Python wherever the source is: it is not
    parsed again. That holds where this Python rejects the source too: a 3.12 `def f[T]()` keeps its type
    parameters when this Python is 3.11, and `def f(a=1, b)` is shown as written. Two kinds of view are checked
    with Python's own parser: those built from a tree with errors (never shown as built: each top-level definition
    is viewed on its own), and those whose text the builder changed (a continuation dropped, an annotation put on
    one line, a statement moved off its header's line) or that keep whole function bodies. A checked view Python
    rejects is kept only when Python rejects the source as well (the change is not to blame).
    """

    skeleton: _ViewText
    curated: _ViewText
    source: str
    """The text the views were built from."""
    broken: bool
    """The tree has errors."""
    kept_bodies: bool
    """The curated view keeps a whole function body (`@core_logic`, `# [HOT]`)."""
    rewritten: bool
    """The builder changed some of the text (`_ViewBuilder.rewritten`)."""

    @cached_property
    def source_valid(self) -> bool:
        return is_valid_python(self.source)

    @cached_property
    def skeleton_valid(self) -> bool:
        if self.broken:
            return False
        return not self.rewritten or is_valid_python(self.skeleton.text) or not self.source_valid

    @cached_property
    def curated_valid(self) -> bool:
        if self.broken:
            return False
        if not self.kept_bodies and (not self.rewritten or self.skeleton_valid):
            return True  # the curated view's headers are the skeleton's; the rest is source text
        return is_valid_python(self.curated.text) or not self.source_valid


def _built_views(parsed: ParsedSource) -> _BuiltViews:
    """The views of ``parsed``, built once per parse (and kept with it: they hold no reference back, so a parse
    is freed as soon as it is dropped, not at the next garbage collection)."""
    built: _BuiltViews | None = parsed.__dict__.get("_built_views")
    if built is None:
        broken = parsed.tree.root_node.has_error
        builder = _ViewBuilder(parsed)
        skeleton, curated = builder.build() if not broken else (_Lines(), _Lines())
        built = _BuiltViews(_ViewText(skeleton.rows, skeleton.text), _ViewText(curated.rows, curated.text),
                            parsed.text, broken, builder.kept_bodies, builder.rewritten)
        parsed.__dict__["_built_views"] = built
    return built


def _reachable_names(source: str) -> list[str]:
    """Names of the defs and classes not inside a function (what a skeleton shows), found line by line so that
    a header no parser accepts is still counted."""
    names: list[str] = []
    stack: list[tuple[int, str]] = []
    for indent_text, kind, name in _DEFINED.findall(source):
        indent = len(indent_text.expandtabs())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if not any(k == "def" for _, k in stack):
            names.append(name)
        stack.append((indent, kind))
    return names


def _one_line(text: str) -> str:
    """An annotation written over several lines (its comments cut), on one: `dict[\n str, int\n]` ->
    `dict[str, int]`; a backslash continuation goes with its line break."""
    joined = _LINE_BREAK.sub(" ", text)
    return re.sub(r"\s+([\])])", r"\1", re.sub(r"([\[(])\s+", r"\1", joined))


def _dropped_note(source: ParsedSource, view: str) -> str:
    """Never drop a definition silently: a comment naming the ones the view could not show."""
    reachable = source.reachable_names
    if not reachable:
        return ""
    shown = {name for _, _, name in _DEFINED.findall(view)}
    missing = [name for name in reachable if name not in shown]
    if not missing:
        return ""
    listed = ", ".join(missing[:20]) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
    return f"# not shown (their source could not be parsed): {listed}\n"


def _is_docstring(node: ts.Node) -> bool:
    return (
        node.type == "expression_statement"
        and len(node.named_children) == 1
        and node.named_children[0].type in STRING_TYPES
    )


def _comments_before(node: ts.Node, end: int) -> list[tuple[int, int]]:
    """Byte ranges of the comments in ``node``'s subtree that start before ``end`` (a header's), in order: asked of
    the comments query over the header's bytes alone, never over the whole file."""
    found = captures("comments", node, (node.start_byte, end)).get("comment", [])
    return [(n.start_byte, n.end_byte) for n in found if n.start_byte < end]


def _header_has_error(node: ts.Node, body: ts.Node) -> bool:
    """An error or missing token before the body: the signature cannot be trusted."""
    if not node.has_error:
        return False
    for child in node.children:
        if child.start_byte >= body.start_byte:
            break
        if child.type in ("function_definition", "class_definition"):
            if _header_has_error(child, body):
                return True
        elif child.is_error or child.is_missing or child.has_error:
            return True
    return False


ViewLines = list[tuple[int | None, str]]
"""A view line by line: (the source row it came from, 0-based, or None for a made-up line; its text)."""
ViewRows = list[int | None]
"""The source row (0-based) of each line of a view; None for a line the view made up."""


def number_lines(text: str, numbers: list[int | None], total_lines: int) -> str:
    """``text`` with each line prefixed by its number in the file (``numbers``, 1-based; None: a line the view
    made up gets none), so a worker can ask for exactly the lines it needs."""
    width = len(str(total_lines))
    lines = text.split("\n")  # not splitlines(): a form feed inside a line is not a line break
    if text.endswith("\n"):
        lines.pop()
    return "".join(f"{'' if number is None else number:>{width}}| {line}\n"
                   for number, line in zip(numbers, lines, strict=False))
