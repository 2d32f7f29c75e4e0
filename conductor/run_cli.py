"""`conductor run`: a track headless, step mode answered at the terminal, progress printed as it happens."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from conductor.config import load_project_config
from conductor.demo import DEMO_TRACK, prepare_demo
from conductor.engine import ConductorEngine, EngineEvent
from conductor.errors import ConductorError
from conductor.gate import AutoGate, TerminalGate
from conductor.models import TrackStatus
from conductor.store import TrackStore


class EventPrinter:
    """Prints engine events as one-line progress reports (the engine runs on this thread in headless mode)."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out

    def publish(self, event: EngineEvent) -> None:
        line = self.format(event)
        if line:
            print(line, file=self.out, flush=True)

    @staticmethod
    def format(event: EngineEvent) -> str | None:
        data, ticket = event.data, event.ticket_id
        if event.kind == "ticket_started":
            return f"> {ticket} {data['title']}" + ("  (resumed)" if data.get("resumed") else "")
        if event.kind == "assistant_turn":
            usage = data["usage"]
            calls = ", ".join(c["name"] for c in data["tool_calls"]) or "no tool call"
            text = f"  model: {calls}  ({usage['input_tokens']} in / {usage['output_tokens']} out tokens)"
            return text + (f"\n    {data['text'].strip()[:300]}" if data["text"].strip() else "")
        if event.kind == "approval_needed":
            return f"  ? {data['pending']['call']['name']} awaits your decision"
        if event.kind == "decision":
            return f"  {data['action']}" + (f": {data['reason']}" if data.get("reason") else "")
        if event.kind == "edit_refused":
            return f"  edit refused: {data['error']}"
        if event.kind == "shell":
            hint = f"; hint ({data['hint_source']}): {data['hint']}" if data.get("hint") else ""
            return f"  $ {data['command']} -> exit {data['exit_code']}{hint}"
        if event.kind == "tool_result" and data["tool"] != "run_shell":
            arguments = json.dumps({k: v for k, v in data["arguments"].items() if k != "content"})[:120]
            status = "error" if data["is_error"] else "ok"
            first_line = data["content"].splitlines()[0][:120] if data["content"] else ""
            return f"  {data['tool']} {arguments} -> {status}: {first_line}"
        if event.kind == "ticket_completed":
            unlocked = f" (unlocked {', '.join(data['unlocked'])})" if data["unlocked"] else ""
            return f"done {ticket}: {data['summary'][:300]}{unlocked}"
        if event.kind == "ticket_blocked":
            return f"BLOCKED {ticket}: {data['reason']}"
        if event.kind == "run_paused":
            return f"paused on {ticket}: {data['reason']}"
        if event.kind == "run_finished":
            return f"track {event.track_id}: {data['track_status']}"
        return None


def run_track(args: argparse.Namespace) -> int:
    overrides = {"tier3.provider": args.provider, "tier3.model": args.model,
                 "tier4.provider": args.tier4_provider, "tier4.model": args.tier4_model}
    if args.tier4_provider and args.tier4_provider != "scripted" and not args.tier4_model:
        raise ConductorError("--tier4-provider needs --tier4-model")
    if args.demo:
        args.project = prepare_demo()
        args.track = args.track or DEMO_TRACK
        print(f"demo project copied to {args.project}")
    if not args.track:
        raise ConductorError("name the track to run (or pass --demo)")
    config = load_project_config(args.project, overrides)
    store = TrackStore(config.tracks_path)
    store.load(args.track)
    printer = EventPrinter()
    engine: ConductorEngine
    gate = AutoGate() if args.auto else TerminalGate(preview=lambda call: engine.make_pending("", call).diff)
    engine = ConductorEngine(config, args.track, gate, events=printer, auto=args.auto, store=store)
    result = engine.run()
    usage = engine.accountant.track
    print(f"model calls: {usage.calls}, tokens: {usage.input_tokens} in / {usage.output_tokens} out, "
          f"cost: {usage.cost_text()}")
    return 0 if engine.track is not None and engine.track.status == TrackStatus.COMPLETED and not result.blocked else 1


def undo_ticket(args: argparse.Namespace) -> int:
    config = load_project_config(args.project)
    store = TrackStore(config.tracks_path)
    store.load(args.track).ticket(args.ticket)
    with store.locked(args.track):
        restored = store.undo_ticket(args.track, args.ticket, config.root, force=args.force)
    store.ledger(args.track).append("ticket_undone", ticket=args.ticket, paths=restored)
    for path in restored:
        print(f"restored {path}")
    return 0


def register_run(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="run a track headless; step mode asks at the terminal")
    run.add_argument("track", nargs="?")
    run.add_argument("--demo", action="store_true", help="copy the shipped demo to a temporary folder and run it")
    run.add_argument("--auto", action="store_true", help="run every tool call without asking")
    run.add_argument("--provider", choices=["anthropic", "gemini", "scripted"], help="Tier 3 provider")
    run.add_argument("--model", help="Tier 3 model")
    run.add_argument("--tier4-provider", choices=["anthropic", "gemini", "scripted"])
    run.add_argument("--tier4-model")
    run.add_argument("--project", default=".", type=Path)
    run.set_defaults(handler=run_track)


def register_undo(ticket_commands: argparse._SubParsersAction) -> None:
    undo = ticket_commands.add_parser("undo", help="put back every file a ticket wrote")
    undo.add_argument("track")
    undo.add_argument("ticket")
    undo.add_argument("--force", action="store_true", help="overwrite files changed since the ticket wrote them")
    undo.add_argument("--project", default=".", type=Path)
    undo.set_defaults(handler=undo_ticket)
