"""Regenerate the failure corpus: small sample projects with seeded bugs, the real tools run on them, and two real
third-party test suites (their sdists from the registry) with bugs injected.

    python -m venv /tmp/corpus && /tmp/corpus/bin/pip install pytest pytest-xdist hypothesis mypy ruff flake8 \\
        pylint black isort bandit coverage tox nox nose2 django basedpyright wheel pretend tomli_w
    (cd /tmp/js && npm install jest@29)        # for the jest case
    CONDUCTOR_CORPUS_NODE_MODULES=/tmp/js/node_modules /tmp/corpus/bin/python -m scripts.failure_corpus

gcc, g++, javac, rustc, make, git and node come from the system; a tool that is missing is skipped (and said).

Writes `tests/conductor/failure_corpus/projects/<project>/...` (the sample sources) and
`tests/conductor/failure_corpus/cases/<case>.json`: the command, its exit code, its real output (the temporary
project folder replaced by `{ROOT}`), and the facts each failure's record must hold: test id, exception type,
message fragment, and the deepest place inside the project (file and line, found from the `# BUG` markers the
sources carry). Run it again when pytest, Python, mypy, ruff or gcc change their formats.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from scripts.corpus_projects import PROJECTS2

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "conductor" / "failure_corpus"

PROJECTS: dict[str, dict[str, str]] = {
    "shop": {
        "shop/__init__.py": "",
        "shop/cart.py": '''\
from shop.inventory import price_of


class Cart:
    def __init__(self) -> None:
        self.items: dict[str, int] = {}

    def add(self, sku: str, count: int = 1) -> None:
        self.items[sku] = self.items.get(sku, 0) + count

    def total(self) -> float:
        return sum(price_of(sku) * count for sku, count in self.items.items())

    def discounted(self, percent: float) -> float:
        rate = percent / 100  # BUG:discount (should be 1 - percent / 100)
        return self.total() * rate
''',
        "shop/inventory.py": '''\
PRICES = {"apple": 2.0, "pear": 3.0}


def price_of(sku: str) -> float:
    return PRICES[sku]  # BUG:keyerror
''',
        "shop/stats.py": '''\
def mean(values: list[float]) -> float:
    return sum(values) / len(values)  # BUG:zerodiv


def report(values: list[float]) -> str:
    return f"mean {mean(values):.2f}"
''',
        "tests/__init__.py": "",
        "tests/conftest.py": '''\
import pytest


@pytest.fixture
def broken_fixture():
    raise RuntimeError("database not reachable")  # BUG:fixture
''',
        "tests/test_cart.py": '''\
import pytest

from shop.cart import Cart


def test_total():
    cart = Cart()
    cart.add("apple", 2)
    assert cart.total() == 4.0


def test_discount():
    cart = Cart()
    cart.add("apple", 4)
    assert cart.discounted(25) == 6.0  # BUG:assert


def test_unknown_item():
    cart = Cart()
    cart.add("sku-9")
    assert cart.total() == 0


@pytest.mark.parametrize("count, expected", [(1, 2.0), (3, 7.0)])
def test_scaled(count, expected):
    cart = Cart()
    cart.add("apple", count)
    assert cart.total() == expected  # BUG:param
''',
        "tests/test_stats.py": '''\
from shop.stats import report


def test_report_empty():
    assert report([]) == "mean 0.00"


def test_uses_database(broken_fixture):
    assert broken_fixture
''',
    },
    "collect": {
        "pkg/__init__.py": "",
        "pkg/good.py": "def one() -> int:\n    return 1\n",
        "tests/__init__.py": "",
        "tests/test_imports.py": "from pkg.missing import thing  # BUG:import\n\n\ndef test_thing():\n"
                                 "    assert thing\n",
        "tests/test_syntax.py": "def test_broken():\n    value = (1,\n    assert value  # BUG:syntax\n",
        "tests/test_good.py": "from pkg.good import one\n\n\ndef test_one():\n    assert one() == 1\n",
    },
    "scripts": {
        "app/__init__.py": "",
        "app/config.py": '''\
import json


def load(text: str) -> dict:
    return json.loads(text)


def port(text: str) -> int:
    try:
        return int(load(text)["port"])  # BUG:chained-inner
    except KeyError as error:
        raise ValueError("config has no port") from error  # BUG:chained-outer
''',
        "app/handling.py": '''\
def parse(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return fallback[value]  # BUG:during


fallback: dict[str, int] = {}
''',
        "app/deep.py": '''\
def level_three(items: list[int]) -> int:
    return items[10]  # BUG:index


def level_two(items: list[int]) -> int:
    return level_three(items) + 1


def level_one() -> int:
    return level_two([1, 2, 3])
''',
        "app/shapes.py": '''\
class Square:
    def __init__(self, side: float) -> None:
        self.side = side

    def area(self) -> float:
        return self.side * self.sidee  # BUG:attribute
''',
        "app/checks.py": '''\
def positive(values: list[int]) -> list[int]:
    return [v for v in values if check(v)]


def check(value: int) -> bool:
    assert value >= 0, f"negative value {value}"  # BUG:assert-script
    return value > 0
''',
        "run_config.py": "from app.config import port\n\nprint(port('{\"host\": \"x\"}'))\n",
        "run_handling.py": "from app.handling import parse\n\nprint(parse('seven'))\n",
        "run_deep.py": "from app.deep import level_one\n\nprint(level_one())\n",
        "run_shapes.py": "from app.shapes import Square\n\nprint(Square(2).area())\n",
        "run_checks.py": "from app.checks import positive\n\nprint(positive([3, -1, 4]))\n",
        "run_json.py": "from app.config import load\n\nprint(load('{broken'))  # BUG:json\n",
        "broken_syntax.py": "def f(:\n    return 1  # BUG:script-syntax\n",
        "run_recursion.py": "def down(n):\n    return down(n + 1)  # BUG:recursion\n\n\ndown(0)\n",
    },
    "unit": {
        "calc/__init__.py": "",
        "calc/ops.py": '''\
def add(a: int, b: int) -> int:
    return a - b  # BUG:add


def divide(a: int, b: int) -> float:
    return a / b  # BUG:divide
''',
        "tests/__init__.py": "",
        "tests/test_ops.py": '''\
import unittest

from calc.ops import add, divide


class OpsTest(unittest.TestCase):
    def test_add(self):
        self.assertEqual(add(2, 3), 5)  # BUG:unit-assert

    def test_divide(self):
        self.assertEqual(divide(1, 0), 0)

    def test_ok(self):
        self.assertTrue(True)
''',
    },
    "typed": {
        "lib/__init__.py": "",
        "lib/service.py": '''\
import os
from typing import Optional


def name_length(name: Optional[str]) -> int:
    return len(name)  # BUG:mypy-arg


def greeting(name: str) -> str:
    return 42  # BUG:mypy-return


def undefined() -> int:
    return missing_value  # BUG:ruff-undefined
''',
        "native/sum.c": '#include <stdio.h>\n\nint main(void) {\n    int total = 0\n'
                        '    printf("%d\\n", total);  /* BUG:c-syntax */\n    return 0;\n}\n',
    },
    "classes": {
        "bank/__init__.py": "",
        "bank/account.py": '''\
class InsufficientFunds(Exception):
    pass


class Account:
    def __init__(self, balance: float) -> None:
        self.balance = balance

    def withdraw(self, amount: float) -> None:
        if amount > self.balance:
            raise InsufficientFunds(f"balance {self.balance} < {amount}")  # BUG:raise
        self.balance -= amount

    def interest(self, rate: float) -> float:
        return round(self.balance * rate)  # BUG:round
''',
        "tests/__init__.py": "",
        "tests/test_account.py": '''\
import pytest

from bank.account import Account


class TestAccount:
    def test_withdraw_too_much(self):
        Account(10).withdraw(20)

    def test_interest(self):
        assert Account(100).interest(0.015) == 1.5  # BUG:class-assert

    @pytest.mark.parametrize("amount", [5, 50])
    def test_withdraw(self, amount):
        account = Account(20)
        account.withdraw(amount)
        assert account.balance == 20 - amount
''',
    },
}


PROJECTS.update(PROJECTS2)


def marker_line(project: str, path: str, marker: str) -> int:
    for number, line in enumerate(PROJECTS[project][path].splitlines(), 1):
        if f"BUG:{marker}" in line:
            return number
    raise KeyError(f"{project}/{path}: no marker {marker}")


def fact(project: str, path: str, marker: str | None, exception: str | None, test: str | None = None,
         message: str | None = None) -> dict[str, Any]:
    line = marker_line(project, path, marker) if marker else 0  # 0: set in FIXED_LINES
    return {"test": test, "exception": exception, "path": path, "line": line, "message": message}


SHOP_FAILURES = {
    "discount": fact("shop", "tests/test_cart.py", "assert", "AssertionError", "tests/test_cart.py::test_discount",
                     "2.0 == 6.0"),
    "unknown": fact("shop", "shop/inventory.py", "keyerror", "KeyError", "tests/test_cart.py::test_unknown_item",
                    "sku-9"),
    "scaled": fact("shop", "tests/test_cart.py", "param", "AssertionError", "tests/test_cart.py::test_scaled[3-7.0]",
                   "6.0 == 7.0"),
    "empty": fact("shop", "shop/stats.py", "zerodiv", "ZeroDivisionError", "tests/test_stats.py::test_report_empty",
                  "division by zero"),
    "fixture": fact("shop", "tests/conftest.py", "fixture", "RuntimeError", "tests/test_stats.py::test_uses_database",
                    "database not reachable"),
}
CLASS_FAILURES = {
    "withdraw": fact("classes", "bank/account.py", "raise", "InsufficientFunds",
                     "tests/test_account.py::TestAccount::test_withdraw_too_much", "balance 10 < 20"),
    "interest": fact("classes", "tests/test_account.py", "class-assert", "AssertionError",
                     "tests/test_account.py::TestAccount::test_interest", "== 1.5"),
    "withdraw50": fact("classes", "bank/account.py", "raise", "InsufficientFunds",
                       "tests/test_account.py::TestAccount::test_withdraw[50]", "balance 20 < 50"),
}


def case(name: str, project: str, command: str, expected: list[dict[str, Any]], setup: str = "") -> dict[str, Any]:
    """One output: ``command`` run in a fresh copy of ``project`` (after ``setup``, whose output is not kept)."""
    return {"name": name, "project": project, "command": command, "expected": expected, "setup": setup}


def tool_fact(project: str, path: str, marker: str | None, message: str, line: int | None = None,
              exception: str | None = None, test: str | None = None) -> dict[str, Any]:
    """A fact of a tool's finding: its place and a fragment of its message (``line`` when no marker names it)."""
    return {"test": test, "exception": exception, "path": path,
            "line": marker_line(project, path, marker) if marker else line, "message": message}


CASES = [
    case("pytest-long", "shop", "python -m pytest -p no:cacheprovider", list(SHOP_FAILURES.values())),
    case("pytest-short", "shop", "python -m pytest -p no:cacheprovider --tb=short", list(SHOP_FAILURES.values())),
    case("pytest-quiet", "shop", "python -m pytest -p no:cacheprovider -q", list(SHOP_FAILURES.values())),
    case("pytest-line", "shop", "python -m pytest -p no:cacheprovider --tb=line", list(SHOP_FAILURES.values())),
    case("pytest-native", "shop", "python -m pytest -p no:cacheprovider --tb=native", list(SHOP_FAILURES.values())),
    case("pytest-first", "shop", "python -m pytest -p no:cacheprovider -x tests/test_cart.py",
         [SHOP_FAILURES["discount"]]),
    case("pytest-one-file", "shop", "python -m pytest -p no:cacheprovider tests/test_stats.py",
         [SHOP_FAILURES["empty"], SHOP_FAILURES["fixture"]]),
    case("pytest-keyword", "shop", "python -m pytest -p no:cacheprovider -k unknown", [SHOP_FAILURES["unknown"]]),
    case("pytest-verbose", "shop", "python -m pytest -p no:cacheprovider -v tests/test_cart.py",
         [SHOP_FAILURES["discount"], SHOP_FAILURES["unknown"], SHOP_FAILURES["scaled"]]),
    case("pytest-no-summary", "shop", "python -m pytest -p no:cacheprovider -rN tests/test_cart.py",
         [SHOP_FAILURES["discount"], SHOP_FAILURES["unknown"], SHOP_FAILURES["scaled"]]),
    case("pytest-quiet-short", "shop", "python -m pytest -p no:cacheprovider -q --tb=short tests/test_stats.py",
         [SHOP_FAILURES["empty"], SHOP_FAILURES["fixture"]]),
    case("pytest-collection", "collect", "python -m pytest -p no:cacheprovider", [
        fact("collect", "tests/test_imports.py", "import", "ModuleNotFoundError", "tests/test_imports.py",
             "pkg.missing"),
        fact("collect", "tests/test_syntax.py", "syntax", "SyntaxError", "tests/test_syntax.py")]),
    case("pytest-collection-quiet", "collect", "python -m pytest -p no:cacheprovider -q", [
        fact("collect", "tests/test_imports.py", "import", "ModuleNotFoundError", "tests/test_imports.py",
             "pkg.missing"),
        fact("collect", "tests/test_syntax.py", "syntax", "SyntaxError", "tests/test_syntax.py")]),
    case("pytest-classes", "classes", "python -m pytest -p no:cacheprovider", list(CLASS_FAILURES.values())),
    case("pytest-classes-short", "classes", "python -m pytest -p no:cacheprovider --tb=short",
         list(CLASS_FAILURES.values())),
    case("pytest-classes-native", "classes", "python -m pytest -p no:cacheprovider --tb=native -q",
         list(CLASS_FAILURES.values())),
    case("pytest-classes-line", "classes", "python -m pytest -p no:cacheprovider --tb=line",
         list(CLASS_FAILURES.values())),
    case("unittest", "unit", "python -m unittest", [
        fact("unit", "tests/test_ops.py", "unit-assert", "AssertionError", "tests.test_ops.OpsTest.test_add",
             "-1 != 5"),
        fact("unit", "calc/ops.py", "divide", "ZeroDivisionError", "tests.test_ops.OpsTest.test_divide",
             "division by zero")]),
    case("unittest-verbose", "unit", "python -m unittest -v", [
        fact("unit", "tests/test_ops.py", "unit-assert", "AssertionError", "tests.test_ops.OpsTest.test_add",
             "-1 != 5"),
        fact("unit", "calc/ops.py", "divide", "ZeroDivisionError", "tests.test_ops.OpsTest.test_divide",
             "division by zero")]),
    case("unittest-one", "unit", "python -m unittest tests.test_ops.OpsTest.test_divide", [
        fact("unit", "calc/ops.py", "divide", "ZeroDivisionError", "tests.test_ops.OpsTest.test_divide",
             "division by zero")]),
    case("pytest-on-unittest", "unit", "python -m pytest -p no:cacheprovider", [
        fact("unit", "tests/test_ops.py", "unit-assert", "AssertionError", "tests/test_ops.py::OpsTest::test_add",
             "-1 != 5"),
        fact("unit", "calc/ops.py", "divide", "ZeroDivisionError", "tests/test_ops.py::OpsTest::test_divide",
             "division by zero")]),
    case("script-chained", "scripts", "python run_config.py", [
        fact("scripts", "app/config.py", "chained-inner", "ValueError", None, "config has no port")]),
    case("script-during-handling", "scripts", "python run_handling.py", [
        fact("scripts", "app/handling.py", "during", "KeyError", None, "seven")]),
    case("script-deep", "scripts", "python run_deep.py", [
        fact("scripts", "app/deep.py", "index", "IndexError", None, "list index out of range")]),
    case("script-attribute", "scripts", "python run_shapes.py", [
        fact("scripts", "app/shapes.py", "attribute", "AttributeError", None, "sidee")]),
    case("script-assert", "scripts", "python run_checks.py", [
        fact("scripts", "app/checks.py", "assert-script", "AssertionError", None, "negative value -1")]),
    case("script-stdlib-frame", "scripts", "python run_json.py", [
        fact("scripts", "app/config.py", None, "JSONDecodeError", None, "Expecting property name")]),
    case("script-syntax", "scripts", "python broken_syntax.py", [
        fact("scripts", "broken_syntax.py", None, "SyntaxError", None)]),
    case("script-recursion", "scripts", "python run_recursion.py", [
        fact("scripts", "run_recursion.py", "recursion", "RecursionError", None, "maximum recursion depth")]),
    case("mypy", "typed", "python -m mypy --no-error-summary --hide-error-context lib", [
        fact("typed", "lib/service.py", "mypy-arg", None, None, "len"),
        fact("typed", "lib/service.py", "mypy-return", None, None, "Incompatible return value type"),
        fact("typed", "lib/service.py", "ruff-undefined", None, None, "missing_value")]),
    case("mypy-summary", "typed", "python -m mypy lib/service.py", [
        fact("typed", "lib/service.py", "mypy-arg", None, None, "len"),
        fact("typed", "lib/service.py", "mypy-return", None, None, "Incompatible return value type"),
        fact("typed", "lib/service.py", "ruff-undefined", None, None, "missing_value")]),
    case("ruff", "typed", "ruff check --no-cache --select F lib", [
        fact("typed", "lib/service.py", "ruff-undefined", None, None, "F821"),
        {"test": None, "exception": None, "path": "lib/service.py", "line": 1, "message": "F401"},
        {"test": None, "exception": None, "path": "lib/service.py", "line": 2, "message": "F401"}]),
    case("ruff-concise", "typed", "ruff check --no-cache --select F --output-format=concise lib", [
        fact("typed", "lib/service.py", "ruff-undefined", None, None, "F821"),
        {"test": None, "exception": None, "path": "lib/service.py", "line": 1, "message": "F401"},
        {"test": None, "exception": None, "path": "lib/service.py", "line": 2, "message": "F401"}]),
    case("gcc", "typed", "gcc -fsyntax-only native/sum.c", [
        {"test": None, "exception": None, "path": "native/sum.c", "line": 5, "message": "expected"}]),
]

LINT = [tool_fact("lintme", "lintme/shell.py", "imports", "F401"),
        tool_fact("lintme", "lintme/shell.py", "unused-var", "F841"),
        tool_fact("lintme", "lintme/shell.py", "none-compare", "E711")]
PYX = {
    "timeout": fact("pyx", "pyx/netx.py", "timeout", "TimeoutError", "tests/test_async.py::test_fetch_times_out"),
    "raises": fact("pyx", "tests/test_checks.py", "raises", "Failed", "tests/test_checks.py::test_rejects_zero",
                   "DID NOT RAISE"),
    "dict": fact("pyx", "tests/test_checks.py", "dict", "AssertionError", "tests/test_checks.py::test_defaults",
                 "'level': 2"),
    "hypothesis": fact("pyx", "tests/test_props.py", "hypothesis", "AssertionError",
                       "tests/test_props.py::test_clamp_in_range", "11 <= 10"),
    "chained": fact("pyx", "pyx/settings.py", "cfg-inner", "ConfigError", "tests/test_settings.py::test_port",
                    "no port"),
    "teardown": fact("pyx", "tests/test_fixtures.py", "teardown", "RuntimeError",
                     "tests/test_fixtures.py::test_uses_resource", "cleanup failed"),
}
UNIT2 = [fact("unit2", "tests/test_sub.py", "setupclass", "ConnectionError", "tests.test_sub.SetupTest.setUpClass",
              "fixture server down"),
         fact("unit2", "tests/test_sub.py", "subtest", "AssertionError", "tests.test_sub.SubTest.test_double",
              "6 != 7")]

CASES += [
    case("flake8", "lintme", "flake8 lintme", LINT),
    case("pylint", "lintme", "pylint lintme", [
        tool_fact("lintme", "lintme/shell.py", "imports", "C0410"),
        tool_fact("lintme", "lintme/shell.py", "unused-var", "W0612"),
        tool_fact("lintme", "lintme/shell.py", "none-compare", "C0121"),
        tool_fact("lintme", "lintme/kinds.py", None, "C0114", line=1)]),
    case("ruff-lintme", "lintme", "ruff check --no-cache --select E,F --output-format=full lintme", LINT),
    case("black", "lintme", "black --check lintme", [tool_fact("lintme", "lintme/shell.py", None, "reformat")]),
    case("ruff-format", "lintme", "ruff format --no-cache --check lintme", [
        tool_fact("lintme", "lintme/shell.py", None, "would be reformatted", line=16)]),
    case("isort", "lintme", "isort --check-only lintme", [
        tool_fact("lintme", "lintme/shell.py", None, "incorrectly sorted")]),
    case("bandit", "lintme", "bandit -q -r lintme", [
        tool_fact("lintme", "lintme/shell.py", None, "B404", line=1),
        tool_fact("lintme", "lintme/shell.py", "shell", "B602")]),
    case("pyright", "lintme", "basedpyright lintme/kinds.py", [
        tool_fact("lintme", "lintme/kinds.py", "pyright-arg", "Argument of type"),
        tool_fact("lintme", "lintme/kinds.py", "pyright-op", "Operator")]),
    case("mypy-lintme", "lintme", "python -m mypy --no-error-summary lintme/kinds.py", [
        tool_fact("lintme", "lintme/kinds.py", "pyright-arg", "len"),
        tool_fact("lintme", "lintme/kinds.py", "pyright-op", "Unsupported operand")]),
    case("faulthandler", "pyx", "python run_fault.py", [
        fact("pyx", "pyx/native.py", "segfault", "Fatal Python error", None, "Segmentation fault")]),
    case("exception-group", "pyx", "python run_group.py", [
        fact("pyx", "pyx/groups.py", "validate", "ExceptionGroup", None, "invalid values")]),
    case("task-group", "pyx", "python run_tasks.py", [
        fact("pyx", "pyx/tasks.py", "task", "ExceptionGroup", None, "unhandled errors in a TaskGroup")]),
    case("doctest", "pyx", "python -m doctest pyx/textutil.py", [
        fact("pyx", "pyx/textutil.py", "doctest", None, "textutil.shout", 'shout("")')]),
    case("pytest-doctest-modules", "pyx", "python -m pytest -p no:cacheprovider --doctest-modules pyx/textutil.py", [
        fact("pyx", "pyx/textutil.py", "doctest", None, "pyx/textutil.py::pyx.textutil.shout", 'shout("")')]),
    case("pytest-kinds", "pyx", "python -m pytest -p no:cacheprovider tests", list(PYX.values())),
    case("pytest-kinds-short", "pyx", "python -m pytest -p no:cacheprovider --tb=short tests", list(PYX.values())),
    case("pytest-kinds-quiet", "pyx", "python -m pytest -p no:cacheprovider -q tests", list(PYX.values())),
    case("pytest-kinds-verbose", "pyx", "python -m pytest -p no:cacheprovider -v tests", list(PYX.values())),
    case("pytest-kinds-native", "pyx", "python -m pytest -p no:cacheprovider --tb=native tests", list(PYX.values())),
    case("pytest-xdist", "pyx", "python -m pytest -p no:cacheprovider -n 2 tests", list(PYX.values())),
    case("pytest-internalerror", "internal", "python -m pytest -p no:cacheprovider", [
        fact("internal", "conftest.py", "internal", "RuntimeError", None, "plugin broke")]),
    case("unittest-subtest", "unit2", "python -m unittest", UNIT2),
    case("unittest-subtest-verbose", "unit2", "python -m unittest -v", UNIT2),
    case("nose2", "unit2", "nose2", [{**UNIT2[0], "test": None}, UNIT2[1]]),
    case("tox", "unit2", "tox -q", UNIT2),
    case("nox", "unit2", "nox", UNIT2),
    case("make-unittest", "unit2", "make test", UNIT2),
    case("make", "unit2", "make lint", [tool_fact("unit2", "Makefile", None, "lint", line=5)]),
    case("pytest-subtests", "unit2", "python -m pytest -p no:cacheprovider -q", [
        fact("unit2", "tests/test_sub.py", "setupclass", "ConnectionError", "tests/test_sub.py::SetupTest::test_never",
             "fixture server down"),
        fact("unit2", "tests/test_sub.py", "subtest", "AssertionError", "tests/test_sub.py::SubTest::test_double",
             "6 != 7")]),
    case("django", "djsite", "python manage.py test", [
        fact("djsite", "shopapp/tests.py", "django-label", "AssertionError",
             "shopapp.tests.PricingTests.test_label", "'3.00 eur' != '3.00 EUR'"),
        fact("djsite", "shopapp/tests.py", "django-assert", "AssertionError",
             "shopapp.tests.PricingTests.test_total", "6.0 != 36.0")]),
    case("django-verbose", "djsite", "python manage.py test -v 2", [
        fact("djsite", "shopapp/tests.py", "django-label", "AssertionError",
             "shopapp.tests.PricingTests.test_label", "'3.00 eur' != '3.00 EUR'"),
        fact("djsite", "shopapp/tests.py", "django-assert", "AssertionError",
             "shopapp.tests.PricingTests.test_total", "6.0 != 36.0")]),
    case("flake8-typed", "typed", "flake8 lib", [
        fact("typed", "lib/service.py", "ruff-undefined", None, None, "F821")]),
    case("ld", "native2", "gcc -g -o app main.c", [tool_fact("native2", "main.c", "link", "undefined reference")]),
    case("gcc-werror", "native2", "gcc -Wall -Werror -c warn.c", [
        tool_fact("native2", "warn.c", "c-warn", "unused variable")]),
    case("g++", "native2", "g++ -c shapes.cpp", [tool_fact("native2", "shapes.cpp", "cpp", "conversion from")]),
    case("javac", "native2", "javac Main.java", [tool_fact("native2", "Main.java", "java", "incompatible types")]),
    case("rustc", "native2", "rustc main.rs", [tool_fact("native2", "main.rs", "rust", "mismatched types")]),
    case("pip-compiler", "cext", "python -m pip install --no-build-isolation --no-deps --no-cache-dir --no-index .",
         [tool_fact("cext", "fastsum.c", "pip-c", "expected")]),
    case("git-conflict", "merge", "git merge other", [tool_fact("merge", "notes.txt", None, "notes.txt")],
         setup="git init -q -b main && git add -A && git -c user.name=c -c user.email=c@c commit -qm base && "
               "git checkout -qb other && sed -i 's/first line/first line from other/' notes.txt && "
               "git -c user.name=c -c user.email=c@c commit -qam other && git checkout -q main && "
               "sed -i 's/first line/first line from main/' notes.txt && "
               "git -c user.name=c -c user.email=c@c commit -qam main"),
    case("node-test", "jsproj", "node --test", [
        fact("jsproj", "math.test.js", "node-assert", "AssertionError", "adds two numbers", "-1 !== 5"),
        fact("jsproj", "math.js", "js-throw", "RangeError", "divides", "division by zero")]),
    case("node-test-spec", "jsproj", "node --test --test-reporter=spec", [
        fact("jsproj", "math.test.js", "node-assert", "AssertionError", "adds two numbers", "-1 !== 5"),
        fact("jsproj", "math.js", "js-throw", "RangeError", "divides", "division by zero")]),
    case("jest", "jsproj", "node_modules/.bin/jest jest", [
        fact("jsproj", "jest/math.spec.js", "jest-assert", None, "math › adds", "toBe"),
        fact("jsproj", "math.js", "js-throw", "RangeError", "math › divides", "division by zero")],
         setup="ln -s {NODE_MODULES} node_modules"),
    case("coverage", "shop", "python -m coverage report --fail-under=95", [
        {"test": None, "exception": "CoverageFailure", "path": None, "line": None, "message": "95"}],
         setup="python -m coverage run --source=shop -m pytest -q -p no:cacheprovider tests/test_cart.py::test_total"),
]

# markers that name no line of their own (the fact's line is where the tool points)
FIXED_LINES = {("script-stdlib-frame", "app/config.py"): 5, ("script-syntax", "broken_syntax.py"): 1,
               ("pytest-collection", "tests/test_syntax.py"): 2, ("pytest-collection-quiet", "tests/test_syntax.py"): 2}


def run(project: str, command: str, setup: str = "", files: dict[str, str] | None = None,
        root: Path | None = None) -> tuple[int, str]:
    """``command`` in a fresh copy of the project (or in ``root`` as it is); its output with the folder made
    `{ROOT}`."""
    with tempfile.TemporaryDirectory() as folder:
        if root is None:
            root = Path(folder) / project
            for path, text in (files or PROJECTS[project]).items():
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_text(text)
        bin_dir = str(Path(sys.executable).parent)
        env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1",
               "NO_COLOR": "1", "COLUMNS": "200", "PYTHONPATH": os.pathsep.join([str(root), str(root / "src")])}
        env.pop("PYTEST_ADDOPTS", None)
        if setup:
            subprocess.run(setup.replace("{NODE_MODULES}", NODE_MODULES or ""), shell=True, cwd=root,
                           capture_output=True, env=env, timeout=300, check=True)
        result = subprocess.run(command, shell=True, cwd=root, capture_output=True, text=True, env=env, timeout=600,
                                check=False)
        output = (result.stdout + result.stderr).replace(str(root.resolve()), "{ROOT}").replace(str(root), "{ROOT}")
        output = re.sub(r"/tmp/[\w/.-]+?/" + re.escape(project), "{ROOT}", output)
        output = output.replace(sys.executable, "python").replace(sys.prefix, "{VENV}")  # no local path kept
        return result.returncode, output


NODE_MODULES = os.environ.get("CONDUCTOR_CORPUS_NODE_MODULES")
"""A node_modules folder with jest (`npm install jest@29`); unset: the jest case is skipped."""

BUGS = {
    # (version, [(file, old, new)]): real test suites with bugs injected by hand, one project per package
    "more-itertools": ("11.2.1", [
        ("more_itertools/more.py", "            return next(reversed(iterable))\n",
         "            return iterable[len(iterable)]\n"),
        ("more_itertools/recipes.py", "return list(islice(iterable, n))", "return list(islice(iterable, n / 1))")]),
    "packaging": ("26.4", [
        ("src/packaging/version.py", 'version += f".post{self._post[1]}"', 'version += f".post{self._post[2]}"')]),
}
THIRD_PARTY = [  # (case, package, test command)
    ("more-itertools", "more-itertools", "python -m pytest -p no:cacheprovider -q tests"),
    ("more-itertools-short", "more-itertools", "python -m pytest -p no:cacheprovider --tb=short tests/test_recipes.py"),
    ("packaging", "packaging", "python -m pytest -p no:cacheprovider -q tests/test_version.py"),
    ("packaging-line", "packaging",
     "python -m pytest -p no:cacheprovider --tb=line tests/test_version.py tests/test_specifiers.py"),
]
_SUMMARY_LINE = re.compile(r"^(?:FAILED|ERROR|SUBFAILED\(.*\)) (?P<id>\S+::\S+?)(?: - (?P<type>[\w.]+)(?::\s*"
                           r"(?P<message>[^.]{0,30}))?.*)?$")


def third_party_case(name: str, package: str, command: str) -> dict[str, Any]:
    """A real suite from its sdist (downloaded from the registry), bugs injected, run; its facts read from the
    output's own summary lines (each failing test, the exception and message start the summary names); the lines
    the bugs were put on are kept as `bugs`: the causes the worker's text must name."""
    version, patches = BUGS[package]
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps", "-d",
                        folder, f"{package}=={version}"], check=True, capture_output=True)
        archive = next(Path(folder).glob("*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
        root = next(p for p in Path(folder).iterdir() if p.is_dir())
        bugs: dict[str, tuple[str, int]] = {}
        for path, old, new in patches:
            text = (root / path).read_text()
            assert old in text, (path, old)
            bugs[path] = (new, text[: text.index(old)].count("\n") + 1)
            (root / path).write_text(text.replace(old, new, 1))
        code, output = run(name, command, root=root)
        expected, kept = [], set(bugs)
        for line in output.splitlines():
            match = _SUMMARY_LINE.match(line)
            if not match:
                continue
            exception = match["type"].rsplit(".", 1)[-1] if match["type"] else None
            kept.add(match["id"].split("::")[0])
            expected.append({"test": match["id"], "exception": exception, "path": None, "line": None,
                             "message": (match["message"] or "").strip() or None})
        project = CORPUS / "projects" / package  # the cases of a package share its files
        for path in kept:
            if (root / path).is_file():
                (project / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(root / path, project / path)
        return {"name": name, "project": package, "command": command, "setup": "", "expected": expected,
                "exit_code": code, "output": output, "third_party": f"{package}=={version}",
                "bugs": [f"{path}:{number}" for path, (_, number) in sorted(bugs.items()) if path in output]}


def main() -> int:
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    for project, files in PROJECTS.items():
        for path, text in files.items():
            target = CORPUS / "projects" / project / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    (CORPUS / "cases").mkdir(parents=True)
    written = 0
    search = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    for item in CASES:
        tool = item["command"].split()[0]
        if tool != "python" and not tool.startswith("node_modules") and shutil.which(tool, path=search) is None:
            print(f"skipped {item['name']}: {tool} is not installed", file=sys.stderr)
            continue
        if "{NODE_MODULES}" in item["setup"] and not NODE_MODULES:
            print(f"skipped {item['name']}: set CONDUCTOR_CORPUS_NODE_MODULES to a node_modules with jest",
                  file=sys.stderr)
            continue
        code, output = run(item["project"], item["command"], item["setup"])
        expected = []
        for failure in item["expected"]:
            fixed = FIXED_LINES.get((item["name"], failure["path"]))
            expected.append({**failure, "line": fixed or failure["line"]})
        record = {**item, "expected": expected, "exit_code": code, "output": output}
        (CORPUS / "cases" / f"{item['name']}.json").write_text(json.dumps(record, indent=1) + "\n")
        written += 1
        print(f"{item['name']}: exit {code}, {len(output.splitlines())} lines")
    for name, package, command in THIRD_PARTY:
        record = third_party_case(name, package, command)
        (CORPUS / "cases" / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
        written += 1
        print(f"{name}: exit {record['exit_code']}, {len(record['output'].splitlines())} lines, "
              f"{len(record['expected'])} failures")
    print(f"{written} cases in {CORPUS / 'cases'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
