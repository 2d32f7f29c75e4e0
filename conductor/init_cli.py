"""`conductor init`: a commented project.toml, the key checked, and what must never be committed ignored.

Interactive at a terminal (it asks for the provider and model of each tier), by flags for scripts. Running it
again changes nothing: an existing project.toml is kept, and the ignore lines are added once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from conductor.cli_args import PROJECT_FILE, add_project_option, project_of
from conductor.config import (
    DEFAULT_MODELS,
    OPENAI_PRESETS,
    ConfigError,
    ProjectConfig,
    TierConfig,
    is_loopback,
    load_credentials,
    load_project_config,
)
from conductor.errors import ConductorError
from conductor.files import atomic_write
from conductor.project_trust import file_grants, record_trust

INIT_PROVIDERS = ("anthropic", "gemini", *OPENAI_PRESETS)
"""The SDK providers, and the OpenAI-compatible presets (provider `openai` with a base URL and a model)."""
KEY_VARIABLES = {"anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY", "openai": "OPENAI_API_KEY"}


def default_model(choice: str) -> str:
    return OPENAI_PRESETS[choice].model if choice in OPENAI_PRESETS else DEFAULT_MODELS[choice]


def tier_lines(choice: str, model: str) -> str:
    """A tier's table in project.toml for a provider or a preset."""
    if choice not in OPENAI_PRESETS:
        return f'provider = "{choice}"\nmodel = "{model}"\n'
    preset = OPENAI_PRESETS[choice]
    return f'provider = "openai"              # preset {choice}\nmodel = "{model}"\nbase_url = "{preset.base_url}"\n'

IGNORE_HEADER = "# Conductor: what must never be committed (keys, raw outputs, conversations, undo data)"
IGNORED_IN_TRACKS = ("*/outputs/", "*/histories/", "*/changes.jsonl", "*/checkpoints.git/", "*/workers/",
                     "*/pending.json", "*/.lock", "*/*.refused-*", "conductor.log")
"""Inside the tracks folder. What stays is each track's `track.json` (the plan, written indented to diff well)
and `ledger.jsonl` (who decided what, and what it cost), plus `plans.jsonl`: the record a team reviews."""

TEMPLATE = """\
# Conductor's settings for this project (see the README for every key).
tracks_dir = "tracks"

[tier3]                       # the worker that does a ticket
{tier3}
[tier2]                       # the planner (conductor plan)
{tier2}{tier4}
[archetypes.default]
trust = "step"                # every write and command waits for your decision
# commands = "sandboxed-auto" # commands run without asking, confined by the sandbox (writes still wait)

[shell]
timeout_seconds = 120
allow = []                    # commands that run without asking, e.g. "pytest"
# sandbox = "bwrap"           # unset: bwrap when installed (no network, writes only in the project)
memory_mb = 4096              # a command over it is killed, and the model told so
"""


TIER4_TEMPLATE = """
[tier4]                       # a cheap model for failure hints (omit it: a deterministic compressor)
{tier}"""


def init_project(args: argparse.Namespace, ask: Callable[[str], str] = input,
                 interactive: bool | None = None) -> int:
    root = project_of(args).resolve()
    interactive = sys.stdin.isatty() if interactive is None else interactive
    path = root / PROJECT_FILE
    if path.exists():
        print(f"{path}: kept as it is")
    else:
        provider = args.provider or (_choose(ask, "Tier 3 provider", INIT_PROVIDERS, "anthropic") if interactive
                                     else None)
        if provider is None:
            raise ConductorError(f"choose a provider: conductor init --provider {'|'.join(INIT_PROVIDERS)} (or "
                                 "run it at a terminal to be asked)")
        model = args.model or (_ask(ask, f"Tier 3 model [{default_model(provider)}]: ") if interactive else "")
        model = model or default_model(provider)
        tier2 = args.tier2_provider or provider
        tier2_model = args.tier2_model or (model if tier2 == provider else default_model(tier2))
        tier4 = args.tier4_provider
        tier4_block = (TIER4_TEMPLATE.format(tier=tier_lines(tier4, args.tier4_model or default_model(tier4)))
                       if tier4 else "")
        atomic_write(path, TEMPLATE.format(tier3=tier_lines(provider, model), tier2=tier_lines(tier2, tier2_model),
                                           tier4=tier4_block))
        record_trust(root, file_grants(root))  # written by Conductor at the user's word
        print(f"{path}: written (Tier 3: {provider} {model}; Tier 2: {tier2} {tier2_model})")
    config = load_project_config(root)  # a kept file with a mistake is refused here, in words
    _ignore(root, config.tracks_path)
    tiers = [tier for tier in (config.tier3, config.tier2, config.tier4) if tier is not None]
    providers = {tier.provider for tier in tiers if not _local(tier, config)}
    for provider in sorted(p for p in providers if p in KEY_VARIABLES):
        print(_key_status(config, provider))
    for tier in tiers:
        if _local(tier, config):
            print(f"{tier.model} at {config.provider_settings(tier).openai_url}: a server on this machine, "
                  "no key needed (start it before `conductor run`)")
    return 0


def _local(tier: TierConfig, config: ProjectConfig) -> bool:
    return tier.provider == "openai" and is_loopback(config.provider_settings(tier).openai_url)


def _choose(ask: Callable[[str], str], what: str, choices: tuple[str, ...], default: str) -> str:
    while True:
        answer = _ask(ask, f"{what} ({'/'.join(choices)}) [{default}]: ") or default
        if answer in choices:
            return answer
        print(f"choose one of {', '.join(choices)}")


def _ask(ask: Callable[[str], str], prompt: str) -> str:
    try:
        return ask(prompt).strip()
    except EOFError:
        return ""


def _key_status(config: ProjectConfig, provider: str) -> str:
    variable = KEY_VARIABLES[provider]
    try:
        credentials = load_credentials(config)
    except ConfigError as error:
        return f"key for {provider}: {error}"
    if getattr(credentials, f"{provider}_api_key") is not None:
        source = variable if os.environ.get(variable) else "credentials.toml"
        return f"key for {provider}: found ({source})"
    return (f"key for {provider}: not found; set {variable}, or write {provider}_api_key = \"...\" into "
            "credentials.toml (ignored by git)")


def _ignore(root: Path, tracks: Path) -> None:
    """Add the ignore lines once, to the project's .gitignore (kept as it is otherwise)."""
    gitignore = root / ".gitignore"
    present = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    if IGNORE_HEADER in present:
        print(f"{gitignore}: already ignores what must not be committed")
        return
    folder = tracks.relative_to(root).as_posix() if tracks.is_relative_to(root) else None
    lines = ["credentials.toml", *(f"/{folder}/{pattern}" for pattern in IGNORED_IN_TRACKS if folder)]
    block = "\n".join([IGNORE_HEADER, *lines]) + "\n"
    separator = "" if not present or present.endswith("\n") else "\n"
    atomic_write(gitignore, present + separator + ("\n" if present else "") + block)
    print(f"{gitignore}: ignores credentials, raw outputs, conversations and undo data; track.json and the "
          "ledger stay to be committed")


def register_init(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = commands.add_parser("init")
    init.add_argument("--provider", choices=INIT_PROVIDERS, help="Tier 3 (and Tier 2) provider")
    init.add_argument("--model", help="Tier 3 (and Tier 2) model (default: the provider's)")
    init.add_argument("--tier2-provider", choices=INIT_PROVIDERS, help="the planner's provider (default: Tier 3's)")
    init.add_argument("--tier2-model")
    init.add_argument("--tier4-provider", choices=INIT_PROVIDERS, help="a cheap model for failure hints")
    init.add_argument("--tier4-model")
    add_project_option(init)
    init.set_defaults(handler=init_project)
