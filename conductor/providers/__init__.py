"""Model providers, looked up by short name; SDKs are imported only when their provider is used."""

from __future__ import annotations

import importlib

from conductor.config import Credentials, ProjectConfig, TierConfig, credential_paths, load_credentials
from conductor.protocols import Model
from conductor.providers.base import MissingKeyError, ProviderError, ProviderTimeoutError, RateLimiter

PROVIDERS: dict[str, tuple[str, str]] = {
    "anthropic": ("conductor.providers.anthropic_provider", "AnthropicModel"),
    "gemini": ("conductor.providers.gemini_provider", "GeminiModel"),
    "scripted": ("conductor.providers.scripted", "ScriptedModel"),
}
PACKAGES = {"anthropic": "anthropic", "gemini": "google-genai"}


def provider_class(name: str) -> type:
    if name not in PROVIDERS:
        raise ProviderError(name, f"unknown provider; choose one of {', '.join(PROVIDERS)}")
    module_name, class_name = PROVIDERS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ProviderError(name, f"cannot import its SDK ({error}); pip install {PACKAGES.get(name, name)}") from None
    return getattr(module, class_name)


def create_model(tier: TierConfig, config: ProjectConfig, *, tier_name: str = "tier3", ticket_id: str | None = None,
                 credentials: Credentials | None = None, limiter: RateLimiter | None = None) -> Model:
    """The model serving ``tier``; scripted models replay the project's script for ``ticket_id``."""
    cls = provider_class(tier.provider)
    if tier.provider == "scripted":
        if not tier.script:
            raise ProviderError("scripted", f"[{tier_name}] needs `script = \"path/to/script.json\"`")
        return cls(config.root / tier.script, tier=tier_name, ticket_id=ticket_id, model=tier.model)
    credentials = credentials if credentials is not None else load_credentials(config)
    hint = " or ".join(str(p) for p in credential_paths(config))
    return cls(tier.model, credentials, config.providers, limiter=limiter, credentials_hint=hint)


__all__ = ["PROVIDERS", "MissingKeyError", "ProviderError", "ProviderTimeoutError", "RateLimiter", "create_model",
           "provider_class"]
