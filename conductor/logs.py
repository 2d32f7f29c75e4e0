"""Where what an operator needs after a crash goes: one log file per project (`tracks/conductor.log`), written by
every front-end (the window, `conductor run`, `conductor mcp`), with the thread that wrote each line."""

from __future__ import annotations

import logging
from pathlib import Path

LOG_FILE = "conductor.log"
_FORMAT = "%(asctime)s %(levelname)s %(process)d %(threadName)s %(name)s: %(message)s"


def log_to_file(tracks: Path) -> Path:
    """Send Conductor's log records (INFO and up) to ``tracks``/conductor.log; returns its path. A second call
    for the same file adds nothing."""
    path = tracks / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    if not any(isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path.resolve() for h in root.handlers):
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
    for name in ("conductor", "file_cache", "gui", "mcp_server"):
        logging.getLogger(name).setLevel(logging.INFO)
    return path
