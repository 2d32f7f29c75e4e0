"""`python -m conductor.reaper -- bash -c COMMAND`: runs a command so that nothing it starts outlives it.

This small process makes itself a child subreaper (Linux `PR_SET_CHILD_SUBREAPER`): every process the command
starts, even one that calls `setsid`, double-forks or runs under `nohup ... &`, stays its descendant. When the
command ends, or when this process gets SIGTERM (the runner's timeout), it kills every descendant left and
reaps them, then exits with the command's exit code. Where the call is not available (not Linux), the runner's
process-group kill is all there is.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
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


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    become_subreaper()
    command = subprocess.Popen(argv)

    def terminate(_signal: int, _frame: FrameType | None) -> None:
        kill_descendants()
        os._exit(124)

    signal.signal(signal.SIGTERM, terminate)
    code = command.wait()
    kill_descendants()  # whatever the command left running in the background
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
