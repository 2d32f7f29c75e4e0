"""Which settings of a project.toml need the user's trust before they act, and where that trust is recorded.

A project.toml arrives with a clone. Settings that let more run without asking, loosen the guard, the scrub or
the sandbox, or change where requests and keys go take effect only once the user has trusted *those* settings of
*that* project: the trust is recorded outside the repository (the user's config folder), keyed by the project's
path and a hash of the settings it grants, so a changed project.toml asks again. Until then the safe value is
used: no allow-rules, step mode, the SDKs' own URLs, the default secret files, scrub and hidden home (a project
may still add to those: tightening needs no trust).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from conductor.files import atomic_write

log = logging.getLogger(__name__)

TRUST_FILE = "trusted_projects.json"
REMOVE = object()
"""The safe value of a setting whose default is its absence."""

_DEFAULTS: dict[str, list[str]] = {}
"""Filled lazily from `conductor.config` (which imports this module)."""


class Grant(BaseModel):
    """One setting of project.toml that acts only once trusted."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    key: tuple[str, ...]
    """Where it is in the file: `("shell", "allow")`."""
    value: Any
    """What the file says."""
    safe: Any
    """What is used until it is trusted (`REMOVE`: the default)."""
    grants: str
    """What it lets happen, in a person's words."""

    @property
    def dotted(self) -> str:
        return ".".join(self.key)

    def describe(self) -> str:
        return f"{self.dotted} = {json.dumps(self.value)}: {self.grants}"


def _defaults() -> dict[str, list[str]]:
    if not _DEFAULTS:
        from conductor.config import HIDDEN_HOME, READ_ONLY_TOOLS, SCRUBBED_VARIABLES, SECRET_FILES

        _DEFAULTS.update(auto_tools=list(READ_ONLY_TOOLS), scrub_env=SCRUBBED_VARIABLES, hidden_home=HIDDEN_HOME,
                         secret_files=SECRET_FILES, keep_env=["PWD", "OLDPWD"])
    return _DEFAULTS


def _strings(value: Any) -> list[str] | None:
    return [str(item) for item in value] if isinstance(value, list) else None


def grants_of(data: Mapping[str, Any]) -> list[Grant]:
    """The settings in ``data`` (project.toml as parsed) that need trust, in file order. A value of the wrong
    type is left to validation, which refuses it in words."""
    defaults = _defaults()
    found: list[Grant] = []

    def add(key: tuple[str, ...], value: Any, safe: Any, grants: str) -> None:
        found.append(Grant(key=key, value=value, safe=safe, grants=grants))

    def fewer(key: tuple[str, ...], value: Any, default: list[str], grants: str) -> None:
        """A list whose default entries protect something: dropping one needs trust; adding is free."""
        items = _strings(value)
        if items is not None and set(default) - set(items):
            add(key, value, [*items, *(d for d in default if d not in items)], grants)

    def more(key: tuple[str, ...], value: Any, default: list[str], grants: str) -> None:
        """A list whose entries let something through: adding one needs trust."""
        items = _strings(value)
        if items is not None and set(items) - set(default):
            add(key, value, [item for item in items if item in default], grants)

    if data.get("credentials_file"):
        add(("credentials_file",), data["credentials_file"], REMOVE, "API keys are read from this file")
    for tier in ("tier2", "tier3", "tier4"):
        table = data.get(tier)
        if isinstance(table, dict) and table.get("base_url"):
            add((tier, "base_url"), table["base_url"], REMOVE, "this tier's requests (and your key) go there")
    providers = data.get("providers")
    if isinstance(providers, dict):
        for name in ("anthropic_base_url", "gemini_base_url", "openai_base_url"):
            if providers.get(name):
                add(("providers", name), providers[name], REMOVE, "requests (and your key) go there")
    shell = data.get("shell")
    if isinstance(shell, dict):
        if _strings(shell.get("allow")):
            add(("shell", "allow"), shell["allow"], REMOVE, "these commands run without asking")
        more(("shell", "keep_env"), shell.get("keep_env"), defaults["keep_env"],
             "these variables reach commands even when they look like secrets")
        fewer(("shell", "scrub_env"), shell.get("scrub_env"), defaults["scrub_env"],
              "secret-looking variables the default scrub removes reach commands")
        fewer(("shell", "hidden_home"), shell.get("hidden_home"), defaults["hidden_home"],
              "sandboxed commands can read credential folders of your home")
        if shell.get("sandbox") == "off":
            add(("shell", "sandbox"), "off", REMOVE, "commands run outside the sandbox, with all your rights")
        if shell.get("allow_unsandboxed") is True:
            add(("shell", "allow_unsandboxed"), True, REMOVE, "auto mode runs commands unsandboxed without asking")
        if shell.get("sandbox_git") == "read-only":
            add(("shell", "sandbox_git"), "read-only", REMOVE, "sandboxed commands can read .git")
    guard = data.get("guard")
    if isinstance(guard, dict):
        fewer(("guard", "secret_files"), guard.get("secret_files"), defaults["secret_files"],
              "files the default guard keeps secret can be read by the model")
    archetypes = data.get("archetypes")
    for name, table in (archetypes.items() if isinstance(archetypes, dict) else ()):
        if not isinstance(table, dict):
            continue
        if table.get("trust") == "auto":
            add(("archetypes", name, "trust"), "auto", REMOVE, "writes and commands run without asking")
        more(("archetypes", name, "auto_tools"), table.get("auto_tools"), defaults["auto_tools"],
             "these tools run without asking")
        if table.get("commands") == "sandboxed-auto":
            add(("archetypes", name, "commands"), "sandboxed-auto", REMOVE, "sandboxed commands run without asking")
        if table.get("network") is True:
            add(("archetypes", name, "network"), True, REMOVE, "sandboxed commands can use the network")
    return found


def withhold(data: dict[str, Any], grants: list[Grant]) -> None:
    """Put each grant's safe value in ``data`` in place of what the file says."""
    for grant in grants:
        *sections, key = grant.key
        table = data
        for section in sections:
            table = table[section]
        if grant.safe is REMOVE:
            table.pop(key, None)
        else:
            table[key] = grant.safe


def fingerprint(grants: list[Grant]) -> str:
    """What is trusted: the granting settings and their values (not the rest of the file)."""
    canonical = json.dumps([[grant.dotted, grant.value] for grant in grants], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def user_config_dir() -> Path:
    """`$XDG_CONFIG_HOME/conductor`, else `~/.config/conductor`: outside every repository."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "conductor"


def trust_file() -> Path:
    return user_config_dir() / TRUST_FILE


def _read_records() -> dict[str, Any]:
    path = trust_file()
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:  # a damaged file trusts nothing; it is kept for the user to look at
        log.warning("%s: unreadable (%s); no project is trusted until it is rewritten", path, error)
        return {}
    return records if isinstance(records, dict) else {}


def is_trusted(root: Path, grants: list[Grant]) -> bool:
    """True when ``root``'s granting settings are exactly the ones the user trusted (or there are none)."""
    if not grants:
        return True
    record = _read_records().get(str(root.resolve()))
    return isinstance(record, dict) and record.get("settings") == fingerprint(grants)


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """Two Conductor processes recording trust at once both land."""
    path = trust_file().with_suffix(".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def record_trust(root: Path, grants: list[Grant]) -> None:
    """Trust ``grants`` of the project at ``root`` (replacing what was trusted there before); none: nothing to
    record."""
    if not grants:
        return
    with _locked():
        records = {path: record for path, record in _read_records().items() if Path(path).is_dir()}  # gone: dropped
        records[str(root.resolve())] = {"settings": fingerprint(grants), "granted": [g.describe() for g in grants],
                                        "trusted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        atomic_write(trust_file(), json.dumps(records, indent=1, sort_keys=True) + "\n", mode=0o600)


def file_grants(root: Path) -> list[Grant]:
    """The granting settings project.toml at ``root`` holds now (none when it is missing or unreadable: loading
    the configuration reports that in words)."""
    from conductor.config import read_project_file

    try:
        return grants_of(read_project_file(root))
    except Exception:
        return []


def notice(root: Path, ignored: list[str]) -> str:
    """The one line saying what was ignored and how to trust it."""
    return (f"project.toml: {len(ignored)} setting{'s' if len(ignored) != 1 else ''} ignored until you trust "
            f"them ({', '.join(ignored)}): conductor trust --project {root}")
