"""`python -m conductor.reaper -- bash -c COMMAND`: runs a command so that nothing it starts outlives it.

This small process makes itself a child subreaper (Linux `PR_SET_CHILD_SUBREAPER`): every process the command
starts, even one that calls `setsid`, double-forks or runs under `nohup ... &`, stays its descendant. When the
command ends, or when this process gets SIGTERM (the runner's timeout), it kills every descendant left and
reaps them, then exits with the command's exit code. Where the call is not available (not Linux), the runner's
process-group kill is all there is.

Limits: `--memory-mb` caps each process's data segment (`RLIMIT_DATA`: an allocation above it fails) and the whole
tree's resident memory (polled: the tree is killed above it); `--cpu-seconds` caps each process's CPU time
(`RLIMIT_CPU`); `--max-processes` caps the tree's size (polled). A limit that stopped the command is written to
`--report FILE`, so that the runner can name it.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import psutil

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        result: int = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        return result == 0
    except (OSError, AttributeError):
        return False


def kill_all(processes: list[psutil.Process]) -> None:
    """SIGKILL each process (one already gone is skipped) and wait a second at most for them to die."""
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(processes, timeout=1)


def kill_descendants(rounds: int = 50) -> None:
    """SIGKILL every descendant (new forks included) until none is left, reaping them."""
    me = psutil.Process()
    for _ in range(rounds):
        children = me.children(recursive=True)
        if not children:
            return
        kill_all(children)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        time.sleep(0.01)


@dataclass(frozen=True)
class Limits:
    """What one command may use; None: no limit."""

    memory_mb: int | None = None
    cpu_seconds: int | None = None
    max_processes: int | None = None

    def arguments(self) -> list[str]:
        """The reaper's options for these limits."""
        args = []
        for name, value in (("--memory-mb", self.memory_mb), ("--cpu-seconds", self.cpu_seconds),
                            ("--max-processes", self.max_processes)):
            if value:
                args += [name, str(value)]
        return args

    def apply(self) -> None:
        """In the command's process before it starts (inherited by everything it starts)."""
        if self.memory_mb:
            size = self.memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_DATA, (size, size))
        if self.cpu_seconds:  # SIGXCPU at the soft limit, SIGKILL a second later
            resource.setrlimit(resource.RLIMIT_CPU, (self.cpu_seconds, self.cpu_seconds + 1))


POLL_SECONDS = 0.05


def over_limit(limits: Limits, tree: list[psutil.Process]) -> str | None:
    """The limit the command's process tree is over right now, in words, or None."""
    if limits.max_processes and len(tree) > limits.max_processes:
        return f"process limit {limits.max_processes}"
    if limits.memory_mb:
        resident = 0
        for process in tree:
            with contextlib.suppress(psutil.Error):
                resident += process.memory_info().rss
        if resident > limits.memory_mb * 1024 * 1024:
            return f"memory limit {limits.memory_mb} MB (the command's processes held {resident >> 20} MB)"
    return None


def cpu_exhausted(limits: Limits, code: int) -> str | None:
    """The CPU limit, in words, when the command died of it (SIGXCPU, or SIGKILL at the hard limit)."""
    if not limits.cpu_seconds or code not in (-signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGXCPU,
                                              128 + signal.SIGKILL):
        return None
    if code in (-signal.SIGXCPU, 128 + signal.SIGXCPU):  # only RLIMIT_CPU's soft limit sends it
        return f"CPU limit {limits.cpu_seconds} s"
    used = resource.getrusage(resource.RUSAGE_CHILDREN)  # SIGKILL: the hard limit, or something else
    return f"CPU limit {limits.cpu_seconds} s" if used.ru_utime + used.ru_stime >= limits.cpu_seconds else None


def main(argv: list[str]) -> int:
    options = argparse.ArgumentParser(prog="conductor.reaper")
    options.add_argument("--memory-mb", type=int)
    options.add_argument("--cpu-seconds", type=int)
    options.add_argument("--max-processes", type=int)
    options.add_argument("--report", type=Path)
    options.add_argument("command", nargs=argparse.REMAINDER)
    parsed = options.parse_args(argv)
    command_argv = parsed.command[1:] if parsed.command[:1] == ["--"] else parsed.command
    limits = Limits(parsed.memory_mb, parsed.cpu_seconds, parsed.max_processes)
    become_subreaper()
    command = subprocess.Popen(command_argv, preexec_fn=limits.apply)  # this process has one thread

    def terminate(_signal: int, _frame: FrameType | None) -> None:
        kill_descendants()
        os._exit(124)

    signal.signal(signal.SIGTERM, terminate)
    me = psutil.Process()
    polled = limits.memory_mb or limits.max_processes
    while True:
        try:
            code = command.wait(timeout=POLL_SECONDS if polled else None)
            break
        except subprocess.TimeoutExpired:
            exceeded = over_limit(limits, me.children(recursive=True))
            if exceeded:
                kill_descendants()
                report(parsed.report, f"killed: {exceeded}")
                return 128 + signal.SIGKILL
    kill_descendants()  # whatever the command left running in the background
    exhausted = cpu_exhausted(limits, code)
    if exhausted:
        report(parsed.report, f"killed: {exhausted}")
    return code if code >= 0 else 128 - code


def report(path: Path | None, text: str) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
