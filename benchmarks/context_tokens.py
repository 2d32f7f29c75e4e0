"""Tokens sent to the Tier 3 model per ticket: the engine's AST-curated context against every relevant file raw.

The sample repository is a copy of this machine's stdlib `email` package (about 10k lines). Each ticket targets
one module and runs the same scripted conversation (a skeleton lookup, a ranged read, a summary) three times:
related files as skeletons (the default), as curated views, and raw. Input tokens are summed over the ticket's
model calls, as the scripted provider estimates them from each request.

    python -m benchmarks.context_tokens
"""

from __future__ import annotations

import json
import shutil
import statistics
import sysconfig
import tempfile
from pathlib import Path

from conductor.config import load_project_config
from conductor.engine import ConductorEngine
from conductor.gate import AutoGate
from conductor.models import Ticket, Track
from conductor.store import TrackStore

TARGETS = {"email/message.py": "Message.get_content_type", "email/generator.py": "Generator.flatten",
           "email/feedparser.py": "FeedParser.feed", "email/utils.py": "formataddr",
           "email/headerregistry.py": "Address.addr_spec", "email/_header_value_parser.py": "get_address_list",
           "email/contentmanager.py": "get_text_content"}
"""Each ticket's target and the definition its prompt names."""


def build_project(root: Path, view: str) -> None:
    shutil.copytree(Path(sysconfig.get_paths()["stdlib"]) / "email", root / "email",
                    ignore=shutil.ignore_patterns("__pycache__"))
    turns = {}
    for index, target in enumerate(TARGETS, 1):
        turns[f"T{index}"] = [
            {"text": "Checking the helpers.", "tool_calls": [{"name": "get_skeleton",
                                                              "arguments": {"path": "email/errors.py"}}]},
            {"text": "Reading the top of the target.",
             "tool_calls": [{"name": "read_file", "arguments": {"path": target, "start_line": 1, "end_line": 40}}]},
            {"text": f"Reviewed {target}."},
        ]
    (root / "script.json").write_text(json.dumps({"tier3": turns}))
    (root / "project.toml").write_text(f'[tier3]\nprovider = "scripted"\nscript = "script.json"\n'
                                       f'[archetypes.default]\ntrust = "auto"\ncontext_view = "{view}"\n')
    track = Track(id="bench", title="context benchmark")
    for index, (target, symbol) in enumerate(TARGETS.items(), 1):
        track.add_ticket(Ticket(id=f"T{index}", title=f"review {target}", target_file=target,
                                prompt=f"In {target}, review {symbol} and summarise what it does."))
    TrackStore(root / "tracks").save(track)


def tokens_per_ticket(view: str) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        build_project(root, view)
        engine = ConductorEngine(load_project_config(root, environ={}), "bench", AutoGate(), auto=True)
        result = engine.run()
        assert len(result.completed) == len(TARGETS), result
        tickets = engine.accountant.snapshot().tickets
        return {list(TARGETS)[int(t[1:]) - 1]: totals.input_tokens for t, totals in tickets.items()}


def main() -> int:
    figures = {view: tokens_per_ticket(view) for view in ("skeleton", "curated", "raw")}
    print(f"{'target':<34}{'skeleton':>10}{'curated':>10}{'raw':>10}{'raw/skel':>10}")
    for target in TARGETS:
        row = [figures[view][target] for view in ("skeleton", "curated", "raw")]
        print(f"{target:<34}{row[0]:>10}{row[1]:>10}{row[2]:>10}{row[2] / row[0]:>10.1f}")
    medians = {view: statistics.median(figures[view].values()) for view in figures}
    print(f"median input tokens per ticket: skeleton {medians['skeleton']:.0f}, curated {medians['curated']:.0f}, "
          f"raw {medians['raw']:.0f}")
    for view in ("skeleton", "curated"):
        ratios = [figures["raw"][t] / figures[view][t] for t in TARGETS]  # per ticket, then the median
        print(f"raw/{view} per ticket: median {statistics.median(ratios):.1f}x, worst {min(ratios):.1f}x, "
              f"best {max(ratios):.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
