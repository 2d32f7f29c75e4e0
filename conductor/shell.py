"""Runs the worker's shell commands: in the project root, with a timeout that kills the whole process group,
captured output capped (head and tail kept), and an environment without API keys."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# Variables never passed to a command: provider keys and anything named like a secret.
_SECRET_NAME = re.compile(r"(API_KEY|_KEY$|TOKEN|SECRET|PASSWORD|CREDENTIAL)|^(ANTHROPIC|GEMINI|GOOGLE)_", re.I)
_SHELL_SYNTAX = re.compile(r"[;&|<>`$(){}\n\\*?\[\]~!#]")


@dataclass(frozen=True)
class ShellResult:
    command: str
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    truncated: bool = False

    @property
    def output(self) -> str:
        """stdout then stderr, as a person would read them."""
        if self.stdout and self.stderr:
            return self.stdout.rstrip("\n") + "\n" + self.stderr
        return self.stdout or self.stderr


def clean_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    environ = dict(os.environ if environ is None else environ)
    return {name: value for name, value in environ.items() if not _SECRET_NAME.search(name)}


class _CappedBuffer:
    """Keeps the first and last ``limit // 2`` bytes of a stream (a traceback's end matters most)."""

    def __init__(self, limit: int) -> None:
        self.half = max(limit // 2, 1)
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def feed(self, chunk: bytes) -> None:
        room = self.half - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        if len(self.tail) > self.half:
            self.dropped += len(self.tail) - self.half
            del self.tail[: len(self.tail) - self.half]

    def text(self) -> str:
        middle = f"\n[... {self.dropped} bytes dropped ...]\n".encode() if self.dropped else b""
        return (bytes(self.head) + middle + bytes(self.tail)).decode("utf-8", errors="replace")


def run_command(command: str, cwd: Path, timeout: float, max_output_bytes: int = 2_000_000,
                environ: dict[str, str] | None = None) -> ShellResult:
    """Run ``command`` with bash in ``cwd``; on timeout the process group gets SIGTERM, then SIGKILL."""
    start = time.monotonic()
    process = subprocess.Popen(["/bin/bash", "-c", command], cwd=cwd, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_environment(environ),
                               start_new_session=True)
    buffers = (_CappedBuffer(max_output_bytes), _CappedBuffer(max_output_bytes))
    readers = [threading.Thread(target=_drain, args=(stream, buffer), daemon=True)
               for stream, buffer in zip((process.stdout, process.stderr), buffers, strict=True)]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(process)
    finally:
        # a background child that kept the pipes open is killed with its group
        for reader in readers:
            reader.join(timeout=2)
        if any(reader.is_alive() for reader in readers):
            _kill_group(process)
            for reader in readers:
                reader.join()
    code = process.returncode if process.returncode is not None else -signal.SIGKILL
    return ShellResult(command=command, exit_code=124 if timed_out else code, stdout=buffers[0].text(),
                       stderr=buffers[1].text(), seconds=time.monotonic() - start, timed_out=timed_out,
                       truncated=any(b.dropped for b in buffers))


def _drain(stream, buffer: _CappedBuffer) -> None:
    for chunk in iter(lambda: stream.read1(65536), b""):
        buffer.feed(chunk)
    stream.close()


def _kill_group(process: subprocess.Popen) -> None:
    """SIGTERM the group, give it a second, then SIGKILL whatever of the group is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=1.0)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def allowed_without_asking(command: str, allow: list[str]) -> bool:
    """True when ``command`` is one plain command whose words start with an allow-rule's words.

    Anything with shell syntax (`;`, `&&`, pipes, redirections, substitutions, globs, variables, escapes) never
    matches, nor does what shlex cannot parse: a prefix rule cannot be bypassed by chaining or wrapping.
    """
    if not allow or _SHELL_SYNTAX.search(command):
        return False
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    for rule in allow:
        rule_words = shlex.split(rule)
        if rule_words and words[: len(rule_words)] == rule_words:
            return True
    return False
