"""The real `anthropic` SDK against the local fake server."""

import pytest
from pydantic import SecretStr

from conductor.config import Credentials, ProviderSettings
from conductor.messages import Message, ToolResult, ToolSpec, Usage
from conductor.providers import MissingKeyError, ProviderError, ProviderTimeoutError
from conductor.providers.anthropic_provider import AnthropicModel
from tests.fakes.http_api import anthropic_text, anthropic_tool_use

KEY = "sk-ant-test-0123456789abcdef"
READ_FILE = ToolSpec(name="read_file", description="Read a file.",
                     parameters={"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]})


def model(fake_api, **settings) -> AnthropicModel:
    options = {"anthropic_base_url": fake_api.url, "max_retries": 0, "timeout_seconds": 5, **settings}
    return AnthropicModel("claude-test", Credentials(anthropic_api_key=SecretStr(KEY)),
                          ProviderSettings(**options))


def test_text_reply_and_what_the_server_received(fake_api):
    fake_api.reply(anthropic_text("Hello.", input_tokens=321, output_tokens=7, cache_read=50))
    turn = model(fake_api).complete("You are careful.", [Message(role="user", text="Hi")], [READ_FILE], 512)
    assert (turn.text, turn.tool_calls, turn.stop_reason) == ("Hello.", [], "end_turn")
    assert turn.usage == Usage(input_tokens=321, output_tokens=7, cache_read_tokens=50)
    [request] = fake_api.received
    assert request.path == "/v1/messages"
    assert KEY in (request.headers.get("x-api-key"), request.headers.get("authorization", "").removeprefix("Bearer "))
    assert "anthropic-version" in request.headers
    assert request.body["model"] == "claude-test"
    assert request.body["max_tokens"] == 512
    assert request.body["system"] == [{"type": "text", "text": "You are careful.",
                                       "cache_control": {"type": "ephemeral"}}]
    assert request.body["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": "Hi", "cache_control": {"type": "ephemeral"}}]}]
    assert request.body["tools"] == [{"name": "read_file", "description": "Read a file.",
                                      "input_schema": READ_FILE.parameters}]


def test_tool_call_round_trip(fake_api):
    fake_api.reply(anthropic_tool_use("toolu_1", "read_file", {"path": "a.py"}, text="Let me look."))
    fake_api.reply(anthropic_text("It defines f."))
    worker = model(fake_api)
    history = [Message(role="user", text="What is in a.py?")]
    first = worker.complete("sys", history, [READ_FILE], 256)
    assert first.stop_reason == "tool_use"
    assert [(c.id, c.name, c.arguments) for c in first.tool_calls] == [("toolu_1", "read_file", {"path": "a.py"})]
    history += [first.as_message(),
                Message(role="user", tool_results=[ToolResult(tool_call_id="toolu_1", name="read_file",
                                                              content="def f(): ...")])]
    final = worker.complete("sys", history, [READ_FILE], 256)
    assert final.text == "It defines f."
    sent = fake_api.received[1].body["messages"]
    assert sent[1] == {"role": "assistant", "content": [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {"path": "a.py"}}]}
    assert sent[2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "def f(): ...", "is_error": False,
         "cache_control": {"type": "ephemeral"}}]}
    assert "cache_control" not in sent[0]["content"][0]  # one moving breakpoint: the latest message only


def test_prompt_caching_can_be_turned_off(fake_api):
    fake_api.reply(anthropic_text("ok"))
    model(fake_api, prompt_caching=False).complete("sys", [Message(role="user", text="Hi")], [], 10)
    body = fake_api.received[0].body
    assert body["system"] == [{"type": "text", "text": "sys"}]
    assert body["messages"][0]["content"] == [{"type": "text", "text": "Hi"}]


def test_429_with_retry_after_is_retried_by_the_sdk(fake_api):
    fake_api.reply({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}, status=429,
                   headers={"retry-after-ms": "20"})
    fake_api.reply(anthropic_text("ok"))
    assert model(fake_api, max_retries=2).complete("s", [Message(role="user", text="x")], [], 10).text == "ok"
    assert len(fake_api.received) == 2


def test_500_after_retries_is_a_typed_error_with_the_providers_message(fake_api):
    for _ in range(2):
        fake_api.reply({"type": "error", "error": {"type": "api_error", "message": "upstream exploded"}},
                       status=500, headers={"retry-after-ms": "10"})
    with pytest.raises(ProviderError) as error:
        model(fake_api, max_retries=1).complete("s", [Message(role="user", text="x")], [], 10)
    assert str(error.value) == "anthropic (HTTP 500): upstream exploded"
    assert (error.value.status, error.value.retryable) == (500, True)
    assert len(fake_api.received) == 2


def test_slow_response_past_the_timeout(fake_api):
    fake_api.reply(anthropic_text("late"), delay=2.0)
    with pytest.raises(ProviderTimeoutError, match="anthropic: no answer in time"):
        model(fake_api, timeout_seconds=0.3).complete("s", [Message(role="user", text="x")], [], 10)


def test_malformed_json_is_a_typed_error(fake_api):
    fake_api.reply("{this is not json")
    with pytest.raises(ProviderError, match="^anthropic: malformed response"):
        model(fake_api).complete("s", [Message(role="user", text="x")], [], 10)


def test_base_url_comes_from_the_environment_unless_configured(fake_api, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_api.url)
    fake_api.reply(anthropic_text("from env"))
    worker = AnthropicModel("m", Credentials(anthropic_api_key=SecretStr(KEY)), ProviderSettings(max_retries=0))
    assert worker.complete("s", [Message(role="user", text="x")], [], 10).text == "from env"


def test_missing_key_names_the_variable_and_file():
    with pytest.raises(MissingKeyError, match="ANTHROPIC_API_KEY or anthropic_api_key in /p/credentials.toml"):
        AnthropicModel("m", Credentials(), ProviderSettings(), credentials_hint="/p/credentials.toml")
