"""The real `google-genai` SDK against the local fake server."""

import pytest
from pydantic import SecretStr

from conductor.config import Credentials, ProviderSettings
from conductor.messages import Message, ToolResult, ToolSpec, Usage
from conductor.providers import MissingKeyError, ProviderError, ProviderTimeoutError
from conductor.providers.gemini_provider import GeminiModel
from tests.fakes.http_api import gemini_response

KEY = "AIza-test-0123456789abcdef"
READ_FILE = ToolSpec(name="read_file", description="Read a file.",
                     parameters={"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]})


def model(fake_api, **settings) -> GeminiModel:
    options = {"gemini_base_url": fake_api.url, "max_retries": 0, "timeout_seconds": 5,
               "retry_initial_delay_seconds": 0.01, **settings}
    return GeminiModel("gemini-2.5-flash", Credentials(gemini_api_key=SecretStr(KEY)), ProviderSettings(**options))


def test_text_reply_and_what_the_server_received(fake_api):
    fake_api.reply(gemini_response({"text": "Hello."}, prompt_tokens=300, output_tokens=9, cached=100))
    turn = model(fake_api).complete("You are careful.", [Message(role="user", text="Hi")], [READ_FILE], 512)
    assert (turn.text, turn.tool_calls, turn.stop_reason) == ("Hello.", [], "end_turn")
    assert turn.usage == Usage(input_tokens=200, output_tokens=9, cache_read_tokens=100)
    [request] = fake_api.received
    assert request.path.endswith("/models/gemini-2.5-flash:generateContent")
    assert request.headers["x-goog-api-key"] == KEY
    assert request.body["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]
    assert request.body["systemInstruction"]["parts"] == [{"text": "You are careful."}]
    assert request.body["generationConfig"]["maxOutputTokens"] == 512
    assert request.body["tools"] == [{"functionDeclarations": [
        {"name": "read_file", "description": "Read a file.", "parameters_json_schema": READ_FILE.parameters}]}]


def test_function_call_round_trip_with_and_without_ids(fake_api):
    fake_api.reply(gemini_response({"functionCall": {"name": "read_file", "args": {"path": "a.py"}}}))
    fake_api.reply(gemini_response({"text": "It defines f."}))
    worker = model(fake_api)
    history = [Message(role="user", text="What is in a.py?")]
    first = worker.complete("sys", history, [READ_FILE], 256)
    assert first.stop_reason == "tool_use"
    [call] = first.tool_calls
    assert (call.name, call.arguments) == ("read_file", {"path": "a.py"})
    history += [first.as_message(), Message(role="user", tool_results=[
        ToolResult(tool_call_id=call.id, name="read_file", content="def f(): ...")])]
    assert worker.complete("sys", history, [READ_FILE], 256).text == "It defines f."
    sent = fake_api.received[1].body["contents"]
    # a locally made-up id is never sent back to the API
    assert sent[1] == {"role": "model", "parts": [{"functionCall": {"name": "read_file", "args": {"path": "a.py"}}}]}
    assert sent[2] == {"role": "user", "parts": [
        {"functionResponse": {"name": "read_file", "response": {"output": "def f(): ..."}}}]}

    fake_api.reset()
    fake_api.reply(gemini_response({"functionCall": {"id": "fc-9", "name": "read_file", "args": {"path": "b"}}}))
    fake_api.reply(gemini_response({"text": "done"}))
    second = worker.complete("sys", [Message(role="user", text="b?")], [READ_FILE], 256)
    assert second.tool_calls[0].id == "fc-9"
    worker.complete("sys", [Message(role="user", text="b?"), second.as_message(), Message(
        role="user", tool_results=[ToolResult(tool_call_id="fc-9", name="read_file", content="no", is_error=True)])],
        [READ_FILE], 256)
    assert fake_api.received[1].body["contents"][2]["parts"] == [
        {"functionResponse": {"id": "fc-9", "name": "read_file", "response": {"error": "no"}}}]


def test_429_is_retried_by_the_sdk(fake_api):
    fake_api.reply({"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}, status=429,
                   headers={"retry-after": "0"})
    fake_api.reply(gemini_response({"text": "ok"}))
    assert model(fake_api, max_retries=2).complete("s", [Message(role="user", text="x")], [], 10).text == "ok"
    assert len(fake_api.received) == 2


def test_500_after_retries_is_a_typed_error_with_the_providers_message(fake_api):
    for _ in range(2):
        fake_api.reply({"error": {"code": 500, "message": "backend exploded", "status": "INTERNAL"}}, status=500)
    with pytest.raises(ProviderError) as error:
        model(fake_api, max_retries=1).complete("s", [Message(role="user", text="x")], [], 10)
    assert str(error.value) == "gemini (HTTP 500): backend exploded"
    assert len(fake_api.received) == 2


def test_slow_response_past_the_timeout(fake_api):
    fake_api.reply(gemini_response({"text": "late"}), delay=2.0)
    with pytest.raises(ProviderTimeoutError, match="gemini: no answer in time"):
        model(fake_api, timeout_seconds=0.3).complete("s", [Message(role="user", text="x")], [], 10)


def test_malformed_json_is_a_typed_error(fake_api):
    fake_api.reply("{this is not json")
    with pytest.raises(ProviderError, match="^gemini: malformed response: JSONDecodeError: Expecting property name"):
        model(fake_api).complete("s", [Message(role="user", text="x")], [], 10)


def test_base_url_comes_from_the_environment_unless_configured(fake_api, monkeypatch):
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_api.url)
    fake_api.reply(gemini_response({"text": "from env"}))
    worker = GeminiModel("gemini-2.5-flash", Credentials(gemini_api_key=SecretStr(KEY)),
                         ProviderSettings(max_retries=0))
    assert worker.complete("s", [Message(role="user", text="x")], [], 10).text == "from env"


def test_missing_key_names_the_variables_and_file():
    with pytest.raises(MissingKeyError, match=r"GEMINI_API_KEY \(or GOOGLE_API_KEY\) or gemini_api_key in c.toml"):
        GeminiModel("m", Credentials(), ProviderSettings(), credentials_hint="c.toml")
