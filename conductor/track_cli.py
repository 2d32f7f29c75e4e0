"""`conductor track ...`: create, list and show tracks. Reading needs only the configuration and the store (the
ticket service is loaded for `track new` alone); listing reads only `tracks_dir` and validates only the tracks
changed since the last listing (`track_index`), so it imports no model when nothing changed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from conductor.cli_args import add_project_option, project_of, tracks_folder
from conductor.errors import ConductorError
from conductor.track_index import TrackSummary, summaries

if TYPE_CHECKING:
    from conductor.models import Track
    from conductor.store import TrackStore

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def track_store(args: argparse.Namespace) -> TrackStore:
    from conductor.store import TrackStore
    from conductor.trust_cli import load_for_command

    return TrackStore(load_for_command(args).tracks_path)


def _listed_folder(args: argparse.Namespace) -> Path:
    """The tracks folder, from `tracks_dir` alone when project.toml reads cleanly (listing uses no other setting),
    else from the validated configuration, which says what is wrong."""
    folder = tracks_folder(project_of(args).resolve())
    if folder is None:
        return track_store(args).root
    return folder


def _track_new(args: argparse.Namespace) -> int:
    from conductor.ticket_cli import service

    print(service(args).create_track(args.title, args.description or "").id)
    return 0


def _track_list(args: argparse.Namespace) -> int:
    folder = _listed_folder(args)

    def summarize(track_id: str) -> TrackSummary:  # a track not listed before, or changed since: validated
        from conductor.store import TrackStore

        return TrackStore(folder).summary(track_id)

    rows = summaries(folder, summarize)
    if not rows:
        print(f"no tracks in {folder}")
    for row in rows:
        if row.error is not None:
            print(f"{row.id}  UNREADABLE  {row.error}")
        else:
            print(f"{row.id}  {row.status}  {row.completed}/{row.tickets} done  {row.title}")
    return 0


def _track_show(args: argparse.Namespace) -> int:
    from conductor.models import TicketStatus

    track = track_store(args).load(args.track)
    if args.json:
        print(track.model_dump_json(indent=2))
        return 0
    print(f"{track.title}  [{track.id}]  {track.status}")
    if track.description:
        print(track.description)
    for ticket in track.tickets:
        after = f"  after {', '.join(ticket.dependencies)}" if ticket.dependencies else ""
        print(f"  {ticket.id:<6} {ticket.status:<12} {ticket.title}  ({ticket.target_file}){after}")
        if ticket.status == TicketStatus.BLOCKED:
            why = ticket.block_reason or f"dependency {', '.join(ticket.blocked_by)} is blocked"
            print("         blocked: " + why.replace("\n", "\n                  "))
    return 0


MERMAID_CLASSES = {
    "locked": "fill:#555,color:#fff",
    "pending": "fill:#2d6cdf,color:#fff",
    "in_progress": "fill:#e0a100,color:#000",
    "step_paused": "fill:#d9480f,color:#fff",
    "completed": "fill:#2b8a3e,color:#fff",
    "blocked": "fill:#c92a2a,color:#fff",
}


def mermaid(track: Track) -> str:
    """A Mermaid flowchart of the track: one node per ticket, coloured by status."""
    lines = ["flowchart TD"]
    for ticket in track.tickets:
        label = f"{ticket.id}: {ticket.title}".replace('"', "'")
        lines.append(f'    {_node(ticket.id)}["{label}<br/>{ticket.status}"]:::{ticket.status}')
    for ticket in track.tickets:
        for dependency in ticket.dependencies:
            lines.append(f"    {_node(dependency)} --> {_node(ticket.id)}")
    lines.extend(f"    classDef {status} {style}" for status, style in MERMAID_CLASSES.items())
    return "\n".join(lines) + "\n"


def _node(ticket_id: str) -> str:
    return "t_" + "".join(c if c.isalnum() else "_" for c in ticket_id)


def _track_graph(args: argparse.Namespace) -> int:
    sys.stdout.write(mermaid(track_store(args).load(args.track)))
    return 0


def _ledger(args: argparse.Namespace) -> int:
    if args.tail < 1:
        raise ConductorError(f"--tail takes a number of events from 1 up, not {args.tail}")
    store = track_store(args)
    store.load(args.track)
    for event in store.ledger(args.track).read()[-args.tail:]:
        print(json.dumps(event, ensure_ascii=False))
    return 0


def register_tracks(commands: Subparsers) -> None:
    track = commands.add_parser("track").add_subparsers(dest="action", required=True)
    new = track.add_parser("new", help="create a track; prints its id")
    new.add_argument("title")
    new.add_argument("--description")
    new.set_defaults(handler=_track_new)
    listing = track.add_parser("list", help="every track with its status")
    listing.set_defaults(handler=_track_list)
    show = track.add_parser("show", help="a track and its tickets")
    show.add_argument("track")
    show.add_argument("--json", action="store_true", help="the track file's JSON")
    show.set_defaults(handler=_track_show)
    graph = track.add_parser("graph", help="Mermaid flowchart of the tickets with their statuses")
    graph.add_argument("track")
    graph.set_defaults(handler=_track_graph)
    ledger = track.add_parser("ledger", help="the last events of the track's ledger, as JSON lines")
    ledger.add_argument("track")
    ledger.add_argument("--tail", type=int, default=50, help="how many events (default 50)")
    ledger.set_defaults(handler=_ledger)
    for sub in (new, listing, show, graph, ledger):
        add_project_option(sub)
