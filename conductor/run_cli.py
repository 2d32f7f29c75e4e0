"""`conductor run`: a track headless, step mode answered at the terminal, progress printed as it happens."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from conductor.cli_args import add_project_option
from conductor.config import PROVIDER_NAMES
from conductor.demo import DEMO_TRACK, prepare_demo
from conductor.engine import ConductorEngine
from conductor.errors import ConductorError
from conductor.events import (
    ApprovalRequested,
    DecisionMade,
    EditRefused,
    Event,
    ModelCalled,
    RunFinished,
    RunPaused,
    ShellRan,
    TicketBlocked,
    TicketCompleted,
    TicketStarted,
    ToolFinished,
)
from conductor.gate import AutoGate, TerminalGate
from conductor.logs import log_to_file
from conductor.models import TrackStatus
from conductor.store import TrackStore
from conductor.text import clip, printable
from conductor.trust_cli import load_for_command


class EventPrinter:
    """Prints engine events as one-line progress reports (the engine runs on this thread in headless mode)."""

    def __init__(self, store: TrackStore, out: TextIO = sys.stdout) -> None:
        self.store = store
        self.out = out

    def notify(self, event: Event) -> None:
        line = self.format(event)
        if line:
            print(printable(line), file=self.out, flush=True)  # a model's text may hold escape sequences

    def format(self, event: Event) -> str | None:
        ticket = event.ticket
        match event:
            case TicketStarted(title=title, resumed=resumed):
                return f"> {ticket} {title}" + ("  (resumed)" if resumed else "")
            case ModelCalled(tier="tier3", usage=usage, tool_calls=calls, text=text):
                names = ", ".join(c.name for c in calls) or "no tool call"
                line = f"  model: {names}  ({usage.input_tokens} in / {usage.output_tokens} out tokens)"
                return line + (f"\n    {clip(text.strip(), 300)}" if text.strip() else "")
            case ApprovalRequested(tool=tool):
                return f"  ? {tool} awaits your decision"
            case DecisionMade(by="rule"):
                return None
            case DecisionMade(action=action, reason=reason):
                label = "approve (edited)" if action == "edit" else action
                return f"  {label}" + (f": {reason}" if reason else "")
            case EditRefused(error=error):
                return f"  edit refused: {error.removeprefix('error: ')}"
            case ShellRan(command=command, exit_code=code, hint=hint, hint_source=source, output=output):
                line = f"  $ {clip(command, 120)} -> exit {code}"
                if hint:
                    line += f"\n    hint ({source}): {hint}"
                if output:
                    line += f"\n    full output: {self.store.output_path(event.track, output)}"
                return line
            case ToolFinished(tool=tool, arguments=arguments, is_error=is_error, content=content) if (
                    tool != "run_shell"):
                shown = json.dumps({k: v for k, v in arguments.items() if k != "content"}, ensure_ascii=False)
                first_line = content.splitlines()[0].removeprefix("error: ") if content else ""
                return f"  {tool} {clip(shown, 120)} -> {'error' if is_error else 'ok'}: {clip(first_line, 120)}"
            case TicketCompleted(summary=summary, unlocked=unlocked):
                after = f" (unlocked {', '.join(unlocked)})" if unlocked else ""
                return f"done {ticket}: {clip(summary, 300)}{after}"
            case TicketBlocked(reason=reason):
                return (f"BLOCKED {ticket}:\n    " + reason.replace("\n", "\n    ")
                        + f"\n  to go on: conductor ticket retry {event.track} {ticket}  (after fixing the cause)")
            case RunPaused(reason=reason):
                return f"paused on {ticket}: {reason}"
            case RunFinished(track_status=status):
                return f"track {event.track}: {status}"
        return None


def run_track(args: argparse.Namespace) -> int:
    overrides = {"tier3.provider": args.provider, "tier3.model": args.model,
                 "tier4.provider": args.tier4_provider, "tier4.model": args.tier4_model}
    if args.demo:
        args.project = prepare_demo()
        args.track = args.track or DEMO_TRACK
        print(f"demo project copied to {args.project}")
    if not args.track:
        raise ConductorError("name the track to run (or pass --demo)")
    config = load_for_command(args, overrides, prompt=not args.dry_run and not args.json)
    store = TrackStore(config.tracks_path)
    store.load(args.track)
    if args.dry_run or args.json:
        from conductor.dry_run import dry_run

        preview = dry_run(config, store, args.track)
        print(preview.json() if args.json else preview.text())
        return 0
    engine: ConductorEngine
    gate = AutoGate() if args.auto else TerminalGate(preview=lambda request: engine.approvals.make_pending("", request),
                                                     write=lambda text: print(printable(text)))
    log_to_file(config.tracks_path)
    engine = ConductorEngine(config, args.track, gate, subscribers=[EventPrinter(store)], auto=args.auto,
                             store=store)
    print(f"commands: {engine.commands.describe()}")
    result = engine.run()
    track = store.load(args.track)
    counts = track.counts()
    usage = engine.accountant.track
    print(f"track {track.id}: {counts['completed']}/{len(track.tickets)} tickets completed, "
          f"{counts['blocked']} blocked; this run: {usage.calls} model calls, {usage.input_tokens} in / "
          f"{usage.output_tokens} out tokens, cost {usage.cost_text}")
    if result.problem:
        print(f"conductor: the run stopped: {result.problem}", file=sys.stderr)
    return 0 if track.status == TrackStatus.COMPLETED else 1


def register_run(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("run")
    run.add_argument("track", nargs="?")
    run.add_argument("--demo", action="store_true", help="copy the shipped demo to a temporary folder and run it")
    run.add_argument("--auto", action="store_true", help="run every tool call without asking")
    run.add_argument("--provider", choices=PROVIDER_NAMES, help="Tier 3 provider")
    run.add_argument("--model", help="Tier 3 model (default: the provider's)")
    run.add_argument("--tier4-provider", choices=PROVIDER_NAMES)
    run.add_argument("--tier4-model")
    run.add_argument("--dry-run", action="store_true", help="say what would run and what its first calls would "
                     "cost; nothing is sent, nothing changes")
    run.add_argument("--json", action="store_true", help="with --dry-run: as JSON")
    add_project_option(run)
    run.set_defaults(handler=run_track)
