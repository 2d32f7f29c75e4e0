"""Tokens one plan costs the Tier 2 planner: on the shipped demo (its scripted conversation: a read, a proposal
refused for a cycle, the corrected one), and on a real-size repository (this machine's stdlib `email` package,
its map at the configured budget) with one read and one proposal. Tokens are the scripted provider's estimate of
each request, as the real request would be sent; the map's share of the first message is printed beside it."""

from __future__ import annotations

import json
import shutil
import sysconfig
import tempfile
from pathlib import Path

from conductor.config import load_project_config
from conductor.demo import prepare_demo
from conductor.plan_cli import DEMO_GOAL
from conductor.planner import PlanSession
from conductor.providers.scripted import ScriptedModel
from conductor.store import TrackStore
from file_cache import estimate_tokens


def plan_tokens(project: Path, goal: str) -> tuple[int, int, int, int]:
    config = load_project_config(project, environ={})
    assert config.tier2 is not None and config.tier2.script is not None
    model = ScriptedModel(project / config.tier2.script, tier="tier2")
    session = PlanSession(config, TrackStore(config.tracks_path), model)
    result = session.start(goal)
    assert result.proposal is not None and not result.problems, result.problems
    first = model.requests[0]["messages"][0].text
    totals = session.accountant.track
    return totals.calls, totals.input_tokens, totals.output_tokens, estimate_tokens(first)


def email_project(root: Path) -> Path:
    shutil.copytree(Path(sysconfig.get_paths()["stdlib"]) / "email", root / "email",
                    ignore=shutil.ignore_patterns("__pycache__"))
    tickets = [{"id": "E1", "title": "Strict address parsing", "target_file": "email/utils.py",
                "prompt": "Make parseaddr() reject addresses with two @ signs; add a test.", "depends_on": []},
               {"id": "E2", "title": "Use it in headerregistry", "target_file": "email/headerregistry.py",
                "prompt": "Use the strict parseaddr() in Address; add a test.", "depends_on": ["E1"]}]
    read = {"name": "get_skeleton", "arguments": {"path": "email/utils.py"}}
    turns = [{"text": "Reading utils.", "tool_calls": [read]},
             {"text": "Plan.", "tool_calls": [{"name": "propose_track", "arguments": {
                 "title": "Strict addresses", "description": "", "tickets": tickets}}]}]
    (root / "script.json").write_text(json.dumps({"tier2": turns}))
    (root / "project.toml").write_text('[tier2]\nprovider = "scripted"\nscript = "script.json"\n')
    return root


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        demo = prepare_demo(Path(folder) / "demo")
        rows = {"demo (read, refused proposal, corrected)": plan_tokens(demo, DEMO_GOAL),
                "stdlib email, 29 files (read, proposal)": plan_tokens(email_project(Path(folder) / "email"),
                                                                       "Reject addresses with two @ signs")}
    for name, (calls, tokens_in, tokens_out, first) in rows.items():
        print(f"{name}: {calls} model calls, {tokens_in} in / {tokens_out} out tokens per plan; first message "
              f"{first} tokens (goal, repository map, archetypes, tracks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
