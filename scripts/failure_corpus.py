"""Regenerate the failure corpus: small sample projects with seeded bugs, the real tools run on them.

    .venv/bin/python -m scripts.failure_corpus

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
import tempfile
from pathlib import Path
from typing import Any

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


def case(name: str, project: str, command: str, expected: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "project": project, "command": command, "expected": expected}


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

# markers that name no line of their own (the fact's line is where the tool points)
FIXED_LINES = {("script-stdlib-frame", "app/config.py"): 5, ("script-syntax", "broken_syntax.py"): 1,
               ("pytest-collection", "tests/test_syntax.py"): 2, ("pytest-collection-quiet", "tests/test_syntax.py"): 2}


def run(project: str, command: str) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / project
        for path, text in PROJECTS[project].items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
        bin_dir = str(Path(sys.executable).parent)
        env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1",
               "NO_COLOR": "1", "COLUMNS": "100", "PYTHONPATH": str(root)}
        env.pop("PYTEST_ADDOPTS", None)
        words = command.split()
        if words[0] == "python":
            words[0] = sys.executable
        result = subprocess.run(words, cwd=root, capture_output=True, text=True, env=env, timeout=300, check=False)
        output = (result.stdout + result.stderr).replace(str(root.resolve()), "{ROOT}").replace(str(root), "{ROOT}")
        output = re.sub(r"/tmp/[\w/.-]+?/" + re.escape(project), "{ROOT}", output)
        output = output.replace(sys.executable, "python")
        return result.returncode, output


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
    for item in CASES:
        if item["command"].startswith("gcc") and shutil.which("gcc") is None:
            print(f"skipped {item['name']}: gcc is not installed", file=sys.stderr)
            continue
        code, output = run(item["project"], item["command"])
        expected = []
        for failure in item["expected"]:
            fixed = FIXED_LINES.get((item["name"], failure["path"]))
            expected.append({**failure, "line": fixed or failure["line"]})
        record = {**item, "expected": expected, "exit_code": code, "output": output}
        (CORPUS / "cases" / f"{item['name']}.json").write_text(json.dumps(record, indent=1) + "\n")
        written += 1
        print(f"{item['name']}: exit {code}, {len(output.splitlines())} lines")
    print(f"{written} cases in {CORPUS / 'cases'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
