"""No API key ever lands in a log, a ledger, a history, an exception or a repr."""

import logging

import pytest

from conductor.accounting import Accountant
from conductor.config import load_credentials, load_project_config
from conductor.messages import Message
from conductor.providers import ProviderError, create_model
from conductor.store import TrackStore
from tests.conductor.engine_helpers import trust_project
from tests.fakes.http_api import anthropic_text, gemini_response

ANTHROPIC_KEY = "sk-ant-secret-key-DO-NOT-LEAK-42"
GEMINI_KEY = "AIza-secret-key-DO-NOT-LEAK-43"


@pytest.fixture
def project(tmp_path, fake_api):
    (tmp_path / "credentials.toml").write_text(
        f'anthropic_api_key = "{ANTHROPIC_KEY}"\ngemini_api_key = "{GEMINI_KEY}"\n')
    (tmp_path / "project.toml").write_text(
        f'[tier3]\nprovider = "anthropic"\nmodel = "claude-test"\n'
        f'[tier4]\nprovider = "gemini"\nmodel = "gemini-test"\n'
        f'[providers]\nanthropic_base_url = "{fake_api.url}"\ngemini_base_url = "{fake_api.url}"\n'
        f"max_retries = 0\nretry_initial_delay_seconds = 0\n")
    trust_project(tmp_path)
    return tmp_path


def test_keys_never_reach_logs_files_errors_or_reprs(project, fake_api, caplog, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    caplog.set_level(logging.DEBUG)
    config = load_project_config(project)
    credentials = load_credentials(config)
    worker = create_model(config.tier3, config, credentials=credentials)
    summariser = create_model(config.tier4, config, tier_name="tier4", credentials=credentials)
    store = TrackStore(config.tracks_path)
    track = store.create("secrets")
    ledger = store.ledger(track.id)
    accountant = Accountant()

    fake_api.reply(anthropic_text("fine"))
    fake_api.reply(gemini_response({"text": "hint"}))
    for tier, model in (("tier3", worker), ("tier4", summariser)):
        turn = model.complete("system", [Message(role="user", text="hello")], [], 50)
        cost = accountant.record(tier, "T1", turn)
        ledger.append("model_call", tier=tier, provider=model.provider, model=turn.model, usage=turn.usage.model_dump(),
                      cost_usd=cost)
    # a provider that echoes the key back in its error message
    fake_api.reply({"type": "error", "error": {"type": "authentication_error",
                                               "message": f"invalid x-api-key {ANTHROPIC_KEY}"}}, status=401)
    with pytest.raises(ProviderError) as error:
        worker.complete("system", [Message(role="user", text="hello")], [], 50)
    logging.getLogger("conductor.test").warning("provider said %s", f"bad key {GEMINI_KEY}")
    ledger.append("error", message=str(error.value))
    store.archive_history(track.id, "T1", [Message(role="user", text="hello")])

    assert "[REDACTED]" in str(error.value)
    assert fake_api.received  # the calls really went out, with the keys
    texts = [caplog.text, str(error.value), repr(error.value), repr(worker), repr(summariser), repr(credentials),
             repr(config), str(credentials.model_dump())]
    texts += [path.read_text(errors="replace") for path in project.rglob("*")
              if path.is_file() and path.name != "credentials.toml"]
    for text in texts:
        assert ANTHROPIC_KEY not in text
        assert GEMINI_KEY not in text
    assert "provider said bad key [REDACTED]" in caplog.text
