"""How long each `conductor` command takes to start, against a bare interpreter in the same run.

Each command runs in a fresh process (`python -m conductor.cli ...`, the console script's own path) on a copy of
the demo project; the median of N runs is printed with its ratio to `python -c pass`. Only the command being run
is imported (`conductor.cli.CORE`), so `--help` loads no parser, model or SDK. `track list` is timed twice: as a
user meets it (the tracks listed before: no model imported) and as a first listing (an empty cache folder each
run: every track validated).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = [
    ["--help"],
    ["--version"],
    ["track", "list"],
    ["track", "show", "add-median"],
    ["ticket", "--help"],
    ["view", "outline", "calc/stats.py"],
    ["run", "--help"],
    ["plan", "--help"],
    ["gui", "--help"],
    ["mcp", "--help"],
]


def median_seconds(argv: list[str], runs: int, cwd: Path, env: dict[str, str], fresh_cache: Path | None = None
                   ) -> float:
    """The median time of ``runs`` runs (``fresh_cache``: each in a new, empty cache folder under it)."""
    times = []
    for run in range(runs):
        if fresh_cache is not None:
            env = {**env, "XDG_CACHE_HOME": str(fresh_cache / str(run))}
        start = time.perf_counter()
        subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    options.add_argument("--runs", type=int, default=9)
    args = options.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "XDG_CONFIG_HOME": str(Path(folder) / "config"),
               "XDG_CACHE_HOME": str(Path(folder) / "cache")}
        from conductor.demo import prepare_demo

        project = prepare_demo(Path(folder) / "demo")
        bare = median_seconds(["-c", "pass"], args.runs, project, env)
        print(f"bare interpreter (python -c pass): median {bare * 1000:.0f} ms")
        # the floor of every command that reads project.toml or a track: they are validated with pydantic
        floor = median_seconds(["-c", "from pydantic import BaseModel"], args.runs, project, env)
        label = "floor: from pydantic import BaseModel"
        print(f"{label:<38} median {floor * 1000:5.0f} ms  ratio {floor / bare:5.1f}x")
        for command in COMMANDS:
            seconds = median_seconds(["-m", "conductor.cli", *command], args.runs, project, env)
            print(f"conductor {' '.join(command):<28} median {seconds * 1000:5.0f} ms  ratio {seconds / bare:5.1f}x")
        seconds = median_seconds(["-m", "conductor.cli", "track", "list"], args.runs, project, env,
                                 fresh_cache=Path(folder) / "fresh")
        label = "conductor track list (first listing)"
        print(f"{label:<38} median {seconds * 1000:5.0f} ms  ratio {seconds / bare:5.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
