import subprocess
import sys

import pytest

from conductor.config import ConfigError, ProjectConfig, TierConfig
from conductor.providers import MissingKeyError, ProviderError, RateLimiter, create_model, provider_class
from conductor.providers.scripted import ScriptedModel


def test_providers_are_looked_up_by_short_name_and_imported_lazily():
    code = ("import sys; import conductor.providers as p; before = 'anthropic' in sys.modules;"
            "p.provider_class('scripted'); print(before, 'anthropic' in sys.modules, 'google.genai' in sys.modules,"
            " 'openai' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout == (
        "False False False False\n")
    assert provider_class("scripted") is ScriptedModel
    with pytest.raises(ProviderError, match="unknown provider; choose one of anthropic, gemini, openai, scripted"):
        provider_class("mistral")


def test_create_model_scripted_and_missing_key(tmp_path):
    (tmp_path / "s.json").write_text('{"tier3": {"T1": [{"text": "hi"}]}}')
    config = ProjectConfig(root=tmp_path, tier3=TierConfig(provider="scripted", script="s.json"))
    assert isinstance(create_model(config.tier3, config, ticket_id="T1"), ScriptedModel)
    with pytest.raises(ConfigError, match=r"\[tier4\] provider \"scripted\" needs `script"):
        create_model(TierConfig(provider="scripted"), config, tier_name="tier4")
    with pytest.raises(ConfigError, match=r"no Tier 3 provider configured: pass --provider P"):
        create_model(TierConfig(), config)
    config.credentials_file = "nowhere.toml"
    with pytest.raises(MissingKeyError, match="ANTHROPIC_API_KEY"):
        from conductor.config import Credentials
        create_model(TierConfig(provider="anthropic", model="m"), config, credentials=Credentials())


def test_rate_limiter_waits_for_a_free_slot_in_the_window():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(per_minute=2, clock=lambda: now[0], sleep=sleep)
    assert [limiter.acquire(), limiter.acquire()] == [0.0, 0.0]
    now[0] = 10.0
    assert limiter.acquire() == 50.0  # the first slot frees at t=60
    assert slept == [50.0]
    fractional = RateLimiter(per_minute=0.5, clock=lambda: now[0], sleep=sleep)
    assert fractional.window == 120.0
