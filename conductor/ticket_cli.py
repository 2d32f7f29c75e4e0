"""`conductor ticket ...`: add, edit, block, unblock, retry, complete and undo tickets from the terminal, through
the one ticket service (`conductor.tickets`) the window uses too."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from conductor.cli_args import add_project_option

if TYPE_CHECKING:
    from conductor.tickets import TicketService

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def service(args: argparse.Namespace) -> TicketService:
    """The ticket service on the project's configuration (imported when a ticket command runs, not for --help)."""
    from conductor.tickets import TicketService
    from conductor.trust_cli import load_for_command

    return TicketService(load_for_command(args), by="cli")


def _ticket_add(args: argparse.Namespace) -> int:
    from conductor.tickets import TicketDraft

    draft = TicketDraft(prompt=args.prompt, target=args.target, title=args.title or "",
                        dependencies=args.depends_on or [], archetype=args.archetype, new_file=args.new_file,
                        symbols=args.symbol or [])
    print(service(args).add_ticket(args.track, draft).id)
    return 0


def _ticket_edit(args: argparse.Namespace) -> int:
    from conductor.tickets import TicketChanges

    changes = TicketChanges(title=args.title, prompt=args.prompt, target=args.target, archetype=args.archetype,
                            dependencies=args.depends_on, new_file=args.new_file)
    service(args).edit_ticket(args.track, args.ticket, changes)
    return 0


def _ticket_block(args: argparse.Namespace) -> int:
    cascaded = service(args).block(args.track, args.ticket, args.reason or "")
    if cascaded:
        print(f"also blocked: {', '.join(cascaded)}")
    return 0


def _ticket_unblock(args: argparse.Namespace, retry: bool = False) -> int:
    status, restored = service(args).unblock(args.track, args.ticket, retry=retry)
    print(f"{args.ticket} is {status}" + (f"; restored: {', '.join(restored)}" if restored else ""))
    return 0


def _ticket_retry(args: argparse.Namespace) -> int:
    return _ticket_unblock(args, retry=True)


def _ticket_complete(args: argparse.Namespace) -> int:
    unlocked = service(args).complete(args.track, args.ticket, args.summary or "")
    print(f"{args.ticket} is completed" + (f"; unlocked: {', '.join(unlocked)}" if unlocked else ""))
    return 0


def _ticket_undo(args: argparse.Namespace) -> int:
    for path in service(args).undo(args.track, args.ticket, force=args.force, from_call=args.from_call):
        print(f"restored {path}")
    return 0


def _ticket_diff(args: argparse.Namespace) -> int:
    diff = service(args).diff(args.track, args.ticket)
    sys.stdout.write(diff or f"ticket {args.ticket} changed no file\n")
    return 0


def register_tickets(commands: Subparsers) -> None:
    ticket = commands.add_parser("ticket").add_subparsers(dest="action", required=True)
    add = ticket.add_parser("add", help="add a ticket to a track; prints its id")
    add.add_argument("track")
    add.add_argument("--target", required=True, help="the one file the worker edits")
    add.add_argument("--prompt", required=True)
    add.add_argument("--depends-on", action="append", metavar="ID")
    add.add_argument("--archetype", default="default")
    add.add_argument("--title")
    add.add_argument("--new-file", action="store_true", help="the target file does not exist yet")
    add.add_argument("--symbol", action="append", metavar="NAME",
                     help="a definition of the target the ticket is about (`Class.method`), shown whole")
    add.set_defaults(handler=_ticket_add)
    edit = ticket.add_parser("edit", help="change a ticket that is locked, pending or blocked")
    edit.add_argument("track")
    edit.add_argument("ticket")
    edit.add_argument("--title")
    edit.add_argument("--prompt")
    edit.add_argument("--target")
    edit.add_argument("--archetype")
    edit.add_argument("--new-file", action="store_true", help="the new target does not exist yet")
    edit.add_argument("--depends-on", action="append", metavar="ID", help="replaces the dependencies; '' for none")
    edit.set_defaults(handler=_ticket_edit)
    complete = ticket.add_parser("complete", help="mark a ticket done by hand; its dependents unlock")
    complete.add_argument("track")
    complete.add_argument("ticket")
    complete.add_argument("--summary", help="what was done (shown to dependent tickets' workers)")
    complete.set_defaults(handler=_ticket_complete)
    undo = ticket.add_parser("undo", help="put back every file a ticket changed (writes and commands alike)")
    undo.add_argument("track")
    undo.add_argument("ticket")
    undo.add_argument("--force", action="store_true", help="overwrite files changed since the ticket left them")
    undo.add_argument("--from-call", metavar="CALL_ID", help="only that call's changes and the later ones (restore "
                      "to before that call; ids are in `track ledger`)")
    undo.set_defaults(handler=_ticket_undo)
    diff = ticket.add_parser("diff", help="a ticket's whole change as one unified diff")
    diff.add_argument("track")
    diff.add_argument("ticket")
    diff.set_defaults(handler=_ticket_diff)
    subs = [add, edit, complete, undo, diff]
    for name, handler, text in (("block", _ticket_block, "block a ticket (and its dependents) with a reason"),
                                ("unblock", _ticket_unblock, "lift a block; dependents are restored"),
                                ("retry", _ticket_retry, "send a blocked ticket back to pending")):
        sub = ticket.add_parser(name, help=text)
        sub.add_argument("track")
        sub.add_argument("ticket")
        sub.add_argument("--reason")
        sub.set_defaults(handler=handler)
        subs.append(sub)
    for sub in subs:
        add_project_option(sub)

