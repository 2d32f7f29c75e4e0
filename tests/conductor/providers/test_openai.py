"""The real `openai` SDK against the local fake server: an OpenAI-compatible server on 127.0.0.1."""

import json
import socket

import pytest
from pydantic import SecretStr

from conductor.config import Credentials, ProviderSettings, is_loopback
from conductor.messages import INVALID_ARGUMENTS, Message, ToolResult, ToolSpec, Usage
from conductor.providers import MissingKeyError, ProviderError, ProviderTimeoutError
from conductor.providers.openai_provider import OpenAIModel
from tests.fakes.http_api import openai_completion

KEY = "sk-openai-test-0123456789abcdef"
READ_FILE = ToolSpec(name="read_file", description="Read a file.",
                     parameters={"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]})


def model(fake_api, key: str | None = KEY, **settings) -> OpenAIModel:
    options = {"openai_base_url": f"{fake_api.url}/v1", "max_retries": 0, "timeout_seconds": 5, **settings}
    return OpenAIModel("gpt-test", Credentials(openai_api_key=SecretStr(key) if key else None),
                       ProviderSettings(**options))


def test_text_reply_and_what_the_server_received(fake_api):
    fake_api.reply(openai_completion("Hello.", prompt_tokens=321, completion_tokens=7, cached=300))
    turn = model(fake_api).complete("You are careful.", [Message(role="user", text="Hi")], [READ_FILE], 512)
    assert (turn.text, turn.tool_calls, turn.stop_reason) == ("Hello.", [], "end_turn")
    assert turn.usage == Usage(input_tokens=21, output_tokens=7, cache_read_tokens=300)  # cached counted apart
    [request] = fake_api.received
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == "gpt-test"
    assert request.body["max_tokens"] == 512 and "max_completion_tokens" not in request.body  # a compatible server
    assert request.body["messages"] == [{"role": "system", "content": "You are careful."},
                                        {"role": "user", "content": "Hi"}]
    assert request.body["tools"] == [{"type": "function", "function": {
        "name": "read_file", "description": "Read a file.", "parameters": READ_FILE.parameters}}]
    assert "tool_choice" not in request.body


def test_tool_calls_round_trip_as_role_tool_with_the_matching_id(fake_api):
    fake_api.reply(openai_completion("Let me look.", [("call_1", "read_file", '{"path": "a.py"}'),
                                                      ("call_2", "read_file", '{"path": "b.py"}')]))
    fake_api.reply(openai_completion("They define f and g."))
    worker = model(fake_api)
    history = [Message(role="user", text="What is in a.py and b.py?")]
    first = worker.complete("sys", history, [READ_FILE], 256, require_tool=True)
    assert first.stop_reason == "tool_use"
    assert [(c.id, c.name, c.arguments) for c in first.tool_calls] == [
        ("call_1", "read_file", {"path": "a.py"}), ("call_2", "read_file", {"path": "b.py"})]
    history += [first.as_message(), Message(role="user", tool_results=[
        ToolResult(tool_call_id="call_1", name="read_file", content="def f(): ..."),
        ToolResult(tool_call_id="call_2", name="read_file", content="no such file", is_error=True)])]
    assert worker.complete("sys", history, [READ_FILE], 256).text == "They define f and g."
    assert fake_api.received[0].body["tool_choice"] == "required"
    sent = fake_api.received[1].body["messages"]
    assert sent[2] == {"role": "assistant", "content": "Let me look.", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "a.py"}'}},
        {"id": "call_2", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "b.py"}'}}]}
    assert sent[3:] == [{"role": "tool", "tool_call_id": "call_1", "content": "def f(): ..."},
                        {"role": "tool", "tool_call_id": "call_2", "content": "ERROR: no such file"}]


@pytest.mark.parametrize(("reply", "stop"), [
    (openai_completion("half an ans", finish_reason="length"), "max_tokens"),
    (openai_completion("", finish_reason="content_filter"), "content_filter"),
    (openai_completion(None, refusal="I can't help with that."), "refusal"),
    (openai_completion("", [("c1", "read_file", '{"path": "a.py"}')], finish_reason="stop"), "tool_use"),
])
def test_only_a_natural_stop_reads_as_the_end_of_a_turn(fake_api, reply, stop):
    fake_api.reply(reply)
    assert model(fake_api).complete("sys", [Message(role="user", text="go")], [READ_FILE], 64).stop_reason == stop


@pytest.mark.parametrize(("arguments", "reason"), [
    ('{"path": "a.py"', "the arguments are not valid JSON"),
    ('["a.py"]', "the arguments are a JSON list, not an object"),
])
def test_malformed_arguments_come_back_as_a_reason_for_the_worker(fake_api, arguments, reason):
    fake_api.reply(openai_completion("", [("c1", "read_file", arguments)]))
    [call] = model(fake_api).complete("sys", [Message(role="user", text="go")], [READ_FILE], 64).tool_calls
    assert call.arguments[INVALID_ARGUMENTS].startswith(reason)


def test_a_loopback_server_runs_without_a_key_and_costs_nothing(fake_api):
    fake_api.reply(openai_completion("ok"))
    local = model(fake_api, key=None)
    turn = local.complete("sys", [Message(role="user", text="go")], [], 64)
    assert turn.local and turn.text == "ok"
    assert fake_api.received[0].headers["authorization"] == "Bearer no-key"
    with pytest.raises(MissingKeyError, match="no API key: set OPENAI_API_KEY or openai_api_key in .* for https://openrouter.ai/api/v1"):
        OpenAIModel("m", Credentials(), ProviderSettings(openai_base_url="https://openrouter.ai/api/v1"))
    assert [is_loopback(u) for u in ("http://127.0.0.1:11434/v1", "http://localhost:1234/v1", "http://[::1]:8000/v1",
                                     "http://127.1.2.3/v1", "https://api.openai.com/v1", "http://10.0.0.2/v1",
                                     "http://localhost.evil.com/v1")] == [True, True, True, True, False, False, False]


def test_errors_are_named(fake_api):
    fake_api.reply({"error": {"message": "Rate limit reached", "type": "rate_limit"}}, status=429,
                   headers={"retry-after": "42"})
    with pytest.raises(ProviderError) as caught:
        model(fake_api).complete("sys", [Message(role="user", text="go")], [], 64)
    assert (caught.value.kind, caught.value.status, caught.value.retry_after) == ("rate_limit", 429, 42.0)
    assert "Rate limit reached" in str(caught.value)
    fake_api.reply({"error": {"message": f"Incorrect API key provided: {KEY}"}}, status=401)
    with pytest.raises(ProviderError) as caught:
        model(fake_api).complete("sys", [Message(role="user", text="go")], [], 64)
    assert caught.value.kind == "auth" and KEY not in str(caught.value)  # the key is redacted from messages
    fake_api.reply(openai_completion("late"), delay=3)
    with pytest.raises(ProviderTimeoutError):
        model(fake_api, timeout_seconds=0.5).complete("sys", [Message(role="user", text="go")], [], 64)


def test_preflight_checks_the_server_and_the_key_without_tokens(fake_api):
    model(fake_api).preflight()
    assert [(r.method, r.path) for r in fake_api.received] == [("GET", "/v1/models")]
    fake_api.models_status = 401
    with pytest.raises(ProviderError) as caught:
        model(fake_api).preflight()
    assert caught.value.kind == "auth"
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(ProviderError) as caught:
        OpenAIModel("m", Credentials(), ProviderSettings(openai_base_url=f"http://127.0.0.1:{port}/v1")).preflight()
    assert caught.value.kind == "connection" and f"127.0.0.1:{port}" in caught.value.plain


def test_an_answer_without_usage_or_choices_is_malformed(fake_api):
    broken = openai_completion("x")
    del broken["usage"]
    fake_api.reply(broken)
    fake_api.reply({**openai_completion("x"), "choices": []})
    for _ in range(2):
        with pytest.raises(ProviderError) as caught:
            model(fake_api).complete("sys", [Message(role="user", text="go")], [], 64)
        assert caught.value.kind == "malformed"
    assert json.dumps(fake_api.received[0].body)  # the requests themselves were well formed
