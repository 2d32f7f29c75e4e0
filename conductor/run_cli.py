"""`conductor run`: a track headless, step mode answered at the terminal, progress printed as it happens."""

from __future__ import annotations

import argparse
import sys

from conductor.cli_args import add_project_option
from conductor.errors import ConductorError
from conductor.names import PROVIDER_NAMES


def run_track(args: argparse.Namespace) -> int:
    # imported when a run starts, not for `conductor run --help`
    from conductor.demo import DEMO_TRACK, prepare_demo
    from conductor.engine import ConductorEngine
    from conductor.event_printer import EventPrinter
    from conductor.gate import AutoGate, TerminalGate
    from conductor.logs import log_to_file
    from conductor.models import TrackStatus
    from conductor.store import TrackStore
    from conductor.text import printable
    from conductor.trust_cli import load_for_command

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
