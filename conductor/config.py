"""`project.toml` and `credentials.toml`, validated with pydantic; environment variables and CLI flags override.

project.toml (every key optional):

    tracks_dir = "tracks"
    [tier3]                      # the worker
    provider = "anthropic"       # anthropic | gemini | openai | scripted
    model = "claude-sonnet-4-5"
    [tier4]                      # the cheap summariser of failed commands (omit: deterministic compressor)
    provider = "gemini"
    model = "gemini-2.5-flash-lite"
    [archetypes.default]
    trust = "step"               # step: every write/shell call waits for you; auto: runs without asking
    [shell]
    timeout_seconds = 120
    [prices."claude-sonnet-4-5"]
    input_per_mtok = 3.0
    output_per_mtok = 15.0
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, NamedTuple, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from conductor.cli_args import DEFAULT_TRACKS_DIR, PROJECT_FILE
from conductor.errors import ConductorError
from conductor.files import atomic_write
from conductor.names import ProviderName
from conductor.project_trust import Grant, grants_of, is_trusted, record_trust, user_config_dir, withhold

DEFAULT_MODELS: dict[str, str] = {"anthropic": "claude-sonnet-4-5", "gemini": "gemini-2.5-flash",
                                  "openai": "gpt-5-mini", "scripted": "scripted"}
"""The model a provider uses when none is named."""
OPENAI_URL = "https://api.openai.com/v1"


def is_loopback(url: str) -> bool:
    """True when ``url`` points at this machine (`localhost`, 127.0.0.0/8, ::1): a local server, no key, no cost."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Preset(NamedTuple):
    """An OpenAI-compatible server: where it listens and a sensible model to start with (one on the loopback
    needs no key: `is_loopback`)."""

    base_url: str
    model: str


OPENAI_PRESETS: dict[str, Preset] = {
    "openai": Preset(OPENAI_URL, "gpt-5-mini"),
    "openrouter": Preset("https://openrouter.ai/api/v1", "openai/gpt-5-mini"),
    "ollama": Preset("http://127.0.0.1:11434/v1", "qwen2.5-coder:7b"),
    "lmstudio": Preset("http://127.0.0.1:1234/v1", "qwen2.5-coder-7b-instruct"),
    "vllm": Preset("http://127.0.0.1:8000/v1", "Qwen/Qwen2.5-Coder-7B-Instruct"),
}
"""`conductor init --provider ollama` and the README's presets: provider `openai` with this base URL and model."""
READ_ONLY_TOOLS = ("read_file", "list_directory", "search_files", "get_skeleton", "get_curated_view", "get_definition")
"""Tools that change nothing (the others: write_file, edit_file, run_shell); `conductor.tools` checks the two
lists cover its tools exactly."""
SECRET_FILES = ["credentials.toml", ".env", ".env.*", "*.env", "*.pem", "*.key", "id_rsa*", "id_dsa*", "id_ecdsa*",
                "id_ed25519*", "*.p12", "*.pfx", "*.jks", "*.keystore", ".netrc", ".pgpass", ".npmrc", ".pypirc",
                "secrets.toml", "secrets.yaml", "secrets.yml", "secrets.json"]
HIDDEN_HOME = [".ssh", ".aws", ".azure", ".gnupg", ".config/gh", ".config/hub", ".config/gcloud", ".config/conductor",
               ".netrc", ".git-credentials", ".docker", ".kube", ".pypirc", ".npmrc", ".yarnrc", ".gem/credentials",
               ".cargo/credentials", ".cargo/credentials.toml", ".vault-token", ".terraform.d", ".password-store",
               ".local/share/keyrings", ".pki", ".mozilla", ".thunderbird", ".config/google-chrome",
               ".config/chromium", ".config/BraveSoftware", ".config/microsoft-edge", ".config/vivaldi",
               ".config/opera", "snap/firefox", ".var/app", "Library/Keychains",
               "Library/Application Support/Google/Chrome", "Library/Application Support/Firefox"]
SCRUBBED_VARIABLES = ["*_KEY", "*KEY*", "*TOKEN*", "*SECRET*", "*PASSW*", "*PWD", "*CREDENTIAL*", "SSH_AUTH_SOCK",
                      "*_PAT", "*_AUTH", "*AUTH_*", "*WEBHOOK*", "*COOKIE*", "*SESSION*", "*DSN*"]


class ConfigError(ConductorError):
    """A configuration file or value that is wrong: names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TierConfig(_Strict):
    """Which model serves a tier."""

    provider: ProviderName | None = None
    """Short provider name; none chosen means no run can start (no silent default)."""
    model: str | None = None
    """Model name as the provider knows it; defaults to the provider's (`DEFAULT_MODELS`)."""
    script: str | None = None
    """Scripted provider only: the recorded conversation file (relative to the project)."""
    max_output_tokens: int = Field(default=4096, gt=0)
    """Upper bound on one answer."""
    base_url: str | None = None
    """This tier's server, over `[providers] <provider>_base_url` (a local Ollama for Tier 4 beside OpenAI for
    Tier 3, say)."""


class ArchetypeConfig(_Strict):
    """A kind of worker: its trust level and its instructions."""

    trust: Literal["step", "auto"] = "step"
    """step: write_file, edit_file and run_shell wait for a human decision; auto: every call runs."""
    auto_tools: list[str] = Field(default_factory=lambda: list(READ_ONLY_TOOLS))
    """Tools that run without asking even in step mode (read-only ones by default)."""
    system_prompt: str | None = None
    """Extra instructions appended to the built-in worker prompt."""
    context_view: Literal["skeleton", "curated", "raw"] = "skeleton"
    """How related files are shown in the first message: skeletons (signatures), curated views (plus
    docstrings and marked bodies) or raw text (costly; for comparison)."""
    commands: Literal["trust", "sandboxed-auto"] = "trust"
    """trust: commands follow `trust` and the allow-rules; sandboxed-auto: commands run without asking because
    the sandbox confines them (checkpoints make their changes visible and undoable); where no sandbox runs they
    ask. File writes still follow `trust`."""
    network: bool = False
    """Sandboxed commands of this archetype may use the network."""


class PlannerConfig(_Strict):
    """How the Tier 2 planner works."""

    max_steps: int = Field(default=12, gt=0)
    """Model calls per plan (reads included)."""
    max_attempts: int = Field(default=3, gt=0)
    """Proposals the model may make after its first is refused (or answers without proposing)."""
    map_budget_tokens: int = Field(default=4000, gt=0)
    """The repository map the planner starts from."""


class ContextConfig(_Strict):
    """What the worker's first message holds."""

    target_raw_max_tokens: int = Field(default=2000, gt=0)
    """A target above this many tokens is sent as its view (the archetype's `context_view`: skeleton or curated)
    with the file's line numbers, plus the whole text of the definitions the ticket names; the worker reads the
    rest with `read_file` line ranges. An archetype whose `context_view` is raw always gets the target raw."""
    related_max_tokens: int = Field(default=8000, gt=0)
    """Budget for the views of related files."""


class LimitsConfig(_Strict):
    """When a worker is stopped; the ticket is blocked with the reason."""

    max_steps: int = Field(default=40, gt=0)
    """Model calls per ticket, and tool calls per ticket (an answer with 3,000 calls runs 40 of them)."""
    max_tokens: int = Field(default=400_000, gt=0)
    """Input plus output tokens per ticket."""
    max_cost_usd: float = Field(default=5.0, gt=0)
    """Estimated cost per ticket (models without a price do not count)."""


class ShellConfig(_Strict):
    """How `run_shell` runs commands."""

    timeout_seconds: float = Field(default=120, gt=0)
    """The whole process group is killed after this."""
    max_output_bytes: int = Field(default=2_000_000, gt=0)
    """Captured output kept per stream; the rest is dropped (and said so)."""
    allow: list[str] = Field(default_factory=list)
    """Allow-rules: commands run without asking in step mode. A rule matches the parsed command's words exactly
    (`git status`); `pytest [PATH]...` also admits project paths as extra arguments, `... [ARG]...` any word that
    is not an option. See `conductor.allow_rules`."""
    scrub_env: list[str] = Field(default_factory=lambda: list(SCRUBBED_VARIABLES))
    """Globs (case-insensitive) of environment variable names never passed to a command. Any variable whose value
    is a URL with credentials (`postgres://user:pass@host/db`) is dropped too, whatever its name."""
    keep_env: list[str] = Field(default_factory=lambda: ["PWD", "OLDPWD"])
    """Variables passed even when a scrub glob matches their name."""
    sandbox: Literal["bwrap", "off"] | None = None
    """bwrap: every command runs in a bubblewrap sandbox (file system read-only but the project, a private /tmp,
    no network, credentials hidden; see `conductor.sandbox`), and is refused when bwrap cannot run; off: commands
    run with all the user's rights. Unset: bwrap when it is installed and works here, else off (said plainly)."""
    hidden_home: list[str] = Field(default_factory=lambda: list(HIDDEN_HOME))
    """Paths under $HOME a sandboxed command cannot see (credentials, keyrings, browser profiles); the rest of the
    home is read-only."""
    sandbox_git: Literal["hidden", "read-only"] = "hidden"
    """The project's .git in the sandbox: hidden (as from the worker's tools) or read-only (git status, diff and
    log work; nothing can be committed and no hook planted)."""
    memory_mb: int | None = Field(default=4096, gt=0)
    """Memory a command may use: each process's data segment and the whole tree's resident memory (None: no
    limit). A command over it is killed and the model told which limit."""
    cpu_seconds: int | None = Field(default=None, gt=0)
    """CPU time of each process of a command (None: only the timeout)."""
    max_processes: int | None = Field(default=512, gt=0)
    """Processes a command may have at once (a fork bomb is killed)."""
    allow_unsandboxed: bool = False
    """Where no sandbox runs, an archetype with `trust = "auto"` still asks before each command unless this is
    true."""


class GuardConfig(_Strict):
    """What the worker's tools may open (see `conductor.guards`)."""

    secret_files: list[str] = Field(default_factory=lambda: list(SECRET_FILES))
    """File-name globs (case-insensitive where the file system is) never read, searched, targeted or written."""
    max_file_bytes: int = Field(default=20_000_000, gt=0)
    """Files above this are not loaded whole: read_file streams a line range, search_files skips them,
    edit_file and write_file refuse them."""


class GitConfig(_Strict):
    """Checkpoints (a shadow git repository per track) and commits to the project's own repository."""

    commit: Literal["never", "ticket"] = "never"
    """`ticket`: a completed ticket's files (only those) are committed to the project's repository, with a
    message from the ticket's id, title and summary; nothing else that was staged is included."""
    checkpoint_max_file_bytes: int = Field(default=10_000_000, gt=0)
    """Files above this are left out of checkpoints (and so of shell-change diffs and undo)."""


class McpConfig(_Strict):
    """`conductor mcp`: other agents' claims on tickets."""

    lease_seconds: float = Field(default=1800, gt=0)
    """A claimed ticket goes back to pending when its agent has neither completed, blocked nor released it by
    then (a crashed agent does not hold a ticket for ever)."""


class ProviderSettings(_Strict):
    """Transport settings shared by the SDK-backed providers."""

    max_retries: int = Field(default=3, ge=0)
    """Retries of 429/5xx/timeouts by the SDK itself, with its backoff."""
    timeout_seconds: float = Field(default=120, gt=0)
    """Per request."""
    retry_initial_delay_seconds: float = Field(default=1.0, ge=0)
    """First backoff delay of the Gemini SDK's retries (the Anthropic SDK sets its own, honouring retry-after)."""
    requests_per_minute: float = Field(default=50, gt=0)
    """Client-side limit so a long run stays under the provider's quota."""
    prompt_caching: bool = True
    """Anthropic: mark the system prompt and the latest message as cache breakpoints, so each step re-reads the
    conversation so far at the cache price instead of the full input price (Gemini caches implicitly)."""
    anthropic_base_url: str | None = None
    """Only when set here; otherwise the SDK reads ANTHROPIC_BASE_URL."""
    gemini_base_url: str | None = None
    """Only when set here; otherwise the SDK reads GOOGLE_GEMINI_BASE_URL."""
    openai_base_url: str | None = None
    """An OpenAI-compatible server (`http://127.0.0.1:11434/v1` for Ollama); unset: OPENAI_BASE_URL, else OpenAI's.
    A server on the loopback runs without a key and its calls cost 0."""

    @property
    def openai_url(self) -> str:
        """The OpenAI-compatible server calls go to: `openai_base_url`, else OPENAI_BASE_URL, else OpenAI's."""
        return self.openai_base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_URL


class Price(_Strict):
    """USD per million tokens."""

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    cache_read_per_mtok: float | None = Field(default=None, ge=0)
    cache_write_per_mtok: float | None = Field(default=None, ge=0)


class ProjectConfig(_Strict):
    """Everything `project.toml` can say, with defaults."""

    root: Path = Path(".")
    """The project root (not read from the file: the folder that holds it)."""
    withheld: list[Grant] = Field(default_factory=list, exclude=True)
    """Settings of project.toml withheld because the user has not trusted them (not read from the file; see
    `conductor.project_trust`): what the notice names and what trusting records."""
    tracks_dir: str = DEFAULT_TRACKS_DIR
    """Where tracks live, relative to the root."""
    credentials_file: str | None = None
    """Where API keys are read from (default: `credentials.toml` in the root, then ~/.config/conductor/)."""
    tier3: TierConfig = Field(default_factory=TierConfig)
    tier2: TierConfig | None = None
    """The planner (`conductor plan`, the window's Plan panel); None: planning is not configured."""
    planner: PlannerConfig = Field(default_factory=PlannerConfig)
    tier4: TierConfig | None = None
    """None: failed commands are summarised by the deterministic compressor."""
    archetypes: dict[str, ArchetypeConfig] = Field(default_factory=lambda: {"default": ArchetypeConfig()})
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    context: ContextConfig = Field(default_factory=ContextConfig)
    shell: ShellConfig = Field(default_factory=ShellConfig)
    providers: ProviderSettings = Field(default_factory=ProviderSettings)
    guard: GuardConfig = Field(default_factory=GuardConfig)
    git: GitConfig = Field(default_factory=GitConfig)
    mcp: McpConfig = Field(default_factory=McpConfig)
    prices: dict[str, Price] = Field(default_factory=dict)
    """Overrides and additions to the built-in price table, by model name."""

    @property
    def tracks_path(self) -> Path:
        return (self.root / self.tracks_dir).resolve()

    @property
    def ignored(self) -> list[str]:
        """The withheld settings by name (`shell.allow`)."""
        return [grant.dotted for grant in self.withheld]

    def archetype(self, name: str) -> ArchetypeConfig:
        return self.archetypes.get(name) or self.archetypes.get("default") or ArchetypeConfig()

    def provider_settings(self, tier: TierConfig) -> ProviderSettings:
        """`[providers]` as ``tier`` sees it: its own `base_url`, when set, over `<provider>_base_url`."""
        if not tier.base_url or tier.provider is None:
            return self.providers
        return self.providers.model_copy(update={f"{tier.provider}_base_url": tier.base_url})


class Credentials(BaseModel):
    """API keys; SecretStr so they never show in repr, logs or exceptions."""

    model_config = ConfigDict(extra="forbid")

    anthropic_api_key: SecretStr | None = None
    gemini_api_key: SecretStr | None = None
    openai_api_key: SecretStr | None = None


ENV_OVERRIDES = {
    "CONDUCTOR_TIER2_PROVIDER": ("tier2", "provider"),
    "CONDUCTOR_TIER2_MODEL": ("tier2", "model"),
    "CONDUCTOR_TIER3_PROVIDER": ("tier3", "provider"),
    "CONDUCTOR_TIER3_MODEL": ("tier3", "model"),
    "CONDUCTOR_TIER4_PROVIDER": ("tier4", "provider"),
    "CONDUCTOR_TIER4_MODEL": ("tier4", "model"),
    "CONDUCTOR_SHELL_TIMEOUT": ("shell", "timeout_seconds"),
}


def load_project_config(project: str | os.PathLike[str] = ".", overrides: dict[str, Any] | None = None,
                        environ: Mapping[str, str] | None = None) -> ProjectConfig:
    """Read `project.toml` (if any) under ``project``, apply environment then ``overrides`` (dotted keys).

    A layer that changes a tier's provider without naming its model drops the model of the layers below (a model
    name is never carried over to another provider); a tier with a provider and no model gets the provider's
    default model. An error names where the bad value came from: the file and field, or the variable.
    """
    root = Path(project).resolve()
    if not root.is_dir():
        raise ConfigError(f"{project}: project folder does not exist")
    path = root / PROJECT_FILE
    data = read_project_file(root)
    grants = grants_of(data)
    withheld: list[Grant] = []
    if not is_trusted(root, grants):  # a cloned project.toml does not get to loosen anything on its own
        withhold(data, grants)
        withheld = grants
    environ = os.environ if environ is None else environ
    for name in environ:  # a misspelt variable would be ignored silently: say what it probably meant
        if name.startswith("CONDUCTOR_") and name not in ENV_OVERRIDES:
            close = difflib.get_close_matches(name, ENV_OVERRIDES, n=1, cutoff=0.85)
            if close:
                raise ConfigError(f"unknown variable {name}; did you mean {close[0]}?")
    sources: dict[tuple[str, ...], str] = {}
    env_layer = {f"{section}.{key}": environ[name] for name, (section, key) in ENV_OVERRIDES.items()
                 if environ.get(name)}
    _apply_layer(data, env_layer, sources, {f"{s}.{k}": name for name, (s, k) in ENV_OVERRIDES.items()})
    _apply_layer(data, {k: v for k, v in (overrides or {}).items() if v is not None}, sources, {})
    data.pop("root", None)
    data.pop("withheld", None)
    try:
        config = ProjectConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_describe_error(error, path, sources)) from None
    for tier in (config.tier2, config.tier3, config.tier4):
        if tier is not None and tier.provider is not None and not tier.model:
            tier.model = DEFAULT_MODELS[tier.provider]
    config.root = root
    config.withheld = withheld
    return config


def read_project_file(root: Path) -> dict[str, Any]:
    """project.toml at ``root`` as parsed (empty when there is none); a broken file is a one-line error."""
    path = root / PROJECT_FILE
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not valid UTF-8 (byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None
    except (OSError, RecursionError) as error:
        raise ConfigError(f"{path}: cannot be read ({type(error).__name__})") from None


def _apply_layer(data: dict[str, Any], layer: dict[str, Any], sources: dict[tuple[str, ...], str],
                 names: dict[str, str]) -> None:
    for dotted, value in layer.items():
        *sections, key = dotted.split(".")
        node = data
        for section in sections:
            node = node.setdefault(section, {})
        node[key] = value
        sources[tuple(dotted.split("."))] = names.get(dotted, f"the option for {dotted}")
        if key == "provider" and f"{'.'.join(sections)}.model" not in layer:
            node.pop("model", None)


def _describe_error(error: ValidationError, path: Path, sources: dict[tuple[str, ...], str]) -> str:
    """Each problem in a person's words: where it came from (the file's section, or the variable), what is wrong,
    and the near miss it probably meant."""
    described = []
    for problem in error.errors():
        location = tuple(str(part) for part in problem["loc"])
        source = sources.get(location)
        section = ".".join(location[:-1])
        if problem["type"] == "extra_forbidden" and not source:
            known = _known_keys(location[:-1])
            close = difflib.get_close_matches(location[-1], known, n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else f" (known: {', '.join(sorted(known))})"
            described.append(f"{path}: unknown key `{location[-1]}` in "
                             f"{f'[{section}]' if section else 'the top level'}{hint}")
            continue
        message = problem["msg"]
        if problem["type"] == "literal_error" and isinstance(problem.get("input"), str):
            expected = re.findall(r"'([^']*)'", str(problem.get("ctx", {}).get("expected", "")))
            close = difflib.get_close_matches(problem["input"], expected, n=1, cutoff=0.6)
            message = f"`{problem['input']}` is not one of {', '.join(expected)}" + (
                f"; did you mean `{close[0]}`?" if close else "")
        where = f"{source}: " if source else f"{path}: {'.'.join(location) or 'file'}: "
        described.append(where + message)
    return "; ".join(described)


def _known_keys(location: tuple[str, ...]) -> list[str]:
    """The keys a section of project.toml takes (`("tier3",)` -> provider, model, ...)."""
    model: type[BaseModel] = ProjectConfig
    for part in location:
        field = model.model_fields.get(part)
        if field is not None:  # else a name inside a table of models (`[archetypes.docs]`): model is its type
            model = _model_in(field.annotation) or model
    return [name for name in model.model_fields if name != "root"]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation holds: itself, or inside `X | None` or `dict[str, X]`."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def load_credentials(config: ProjectConfig, environ: Mapping[str, str] | None = None) -> Credentials:
    """Keys from the credentials file, else the SDKs' standard variables (the file wins when both are set)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for path in credential_paths(config):
        if path.exists():
            try:
                values = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as error:
                # the message of a TOML error can quote the line, which may hold a key: say only where
                line = re.search(r"line (\d+)", str(error))
                raise ConfigError(f"{path}: not valid TOML (line {line.group(1) if line else '?'})") from None
            except UnicodeDecodeError as error:
                raise ConfigError(f"{path}: not valid UTF-8 (byte {error.start})") from None
            except OSError as error:
                raise ConfigError(f"{path}: cannot be read: {error.strerror}") from None
            break
    values.setdefault("anthropic_api_key", environ.get("ANTHROPIC_API_KEY"))
    values.setdefault("gemini_api_key", environ.get("GEMINI_API_KEY") or environ.get("GOOGLE_API_KEY"))
    values.setdefault("openai_api_key", environ.get("OPENAI_API_KEY"))
    try:
        return Credentials.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as error:
        described = []
        for problem in error.errors():
            name = str(problem["loc"][0])
            close = difflib.get_close_matches(name, list(Credentials.model_fields), n=1, cutoff=0.6)
            described.append(f"`{name}`" + (f" (did you mean `{close[0]}`?)" if close else ""))
        raise ConfigError(f"credentials: unknown or invalid keys: {', '.join(described)}; known: "
                          f"{', '.join(Credentials.model_fields)}") from None


def credential_paths(config: ProjectConfig) -> list[Path]:
    if config.credentials_file:
        return [(config.root / config.credentials_file).expanduser()]
    return [config.root / "credentials.toml", user_config_dir() / "credentials.toml"]


def write_project_settings(root: Path, values: Mapping[str, Any]) -> None:
    """Set dotted keys (`tier3.model`) in the project's project.toml, keeping the rest of the file and its
    comments."""
    def change(document: Any) -> bool:
        for dotted, value in values.items():
            *sections, key = dotted.split(".")
            _table(document, sections)[key] = value
        return True

    _update_project_file(root, change)


def add_allow_rule(root: Path, rule: str) -> bool:
    """Append ``rule`` to `[shell] allow` in project.toml (comments kept); False when it is there already."""
    def change(document: Any) -> bool:
        import tomlkit

        shell = _table(document, ["shell"])
        if "allow" not in shell:
            shell["allow"] = tomlkit.array()
        if rule in list(shell["allow"]):
            return False
        shell["allow"].append(rule)
        return True

    return _update_project_file(root, change)


def _update_project_file(root: Path, change: Callable[[Any], bool]) -> bool:
    """Read project.toml with tomlkit (comments and layout kept), let ``change`` edit it, write it back
    atomically when it says it changed something."""
    import tomlkit  # only when settings are written

    path = root / PROJECT_FILE
    document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    trusted = is_trusted(root, grants_of(document.unwrap()))
    if not change(document):
        return False
    atomic_write(path, tomlkit.dumps(document))
    if trusted:  # what Conductor writes at the user's word is trusted; it does not vouch for what it found
        record_trust(root, grants_of(document.unwrap()))
    return True


def _table(document: Any, sections: list[str]) -> Any:
    """The table at ``sections`` of a tomlkit document, made where missing."""
    import tomlkit

    table = document
    for section in sections:
        if section not in table:
            table[section] = tomlkit.table()
        table = table[section]
    return table
