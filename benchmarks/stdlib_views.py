"""Skeleton and curated views over the whole CPython standard library of this machine.

Checks: every view is valid Python, no signature lost or altered (compared with `ast`), median
skeleton size against source tokens (files of >= 200 tokens, test folders excluded).
Times: skeleton + curated (tree-sitter parse included) against `ast.parse` of the same files in the
same run, and the file cache warm against cold.

    python -m benchmarks.stdlib_views [--limit N]
"""

from __future__ import annotations

import argparse
import ast
import statistics
import sys
import sysconfig
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from file_cache import ASTParser, FileCache, estimate_tokens, is_valid_python
from file_cache.parser import ViewLines, decode_source
from file_cache.verify import lost_fields, lost_signatures

TEST_FOLDERS = {"test", "tests", "idle_test"}


@dataclass
class StdlibReport:
    files: int = 0
    invalid_skeletons: list[str] = field(default_factory=list)
    invalid_curated: list[str] = field(default_factory=list)
    lost_signatures: list[str] = field(default_factory=list)
    lost_fields: list[str] = field(default_factory=list)
    """Class fields (annotated names, enum members, __slots__) missing from a skeleton."""
    misnumbered: list[str] = field(default_factory=list)
    """View lines whose line number does not point at the source line they show (`path:view line`)."""
    skeleton_ratios: list[float] = field(default_factory=list)
    curated_ratios: list[float] = field(default_factory=list)

    @property
    def median_skeleton_ratio(self) -> float:
        return statistics.median(self.skeleton_ratios)

    @property
    def median_curated_ratio(self) -> float:
        return statistics.median(self.curated_ratios)


THIRD_PARTY = ("pydantic", "anthropic", "openai", "google/genai", "mcp", "psutil", "tomlkit", "pathspec",
               "dearpygui", "_pytest", "pygments", "httpx2", "starlette", "regex")
"""Packages this project installs (`pip install -e .[dev]`): third-party code no one here wrote."""


def stdlib_files(limit: int | None = None) -> list[tuple[Path, str]]:
    """(path, text) of every stdlib `.py` file that this Python's `ast` accepts."""
    root = Path(sysconfig.get_paths()["stdlib"])
    return _accepted(sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts), limit)


def third_party_files(limit: int | None = None) -> list[tuple[Path, str]]:
    """(path, text) of every `.py` file of the installed third-party packages that `ast` accepts."""
    site = Path(sysconfig.get_paths()["purelib"])
    return _accepted(sorted(p for package in THIRD_PARTY for p in (site / package).rglob("*.py")), limit)


def _accepted(paths: list[Path], limit: int | None) -> list[tuple[Path, str]]:
    found = []
    for path in paths:
        if not path.is_file():
            continue
        text = decode_source(path.read_bytes())
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        found.append((path, text))
        if limit and len(found) >= limit:
            break
    return found


def check_views(files: list[tuple[Path, str]]) -> StdlibReport:
    parser = ASTParser()
    report = StdlibReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path, text in files:
            report.files += 1
            parsed = parser.parse(text)
            skeleton_lines, curated_lines = parser.get_view_lines(parsed, False), parser.get_view_lines(parsed, True)
            skeleton, curated = parser.get_skeleton_view(parsed), parser.get_curated_view(parsed)
            for lines in (skeleton_lines, curated_lines):
                report.misnumbered += [f"{path}:{n}" for n in misnumbered(parsed.lines, lines)]
            for view, bad in ((skeleton, report.invalid_skeletons), (curated, report.invalid_curated)):
                if not is_valid_python(view):
                    bad.append(str(path))
            if is_valid_python(skeleton):
                report.lost_signatures += [f"{path}:{name}" for name in lost_signatures(text, skeleton)]
                report.lost_fields += [f"{path}:{name}" for name in lost_fields(text, skeleton)]
            source_tokens = estimate_tokens(text)
            if source_tokens >= 200 and not TEST_FOLDERS & set(path.parts):
                report.skeleton_ratios.append(estimate_tokens(skeleton) / source_tokens)
                report.curated_ratios.append(estimate_tokens(curated) / source_tokens)
    return report


def misnumbered(source_lines: list[str], view_lines: ViewLines) -> list[int]:
    """Indexes of the view lines whose source row does not hold what they show: the line's text up to a comment
    or a made-up `...` must be in the source line, or start with it (a field written over several lines is shown
    on one), spacing aside (a skeleton writes fields as `a: int = 4`)."""
    wrong = []
    for index, (row, line) in enumerate(view_lines):
        if row is None:
            continue
        shown = "".join(line.split("#")[0].strip().removesuffix("...").split())
        source = "".join(source_lines[row].split("#")[0].split()) if row < len(source_lines) else "\0"
        if shown[:12] not in source and not (source and shown.startswith(source)):
            wrong.append(index)
    return wrong


def _median_time(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--limit", type=int, default=None, help="only the first N files")
    options.add_argument("--repeats", type=int, default=5)
    options.add_argument("--third-party", action="store_true", help="the installed third-party packages instead "
                         "(pydantic, the SDKs, mcp, ...)")
    args = options.parse_args(argv)

    files = third_party_files(args.limit) if args.third_party else stdlib_files(args.limit)
    report = check_views(files)
    print(f"files: {report.files} ({'third-party packages' if args.third_party else 'stdlib'} of Python "
          f"{sys.version.split()[0]})")
    print(f"invalid skeletons: {len(report.invalid_skeletons)}  invalid curated: {len(report.invalid_curated)}")
    print(f"lost or altered signatures: {len(report.lost_signatures)}  lost fields: {len(report.lost_fields)}")
    for line in (report.invalid_skeletons + report.invalid_curated + report.lost_signatures + report.lost_fields)[:20]:
        print("  ", line)
    print(f"median skeleton/source tokens: {report.median_skeleton_ratio:.1%} "
          f"(curated {report.median_curated_ratio:.1%}) over {len(report.skeleton_ratios)} files >= 200 tokens")

    texts = [text for _, text in files]
    parser = ASTParser()

    def views() -> None:
        for text in texts:
            parsed = parser.parse(text)
            parser.get_skeleton_view(parsed)
            parser.get_curated_view(parsed)

    def ast_parse() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for text in texts:
                ast.parse(text)

    # alternated rounds: the machine's drift (and the garbage ast.parse leaves) weighs on both sides alike
    ast_times, view_times = [], []
    for _ in range(args.repeats):
        ast_times.append(_median_time(ast_parse, 1))
        view_times.append(_median_time(views, 1))
    ast_time, view_time = statistics.median(ast_times), statistics.median(view_times)
    ratios = sorted(v / a for v, a in zip(view_times, ast_times, strict=True))
    lines = sum(text.count("\n") for text in texts)
    print(f"ast.parse: {ast_time:.2f} s; skeleton+curated (tree-sitter): {view_time:.2f} s "
          f"({lines / view_time:,.0f} lines/s); ratio views/ast.parse = {view_time / ast_time:.2f} "
          f"(per round {', '.join(f'{r:.2f}' for r in ratios)})")

    paths = [path for path, _ in files]
    root = Path(sysconfig.get_paths()["purelib" if args.third_party else "stdlib"])

    def read_and_parse() -> None:  # what a cache's first pass must at least do: read, decode and parse each file
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for path in paths:
                ast.parse(decode_source(path.read_bytes()))

    read_times, cold_times, warm_times = [], [], []
    for _ in range(args.repeats):
        cache = FileCache(root, disk=False)  # the default memory limits, no disk: cold is cold

        def serve(cache: FileCache = cache) -> None:
            for path in paths:
                cache.view(path, "skeleton")
                cache.view(path, "curated")

        read_times.append(_median_time(read_and_parse, 1))
        cold_times.append(_median_time(serve, 1))
        warm_times.append(_median_time(serve, 1))
    read, cold, warm = (statistics.median(times) for times in (read_times, cold_times, warm_times))
    print(f"file cache cold (reads, hashes, builds both views and keeps them): {cold:.2f} s "
          f"against read + ast.parse {read:.2f} s = {cold / read:.2f}; warm: {warm:.2f} s; warm/cold = "
          f"{warm / cold:.3f}")
    problems = report.invalid_skeletons + report.invalid_curated + report.lost_signatures + report.lost_fields
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
