"""Checkpoint cost: a 5,000-file repository, a few files changed before each mutating call.

Per call, the checkpoint (`Checkpoints.snapshot`, the shadow repository's add + commit) is timed with the bare
`write_file` it precedes; the ratio is (write + checkpoint) / write, medians over the calls. Then the disk the
shadow repository uses after that many checkpoints.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from conductor.checkpoints import Checkpoints
from conductor.config import load_project_config
from conductor.guards import PathGuard
from conductor.messages import ToolCall
from conductor.shell import run_command
from conductor.tools import ProjectTools
from file_cache import FileCache


def build(root: Path, files: int) -> None:
    for index in range(files):
        folder = root / f"pkg{index // 100}"
        folder.mkdir(exist_ok=True)
        lines = [f"def function_{index}_{n}(value: int) -> int:\n    return value + {n}\n\n" for n in range(20)]
        (folder / f"module_{index}.py").write_text("".join(lines))


def disk_usage(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    options.add_argument("--files", type=int, default=5000)
    options.add_argument("--calls", type=int, default=100)
    args = options.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        build(root, args.files)
        config = load_project_config(root, environ={})
        guard = PathGuard.for_project(config)
        tools = ProjectTools(cache=FileCache(root), guard=guard,
                             run_command=lambda command: run_command(command, root, 10))
        checkpoints = Checkpoints(root, root / "tracks" / "bench" / "checkpoints.git", [config.tracks_path])
        start = time.perf_counter()
        checkpoints.snapshot("first")
        first = time.perf_counter() - start
        bare, with_checkpoint = [], []
        for call in range(args.calls):
            for touched in range(0, args.files, max(args.files // 3, 1)):  # a few files changed since the last one
                path = root / f"pkg{touched // 100}" / f"module_{touched}.py"
                path.write_text(path.read_text() + f"# change {call}\n")
            start = time.perf_counter()
            checkpoints.snapshot(f"call {call}")
            checkpoint = time.perf_counter() - start
            write = ToolCall(id=f"c{call}", name="write_file", arguments={"path": f"out/file_{call}.py",
                                                                         "content": f"x = {call}\n"})
            start = time.perf_counter()
            assert not tools.run(write).is_error
            bare_write = time.perf_counter() - start
            bare.append(bare_write)
            with_checkpoint.append(bare_write + checkpoint)
        size = disk_usage(checkpoints.git_dir)
    print(f"{args.files} files; first checkpoint {first:.2f} s")
    bare_ms, full_ms = statistics.median(bare) * 1000, statistics.median(with_checkpoint) * 1000
    alone_ms = statistics.median(w - b for w, b in zip(with_checkpoint, bare, strict=True)) * 1000
    print(f"per mutating call: bare write_file median {bare_ms:.2f} ms, with its checkpoint {full_ms:.1f} ms; "
          f"ratio {full_ms / bare_ms:.0f}x; checkpoint alone median {alone_ms:.1f} ms")
    print(f"shadow repository after {args.calls + 1} checkpoints: {size / 1e6:.1f} MB "
          f"(the files themselves: {args.files} x ~1.2 kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
