"""`conductor track ...` and `conductor ticket ...`: plan and edit tracks from the terminal."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from conductor.config import ProjectConfig, load_project_config
from conductor.errors import ConductorError
from conductor.models import Ticket, TicketStatus, Track
from conductor.run_cli import register_run, register_undo
from conductor.store import TrackStore
from file_cache import PathOutsideRootError, resolve_inside


def project_store(args: argparse.Namespace) -> tuple[ProjectConfig, TrackStore]:
    config = load_project_config(args.project)
    return config, TrackStore(config.tracks_path)


@contextlib.contextmanager
def editing(store: TrackStore, track_id: str) -> Iterator[Track]:
    """Load a track under its lock, hand it out for changes, save it when the block ends without error."""
    if not store.track_file(track_id).exists():  # (track_file also refuses a malformed id)
        store.load(track_id)  # raises the clear unknown-track error before any lock file is made
    with store.locked(track_id):
        track = store.load(track_id)
        yield track
        store.save(track)


def _track_new(args: argparse.Namespace) -> int:
    _, store = project_store(args)
    print(store.create(args.title, args.description or "").id)
    return 0


def _track_list(args: argparse.Namespace) -> int:
    _, store = project_store(args)
    ids = store.ids()
    if not ids:
        print(f"no tracks in {store.root}")
    for track_id in ids:
        try:
            track = store.load(track_id)
        except ConductorError as error:
            print(f"{track_id}  UNREADABLE  {error}")
            continue
        counts = track.counts()
        print(f"{track.id}  {track.status}  {counts['completed']}/{len(track.tickets)} done  {track.title}")
    return 0


def _track_show(args: argparse.Namespace) -> int:
    _, store = project_store(args)
    track = store.load(args.track)
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
            print(f"         blocked: {why}")
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
    _, store = project_store(args)
    sys.stdout.write(mermaid(store.load(args.track)))
    return 0


def check_target(config: ProjectConfig, target: str, allow_new: bool) -> str:
    try:
        resolved = resolve_inside(config.root, target)
    except PathOutsideRootError as error:
        raise ConductorError(str(error)) from None
    if resolved.is_dir():
        raise ConductorError(f"{target}: is a folder; a ticket targets one file")
    if not resolved.exists() and not allow_new:
        raise ConductorError(f"{target}: no such file in {config.root} (pass --new-file if the ticket creates it)")
    return resolved.relative_to(config.root).as_posix()


def _ticket_add(args: argparse.Namespace) -> int:
    config, store = project_store(args)
    target = check_target(config, args.target, args.new_file)
    if not args.prompt.strip():
        raise ConductorError("a ticket needs a prompt")
    with editing(store, args.track) as track:
        ticket_id = track.next_ticket_id()
        ticket = Ticket(id=ticket_id, title=args.title or args.prompt.strip().splitlines()[0][:60],
                        target_file=target, prompt=args.prompt, worker_archetype=args.archetype,
                        dependencies=list(dict.fromkeys(args.depends_on or [])))
        track.add_ticket(ticket)
    store.ledger(args.track).append("ticket_added", ticket=ticket_id, target=target, status=ticket.status)
    print(ticket_id)
    return 0


def _ticket_edit(args: argparse.Namespace) -> int:
    config, store = project_store(args)
    with editing(store, args.track) as track:
        ticket = track.ticket(args.ticket)
        changes = {}
        if args.title is not None:
            changes["title"] = args.title
        if args.prompt is not None:
            changes["prompt"] = args.prompt
        if args.archetype is not None:
            changes["worker_archetype"] = args.archetype
        if args.target is not None:
            changes["target_file"] = check_target(config, args.target, args.new_file)
        if changes and ticket.status in (TicketStatus.IN_PROGRESS, TicketStatus.STEP_PAUSED):
            raise ConductorError(f"ticket {ticket.id} is {ticket.status}; stop the run before editing it")
        for name, value in changes.items():
            setattr(ticket, name, value)
        if args.depends_on is not None:
            track.set_dependencies(ticket.id, [d for d in args.depends_on if d])
            changes["dependencies"] = ticket.dependencies
    store.ledger(args.track).append("ticket_edited", ticket=args.ticket, changes=sorted(changes))
    return 0


def _ticket_block(args: argparse.Namespace) -> int:
    _, store = project_store(args)
    with editing(store, args.track) as track:
        cascaded = track.block(args.ticket, args.reason or "blocked by hand")
    store.ledger(args.track).append("ticket_blocked", ticket=args.ticket, reason=args.reason, cascaded=cascaded)
    if cascaded:
        print(f"also blocked: {', '.join(cascaded)}")
    return 0


def _ticket_unblock(args: argparse.Namespace, retry: bool = False) -> int:
    _, store = project_store(args)
    with editing(store, args.track) as track:
        restored = track.retry(args.ticket) if retry else track.unblock(args.ticket)
        status = track.ticket(args.ticket).status
    event = "ticket_retried" if retry else "ticket_unblocked"
    store.ledger(args.track).append(event, ticket=args.ticket, reason=args.reason, restored=restored, status=status)
    print(f"{args.ticket} is {status}" + (f"; restored: {', '.join(restored)}" if restored else ""))
    return 0


def _ticket_retry(args: argparse.Namespace) -> int:
    return _ticket_unblock(args, retry=True)


def _ledger(args: argparse.Namespace) -> int:
    _, store = project_store(args)
    store.load(args.track)
    for event in store.ledger(args.track).read()[-args.tail :]:
        print(json.dumps(event, ensure_ascii=False))
    return 0


def _add_project(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", default=".", type=Path, help="project root (default: current directory)")


def register_tracks(commands: argparse._SubParsersAction) -> None:
    track = commands.add_parser("track", help="create, list and show tracks").add_subparsers(dest="action",
                                                                                           required=True)
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
    ledger.add_argument("--tail", type=int, default=50)
    ledger.set_defaults(handler=_ledger)
    for sub in (new, listing, show, graph, ledger):
        _add_project(sub)

    ticket = commands.add_parser("ticket", help="add, edit, block, unblock and retry tickets").add_subparsers(
        dest="action", required=True)
    add = ticket.add_parser("add", help="add a ticket to a track; prints its id")
    add.add_argument("track")
    add.add_argument("--target", required=True, help="the one file the worker edits")
    add.add_argument("--prompt", required=True)
    add.add_argument("--depends-on", action="append", metavar="ID")
    add.add_argument("--archetype", default="default")
    add.add_argument("--title")
    add.add_argument("--new-file", action="store_true", help="the target file does not exist yet")
    add.set_defaults(handler=_ticket_add)
    edit = ticket.add_parser("edit", help="change a ticket that is not running")
    edit.add_argument("track")
    edit.add_argument("ticket")
    edit.add_argument("--title")
    edit.add_argument("--prompt")
    edit.add_argument("--target")
    edit.add_argument("--archetype")
    edit.add_argument("--new-file", action="store_true")
    edit.add_argument("--depends-on", action="append", metavar="ID", help="replaces the dependencies; '' for none")
    edit.set_defaults(handler=_ticket_edit)
    for name, handler, text in (("block", _ticket_block, "block a ticket (and its dependents) with a reason"),
                                ("unblock", _ticket_unblock, "lift a block; dependents are restored"),
                                ("retry", _ticket_retry, "send a blocked ticket back to pending")):
        sub = ticket.add_parser(name, help=text)
        sub.add_argument("track")
        sub.add_argument("ticket")
        sub.add_argument("--reason")
        sub.set_defaults(handler=handler)
        _add_project(sub)
    for sub in (add, edit):
        _add_project(sub)
    register_undo(ticket)


def register_gui(commands: argparse._SubParsersAction) -> None:
    from gui.app import register_gui as register  # the GUI package is imported only for `conductor gui`

    register(commands)


REGISTRARS: list = [register_tracks, register_run, register_gui]
