"""How many times a human is asked, for the same scripted 20-call ticket, by trust setting.

The ticket reads (6 calls), edits (5), runs the tests (5), runs a build that fails (2) and looks around with
commands (2). Counted under: step mode; step mode with allow-rules for the test and build commands; and an
archetype with `commands = "sandboxed-auto"` (commands run in the sandbox without asking, file writes still ask).
Printed: the prompts per setting and the ratio to step mode. Where bwrap cannot run here, sandboxed-auto asks like
step mode (and says so).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from conductor.config import load_project_config
from conductor.engine import ConductorEngine
from conductor.gate import Decision, PendingCall
from conductor.models import Ticket, Track
from conductor.store import TrackStore

SOURCE = "def add(a, b):\n    return a - b\n"
TESTS = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
BUILD = "import sys\nsys.exit('build failed: missing version')\n"


def call(name: str, **arguments: object) -> dict[str, object]:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def script() -> list[dict[str, object]]:
    test = "python3 -m pytest -q test_calc.py"
    build = "python3 build.py"
    probe = "python3 -c 'import calc; print(calc.add(2, 2))'"  # an ad-hoc check no allow-rule can foresee
    reads = [call("read_file", path="calc.py"), call("list_directory", path="."), call("get_skeleton", path="calc.py"),
             call("search_files", pattern="add"), call("read_file", path="test_calc.py"),
             call("read_file", path="build.py")]
    edits = [call("edit_file", path="calc.py", old_text="a - b", new_text="a + b"),
             call("write_file", path="notes.md", content="# notes\n"),
             call("edit_file", path="notes.md", old_text="# notes", new_text="# notes on add"),
             call("write_file", path="VERSION", content="1.0\n"),
             call("edit_file", path="build.py", old_text="sys.exit('build failed: missing version')",
                  new_text="print('built')")]
    turns = [*reads[:3], call("run_shell", command=test), *reads[3:], call("run_shell", command=build),
             call("run_shell", command=probe), edits[0], call("run_shell", command=test), edits[1], edits[2],
             call("run_shell", command=test), call("run_shell", command=build), edits[3], edits[4],
             call("run_shell", command=test), call("run_shell", command="git diff --stat"),
             call("run_shell", command=test)]
    assert len(turns) == 20
    return [*turns, {"text": "add fixed; the build prints its version"}]


class CountingGate:
    """Approves every call it is asked about, counting the asks by tool."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def decide(self, pending: PendingCall) -> Decision:
        self.asked.append(pending.call.name)
        return Decision(action="approve", decided_by="benchmark")

    def stop(self) -> None:
        """Never waits."""


def prompts(setting: str, toml: str) -> tuple[list[str], bool]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "calc.py").write_text(SOURCE)
        (root / "test_calc.py").write_text(TESTS)
        (root / "build.py").write_text(BUILD)
        (root / "script.json").write_text(json.dumps({"tier3": {"T1": script()}}))
        (root / "project.toml").write_text('[tier3]\nprovider = "scripted"\nscript = "script.json"\n' + toml)
        track = Track(id="bench", title=setting)
        track.add_ticket(Ticket(id="T1", title="fix add", target_file="calc.py", prompt="fix add",
                                worker_archetype="builder"))
        TrackStore(root / "tracks").save(track)
        gate = CountingGate()
        engine = ConductorEngine(load_project_config(root, environ={}), track.id, gate)
        result = engine.run()
        assert result.completed == ["T1"], result
        return gate.asked, engine.commands.choice.confined


SETTINGS = {
    "step": "[archetypes.builder]\n",
    "step + allow-rules": '[archetypes.builder]\n[shell]\nallow = ["python3 -m pytest -q", "python3 build.py", '
                          '"git diff --stat"]\n',
    "sandboxed-auto": '[archetypes.builder]\ncommands = "sandboxed-auto"\n',
}


def main() -> int:
    counts = {}
    for setting, toml in SETTINGS.items():
        asked, confined = prompts(setting, toml)
        counts[setting] = len(asked)
        tools = ", ".join(f"{name} {asked.count(name)}" for name in sorted(set(asked)))
        note = "" if confined or setting != "sandboxed-auto" else " (no sandbox here: commands asked)"
        print(f"{setting:20s} {len(asked):3d} prompts of 20 calls ({tools}){note}")
    for setting, count in counts.items():
        print(f"ratio {setting} / step: {count / counts['step']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
