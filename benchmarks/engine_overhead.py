"""Engine overhead per tool call, model time excluded, against running the same tool calls bare.

One ticket makes N read_file calls (one per model turn) in auto mode on the scripted provider. The engine's
time per call (total run time minus the time spent inside the model) is compared with ProjectTools.execute on
the same calls in the same run. The difference is what the engine adds per call: approval policy, ledger
lines (fsync'd), worker-state snapshots (atomic write + fsync), events.

    python -m benchmarks.engine_overhead [--calls 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from conductor.config import load_project_config
from conductor.engine import ConductorEngine
from conductor.gate import AutoGate
from conductor.guards import PathGuard
from conductor.messages import ToolCall
from conductor.models import Ticket, Track
from conductor.providers import create_model
from conductor.shell import run_command
from conductor.store import TrackStore
from conductor.tools import ProjectTools
from file_cache import FileCache


class TimedModel:
    def __init__(self, model) -> None:
        self.model, self.provider, self.seconds = model, model.provider, 0.0
        self.model_name = model.model

    def __getattr__(self, name):
        return getattr(self.model, name)

    def complete(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.model.complete(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def project(root: Path, calls: int) -> list[ToolCall]:
    (root / "mod.py").write_text("".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(50)))
    turns = [{"tool_calls": [{"name": "read_file", "arguments": {"path": "mod.py"}}]} for _ in range(calls)]
    (root / "script.json").write_text(json.dumps({"tier3": {"T1": [*turns, {"text": "done"}]}}))
    (root / "project.toml").write_text('[tier3]\nprovider = "scripted"\nscript = "script.json"\n'
                                       f"[limits]\nmax_steps = {calls + 5}\nmax_tokens = 1000000000\n")
    track = Track(id="bench", title="overhead")
    track.add_ticket(Ticket(id="T1", title="t", target_file="mod.py", prompt="read it"))
    TrackStore(root / "tracks").save(track)
    return [ToolCall(id=f"c{i}", name="read_file", arguments={"path": "mod.py"}) for i in range(calls)]


def measure(calls: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        bare_calls = project(root, calls)
        timed: list[TimedModel] = []

        def factory(*args, **kwargs):
            timed.append(TimedModel(create_model(*args, **kwargs)))
            return timed[-1]

        config = load_project_config(root, environ={})
        engine = ConductorEngine(config, "bench", AutoGate(), auto=True, model_factory=factory)
        start = time.perf_counter()
        assert engine.run().completed == ["T1"]
        engine_per_call = (time.perf_counter() - start - sum(t.seconds for t in timed)) / calls

        tools = ProjectTools(cache=FileCache(root), guard=PathGuard.for_project(config),
                             run_command=lambda c: run_command(c, root, 10))
        start = time.perf_counter()
        for call in bare_calls:
            tools.run(call)
        bare_per_call = (time.perf_counter() - start) / calls
    return engine_per_call, bare_per_call


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--calls", type=int, default=200)
    options.add_argument("--repeats", type=int, default=3)
    args = options.parse_args(argv)
    runs = [measure(args.calls) for _ in range(args.repeats)]
    engine = statistics.median(r[0] for r in runs)
    bare = statistics.median(r[1] for r in runs)
    print(f"{args.calls} tool calls, median of {args.repeats} runs")
    print(f"engine per tool call (model time excluded): {engine * 1000:.2f} ms")
    print(f"bare tool execution per call:               {bare * 1000:.3f} ms")
    print(f"engine overhead per call: {(engine - bare) * 1000:.2f} ms; engine/bare = {engine / bare:.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
