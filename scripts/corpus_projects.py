"""The second round of sample projects for `scripts/failure_corpus.py`: linters, formatters, type checkers, test
runners of other languages, wrappers (make, tox, nox), compilers and linkers, git, and Python's rarer failure kinds
(faulthandler, exception groups, doctest, Hypothesis, chained exceptions inside pytest, subTest, setUpClass,
fixture teardown, xdist, INTERNALERROR). Each file marks its bug with `BUG:<name>` where a fact's line is."""

from __future__ import annotations

PROJECTS2: dict[str, dict[str, str]] = {
    "lintme": {
        "lintme/__init__.py": "",
        "lintme/shell.py": '''\
import subprocess
import sys, os  # BUG:imports


def run(command):
    return subprocess.call(command, shell=True)  # BUG:shell


def unused():
    value = 1  # BUG:unused-var
    return None


def compare(x):
    if x == None:  # BUG:none-compare
        return   1
    return x
''',
        "lintme/kinds.py": '''\
def length(name: str | None) -> int:
    return len(name)  # BUG:pyright-arg


def greet(name: str) -> str:
    return name + 1  # BUG:pyright-op
''',
    },
    "pyx": {
        "pyx/__init__.py": "",
        "pyx/native.py": '''\
import os
import signal


def peek(address: int) -> bytes:
    os.kill(os.getpid(), signal.SIGSEGV)  # BUG:segfault
    return bytes(address)
''',
        "pyx/groups.py": '''\
def check(values: list[int]) -> None:
    errors = []
    for value in values:
        try:
            validate(value)
        except ValueError as error:
            errors.append(error)
    if errors:
        raise ExceptionGroup("invalid values", errors)  # BUG:group


def validate(value: int) -> None:
    if value < 0:
        raise ValueError(f"negative: {value}")  # BUG:validate
''',
        "pyx/tasks.py": '''\
import asyncio


async def fetch(number: int) -> int:
    await asyncio.sleep(0)
    if number == 2:
        raise ConnectionError(f"host {number} unreachable")  # BUG:task
    return number


async def main() -> None:
    async with asyncio.TaskGroup() as group:
        for number in range(3):
            group.create_task(fetch(number))
''',
        "pyx/textutil.py": '''\
def shout(text: str) -> str:
    """Upper-case and exclaim.

    >>> shout("hi")
    'HI!'
    >>> shout("")  # BUG:doctest
    ''
    """
    return text.upper() + "!"
''',
        "pyx/mathx.py": '''\
def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high + 1))


def parse_ratio(text: str) -> float:
    top, bottom = text.split("/")
    return float(top) / float(bottom) if float(bottom) else float("inf")


def defaults() -> dict[str, object]:
    return {"debug": False, "level": 2}
''',
        "pyx/netx.py": '''\
import asyncio


async def slow() -> None:
    await asyncio.sleep(5)  # BUG:timeout


async def fetch_all() -> list[int]:
    await asyncio.wait_for(slow(), timeout=0.05)
    return []
''',
        "pyx/settings.py": '''\
class ConfigError(Exception):
    pass


def port(config: dict[str, str]) -> int:
    try:
        return int(config["port"])  # BUG:cfg-inner
    except KeyError as error:
        raise ConfigError("no port") from error
''',
        "run_fault.py": "import faulthandler\n\nfaulthandler.enable()\nfrom pyx.native import peek\n\npeek(0)\n",
        "run_group.py": "from pyx.groups import check\n\ncheck([1, -2, -3])\n",
        "run_tasks.py": "import asyncio\n\nfrom pyx.tasks import main\n\nasyncio.run(main())\n",
        "tests/__init__.py": "",
        "tests/test_props.py": '''\
from hypothesis import given, strategies as st

from pyx.mathx import clamp


@given(st.integers())
def test_clamp_in_range(value):
    assert 0 <= clamp(value, 0, 10) <= 10  # BUG:hypothesis
''',
        "tests/test_async.py": '''\
import asyncio

from pyx.netx import fetch_all


def test_fetch_times_out():
    assert asyncio.run(fetch_all()) == []
''',
        "tests/test_settings.py": '''\
from pyx.settings import port


def test_port():
    assert port({"host": "x"}) == 80
''',
        "tests/test_fixtures.py": '''\
import pytest


@pytest.fixture
def resource():
    yield 1
    raise RuntimeError("cleanup failed")  # BUG:teardown


def test_uses_resource(resource):
    assert resource == 1
''',
        "tests/test_checks.py": '''\
import pytest

from pyx.mathx import defaults, parse_ratio


def test_rejects_zero():
    with pytest.raises(ZeroDivisionError):  # BUG:raises
        parse_ratio("1/0")


def test_defaults():
    assert defaults() == {"debug": False, "level": 3}  # BUG:dict
''',
    },
    "internal": {
        "conftest.py": '''\
def pytest_collection_modifyitems(items):
    raise RuntimeError("plugin broke while sorting tests")  # BUG:internal
''',
        "test_one.py": "def test_one():\n    assert True\n",
    },
    "unit2": {
        "calc2/__init__.py": "",
        "calc2/ops.py": "def double(value: int) -> int:\n    return value * 2\n",
        "tests/__init__.py": "",
        "tests/test_sub.py": '''\
import unittest

from calc2.ops import double


class SubTest(unittest.TestCase):
    def test_double(self):
        for value, expected in [(1, 2), (2, 4), (3, 7)]:
            with self.subTest(value=value):
                self.assertEqual(double(value), expected)  # BUG:subtest


class SetupTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise ConnectionError("fixture server down")  # BUG:setupclass

    def test_never(self):
        self.assertTrue(True)
''',
        "tox.ini": "[tox]\nenv_list = py\nno_package = true\n\n[testenv]\ncommands = python -m unittest\n",
        "noxfile.py": '''\
import nox


@nox.session(venv_backend="none")
def tests(session):
    session.run("python", "-m", "unittest")
''',
        "Makefile": "test:\n\tpython -m unittest\n\nlint:\n\tpython -c 'import sys; sys.exit(3)'\n",
    },
    "djsite": {
        "manage.py": '''\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
''',
        "djsite/__init__.py": "",
        "djsite/settings.py": '''\
SECRET_KEY = "corpus-only"
INSTALLED_APPS = ["shopapp"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
''',
        "shopapp/__init__.py": "",
        "shopapp/pricing.py": '''\
def total(prices: list[float], tax: float) -> float:
    return sum(prices) * tax  # BUG:django-tax


def label(price: float) -> str:
    return f"{price:.2f} EUR".upper().lower()
''',
        "shopapp/tests.py": '''\
from django.test import SimpleTestCase

from shopapp.pricing import label, total


class PricingTests(SimpleTestCase):
    def test_total(self):
        self.assertAlmostEqual(total([10.0, 20.0], 0.2), 36.0)  # BUG:django-assert

    def test_label(self):
        self.assertEqual(label(3), "3.00 EUR")  # BUG:django-label
''',
    },
    "native2": {
        "main.c": "int helper(int value);\n\nint main(void) {\n    return helper(2);  /* BUG:link */\n}\n",
        "shapes.cpp": '#include <string>\n\nint area(int side) {\n    std::string name = side;  // BUG:cpp\n'
                      "    return side * side;\n}\n",
        "Main.java": 'public class Main {\n    public static void main(String[] args) {\n'
                     '        int count = "three";  // BUG:java\n    }\n}\n',
        "main.rs": 'fn main() {\n    let count: i32 = "three";  // BUG:rust\n    println!("{}", count);\n}\n',
        "ext/setup.py": '''\
from setuptools import Extension, setup

setup(name="fastsum", version="0.1", ext_modules=[Extension("fastsum", ["fastsum.c"])])
''',
        "ext/fastsum.c": '#include <Python.h>\n\nstatic PyObject *total(PyObject *self, PyObject *args) {\n'
                         "    return PyLong_FromLong(0)  /* BUG:pip-c */\n}\n",
    },
    "merge": {
        "notes.txt": "title\nfirst line\nlast line\n",
    },
    "jsproj": {
        "package.json": '{"name": "jsproj", "version": "1.0.0", "private": true}\n',
        "math.js": "function add(a, b) {\n  return a - b;  // BUG:js-add\n}\n\nfunction ratio(a, b) {\n"
                   "  if (b === 0) throw new RangeError('division by zero');  // BUG:js-throw\n  return a / b;\n}\n\n"
                   "module.exports = { add, ratio };\n",
        "math.test.js": "const test = require('node:test');\nconst assert = require('node:assert');\n"
                        "const { add, ratio } = require('./math.js');\n\n"
                        "test('adds two numbers', () => {\n  assert.strictEqual(add(2, 3), 5);  // BUG:node-assert\n"
                        "});\n\ntest('divides', () => {\n  assert.strictEqual(ratio(1, 0), Infinity);\n});\n",
        "jest/math.spec.js": "const { add, ratio } = require('../math.js');\n\ndescribe('math', () => {\n"
                             "  test('adds', () => {\n    expect(add(2, 3)).toBe(5);  // BUG:jest-assert\n  });\n"
                             "  test('divides', () => {\n    expect(ratio(1, 0)).toBe(Infinity);\n  });\n});\n",
    },
}
PROJECTS2["cext"] = {
    "setup.py": 'from setuptools import Extension, setup\n\nsetup(name="fastsum", version="0.1", '
                'ext_modules=[Extension("fastsum", ["fastsum.c"])])\n',
    "fastsum.c": '#include <Python.h>\n\nstatic PyObject *total(PyObject *self, PyObject *args) {\n'
                 "    return PyLong_FromLong(0)  /* BUG:pip-c */\n}\n",
}
PROJECTS2["native2"]["warn.c"] = "int main(void) {\n    int unused = 3;  /* BUG:c-warn */\n    return 0;\n}\n"
