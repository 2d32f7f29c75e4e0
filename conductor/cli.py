"""The `conductor` command line: views, tracks, tickets, headless runs and the GUI."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from conductor.errors import ConductorError
from file_cache import ASTParser, FileCache, ViewError, estimate_tokens
from file_cache.parser import SymbolNotFoundError


def _view(args: argparse.Namespace) -> int:
    path = Path(args.path)
    root = Path(args.project) if args.project else path.resolve().parent
    cache = FileCache(root)
    target = path if path.is_absolute() else Path.cwd() / path
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conductor", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    view = commands.add_parser("view", help="print a memory view of a file and its token count")
    view.add_argument("kind", choices=["skeleton", "curated", "outline", "raw"])
    view.add_argument("path")
    view.add_argument("--symbol", help="only this symbol (`Class.method` works)")
    view.add_argument("--project", help="project root the path must stay inside (default: the file's folder)")
    view.set_defaults(handler=_view)

    for register in _command_modules():
        register(commands)
    return parser


def _command_modules():
    """Each command group registers its own sub-commands (kept next to the code they drive)."""
    from conductor import commands

    return commands.REGISTRARS


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ConductorError, ViewError, SymbolNotFoundError) as error:
        print(f"conductor: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("conductor: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
