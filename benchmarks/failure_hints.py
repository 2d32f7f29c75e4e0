"""Failure records on the corpus of real outputs (tests/conductor/failure_corpus), against the single digest the
first build made (one exception and one frame per output): facts found, facts misattributed (a fact of one failure
given to another; the goal is 0), and the characters the worker reads per failure."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from conductor.failures import Failure, parse_failures
from conductor.shell import ShellResult
from conductor.tier4 import Tier4Summariser, digest_output
from file_cache import FileCache
from tests.conductor.corpus import Score, cases, materialise, score


def digest_records(output: str, root: Path, expected: list[dict]) -> list[Failure]:
    """The first build's view: one exception and the deepest frame, paired with the first failing test."""
    digest = digest_output(output, root, FileCache(root))
    what = digest.assertion or digest.exception or ""
    exception, _, message = what.partition(": ") if ": " in what else ("AssertionError", "", what)
    first_test = digest.failing_tests[0] if digest.failing_tests else (expected[0]["test"] if expected else None)
    frame = digest.frame
    return [Failure(test=first_test, exception=exception or None, message=message or what or None,
                    path=frame.path if frame else None, line=frame.line if frame else None)]


def main() -> int:
    totals = {"records": Score(), "first build": Score()}
    chars: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        for case in cases():
            root, output = materialise(case, Path(folder))
            records = parse_failures(output, root)
            for name, found in (("records", records), ("first build", digest_records(output, root, case["expected"]))):
                result = score(case, found, output)
                total = totals[name]
                total.facts += result.facts
                total.found += result.found
                total.misattributed += result.misattributed
            report = Tier4Summariser(root, FileCache(root)).report(
                ShellResult(case["command"], case["exit_code"] or 1, output, "", 0.1), "out-1-a")
            chars.append(len(report.text) / max(len(case["expected"]), 1))
    print(f"{len(cases())} real outputs, {totals['records'].facts} facts stated in them")
    for name, total in totals.items():
        print(f"{name:>12}: facts found {total.found}/{total.facts} ({100 * total.found / total.facts:.0f} %), "
              f"misattributed {total.misattributed}")
    print(f"characters the worker reads per failure: median {statistics.median(chars):.0f}, max {max(chars):.0f}")
    ratio = totals["records"].found / max(totals["first build"].found, 1)
    print(f"facts found, records / first build = {ratio:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
