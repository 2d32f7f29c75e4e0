"""Where a shell command runs: in a bubblewrap sandbox (Linux) or, where none exists, with the user's full rights.

Inside the sandbox (`bwrap`): the whole file system read-only; the project root read-write; a private `/tmp`;
credential folders of the home hidden; the tracks folder, the credentials files and the project's secret files
hidden (the same files the worker's tools refuse); `.git` hidden or read-only; a new network namespace (no network,
not even the host's loopback services) unless the archetype asks for it; a new PID namespace, so that everything the
command starts dies with it. Limits (memory, CPU, processes) are applied by the reaper (`conductor.reaper`) with or
without a sandbox.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from conductor.config import ProjectConfig, ShellConfig, credential_paths
from conductor.project_trust import user_config_dir

EMPTY_FILE = "/dev/null"
"""What is bound over a hidden file (bwrap's mounts are nodev, so opening it fails: permission denied)."""
UNSANDBOXED = "UNSANDBOXED"
"""How `describe` starts the line of a command that runs with all the user's rights (the panel shows it red)."""


@dataclass(frozen=True)
class SandboxChoice:
    """Whether commands are confined, and why not when they are not."""

    kind: str
    """"bwrap" or "off"."""
    reason: str = ""
    """Why commands run unsandboxed (for the terminal and the approval panel); empty when sandboxed."""
    error: str = ""
    """Set when the configuration asks for bwrap and it cannot run: commands are refused, not run unconfined."""
    executable: str = "bwrap"
    """bwrap's path."""

    @property
    def confined(self) -> bool:
        return self.kind == "bwrap"


@functools.lru_cache(maxsize=8)
def _bwrap_problem(executable: str) -> str | None:
    """None when bwrap can make the namespaces it needs here (checked once per process), else what it said."""
    try:
        done = subprocess.run([executable, "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-net", "--unshare-pid",
                               "--die-with-parent", "true"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    if done.returncode != 0:
        return done.stderr.decode(errors="replace").strip() or f"exit code {done.returncode}"
    return None


def choose_sandbox(shell: ShellConfig) -> SandboxChoice:
    """The sandbox commands get under ``shell``: bwrap when asked for or (unset) when installed and working."""
    if shell.sandbox == "off":
        return SandboxChoice("off", "[shell] sandbox = \"off\"")
    if not sys.platform.startswith("linux"):
        reason = f"no sandbox exists on {sys.platform} yet"
        return SandboxChoice("off", reason, error=reason if shell.sandbox == "bwrap" else "")
    executable = shutil.which("bwrap")
    if executable is None:
        problem = "bwrap is not installed (Debian/Ubuntu: apt install bubblewrap)"
    else:
        failed = _bwrap_problem(executable)
        if failed is None:
            return SandboxChoice("bwrap", executable=executable)
        problem = f"bwrap cannot make namespaces here: {failed}"
    return SandboxChoice("off", problem, error=problem if shell.sandbox == "bwrap" else "")


def describe(choice: SandboxChoice, shell: ShellConfig, network: bool) -> str:
    """One line for the approval panel and the terminal: `sandbox: bwrap, no network, writes: project only,
    memory 4096 MB`, or plainly that the command runs unsandboxed."""
    limits = [f"memory {shell.memory_mb} MB" if shell.memory_mb else "memory unlimited"]
    if shell.cpu_seconds:
        limits.append(f"CPU {shell.cpu_seconds} s")
    if shell.max_processes:
        limits.append(f"{shell.max_processes} processes")
    limits.append(f"time {shell.timeout_seconds:g} s")
    if not choice.confined:
        return f"{UNSANDBOXED} ({choice.reason}): the command runs with all your rights; " + ", ".join(limits)
    net = "network allowed" if network else "no network"
    return f"sandbox: bwrap, {net}, writes: project only, " + ", ".join(limits)


@dataclass(frozen=True)
class BwrapPlan:
    """What one sandboxed command sees: the paths to hide and the paths to bind; turned into bwrap's arguments."""

    root: Path
    hidden_dirs: list[Path] = field(default_factory=list)
    hidden_files: list[Path] = field(default_factory=list)
    read_only: list[Path] = field(default_factory=list)
    """Paths bound read-only over the read-write project (`.git` when not hidden)."""
    kept_in_tmp: list[Path] = field(default_factory=list)
    """Folders under /tmp the command needs (a virtualenv, tools on PATH): bound read-only into the private /tmp."""
    network: bool = False

    def arguments(self) -> list[str]:
        args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        for kept in self.kept_in_tmp:
            args += ["--ro-bind", str(kept), str(kept)]
        args += ["--bind", str(self.root), str(self.root)]
        for path in self.read_only:
            args += ["--ro-bind", str(path), str(path)]
        for folder in self.hidden_dirs:
            args += ["--tmpfs", str(folder), "--remount-ro", str(folder)]
        for file in self.hidden_files:
            args += ["--ro-bind", EMPTY_FILE, str(file)]
        # the caller's TMPDIR lies outside the private /tmp
        args += ["--setenv", "TMPDIR", "/tmp", "--unsetenv", "TEMP", "--unsetenv", "TMP"]
        args += ["--unshare-pid", "--die-with-parent", "--new-session", "--chdir", str(self.root)]
        if not self.network:
            args.append("--unshare-net")
        return args


def plan_for(config: ProjectConfig, network: bool, environ: dict[str, str] | None = None,
             secret_files: list[Path] | None = None) -> BwrapPlan:
    """The sandbox of one command of ``config``'s project (``secret_files``: the project's secret files, as the
    worker's guard finds them)."""
    environ = dict(os.environ) if environ is None else environ
    root = config.root.resolve()
    home = Path(environ.get("HOME") or Path.home()).expanduser()
    hidden_dirs: list[Path] = []
    hidden_files: list[Path] = []
    candidates = [home / entry for entry in config.shell.hidden_home]
    candidates += [config.tracks_path, *credential_paths(config), user_config_dir()]  # keys, trusted projects
    for candidate in candidates:
        hidden = _existing(candidate)
        if hidden is None:
            continue
        (hidden_dirs if hidden.is_dir() else hidden_files).append(hidden)
    read_only: list[Path] = []
    git = root / ".git"  # a folder, or a file naming the git dir (a worktree, a submodule)
    if git.exists() and not git.is_symlink():
        if config.shell.sandbox_git == "read-only":
            read_only.append(git)
        else:
            (hidden_dirs if git.is_dir() else hidden_files).append(git)
    for secret in secret_files or []:  # a symlinked secret is hidden where it points (bwrap binds no symlink)
        target = _existing(secret)
        if target is not None and target.is_file():
            hidden_files.append(target)
    kept = _kept_in_tmp(environ, root)
    tmp = Path("/tmp").resolve()

    def visible(path: Path) -> bool:  # under the private /tmp, what is not bound in is not there to hide
        return not path.is_relative_to(tmp) or any(path.is_relative_to(k) for k in [root, *kept])

    return BwrapPlan(root=root, hidden_dirs=[p for p in _unique(hidden_dirs) if visible(p)],
                     hidden_files=[p for p in _unique(hidden_files) if visible(p)],
                     read_only=read_only, kept_in_tmp=kept, network=network)


def _existing(path: Path) -> Path | None:
    try:
        resolved = path.resolve()
        return resolved if resolved.exists() else None
    except (OSError, RuntimeError):
        return None


def _unique(paths: list[Path]) -> list[Path]:
    return list(dict.fromkeys(paths))


def _kept_in_tmp(environ: dict[str, str], root: Path) -> list[Path]:
    """Folders under /tmp that commands need and a private /tmp would hide: this Python's environment, the home,
    the active virtualenv and PATH entries (a project cloned to /tmp with its .venv inside). The root is bound
    read-write anyway."""
    tmp = Path("/tmp").resolve()
    wanted = [Path(sys.prefix), Path(sys.base_prefix)]
    if environ.get("HOME"):
        wanted.append(Path(environ["HOME"]))
    if environ.get("VIRTUAL_ENV"):
        wanted.append(Path(environ["VIRTUAL_ENV"]))
    wanted += [Path(entry) for entry in environ.get("PATH", "").split(os.pathsep) if entry]
    kept: list[Path] = []
    for path in wanted:
        resolved = _existing(path)
        if resolved is None or not resolved.is_relative_to(tmp) or resolved == tmp:
            continue
        if resolved.is_relative_to(root) or any(resolved.is_relative_to(k) for k in kept):
            continue
        if path.name == "bin":  # a virtualenv's bin: keep the whole environment (its lib/ is needed)
            resolved = resolved.parent
        kept = [k for k in kept if not k.is_relative_to(resolved)] + [resolved]
    return kept


_MEMORY_FAILURE = re.compile(r"MemoryError|Cannot allocate memory|bad_alloc|out of memory|OutOfMemoryError|"
                             r"memory allocation of \d+ bytes failed", re.IGNORECASE)


def memory_failure(output: str) -> bool:
    """True when a failed command's output says an allocation failed (Python, C, C++, Rust, Go, Node, Java):
    under a memory limit, the limit is the likely cause."""
    return _MEMORY_FAILURE.search(output[-20_000:]) is not None
