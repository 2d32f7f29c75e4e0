"""`conductor view KIND PATH`: a memory view of a file, as a worker would see it, with its token estimate."""

from __future__ import annotations

import argparse
import sys
import textwrap

from conductor.cli_args import add_project_option
from conductor.errors import ConductorError
from conductor.guards import PathGuard
from conductor.trust_cli import load_for_command
from file_cache import ASTParser, FileCache, estimate_tokens
from file_cache.repomap import repository_map


def _view(args: argparse.Namespace) -> int:
    config = load_for_command(args)
    guard = PathGuard.for_project(config)
    if args.kind == "map":
        if args.budget < 1:
            raise ConductorError(f"--budget takes a number of tokens from 1 up, not {args.budget}")
        repo_map = repository_map(FileCache(config.root), args.budget, args.focus or "", include=guard.allows)
        sys.stdout.write(repo_map.text)
        shown = sum(1 for entry in repo_map.entries if entry.shown != "path")
        print(f"# {repo_map.tokens} of {args.budget} tokens (estimate): {len(repo_map.entries)} of "
              f"{repo_map.files} Python files, {shown} with their signatures")
        return 0
    if args.path is None:
        raise ConductorError(f"`view {args.kind}` needs a file")
    target = guard.readable(args.path)  # relative paths are read from the project root, like every command's
    if not target.is_file():
        where = target.parent if target.parent.is_dir() else config.root
        raise ConductorError(f"{args.path}: no such file in {where}")
    cache = FileCache(config.root)
    if args.symbol is None:
        view = cache.view(target, args.kind)
        text, tokens = view.text, view.tokens
    else:
        definition = cache.definition(target, args.symbol).text
        parser = ASTParser()
        if args.kind == "raw":
            text = definition
        elif args.kind == "outline":
            text = cache.view(target, "outline").text
            text = "".join(line + "\n" for line in text.splitlines() if args.symbol in line)
        else:
            source = textwrap.dedent(definition)
            text = parser.get_skeleton_view(source) if args.kind == "skeleton" else parser.get_curated_view(source)
        tokens = estimate_tokens(text)
    sys.stdout.write(text)
    if text and not text.endswith("\n"):
        sys.stdout.write("\n")
    print(f"# {tokens} tokens (estimate)")
    return 0


def register_view(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    view = commands.add_parser("view")
    view.add_argument("kind", choices=["skeleton", "curated", "outline", "raw", "map"],
                      help="a file's view, or `map`: the whole repository within a token budget")
    view.add_argument("path", nargs="?", help="relative to the project root (not for `map`)")
    view.add_argument("--budget", type=int, default=8000, help="map: tokens at most (default 8000)")
    view.add_argument("--focus", help="map: words that rank matching files and definitions first")
    view.add_argument("--symbol", help="only this symbol (`Class.method` works)")
    add_project_option(view)
    view.set_defaults(handler=_view)
