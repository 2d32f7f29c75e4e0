"""Builders for engine tests: real temporary repositories, scripted models, a thread answering the gate."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conductor.config import load_project_config
from conductor.engine import ConductorEngine, RunResult
from conductor.events import EventQueue
from conductor.gate import CallbackGate, Decision, PendingCall
from conductor.models import Ticket, Track
from conductor.project_trust import file_grants, record_trust
from conductor.store import TrackStore

APPROVE = Decision(action="approve")


def wait_until(condition: Callable[[], object], what: str, seconds: float = 60) -> None:
    """Poll ``condition`` until it holds; past the deadline the test fails, naming what it waited for."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.01)


def trust_project(root: Path) -> None:
    """Record the project's settings as trusted, as `conductor trust --yes` does."""
    record_trust(root, file_grants(root))


def make_project(root: Path, files: dict[str, str], tier3: dict[str, list[dict[str, Any]]],
                 tickets: list[Ticket], tier4: list[dict[str, Any]] | None = None, extra_toml: str = "") -> str:
    """Write a repository, a script and a track; returns the track id."""
    root.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / "script.json").write_text(json.dumps({"tier3": tier3, "tier4": tier4 or []}))
    tier4_toml = '[tier4]\nprovider = "scripted"\nscript = "script.json"\n' if tier4 else ""
    (root / "project.toml").write_text(
        f'[tier3]\nprovider = "scripted"\nscript = "script.json"\n{tier4_toml}[shell]\ntimeout_seconds = 30\n'
        f"{extra_toml}")
    trust_project(root)  # the test wrote these settings: as `conductor trust` would, record them
    track = Track(id="track", title="test track")
    for ticket in tickets:
        track.add_ticket(ticket)
    TrackStore(root / "tracks").save(track)
    return track.id


def ticket(ticket_id: str, target: str, *deps: str, prompt: str = "do it") -> Ticket:
    return Ticket(id=ticket_id, title=f"ticket {ticket_id}", target_file=target, prompt=prompt,
                  dependencies=list(deps))


def engine_for(root: Path, track_id: str, gate=None, auto: bool = False, **overrides: Any) -> ConductorEngine:
    config = load_project_config(root, overrides, environ={})
    gate = gate if gate is not None else CallbackGate(lambda pending: APPROVE)
    return ConductorEngine(config, track_id, gate, subscribers=[EventQueue()],
                           auto=auto)


def run_with(engine: ConductorEngine, answer: Callable[[PendingCall], Decision] | None = None
             ) -> tuple[RunResult, list[PendingCall]]:
    """Run to the end, each pending call answered by ``answer`` (approve by default) on the engine's thread;
    returns the result and the calls asked about."""
    gate = engine.gate
    assert isinstance(gate, CallbackGate), "run_with answers through the engine's CallbackGate"
    gate.answer, gate.seen = answer or (lambda pending: APPROVE), []
    return engine.run(), gate.seen


def history_results(store: TrackStore, track_id: str, ticket_id: str) -> list[Any]:
    [path] = store.histories(track_id, ticket_id)[-1:]
    return [r for m in store.load_history(path) for r in m.tool_results]
