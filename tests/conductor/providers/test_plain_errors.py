"""Provider trouble named plainly, through the real SDKs: a refused connection, a bad key, a rate limit."""

import socket

import pytest
from pydantic import SecretStr

from conductor.config import Credentials, ProviderSettings
from conductor.messages import Message
from conductor.providers import ProviderError
from conductor.providers.anthropic_provider import AnthropicModel
from conductor.providers.gemini_provider import GeminiModel

KEY = "sk-test-0123456789abcdef"


def closed_port_url() -> str:
    """A loopback address nothing listens on (bound then closed: connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def anthropic(url: str) -> AnthropicModel:
    return AnthropicModel("claude-test", Credentials(anthropic_api_key=SecretStr(KEY)),
                          ProviderSettings(anthropic_base_url=url, max_retries=0, timeout_seconds=5))


def gemini(url: str) -> GeminiModel:
    return GeminiModel("gemini-test", Credentials(gemini_api_key=SecretStr(KEY)),
                       ProviderSettings(gemini_base_url=url, max_retries=0, timeout_seconds=5))


def call(model) -> ProviderError:
    with pytest.raises(ProviderError) as raised:
        model.complete("s", [Message(role="user", text="x")], [], 10)
    return raised.value


@pytest.mark.parametrize("make", [anthropic, gemini])
def test_a_refused_connection_says_it_cannot_reach_the_provider(make):
    error = call(make(closed_port_url()))
    assert error.kind == "connection"
    assert error.plain.startswith(f"cannot reach {error.provider}: the connection failed")


def test_a_bad_key_and_a_rate_limit_with_its_wait(fake_api):
    fake_api.reply({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
                   status=401)
    error = call(anthropic(fake_api.url))
    assert (error.kind, error.plain) == ("auth", "anthropic refused the API key (HTTP 401): check the key "
                                                 "(invalid x-api-key)")
    fake_api.reply({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}, status=429,
                   headers={"retry-after": "42"})
    error = call(anthropic(fake_api.url))
    assert error.plain == "anthropic rate limit reached (HTTP 429): retry in 42 s (slow down)"
    assert KEY not in error.plain


def test_gemini_rate_limit_is_named(fake_api):
    fake_api.reply({"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}, status=429)
    error = call(gemini(fake_api.url))
    assert error.kind == "rate_limit" and error.plain.startswith("gemini rate limit reached (HTTP 429): retry in")
