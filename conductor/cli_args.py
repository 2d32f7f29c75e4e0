"""What every command shares before any configuration is read: which project it works on (`--project`, or the
one discovered as git finds its repository). Light on purpose: building the command line imports only this."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PROJECT_FILE = "project.toml"


def discover_project(start: Path | None = None) -> Path:
    """The project a command run in ``start`` (default: the current folder) works on, found as git finds its
    repository: the nearest folder up holding project.toml, else the nearest holding `.git`, else ``start``."""
    here = (start or Path.cwd()).resolve()
    for marker in (PROJECT_FILE, ".git"):
        for folder in (here, *here.parents):
            if (folder / marker).exists():
                return folder
    return here


def add_project_option(parser: Any) -> None:
    """`--project DIR`, the same for every command: given, it wins; else the project is discovered."""
    parser.add_argument("--project", type=Path, default=None, metavar="DIR",
                        help="project root (default: the nearest folder up with project.toml, else the git "
                             "repository's root, else the current folder)")


def project_of(args: Any) -> Path:
    """The project a command works on: `--project` when given, else the discovered one."""
    given: Path | None = getattr(args, "project", None)
    return given if given is not None else discover_project()
