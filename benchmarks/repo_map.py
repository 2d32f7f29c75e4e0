"""The repository map of this machine's CPython `Lib` tree at 8,000 tokens.

Cold: a fresh file cache (every file parsed) against the skeleton views of the same files alone (the baseline,
same run: the map's extra work is the import graph, the ranking and the budgeting). Warm: the same map again
with the cache filled. And how much of the budget the map uses.
"""

from __future__ import annotations

import argparse
import statistics
import sysconfig
import time
from pathlib import Path

from file_cache import FileCache, ViewError, estimate_tokens
from file_cache.repomap import python_files, repository_map


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    options.add_argument("--budget", type=int, default=8000)
    options.add_argument("--repeats", type=int, default=3)
    options.add_argument("--root", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    args = options.parse_args(argv)
    files = python_files(args.root)
    baseline, cold, warm = [], [], []
    for _ in range(args.repeats):
        cache = FileCache(args.root, disk=False)
        start = time.perf_counter()
        for path in files:
            try:
                cache.view(path, "skeleton")
            except ViewError:
                pass
        baseline.append(time.perf_counter() - start)
        cache = FileCache(args.root, disk=False)
        start = time.perf_counter()
        repo_map = repository_map(cache, args.budget)
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        repository_map(cache, args.budget)
        warm.append(time.perf_counter() - start)
    shown = [e for e in repo_map.entries if e.shown != "path"]
    print(f"{args.root}: {len(files)} Python files; map at {args.budget} tokens")
    print(f"skeleton views alone (baseline): median {statistics.median(baseline):.2f} s")
    print(f"map, cold cache: median {statistics.median(cold):.2f} s; ratio map/skeletons = "
          f"{statistics.median(cold) / statistics.median(baseline):.2f}")
    print(f"map, warm cache: median {statistics.median(warm):.2f} s; warm/cold = "
          f"{statistics.median(warm) / statistics.median(cold):.2f}")
    print(f"budget used: {estimate_tokens(repo_map.text)} of {args.budget} tokens "
          f"({100 * estimate_tokens(repo_map.text) / args.budget:.1f} %); {len(repo_map.entries)} files listed, "
          f"{len(shown)} with signatures; first: {', '.join(e.path for e in repo_map.entries[:5])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
