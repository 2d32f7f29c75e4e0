from pathlib import Path

import pytest

from file_cache import ASTParser, Symbol, SymbolNotFoundError, is_valid_python
from file_cache import parser as parser_module
from file_cache.parser import number_lines, split_top_level
from file_cache.verify import lost_fields, lost_signatures

SAMPLES = Path(__file__).with_name("samples")


@pytest.fixture(scope="module")
def parser() -> ASTParser:
    return ASTParser()


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


MIXED_SKELETON = '''\
class A(Base, metaclass=Meta):
    field: int = 3
    @property
    def p(self) -> int: ...
    async def g(self, a, /, b: int = 3, *args, c: "str" = "x", **kw) -> dict[str, int]: ...
    class Inner:
        def deep(self): ...
@core_logic
def important(x): ...
def hot(): ...
def doc_one_line(): ...
if TYPE_CHECKING:
    def only_typing(a: int) -> None: ...
else: ...
try: ...
except ImportError:
    def thing(x,
              y=(1,
                 2)): ...
'''

MIXED_CURATED = '''\
"""Module doc."""
import os
from typing import overload
# Block comment about X
X = 1
BIG = ... # Hidden
class A(Base, metaclass=Meta):
    # inside class
    """Class doc."""
    field: int = 3
    @property
    def p(self) -> int:
        """Prop doc."""
        ... # Hidden
    async def g(self, a, /, b: int = 3, *args, c: "str" = "x", **kw) -> dict[str, int]: ... # Hidden
    class Inner:
        def deep(self): ... # Hidden
@core_logic
def important(x):
    y = x + 1
    return y
def hot():
    # [HOT]
    return 42
def doc_one_line():
    "doc"
    ... # Hidden
if TYPE_CHECKING:
    def only_typing(a: int) -> None: ... # Hidden
else:
    X = 2
try:
    from fast import thing
except ImportError:
    def thing(x,
              y=(1,
                 2)): ... # Hidden
'''


def test_skeleton_keeps_every_signature_and_drops_bodies_docstrings_and_comments(parser):
    assert parser.get_skeleton_view(sample("mixed.py")) == MIXED_SKELETON


def test_curated_keeps_docstrings_comments_structure_and_marked_bodies(parser):
    assert parser.get_curated_view(sample("mixed.py")) == MIXED_CURATED


def test_views_keep_signatures_as_ast_sees_them(parser):
    source = sample("mixed.py").decode()
    assert lost_signatures(source, parser.get_skeleton_view(source)) == []
    assert lost_signatures(source, parser.get_curated_view(source)) == []


def test_overloads_and_stacked_decorators(parser):
    assert parser.get_skeleton_view(sample("overloads.py")) == (
        "class Parser:\n"
        "    @overload\n"
        "    def parse(self, data: str) -> str: ...\n"
        "    @overload\n"
        "    def parse(self, data: bytes) -> bytes: ...\n"
        "    def parse(self, data): ...\n"
        "    @staticmethod\n"
        "    @functools.lru_cache(maxsize=None)\n"
        '    def cached(key: str, /, *, default: "int | None" = None) -> "int | None": ...\n'
    )


def test_core_logic_decorator_variants_keep_the_body(parser):
    source = (
        "@markers.core_logic\ndef a():\n    return 1\n@core_logic()\ndef b():\n    return 2\n"
        "@not_core_logic\ndef c():\n    return 3\n"
    )
    assert parser.get_curated_view(source) == (
        "@markers.core_logic\ndef a():\n    return 1\n@core_logic()\ndef b():\n    return 2\n"
        "@not_core_logic\ndef c(): ... # Hidden\n"
    )


def test_one_line_bodies_get_their_own_indentation(parser):
    source = 'class E(Exception): """Doc on the header line."""\nclass K: x = 1; y = 2\n'
    assert parser.get_curated_view(source) == (
        'class E(Exception):\n    """Doc on the header line."""\nclass K:\n    x = 1\n    y = 2\n'
    )
    assert is_valid_python(parser.get_curated_view(source))


def test_match_statement_keeps_every_case(parser):
    source = "match x:\n    case 1:\n        def f(): pass\n    case _:\n        y = 2\n"
    assert parser.get_skeleton_view(source) == "match x:\n    case 1:\n        def f(): ...\n    case _: ...\n"


def test_nested_function_bodies_are_never_entered(parser):
    source = "def outer():\n    def inner():\n        pass\n    class Local:\n        pass\n"
    assert parser.get_skeleton_view(source) == "def outer(): ...\n"


def test_tabs_and_form_feeds_keep_their_indentation(parser):
    source = "class T:\n\tdef a(self):\n\t\treturn 1\n\f\n\tdef b(self): pass\n"
    skeleton = parser.get_skeleton_view(source)
    assert skeleton == "class T:\n\tdef a(self): ...\n\tdef b(self): ...\n"


def test_broken_source_gives_a_best_effort_valid_view(parser):
    dropped = "# not shown (their source could not be parsed): broken\n"  # never dropped silently
    assert parser.get_skeleton_view(sample("broken.py")) == (
        "def good(a: int) -> int: ...\nclass Fine:\n    def method(self): ...\n" + dropped
    )
    assert parser.get_curated_view(sample("broken.py")) == (
        "import os\ndef good(a: int) -> int: ... # Hidden\nclass Fine:\n    def method(self): ... # Hidden\n" + dropped
    )


@pytest.mark.parametrize(
    "source",
    ["def f(:\n", "class (", ")))\n", "def f(x):\n  return [\n", "@\n", "if x:\ndef y(): pass", "\x00\x01", "'''"],
)
def test_garbage_never_raises_and_stays_valid(parser, source):
    assert is_valid_python(parser.get_skeleton_view(source))
    assert is_valid_python(parser.get_curated_view(source))


def test_grammar_gap_that_cpython_accepts_is_repaired(parser):
    # tree-sitter-python rejects a dedent inside brackets; CPython accepts it (seen in test_compile.py).
    source = "class T:\n    def f(self):\n        x = (bar.\n    baz)\n        return x\n    def g(self): pass\n"
    assert parser.parse(source).tree.root_node.has_error
    assert parser.get_skeleton_view(source) == "class T:\n    def f(self): ...\n    def g(self): ...\n"


def test_crlf_empty_and_non_utf8(parser):
    assert parser.get_skeleton_view(sample("crlf.py")) == "def f(a,\n      b): ...\nclass C: ...\n"
    assert parser.get_skeleton_view("") == ""
    assert parser.get_curated_view("") == ""
    assert parser.get_skeleton_view(sample("latin1.py")) == "def café_name(): ...\n"
    assert parser.get_skeleton_view(b"def f(x='\xff\xfe'):\n    pass\n") == "def f(x='\ufffd\ufffd'): ...\n"


def test_huge_file(parser):
    source = "".join(f"def f{i}(a: int = {i}) -> int:\n    return a * {i}\n" for i in range(20_000))
    skeleton = parser.get_skeleton_view(source)
    assert skeleton.count("\n") == 20_000
    assert skeleton.splitlines()[-1] == "def f19999(a: int = 19999) -> int: ..."


def test_outline(parser):
    outline = parser.get_outline(sample("overloads.py"))
    assert outline == [
        Symbol("class", "Parser", 4, 16),
        Symbol("method", "Parser.parse", 5, 6),
        Symbol("method", "Parser.parse", 7, 8),
        Symbol("method", "Parser.parse", 9, 11),
        Symbol("method", "Parser.cached", 13, 16),
    ]
    nested = parser.get_outline("async def outer():\n    def inner():\n        pass\n")
    assert nested == [Symbol("function", "outer", 1, 3, is_async=True), Symbol("function", "outer.inner", 2, 3)]


def test_definition_and_slice(parser):
    source = sample("mixed.py")
    assert parser.get_definition(source, "A.Inner.deep") == "        def deep(self): return 2\n"
    assert parser.get_definition(source, "deep") == "        def deep(self): return 2\n"
    assert parser.get_definition(source, "important") == "@core_logic\ndef important(x):\n    y = x + 1\n    return y\n"
    with pytest.raises(SymbolNotFoundError, match="did you mean important"):
        parser.get_definition(source, "importnt")
    with pytest.raises(SymbolNotFoundError, match="ambiguous"):
        parser.get_definition(sample("overloads.py"), "parse")
    assert parser.get_slice(source, 1, 2) == '"""Module doc."""\nimport os\n'
    assert parser.get_slice(source, 0, 1) == '"""Module doc."""\n'
    assert parser.get_slice(source, 500, 600) == ""


def test_split_top_level_cuts_at_definitions_not_between_decorator_and_def():
    assert split_top_level("import os\n@d\ndef f(): pass\nclass C: pass") == [
        "import os\n", "@d\ndef f(): pass\n", "class C: pass\n"
    ]


def test_skeletons_keep_class_fields_enum_members_and_slots(parser):
    source = (
        "import enum\nfrom dataclasses import dataclass, field\nimport attr\n\n"
        "@dataclass\nclass Item:\n    name: str\n    price: float = 0.0\n"
        "    tags: list[str] = field(default_factory=list)\n"
        "    note: str = 'a default far too long to be worth its tokens in a skeleton'\n    _cache = {}\n"
        "    def total(self) -> float:\n        return self.price\n\n"
        "class Color(enum.Enum):\n    RED = 1\n    GREEN = 'green'\n\n"
        "@attr.s\nclass A:\n    __slots__ = ('x',)\n    x = attr.ib()\n    plain = 5\n\n"
        "class Wide:\n    table: dict[\n        str, int\n    ] = {\n        'a': 1,\n    }\n"
    )
    assert parser.get_skeleton_view(source) == (
        "@dataclass\nclass Item:\n    name: str\n    price: float = 0.0\n"
        "    tags: list[str] = field(default_factory=list)\n    note: str = ...\n"
        "    def total(self) -> float: ...\n"
        "class Color(enum.Enum):\n    RED = 1\n    GREEN = 'green'\n"
        "@attr.s\nclass A:\n    __slots__ = ('x',)\n    x = attr.ib()\n"
        "class Wide:\n    table: dict[str, int] = ...\n"
    )
    assert lost_fields(source, parser.get_skeleton_view(source)) == []
    assert lost_fields(source, "class Item: ...\n") == ["A.__slots__", "Color.GREEN", "Color.RED", "Item.name",
                                                        "Item.note", "Item.price", "Item.tags", "Wide.table"]


def test_text_the_builder_changes_stays_valid_python(parser):
    continuation = "def f(): \\\n    return 1\n\nclass C:\n    def g(self): \\\n        pass\n"
    assert parser.get_skeleton_view(continuation) == "def f(): ...\nclass C:\n    def g(self): ...\n"
    # an annotation over several lines, with a comment and a backslash continuation, is put on one line
    fields = "class A:\n    x: dict[  # keys\n        str, int] = {}\n    y: int \\\n        | None = 0\n"
    assert parser.get_skeleton_view(fields) == "class A:\n    x: dict[str, int] = {}\n    y: int | None = 0\n"
    on_its_header_line = "class A: x: int = 1; y = 2\ndef f(): 'Doc.'\n"
    assert parser.get_curated_view(on_its_header_line) == (
        "class A:\n    x: int = 1\n    y = 2\ndef f():\n    'Doc.'\n    ... # Hidden\n")
    for source in (continuation, fields, on_its_header_line):
        assert is_valid_python(parser.get_skeleton_view(source)) and is_valid_python(parser.get_curated_view(source))


def test_a_view_shows_the_source_as_written_where_this_python_rejects_it(parser):
    # tree-sitter parses these cleanly: the views copy the source's tokens, so they are as valid as the file (a
    # 3.12 generic keeps its type parameters on 3.11, where dropping it would hide a definition from the model)
    newer = "def first[T](items: list[T]) -> T:\n    return items[0]\n\nclass Box[T]:\n    item: T\n"
    assert parser.get_skeleton_view(newer) == "def first[T](items: list[T]) -> T: ...\nclass Box[T]:\n    item: T\n"
    rejected = "def ok(a): pass\n\ndef bad(a=1, b): pass\n"
    assert parser.get_skeleton_view(rejected) == "def ok(a): ...\ndef bad(a=1, b): ...\n"
    # the same holds in a file whose view the builder changed (so it is checked): the change is not to blame
    changed = "class A:\n    x: dict[\n        str, int]\n\n" + newer
    assert parser.get_skeleton_view(changed) == (
        "class A:\n    x: dict[str, int]\ndef first[T](items: list[T]) -> T: ...\nclass Box[T]:\n    item: T\n")


def test_a_changed_view_python_rejects_where_it_accepts_the_source_is_cut_to_what_is_valid(parser, monkeypatch):
    # the safety net behind the builder's changes: were one of them wrong, the view would lose the definition,
    # said in a note, and stay valid Python
    monkeypatch.setattr(parser_module, "_one_line", lambda text: text.replace("\n", " ("))
    source = "def ok(a): pass\n\nclass A:\n    x: dict[\n        str, int]\n"
    view = parser.get_skeleton_view(source)
    assert view == "def ok(a): ...\n# not shown (their source could not be parsed): A\n"


def test_a_header_no_parser_here_accepts_is_reported_not_dropped(parser):
    source = "def first(x): pass\n\ndef typed[T = int](value: T) -> T:\n    return value\n"
    view = parser.get_skeleton_view(source)
    assert is_valid_python(view)
    assert "def first(x): ..." in view and "typed" in view.splitlines()[-1]


def test_views_carry_the_source_row_of_every_line():
    source = ("class A:\n    def run(self):\n        return 1\n\n\nclass B:\n    # same header as A's\n"
              "    def run(self):\n        '''Run B.'''\n        return 2\n")
    parser = ASTParser()
    assert parser.get_view_lines(source, curated=False) == [
        (0, "class A:"), (1, "    def run(self): ..."), (5, "class B:"), (7, "    def run(self): ...")]
    assert parser.get_view_lines(source, curated=True) == [
        (0, "class A:"), (1, "    def run(self): ... # Hidden"), (5, "class B:"), (6, "    # same header as A's"),
        (7, "    def run(self):"), (8, "        '''Run B.'''"), (None, "        ... # Hidden")]
    view = parser.get_curated_view(source)
    numbers = [None if row is None else row + 1 for row, _ in parser.get_view_lines(source, curated=True)]
    assert number_lines(view, numbers, 10).splitlines()[-3:] == [
        " 8|     def run(self):", " 9|         '''Run B.'''", "  |         ... # Hidden"]


def test_a_broken_file_keeps_the_rows_of_what_it_still_shows():
    source = "def ok(a):\n    return a\n\n\ndef broken(:\n    pass\n\n\ndef later(b):\n    return b\n"
    lines = ASTParser().get_view_lines(source, curated=False)
    assert lines == [(0, "def ok(a): ..."), (8, "def later(b): ..."),
                     (None, "# not shown (their source could not be parsed): broken")]
