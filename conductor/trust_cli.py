"""`conductor trust`: show what a project's settings would let happen, ask, record; and the notice every command
prints while some are withheld (see `conductor.project_trust`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from conductor.cli_args import add_project_option, project_of
from conductor.config import ProjectConfig, load_project_config
from conductor.errors import ConductorError
from conductor.project_trust import Grant, file_grants, is_trusted, notice, record_trust
from conductor.text import printable


def describe_grants(root: Path, grants: list[Grant]) -> str:
    lines = [f"{root / 'project.toml'} asks for:"]
    lines += [f"  {printable(grant.describe())}" for grant in grants]  # a cloned file may hold escape sequences
    return "\n".join(lines)


def ask_trust(root: Path, grants: list[Grant], ask: Callable[[str], str], out: TextIO) -> bool:
    """Show what project.toml at ``root`` grants and ask; True when trusted (then recorded)."""
    print(describe_grants(root, grants), file=out, flush=True)
    answer = ask("Trust these settings of this project? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        return False
    record_trust(root, grants)
    return True


def load_for_command(args: argparse.Namespace, overrides: dict[str, Any] | None = None, prompt: bool = False,
                     ask: Callable[[str], str] = input, interactive: bool | None = None) -> ProjectConfig:
    """The project's configuration for a command. While settings are withheld, say so in one line; with
    ``prompt`` at a terminal, ask first (and load again when the user trusts them)."""
    config = load_project_config(project_of(args), overrides)
    if not config.ignored:
        return config
    interactive = sys.stdin.isatty() if interactive is None else interactive
    if prompt and interactive and ask_trust(config.root, config.withheld, ask, sys.stdout):
        return load_project_config(config.root, overrides)
    print(f"conductor: {notice(config.root, config.ignored)}", file=sys.stderr)
    return config


def trust_command(args: argparse.Namespace) -> int:
    root = project_of(args).resolve()
    if not (root / "project.toml").is_file():
        raise ConductorError(f"{root}: no project.toml to trust")
    load_project_config(root)  # a broken file is refused in words before anything is trusted
    grants = file_grants(root)
    if not grants:
        print(f"{root / 'project.toml'}: nothing in it needs trust (no allow-rules, auto trust, base URLs, ...)")
        return 0
    if is_trusted(root, grants):
        print(describe_grants(root, grants) + "\ntrusted already")
        return 0
    if args.yes:
        print(describe_grants(root, grants))
        record_trust(root, grants)
    elif not sys.stdin.isatty():
        print(describe_grants(root, grants))
        raise ConductorError("not at a terminal: pass --yes to trust these settings")
    elif not ask_trust(root, grants, input, sys.stdout):
        print("not trusted: these settings stay ignored")
        return 1
    print("trusted; a change to these settings will ask again")
    return 0


def register_trust(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    trust = commands.add_parser("trust")
    add_project_option(trust)
    trust.add_argument("--yes", action="store_true", help="trust without asking (after showing what it grants)")
    trust.set_defaults(handler=trust_command)
