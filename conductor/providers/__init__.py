"""Model providers, looked up by short name; SDKs are imported only when their provider is used."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from conductor.config import (
    ConfigError,
    Credentials,
    ProjectConfig,
    TierConfig,
    credential_paths,
    load_credentials,
)
from conductor.names import PROVIDER_NAMES
from conductor.protocols import Model
from conductor.providers.base import (
    MalformedAnswerError,
    MissingKeyError,
    ProviderError,
    ProviderTimeoutError,
    RateLimiter,
    register_secret,
)

PROVIDERS: dict[str, tuple[str, str]] = {
    "anthropic": ("conductor.providers.anthropic_provider", "AnthropicModel"),
    "gemini": ("conductor.providers.gemini_provider", "GeminiModel"),
    "openai": ("conductor.providers.openai_provider", "OpenAIModel"),
    "scripted": ("conductor.providers.scripted", "ScriptedModel"),
}
assert tuple(PROVIDERS) == PROVIDER_NAMES, "names.PROVIDER_NAMES and PROVIDERS must name the same providers"
PACKAGES = {"anthropic": "anthropic", "gemini": "google-genai", "openai": "openai"}
HOW_TO_CHOOSE = ("pass --provider P (and --model M), set [{tier}] provider in project.toml, or set "
                 "CONDUCTOR_{upper}_PROVIDER; providers: " + ", ".join(PROVIDER_NAMES))


def provider_class(name: str) -> Callable[..., Model]:
    if name not in PROVIDERS:
        raise ProviderError(name, f"unknown provider; choose one of {', '.join(PROVIDERS)}")
    module_name, class_name = PROVIDERS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ProviderError(name, f"cannot import its SDK ({error}); pip install {PACKAGES.get(name, name)}") from None
    cls: Callable[..., Model] = getattr(module, class_name)
    return cls


def check_tier(tier: TierConfig, config: ProjectConfig, tier_name: str, credentials: Credentials | None = None,
               reach: bool = False) -> None:
    """Raise ConductorError when ``tier`` cannot serve (no provider, no script, no key), spending no tokens; with
    ``reach``, a model that can check its server without tokens (`preflight`: the OpenAI-compatible ones) does."""
    if tier.provider == "scripted":
        from conductor.providers.scripted import load_script

        if not tier.script:
            raise ConfigError(f"[{tier_name}] provider \"scripted\" needs `script = \"path/to/script.json\"`")
        load_script(config.root / tier.script)
        return
    model = create_model(tier, config, tier_name=tier_name, credentials=credentials)
    preflight = getattr(model, "preflight", None)
    if reach and preflight is not None:
        preflight()


def create_model(tier: TierConfig, config: ProjectConfig, *, tier_name: str = "tier3", ticket_id: str | None = None,
                 credentials: Credentials | None = None, limiter: RateLimiter | None = None) -> Model:
    """The model serving ``tier``; scripted models replay the project's script for ``ticket_id``."""
    if tier.provider is None:
        raise ConfigError(f"no {tier_name.replace('tier', 'Tier ')} provider configured: "
                          + HOW_TO_CHOOSE.format(tier=tier_name, upper=tier_name.upper()))
    cls = provider_class(tier.provider)
    if tier.provider == "scripted":
        if not tier.script:
            raise ConfigError(f"[{tier_name}] provider \"scripted\" needs `script = \"path/to/script.json\"`")
        return cls(config.root / tier.script, tier=tier_name, ticket_id=ticket_id, model=tier.model)
    credentials = credentials if credentials is not None else load_credentials(config)
    hint = " or ".join(str(p) for p in credential_paths(config))
    return cls(tier.model, credentials, config.provider_settings(tier), limiter=limiter, credentials_hint=hint)


__all__ = ["HOW_TO_CHOOSE", "PROVIDERS", "MalformedAnswerError", "MissingKeyError", "ProviderError",
           "ProviderTimeoutError", "RateLimiter", "check_tier", "create_model", "provider_class", "register_secret"]
