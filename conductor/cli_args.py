"""What every command shares before any configuration is read: which project it works on (`--project`, or the
one discovered as git finds its repository). Light on purpose: building the command line imports only this."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

PROJECT_FILE = "project.toml"
DEFAULT_TRACKS_DIR = "tracks"


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


def tracks_folder(root: Path) -> Path | None:
    """The tracks folder `project.toml` names (`tracks_dir`), read with `tomllib` alone for commands that use no
    other setting (listing tracks); None when it cannot be read so (a broken file, a value not a string): then the
    validated configuration, which names what is wrong, decides."""
    path = root / PROJECT_FILE
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8")) if path.exists() else {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None
    value = data.get("tracks_dir", DEFAULT_TRACKS_DIR)
    return (root / value).resolve() if isinstance(value, str) and root.is_dir() else None
