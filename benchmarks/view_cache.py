"""The view cache across processes and within one (issue: a cache that stays warm).

1. In one process, the default limits and no disk: every file's skeleton and curated views served cold (parsed),
   then again (warm): the ratio, the parses the second pass needed (0 means every view a hit), and the peak
   resident memory against the source's bytes.
2. Across processes: `conductor view map` on the same tree twice, each a new process sharing the user's view
   cache (a fresh `XDG_CACHE_HOME`): the second against the first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

IN_PROCESS = """
import json, resource, sys, time
from pathlib import Path
from file_cache import FileCache
from file_cache.repomap import python_files
root = Path(sys.argv[1])
files = python_files(root)
cache = FileCache(root, disk=False)
def serve():
    start = time.perf_counter()
    for path in files:
        for kind in ("skeleton", "curated"):
            try:
                cache.view(path, kind)
            except Exception:
                pass
    return time.perf_counter() - start
cold = serve()
parses = cache.misses
warm = serve()
source = sum((root / path).stat().st_size for path in files)
print(json.dumps({"files": len(files), "cold": cold, "warm": warm, "second_pass_parses": cache.misses - parses,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "source": source}))
"""


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    options.add_argument("--root", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    options.add_argument("--repeats", type=int, default=3)
    args = options.parse_args(argv)
    import json

    runs = [json.loads(subprocess.run([sys.executable, "-c", IN_PROCESS, str(args.root)], capture_output=True,
                                      text=True, check=True).stdout) for _ in range(args.repeats)]
    cold = statistics.median(run["cold"] for run in runs)
    warm = statistics.median(run["warm"] for run in runs)
    run = runs[0]
    print(f"{args.root}: {run['files']} Python files, {run['source'] / 1e6:.1f} MB of source")
    print(f"one process, skeleton+curated of every file: cold {cold:.2f} s, warm {warm:.3f} s: warm is "
          f"{cold / warm:.0f}x faster; parses on the second pass: {run['second_pass_parses']}")
    print(f"peak resident memory {run['rss'] / 1e6:.0f} MB = {run['rss'] / run['source']:.1f}x the source (the "
          "interpreter and tree-sitter included)")
    firsts, seconds = [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "XDG_CACHE_HOME": str(Path(folder) / "cache"),
                   "XDG_CONFIG_HOME": str(Path(folder) / "config")}
            command = [sys.executable, "-m", "conductor.cli", "view", "map", "--project", str(args.root)]
            for times in (firsts, seconds):
                start = time.perf_counter()
                subprocess.run(command, env=env, capture_output=True, check=True)
                times.append(time.perf_counter() - start)
    first, second = statistics.median(firsts), statistics.median(seconds)
    print(f"`conductor view map`, a new process each: first {first:.2f} s, second {second:.2f} s: "
          f"second/first = {second / first:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
