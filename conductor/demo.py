"""The shipped demo: a small repository with a two-ticket track and a scripted conversation, copied to a
temporary folder so that nothing of the user's is touched."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from conductor.errors import ConductorError

DEMO_TRACK = "add-median"


def demo_source() -> Path:
    """The demo folder: `tracks/demo` in a source checkout, `conductor/_demo` in an installed wheel."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / "tracks" / "demo", package / "_demo"):
        if (candidate / "project.toml").is_file():
            return candidate
    raise ConductorError("the demo files are missing from this installation")


def prepare_demo(destination: Path | None = None) -> Path:
    """Copy the demo project to ``destination`` (default: a new temporary folder); returns the project root."""
    from conductor.project_trust import file_grants, record_trust  # (pydantic: not imported for --help)

    target = Path(destination) if destination else Path(tempfile.mkdtemp(prefix="conductor-demo-")) / "calc-demo"
    if target.exists() and any(target.iterdir()):
        raise ConductorError(f"{target}: not empty; the demo needs an empty folder")
    shutil.copytree(demo_source(), target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".lock", "ledger.jsonl", "workers",
                                                  "histories", "outputs", "changes.jsonl", "pending.json"))
    record_trust(target, file_grants(target))  # the demo's allow-rule is ours
    return target
