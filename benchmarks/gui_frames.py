"""Frame times of the real window under Xvfb: a 1,000-ticket track, a 10,000-line file in the coloured raw view
scrolled every frame, and an open write_file approval whose diff has 500 changed lines in 10 hunks, against the
same window on an empty project in the same run (a ratio).

    python -m benchmarks.gui_frames [--frames 600]

Needs Xvfb (the test script installs it). Frames are timed around render_dearpygui_frame with vsync off; the
first 30 frames of each run (building the widgets) are left out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from conductor.models import Ticket, Track
from conductor.store import TrackStore
from tests.gui.xvfb import xvfb_display

WARMUP = 30


def heavy_project(root: Path) -> None:
    lines = []
    for index in range(2000):
        lines += [f"def function_{index}(value: int) -> int:", f'    """Return value plus {index}."""',
                  f"    return value + {index}", "", ""]
    source = "\n".join(lines) + "\n"
    (root / "big.py").write_text(source)
    changed = source.splitlines(keepends=True)
    for start in range(0, 10_000, 1_000):  # 10 hunks of 25 replaced lines: 500 changed lines in the diff
        for row in range(start, start + 25):
            changed[row] = f"# changed line {row}\n"
    script = {"tier3": {"T1": [{"text": "A big rewrite.", "tool_calls": [
        {"name": "write_file", "arguments": {"path": "big.py", "content": "".join(changed)}}]}]}}
    (root / "script.json").write_text(json.dumps(script))
    (root / "project.toml").write_text('[tier3]\nprovider = "scripted"\nscript = "script.json"\n')
    track = Track(id="big", title="a thousand tickets")
    for index in range(1, 1001):
        dependencies = [f"T{index // 2}"] if index > 1 else []
        track.add_ticket(Ticket(id=f"T{index}", title=f"ticket number {index}", target_file="big.py",
                                prompt="do the thing", dependencies=dependencies))
    TrackStore(root / "tracks").save(track)


def frame_times(project: Path, frames: int, env: dict[str, str], *extra: str) -> list[float]:
    log = project / "frames.log"
    subprocess.run([sys.executable, "-m", "tests.gui.driver", "--project", str(project),
                    "--no-vsync", "--max-frames", str(frames), "--frame-log", str(log), *extra],
                   env=env, check=True, timeout=600, stdout=subprocess.DEVNULL, cwd=Path(__file__).resolve().parents[1])
    return [float(line) for line in log.read_text().split()]


def describe(steady: list[float]) -> str:
    return (f"median {statistics.median(steady):6.2f} ms, worst {max(steady):6.2f} ms, "
            f"p99 {sorted(steady)[int(len(steady) * 0.99)]:6.2f} ms")


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--frames", type=int, default=600)
    options.add_argument("--rounds", type=int, default=3,
                         help="runs of each window, alternated so that a busy moment of the machine hits both")
    args = options.parse_args(argv)
    baseline: list[float] = []
    loaded: list[float] = []
    with tempfile.TemporaryDirectory() as folder, xvfb_display() as env:
        for round_number in range(args.rounds):
            empty, heavy = Path(folder) / f"empty-{round_number}", Path(folder) / f"heavy-{round_number}"
            empty.mkdir()
            heavy.mkdir()
            heavy_project(heavy)
            baseline += frame_times(empty, args.frames, env)[WARMUP:]
            loaded += frame_times(heavy, args.frames, env, "--open", "big.py", "--view", "raw", "--scroll-view",
                                  "--run")[WARMUP:]
    print(f"empty project:                                        {describe(baseline)}")
    print(f"1,000 tickets + 10,000-line raw view + 500-line diff: {describe(loaded)}")
    ratio = statistics.median(loaded) / statistics.median(baseline)
    print(f"median frame ratio loaded/empty = {ratio:.2f} over {args.rounds} alternated rounds; target median "
          f"< 16.7 ms: {'met' if statistics.median(loaded) < 16.7 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
