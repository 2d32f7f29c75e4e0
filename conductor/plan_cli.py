"""`conductor plan "GOAL"`: the Tier 2 planner proposes a track; you accept, edit, revise or reject it."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from conductor.cli_args import add_project_option
from conductor.errors import ConductorError
from conductor.names import PROVIDER_NAMES

if TYPE_CHECKING:
    from conductor.proposals import Proposal

DEMO_GOAL = "Add mode() to calc/stats.py and show it in calc/report.py's describe()."


def plan_command(args: argparse.Namespace) -> int:
    # imported when a plan starts, not for `conductor plan --help`
    from conductor.demo import prepare_demo
    from conductor.planner import PlanSession
    from conductor.store import TrackStore
    from conductor.trust_cli import load_for_command

    if args.demo:
        args.project = prepare_demo()
        args.goal = args.goal or DEMO_GOAL
        print(f"demo project copied to {args.project}", file=sys.stderr)
    config = load_for_command(args, {"tier2.provider": args.provider, "tier2.model": args.model}, prompt=True)
    session = PlanSession.open(config, TrackStore(config.tracks_path), by="cli",
                               on_progress=lambda text: print(text, file=sys.stderr))
    if not args.revise and not (args.goal or "").strip():
        raise ConductorError("say the goal: conductor plan \"GOAL\" (or --revise TRACK)")
    result = session.start_revision(args.revise, args.goal or "") if args.revise else session.start(args.goal)
    proposal = result.proposal
    assert proposal is not None
    if args.title:
        proposal = proposal.model_copy(update={"title": args.title})
    problems = session.problems(proposal)
    usage = session.accountant.track
    print(f"planner: {usage.calls} model calls, {usage.input_tokens} in / {usage.output_tokens} out tokens, "
          f"cost {usage.cost_text}", file=sys.stderr)
    if args.json:
        print(json.dumps({"proposal": proposal.model_dump(mode="json"), "problems": problems}, indent=2))
        return 0
    edited = False
    while True:
        print(proposal.table(problems), end="")
        if args.revise:
            print(session.revision_diff(proposal), end="")
        if args.yes:
            answer = "a"
        else:
            answer = ask("[a]ccept, [e]dit, re[v]ise, [r]eject? ")
        if answer in ("a", "accept"):
            if problems:
                if args.yes:
                    raise ConductorError("the proposal has problems, not accepted: " + "; ".join(problems))
                print("fix the problems first (edit or revise)", file=sys.stderr)
                continue
            track = session.accept(proposal, edited=edited)
            print(f"accepted: {len(track.tickets)} tickets", file=sys.stderr)
            print(track.id)
            return 0
        if answer in ("e", "edit"):
            try:
                proposal = edit_in_editor(proposal)
            except ConductorError as error:
                print(f"edit refused: {error}", file=sys.stderr)
                continue
            edited = True
            problems = session.problems(proposal)
        elif answer in ("v", "revise"):
            feedback = ask("what should change? ")
            result = session.revise(feedback)
            assert result.proposal is not None
            proposal, problems, edited = result.proposal, session.problems(result.proposal), False
        elif answer in ("r", "reject", ""):
            reason = ask("why (optional)? ") if answer else "no answer"
            session.reject(reason)
            print("rejected: no track was created", file=sys.stderr)
            return 1


def ask(prompt: str) -> str:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    line = sys.stdin.readline()
    return line.strip().lower() if prompt.startswith("[") else line.strip()


def edit_in_editor(proposal: Proposal) -> Proposal:
    """The proposal as JSON in `$VISUAL`/`$EDITOR`; what is saved is parsed and validated (JSON or TOML)."""
    from conductor.proposals import parse_proposal

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise ConductorError("set $EDITOR (or $VISUAL) to edit the proposal")
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="conductor-plan-", delete=False) as handle:
        handle.write(proposal.model_dump_json(indent=2) + "\n")
        path = Path(handle.name)
    try:
        if subprocess.run([*shlex.split(editor), str(path)], check=False).returncode != 0:
            raise ConductorError(f"{editor} exited with an error; the proposal is unchanged")
        return parse_proposal(path.read_text(encoding="utf-8"))
    finally:
        path.unlink(missing_ok=True)


def register_plan(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plan = commands.add_parser("plan")
    plan.add_argument("goal", nargs="?", help="what the track should achieve")
    plan.add_argument("--title", help="the track's title (default: the planner's)")
    plan.add_argument("--provider", choices=PROVIDER_NAMES, help="Tier 2 provider")
    plan.add_argument("--model", help="Tier 2 model (default: the provider's)")
    plan.add_argument("--yes", action="store_true", help="accept the proposal as it is")
    plan.add_argument("--json", action="store_true", help="print the proposal as JSON; create nothing")
    plan.add_argument("--revise", metavar="TRACK", help="propose new tickets in place of the track's tickets that "
                      "have not started (GOAL, if given, is a note to the planner)")
    plan.add_argument("--demo", action="store_true", help="plan on a copy of the shipped demo (scripted planner)")
    add_project_option(plan)
    plan.set_defaults(handler=plan_command)

