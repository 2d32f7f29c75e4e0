"""Checkpoints: the project's files snapshotted into a shadow git repository before every mutating call.

The repository is Conductor's own (`tracks/<track>/checkpoints.git`, the project as its work tree): the user's own
`.git` — HEAD, index, branches, stash, hooks, config — is never read or written, and `GIT_*` variables of the
calling environment are not passed on. `.gitignore` files are honoured as git honours them; the tracks folder,
`.git` folders, secret files (the guard's globs), caches and virtual environments (`__pycache__`, `.venv`,
`node_modules`, ... as in `file_cache.cache.IGNORED_DIRS`, and `*.pyc`) and files above `max_file_bytes` are left
out (a big file is written to the shadow repository's `info/exclude`, so it stays out once seen). Nested
repositories are not entered. Git is a requirement, checked with a clear message (`require_git`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from conductor.errors import ConductorError
from file_cache.cache import IGNORED_DIRS

GIT_IDENTITY = ["-c", "user.name=Conductor", "-c", "user.email=conductor@localhost", "-c", "core.autocrlf=false",
                "-c", "core.quotepath=false", "-c", "gc.auto=0", "-c", "core.hooksPath=/dev/null"]


class CheckpointError(ConductorError):
    """Git is missing or a git command failed; the message says which and why."""


def require_git() -> str:
    """The git executable, or CheckpointError saying how to get it."""
    git = shutil.which("git")
    if git is None:
        raise CheckpointError("git is not installed: Conductor needs it for checkpoints (every change a ticket "
                              "makes is snapshotted so it can be shown and undone); install git and run again")
    return git


def blob_id(data: bytes) -> str:
    """Git's object id of a file's bytes (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class FileDelta:
    """One file that differs between two checkpoints."""

    path: str
    status: str
    """`added`, `modified` or `deleted`."""
    old_blob: str | None
    new_blob: str | None
    old_mode: int | None
    new_mode: int | None


class Checkpoints:
    """The shadow repository of one track."""

    def __init__(self, root: Path, git_dir: Path, excluded: list[Path], max_file_bytes: int = 10_000_000,
                 secret_globs: list[str] | None = None) -> None:
        self.root = root.resolve()
        self.git_dir = git_dir
        self.excluded = excluded
        self.secret_globs = secret_globs or []
        self.max_file_bytes = max_file_bytes
        self._git = require_git()
        self._environment = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        self._environment.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
                                  "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})

    # -- git -------------------------------------------------------------------------------------------------
    def git(self, *args: str, data: bytes | None = None, ok: tuple[int, ...] = (0,)) -> bytes:
        command = [self._git, *GIT_IDENTITY, f"--git-dir={self.git_dir}", f"--work-tree={self.root}", *args]
        result = subprocess.run(command, input=data, capture_output=True, cwd=self.root, env=self._environment,
                                check=False)
        if result.returncode not in ok:
            message = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise CheckpointError(f"git {args[0]} failed in the checkpoint repository {self.git_dir}: "
                                  f"{message[-1] if message else result.returncode}")
        return result.stdout

    def ensure(self) -> None:
        if (self.git_dir / "HEAD").exists():
            return
        self.git_dir.parent.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q")
        # the repository lives in the project (under tracks/): keep it out of the project's own `git status`
        (self.git_dir / ".gitignore").write_text("*\n", encoding="utf-8")
        lines = ["# written by Conductor: what checkpoints leave out", ".git", *self.secret_globs,
                 *(f"{name}/" for name in sorted(IGNORED_DIRS - {".git"})), "*.pyc"]
        for folder in self.excluded:
            if folder.resolve().is_relative_to(self.root):
                lines.append("/" + folder.resolve().relative_to(self.root).as_posix() + "/")
        (self.git_dir / "info").mkdir(exist_ok=True)
        (self.git_dir / "info" / "exclude").write_text("\n".join(lines) + "\n", encoding="utf-8")

    # -- snapshots -------------------------------------------------------------------------------------------
    def snapshot(self, message: str) -> str:
        """Commit the work tree as it is now; returns the checkpoint's commit id."""
        self.ensure()
        self._exclude_big_files()
        self.git("add", "-A", "--ignore-errors", ".", ok=(0, 1))
        tree = self.git("write-tree").decode().strip()
        parent = self.git("rev-parse", "-q", "--verify", "HEAD", ok=(0, 1)).decode().strip()
        if parent and self.git("rev-parse", f"{parent}^{{tree}}").decode().strip() == tree:
            return parent  # nothing changed since the last checkpoint: reuse it
        commit = self.git("commit-tree", tree, *(["-p", parent] if parent else []), "-m", message).decode().strip()
        self.git("update-ref", "HEAD", commit)
        return commit

    def _exclude_big_files(self) -> None:
        changed = self.git("status", "--porcelain", "-z", "--untracked-files=all", "--no-renames")
        big = []
        for entry in changed.split(b"\0"):
            if len(entry) < 4:
                continue
            relative = entry[3:].decode("utf-8", "surrogateescape")
            path = self.root / relative
            try:
                if path.is_file() and not path.is_symlink() and path.stat().st_size > self.max_file_bytes:
                    big.append("/" + relative)
            except OSError:
                continue
        if big:
            with (self.git_dir / "info" / "exclude").open("a", encoding="utf-8", errors="surrogateescape") as handle:
                handle.write("".join(f"{line}\n" for line in big))
            self.git("rm", "-q", "--cached", "--ignore-unmatch", "--", *(line[1:] for line in big))

    # -- reading ---------------------------------------------------------------------------------------------
    def deltas(self, before: str, after: str) -> list[FileDelta]:
        """Files added, modified or deleted from ``before`` to ``after``."""
        if before == after:
            return []
        raw = self.git("diff-tree", "-r", "-z", "--no-renames", before, after)
        fields = raw.split(b"\0")
        deltas = []
        for index in range(0, len(fields) - 1, 2):
            meta, path = fields[index].decode(), fields[index + 1].decode("utf-8", "surrogateescape")
            old_mode, new_mode, old_blob, new_blob, kind = meta.lstrip(":").split()
            status = {"A": "added", "D": "deleted"}.get(kind, "modified")
            deltas.append(FileDelta(path, status, None if status == "added" else old_blob,
                                    None if status == "deleted" else new_blob,
                                    None if status == "added" else int(old_mode, 8),
                                    None if status == "deleted" else int(new_mode, 8)))
        return deltas

    def diff(self, before: str, after: str, paths: list[str] | None = None) -> str:
        """The unified diff (git's) from ``before`` to ``after``, optionally of some paths only."""
        return self.git("diff", "--no-color", "--no-ext-diff", before, after, "--", *(paths or [])).decode(
            "utf-8", "replace")

    def blob(self, blob: str) -> bytes:
        return self.git("cat-file", "blob", blob)

    def blobs_at(self, commit: str, paths: list[str]) -> dict[str, str]:
        """The blob id of each of ``paths`` in ``commit`` (paths it does not hold are left out)."""
        if not paths:
            return {}
        found = {}
        for entry in self.git("ls-tree", "-z", commit, "--", *paths).split(b"\0"):
            if b"\t" in entry:
                meta, path = entry.split(b"\t", 1)
                found[path.decode("utf-8", "surrogateescape")] = meta.split()[2].decode()
        return found

    def layout(self) -> dict[str, int]:
        """Every file the last snapshot holds and every folder of the project (empty ones too; not those git
        leaves out), each with its whole mode as `lstat` gives it: what git does not keep (permission bits beyond
        the exec bit, folders) but a command can change and undo must put back."""
        found: dict[str, int] = {}
        tracked = self.git("ls-files", "-z").split(b"\0")
        others = self.git("ls-files", "-z", "--others", "--exclude-standard", "--directory").split(b"\0")
        for raw in (*tracked, *others):
            if not raw:
                continue
            relative = raw.decode("utf-8", "surrogateescape").rstrip("/")
            try:
                found[relative] = os.lstat(self.root / relative).st_mode
            except OSError:
                continue
            for parent in Path(relative).parents[:-1]:
                if parent.as_posix() not in found:
                    try:
                        found[parent.as_posix()] = os.lstat(self.root / parent).st_mode
                    except OSError:
                        continue
        return found


def commit_to_project(root: Path, paths: list[str], message: str) -> str | None:
    """Commit ``paths`` (relative to ``root``), as they are on disk, to the project's own repository, and nothing
    else: a temporary index starts from HEAD, so what the user had staged stays staged and out of the commit.
    Returns the new commit, or None when the files already match HEAD. Hooks do not run (`commit-tree`)."""
    git = require_git()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}

    def run(*args: str, index: str | None = None, ok: tuple[int, ...] = (0,)) -> str:
        env = {**environment, **({"GIT_INDEX_FILE": index} if index else {})}
        result = subprocess.run([git, *args], cwd=root, env=env, capture_output=True, text=True, check=False)
        if result.returncode not in ok:
            lines = result.stderr.strip().splitlines()
            raise CheckpointError(f"git {args[0]}: {lines[-1] if lines else result.returncode}")
        return result.stdout.strip()

    top = Path(run("rev-parse", "--show-toplevel"))
    relative = [(root.resolve() / path).relative_to(top.resolve()).as_posix() for path in paths]
    head = run("rev-parse", "-q", "--verify", "HEAD", ok=(0, 1))
    present = [p for p in relative if (top / p).exists() or (head and run("cat-file", "-e", f"{head}:{p}",
                                                                          ok=(0, 1, 128)) == "")]
    if not present:
        return None
    with tempfile.TemporaryDirectory() as folder:
        index = str(Path(folder) / "index")
        run("read-tree", *([head] if head else ["--empty"]), index=index)
        run("add", "-A", "--", *present, index=index)
        tree = run("write-tree", index=index)
    if head and run("rev-parse", f"{head}^{{tree}}") == tree:
        return None
    identity: list[str] = []
    if not run("config", "user.email", ok=(0, 1)):
        identity = ["-c", "user.name=Conductor", "-c", "user.email=conductor@localhost"]
    commit = run(*identity, "commit-tree", tree, *(["-p", head] if head else []), "-m", message)
    run("update-ref", "-m", "conductor: ticket commit", "HEAD", commit, *([head] if head else []))
    run("reset", "-q", "--", *present)  # the user's index follows the commit for these files only
    return commit
