import json

from conductor.failures import parse_failures
from conductor.messages import Usage
from conductor.providers.scripted import Script, ScriptedModel
from conductor.shell import ShellResult
from conductor.tier4 import Tier4Summariser, records_hint
from file_cache import FileCache

PYTEST_OUTPUT = """\
============================= test session starts ==============================
collected 3 items

tests/test_calc.py .F.                                                   [100%]

=================================== FAILURES ===================================
_________________________________ test_divide __________________________________

    def test_divide():
>       assert divide(1, 0) == 0

tests/test_calc.py:7:
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _

a = 1, b = 0

    def divide(a, b):
>       return a / b
E       ZeroDivisionError: division by zero

calc.py:2: ZeroDivisionError
=========================== short test summary info ============================
FAILED tests/test_calc.py::test_divide - ZeroDivisionError: division by zero
========================= 1 failed, 2 passed in 0.05s ==========================
"""


def project(tmp_path):
    (tmp_path / "calc.py").write_text("def divide(a, b):\n    return a / b\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_calc.py").write_text("from calc import divide\n\n\n\n\ndef test_divide():\n"
                                                      "    assert divide(1, 0) == 0\n")
    return tmp_path


def failed(output: str, command: str = "pytest") -> ShellResult:
    return ShellResult(command=command, exit_code=1, stdout=output, stderr="", seconds=0.4)


def test_pytest_output_records_and_the_deterministic_hint(tmp_path):
    root = project(tmp_path)
    [record] = parse_failures(PYTEST_OUTPUT, root)
    assert (record.test, record.exception, record.path, record.line, record.function) == (
        "tests/test_calc.py::test_divide", "ZeroDivisionError", "calc.py", 2, "divide")
    assert records_hint([record]) == ("1 failure; first: tests/test_calc.py::test_divide | ZeroDivisionError: "
                                      "division by zero | at calc.py:2 in divide: return a / b")


def test_traceback_frames_outside_the_project_are_skipped(tmp_path):
    root = project(tmp_path)
    output = ('Traceback (most recent call last):\n  File "/usr/lib/python3.11/runpy.py", line 198, in _run\n'
              f'  File "{root}/calc.py", line 2, in divide\n    return a / b\n'
              '  File "/usr/lib/python3.11/site-packages/x.py", line 5, in f\nZeroDivisionError: division by zero\n')
    [record] = parse_failures(output, root)
    assert (record.path, record.line, record.function, record.exception) == ("calc.py", 2, "divide",
                                                                              "ZeroDivisionError")


def test_output_no_format_knows_gives_its_decisive_lines_never_just_the_last(tmp_path):
    root = project(tmp_path)
    output = ("building...\n" + "step ok\n" * 50 + "odd value (calc.py:2)\nFATAL: disk quota exceeded while "
              "writing cache\nretrying\n" + "=" * 40 + "\nsummary: 1 problem\n")
    report = Tier4Summariser(root, FileCache(root)).report(ShellResult("./build.sh", 139, output, "", 1.0), None)
    assert report.failures == []
    assert report.hint == ("exit code 139 (segmentation fault (SIGSEGV)); FATAL: disk quota exceeded while writing "
                           "cache; at calc.py:2")
    assert report.text.splitlines()[3:] == ["exit code means: segmentation fault (SIGSEGV)",
                                            "deepest project place named: calc.py:2", "odd value (calc.py:2)",
                                            "FATAL: disk quota exceeded while writing cache", "retrying"]


def test_report_with_the_cheap_model_and_its_fallback(tmp_path):
    root = project(tmp_path)
    long_hint = " ".join(["word"] * 80)
    usage = {"input_tokens": 900, "output_tokens": 80}
    script = Script.model_validate({"tier4": [{"text": long_hint, "usage": usage}]})
    seen = []
    summariser = Tier4Summariser(root, FileCache(root), ScriptedModel(script, tier="tier4"), on_usage=seen.append)
    report = summariser.report(failed(PYTEST_OUTPUT * 40), "out-1-abc")
    assert report.hint_source == "tier4"
    assert report.hint == " ".join(["word"] * 50) + " …"
    assert seen[0].usage == Usage(input_tokens=900, output_tokens=80)
    assert len(report.text) < 1000
    assert report.text.splitlines()[0] == "$ pytest"
    assert report.text.endswith(f"full output: out-1-abc ({len((PYTEST_OUTPUT * 40).splitlines())} lines)")
    request = summariser.model.requests[0]["messages"][0].text
    assert "   2>     return a / b" in request  # the offending project code went to Tier 4
    # the script has one turn: the next failure falls back to the deterministic compressor
    second = summariser.report(failed(PYTEST_OUTPUT), None)
    assert second.hint_source == "deterministic"
    assert summariser.failures and "no turn 2" in summariser.failures[0]


def test_successful_and_timed_out_commands(tmp_path):
    summariser = Tier4Summariser(tmp_path, FileCache(tmp_path))
    ok = summariser.report(ShellResult("echo hi", 0, "hi\n", "", 0.01), "out-1-a")
    assert ok.text == "$ echo hi\nexit code 0 after 0.0s\nhi\nfull output: out-1-a (1 lines)"
    assert ok.hint is None
    slow = summariser.report(ShellResult("sleep 9", 124, "", "", 5.0, timed_out=True), None)
    assert slow.text.startswith("$ sleep 9\nexit code 124 after 5.0s (timed out, everything it started was "
                                "killed)\nhint: The command timed out after 5s")
    assert json.dumps(slow.text)
