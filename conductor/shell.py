"""Runs the worker's shell commands: in the project root, with a timeout, nothing left running afterwards,
captured output capped (head and tail kept), and an environment without secrets."""

from __future__ import annotations

import contextlib
import fnmatch
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

from conductor.config import ProjectConfig, ShellConfig
from conductor.guards import PathGuard
from conductor.reaper import Limits, kill_all
from conductor.sandbox import choose_sandbox, describe, memory_failure, plan_for


@dataclass(frozen=True)
class ShellResult:
    command: str
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    truncated: bool = False
    limit: str | None = None
    """The limit that stopped the command, in words (`killed: memory limit 4096 MB`), or None."""

    @property
    def output(self) -> str:
        """stdout then stderr, as a person would read them."""
        if self.stdout and self.stderr:
            return self.stdout.rstrip("\n") + "\n" + self.stderr
        return self.stdout or self.stderr


def clean_environment(environ: Mapping[str, str] | None = None, shell: ShellConfig | None = None) -> dict[str, str]:
    """The environment without anything that looks like a secret: names matching a scrub glob (unless kept) and
    values that are URLs with credentials."""
    shell = shell or ShellConfig()
    environ = os.environ if environ is None else environ
    globs = [glob.upper() for glob in shell.scrub_env]
    kept = set(shell.keep_env)

    def secret(name: str, value: str) -> bool:
        if name in kept:
            return False
        return any(fnmatch.fnmatchcase(name.upper(), glob) for glob in globs) or holds_credentials_url(value)

    return {name: value for name, value in environ.items() if not secret(name, value)}


def holds_credentials_url(value: str) -> bool:
    """True when a word of ``value`` is a URL carrying a user or a password (`postgres://user:pa/ss@db/x`,
    `https://ghp_token@github.com/x`): a word `urllib.parse` reads as a URL with a host, holding an '@'. An '@'
    after the host counts too: a password may hold a '/', which ends the host early for the parser."""
    for word in value.split():
        if "://" not in word or "@" not in word:
            continue
        try:
            parts = urllib.parse.urlsplit(word)
        except ValueError:
            return True  # unreadable and holding an '@': treated as a secret
        if parts.scheme and parts.netloc:  # a URL with an '@' in it: its user information, read whole
            return True
    return False


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
                environ: Mapping[str, str] | None = None, shell: ShellConfig | None = None, *,
                wrapper: Sequence[str] = (), limits: Limits | None = None) -> ShellResult:
    """Run ``command`` with bash in ``cwd`` under the reaper (`conductor.reaper`), inside ``wrapper`` (a sandbox's
    command line) and with ``limits``: on timeout, and when the command ends, everything it started is killed;
    every wait is bounded."""
    start = time.monotonic()
    marker = secrets.token_hex(8)
    limits = limits or Limits()
    handle, report_name = tempfile.mkstemp(prefix="conductor-limit-")
    os.close(handle)
    report = Path(report_name)
    reaper = [sys.executable, "-m", "conductor.reaper", *limits.arguments(), "--report", str(report), "--"]
    process = subprocess.Popen([*reaper, *wrapper, "/bin/bash", "-c", command],
                               cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**clean_environment(environ, shell), COMMAND_MARKER: marker},
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
        # the reaper killed what the command left; if the reaper itself was killed, what it left is found by the
        # marker every process of the command inherited
        sweep_marked(marker)
        for reader in readers:  # a reader still blocked after that is abandoned, not waited on
            reader.join(timeout=2)
        if any(reader.is_alive() for reader in readers):
            _kill_group(process)
            sweep_marked(marker)
            for reader in readers:
                reader.join(timeout=2)
    code = process.returncode if process.returncode is not None else -signal.SIGKILL
    stdout, stderr = buffers[0].text(), buffers[1].text()
    limit = report.read_text(encoding="utf-8", errors="replace").strip() or None
    report.unlink(missing_ok=True)
    if limit is None and code != 0 and limits.memory_mb and memory_failure(stderr or stdout):
        limit = f"an allocation failed under the memory limit {limits.memory_mb} MB per process"
    return ShellResult(command=command, exit_code=124 if timed_out else code, stdout=stdout, stderr=stderr,
                       seconds=time.monotonic() - start, timed_out=timed_out,
                       truncated=any(b.dropped for b in buffers), limit=limit)


class CommandRunner:
    """Runs one project's commands as configured: in its sandbox (refused, not run unconfined, when one is asked
    for and cannot run), with its limits, its timeout and a scrubbed environment."""

    def __init__(self, config: ProjectConfig, guard: PathGuard) -> None:
        self.config = config
        self.guard = guard
        self.choice = choose_sandbox(config.shell)

    def describe(self, network: bool = False) -> str:
        return describe(self.choice, self.config.shell, network)

    def run(self, command: str, network: bool = False) -> ShellResult:
        shell = self.config.shell
        if self.choice.error:
            return ShellResult(command=command, exit_code=126, stdout="", seconds=0.0,
                               stderr=f"not run: [shell] sandbox = \"bwrap\", and {self.choice.error}\n")
        wrapper: list[str] = []
        if self.choice.confined:
            plan = plan_for(self.config, network, secret_files=self.guard.project_secrets())
            wrapper = [self.choice.executable, *plan.arguments()]
        return run_command(command, self.config.root, shell.timeout_seconds, shell.max_output_bytes, shell=shell,
                           wrapper=wrapper, limits=Limits(shell.memory_mb, shell.cpu_seconds, shell.max_processes))


COMMAND_MARKER = "CONDUCTOR_COMMAND"
"""An environment variable naming the command a process belongs to: every process a command starts inherits it."""


def sweep_marked(marker: str, rounds: int = 20) -> int:
    """SIGKILL every process of ours that carries ``marker`` (a command's leftovers when its reaper was killed:
    reparented to init, out of any process group); returns how many were killed."""
    killed = 0
    me = os.getuid() if hasattr(os, "getuid") else None
    for _ in range(rounds):
        found = []
        for candidate in psutil.process_iter(["uids"]):
            try:
                if me is not None and candidate.info["uids"] and candidate.info["uids"].real != me:
                    continue
                if candidate.environ().get(COMMAND_MARKER) == marker:
                    found.append(candidate)
            except (psutil.Error, OSError):
                continue
        if not found:
            break
        kill_all(found)
        killed += len(found)
    return killed


def _drain(stream: IO[bytes], buffer: _CappedBuffer) -> None:
    read = getattr(stream, "read1", stream.read)  # read1: whatever is there, without waiting for a full buffer
    for chunk in iter(lambda: read(65536), b""):
        buffer.feed(chunk)
    stream.close()


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the reaper (it kills the command's whole tree), give it a few seconds, then SIGKILL its group."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5.0)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5.0)
