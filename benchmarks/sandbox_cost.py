"""The sandbox's cost per command: `true` and a small pytest run, through `CommandRunner` with bwrap and with
`sandbox = "off"` (the same reaper, limits and environment scrub), alternated; medians and the ratio
sandboxed / unsandboxed. Where bwrap cannot run here, says so and measures nothing."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from conductor.config import load_project_config
from conductor.guards import PathGuard
from conductor.shell import CommandRunner

TESTS = "".join(f"def test_{n}():\n    assert sum(range({n})) == {n * (n - 1) // 2}\n\n" for n in range(20))


def runner(root: Path, sandbox: str) -> CommandRunner:
    (root / "project.toml").write_text(f'[shell]\nsandbox = "{sandbox}"\n')
    config = load_project_config(root, environ={})
    return CommandRunner(config, PathGuard.for_project(config))


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    options.add_argument("--repeats", type=int, default=15)
    args = options.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "test_small.py").write_text(TESTS)
        sandboxed, bare = runner(root, "bwrap"), runner(root, "off")
        if not sandboxed.choice.confined:
            print(f"no sandbox here: {sandboxed.choice.reason}")
            return 0
        commands = {"true": "true", "pytest (20 tests)": f"{sys.executable} -m pytest -q -p no:cacheprovider"}
        for name, command in commands.items():
            times: dict[str, list[float]] = {"bwrap": [], "off": []}
            for _ in range(args.repeats):
                for kind, chosen in (("bwrap", sandboxed), ("off", bare)):
                    start = time.perf_counter()
                    result = chosen.run(command)
                    times[kind].append(time.perf_counter() - start)
                    assert result.exit_code == 0, result.output
            inside, outside = statistics.median(times["bwrap"]), statistics.median(times["off"])
            print(f"{name:18s} sandboxed {inside * 1000:7.1f} ms   unsandboxed {outside * 1000:7.1f} ms   "
                  f"ratio {inside / outside:.2f}   (medians of {args.repeats})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
