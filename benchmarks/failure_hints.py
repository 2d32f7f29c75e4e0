"""Failure records on the corpus of real outputs (tests/conductor/failure_corpus, made by scripts/failure_corpus.py):
facts found, missed and misattributed (a fact of one failure given to another; the goal is 0), the characters the
worker reads per command (at most 1,000), whether the worker's text names every injected cause of the real
third-party suites, against a baseline in the same run: the first build's digest (one exception, one frame and
the first failing test per output, the last line when nothing matched)."""

from __future__ import annotations

import re
import statistics
import tempfile
from pathlib import Path

from conductor.failures import Failure, Frames, parse_failures
from conductor.shell import ShellResult
from conductor.tier4 import MAX_HISTORY_CHARS, Tier4Summariser
from file_cache import FileCache
from tests.conductor.corpus import Score, cases, materialise, score, tool_of

_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)|^(?P<ppath>[\w./-]+\.py):(?P<pline>\d+): ')
_EXCEPTION = re.compile(r"^(?:E\s+)?(?P<type>[A-Z]\w*(?:Error|Exception))(?::\s*(?P<message>.*))?$")
_TEST = re.compile(r"^(?:FAILED|ERROR) (?P<id>\S+::\S+)|^(?:FAIL|ERROR): \w+ \((?P<where>[\w.]+)\)")


def baseline_records(output: str, root: Path) -> list[Failure]:
    """The first build's digest: the last exception line, the deepest project frame, the first failing test."""
    frames = Frames(root)
    exception = message = test = None
    place = None
    for line in output.splitlines():
        stripped = line.strip()
        if (frame := _FRAME.match(line)) and (found := frames.place(frame["path"] or frame["ppath"],
                                                                     frame["line"] or frame["pline"])):
            place = found
        if found_exception := _EXCEPTION.match(stripped):
            exception, message = found_exception["type"], found_exception["message"]
        if test is None and (found_test := _TEST.match(stripped)):
            test = found_test["id"] or found_test["where"]
    if not (exception or place or test):
        last = [line.strip() for line in output.splitlines() if line.strip()][-1:]
        return [Failure(message=last[0])] if last else []
    return [frames.failure(place, test=test, exception=exception, message=message)]


def main() -> int:
    corpus = cases()
    totals = {"records": Score(), "first build": Score()}
    chars: list[int] = []
    named = missing = 0
    with tempfile.TemporaryDirectory() as folder:
        for case in corpus:
            root, output = materialise(case, Path(folder))
            for name, found in (("records", parse_failures(output, root)),
                                ("first build", baseline_records(output, root))):
                result = score(case, found, output)
                total = totals[name]
                total.facts += result.facts
                total.found += result.found
                total.misattributed += result.misattributed
            report = Tier4Summariser(root, FileCache(root)).report(
                ShellResult(case["command"], case["exit_code"] or 1, output, "", 0.1), "out-1-a")
            chars.append(len(report.text))
            for bug in case.get("bugs", []):  # the real suites: every injected cause in what the worker reads
                if bug in report.text:
                    named += 1
                else:
                    missing += 1
                    print(f"  {case['name']}: the cause {bug} is not in the worker's text")
    tools = {tool_of(case) for case in corpus}
    print(f"{len(corpus)} real outputs from {len(tools)} tools, {totals['records'].facts} facts stated in them")
    for name, total in totals.items():
        missed = total.facts - total.found - total.misattributed
        print(f"{name:>12}: facts found {total.found}/{total.facts} ({100 * total.found / total.facts:.1f} %), "
              f"missed {missed}, misattributed {total.misattributed}")
    print(f"characters the worker reads per command: median {statistics.median(chars):.0f}, max {max(chars)} "
          f"(limit {MAX_HISTORY_CHARS})")
    print(f"injected causes of the real suites named in the worker's text: {named} of {named + missing}")
    ratio = totals["records"].found / max(totals["first build"].found, 1)
    print(f"facts found, records / first build = {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
