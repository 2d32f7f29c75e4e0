"""A private Xvfb display for real-window tests and benchmarks, and xdotool clicks on it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def xvfb_display(width: int = 1600, height: int = 1000) -> Iterator[dict[str, str]]:
    """Start Xvfb on a free display number; yields an environment with DISPLAY set."""
    if shutil.which("Xvfb") is None:
        raise RuntimeError("Xvfb is not installed (scripts/test installs the xvfb package)")
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{width}x{height}x24",
                               "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    env = {**os.environ, "DISPLAY": f":{number}"}
    try:
        yield env
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_for_status(path: Path, condition, process: subprocess.Popen, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the GUI exited with {process.returncode}; last status {last}")
        try:
            last = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            last = None
        if last is not None and condition(last):
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting; last status {last}")


def wait_for_settled(path: Path, condition, process: subprocess.Popen, seconds: float = 120, frames: int = 10) -> dict:
    """Like wait_for_status, then a few frames more with the condition still true: the positions it reports are
    those of the laid-out window (a panel re-laid out for a new call moves its buttons on the next frame)."""
    first = wait_for_status(path, condition, process, seconds)
    return wait_for_status(path, lambda s: s["frame"] >= first["frame"] + frames and condition(s), process, seconds)


def click(env: dict[str, str], x: int, y: int) -> None:
    # no --sync: it waits for the pointer to move, which never happens when it is already there
    subprocess.run(["xdotool", "mousemove", str(x), str(y)], env=env, check=True, timeout=30)
    time.sleep(0.1)  # let the window render a frame with the pointer over the button
    subprocess.run(["xdotool", "click", "1"], env=env, check=True, timeout=30)


def key(env: dict[str, str], keys: str) -> None:
    subprocess.run(["xdotool", "key", keys], env=env, check=True, timeout=30)


def type_text(env: dict[str, str], text: str) -> None:
    """Type as a person would, key by key (Dear ImGui reads one character event at a time)."""
    subprocess.run(["xdotool", "type", "--delay", "40", text], env=env, check=True, timeout=60)


def select_all(env: dict[str, str]) -> None:
    """Ctrl+A held long enough for Dear ImGui to see both keys down in one frame."""
    for action in (["keydown", "ctrl"], ["key", "a"], ["keyup", "ctrl"]):
        subprocess.run(["xdotool", *action], env=env, check=True, timeout=30)
        time.sleep(0.15)


@contextlib.contextmanager
def ended(window: subprocess.Popen[Any]) -> Iterator[subprocess.Popen[Any]]:
    """The window's process, terminated and waited for however the test leaves the block (a failed assertion
    must not leave a window running)."""
    try:
        yield window
    finally:
        window.terminate()
        window.wait(timeout=60)


def start_window(env: dict[str, str], project: Path, tmp_path: Path, *extra: str) -> subprocess.Popen:
    """The real window (production render loop) with the tests' automation hook (tests/gui/driver.py): a status
    file, screenshots and a requests file in ``tmp_path``."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.gui.driver", "--project", str(project), "--status-file",
         str(tmp_path / "status.json"), "--screenshot-dir", str(tmp_path / "shots"), "--requests",
         str(tmp_path / "requests.jsonl"), *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, cwd=Path(__file__).resolve().parents[2])
