"""Each benchmark still runs (small sizes; its figures are not asserted: speed is measured, not tested)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # every benchmark once: `scripts/test --quick` leaves them out


@pytest.mark.parametrize("argv", [
    ["benchmarks.engine_overhead", "--calls", "5", "--repeats", "1"],
    ["benchmarks.track_dag", "--repeats", "1"],
    ["benchmarks.stdlib_views", "--limit", "20", "--repeats", "1"],
    ["benchmarks.context_tokens"],
    ["benchmarks.gui_frames", "--frames", "40"],
    ["benchmarks.checkpoints", "--files", "50", "--calls", "3"],
    ["benchmarks.failure_hints"],
    ["benchmarks.mcp_tools"],
    ["benchmarks.planner_tokens"],
    ["benchmarks.repo_map", "--root", "file_cache", "--budget", "500"],
    ["benchmarks.view_cache", "--root", "file_cache", "--repeats", "1"],
    ["benchmarks.cli_startup", "--runs", "1"],
    ["benchmarks.sandbox_cost", "--repeats", "2"],
    ["benchmarks.approval_prompts"],
])
def test_the_benchmark_runs_and_prints_its_ratio(argv):
    result = subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip(), result.stderr[-2000:]
