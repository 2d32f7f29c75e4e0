"""Whatever a provider answers, the adapter gives a turn or a clean ProviderError: never a traceback."""

import pytest
from pydantic import SecretStr

from conductor.config import Credentials, ProviderSettings
from conductor.messages import Message
from conductor.providers import MalformedAnswerError
from conductor.providers.anthropic_provider import AnthropicModel
from conductor.providers.gemini_provider import GeminiModel
from tests.fakes.http_api import anthropic_message, anthropic_text, gemini_response

SETTINGS = {"max_retries": 0, "timeout_seconds": 5, "retry_initial_delay_seconds": 0.01}


def anthropic(fake_api) -> AnthropicModel:
    return AnthropicModel("claude-test", Credentials(anthropic_api_key=SecretStr("sk-ant-test-0123456789")),
                          ProviderSettings(anthropic_base_url=fake_api.url, **SETTINGS))


def gemini(fake_api) -> GeminiModel:
    return GeminiModel("gemini-test", Credentials(gemini_api_key=SecretStr("AIza-test-0123456789")),
                       ProviderSettings(gemini_base_url=fake_api.url, **SETTINGS))


def ask(model):
    return model.complete("s", [Message(role="user", text="x")], [], 100)


def nested(depth: int):
    value: object = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


def without_usage():
    body = anthropic_text("hi")
    del body["usage"]
    return body


ANTHROPIC_BODIES = {
    "no usage": without_usage(),
    "content null": {**anthropic_text("hi"), "content": None},
    "tool name not a string": anthropic_message({"type": "tool_use", "id": "t1", "name": 7, "input": {}}),
    "tool call without id": anthropic_message({"type": "tool_use", "name": "read_file", "input": {}}),
    "tool input a list": anthropic_message({"type": "tool_use", "id": "t1", "name": "read_file", "input": [1]}),
    "a list body": [anthropic_text("hi")],
    "deep nesting": {**anthropic_text("hi"), "content": [nested(5000)]},
    "text block without text": anthropic_message({"type": "text", "text": None}),
}


@pytest.mark.parametrize("case", list(ANTHROPIC_BODIES))
def test_malformed_anthropic_answers_are_provider_errors(fake_api, case):
    body = ANTHROPIC_BODIES[case]
    fake_api.reply(body if case != "deep nesting" else '{"a":' * 5000 + "1" + "}" * 5000)
    with pytest.raises(MalformedAnswerError, match="^anthropic: malformed response"):
        ask(anthropic(fake_api))


def gemini_call(args):
    return gemini_response({"functionCall": {"name": "read_file", "args": args}})


GEMINI_BODIES = {
    "args a list": gemini_call(["a"]),
    "args a string": gemini_call("path=a"),
    "no usage": {k: v for k, v in gemini_response({"text": "hi"}).items() if k != "usageMetadata"},
    "a list body": [gemini_response({"text": "hi"})],
    "function call without a name": gemini_response({"functionCall": {"args": {}}}),
}


@pytest.mark.parametrize("case", list(GEMINI_BODIES))
def test_malformed_gemini_answers_are_provider_errors(fake_api, case):
    fake_api.reply(GEMINI_BODIES[case])
    with pytest.raises(MalformedAnswerError, match="^gemini: malformed response"):
        ask(gemini(fake_api))


@pytest.mark.parametrize(("finish", "stop"), [("MAX_TOKENS", "max_tokens"), ("SAFETY", "safety"),
                                              ("MALFORMED_FUNCTION_CALL", "malformed_function_call"),
                                              ("RECITATION", "recitation")])
def test_gemini_finish_reasons_reach_the_worker(fake_api, finish, stop):
    fake_api.reply(gemini_response({"text": "partial"}, finish_reason=finish))
    assert ask(gemini(fake_api)).stop_reason == stop


def test_gemini_without_candidates_says_why(fake_api):
    fake_api.reply({"promptFeedback": {"blockReason": "SAFETY"},
                    "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 5}})
    assert ask(gemini(fake_api)).stop_reason == "no_candidates (block reason: SAFETY)"


@pytest.mark.parametrize(("reason", "stop"), [("max_tokens", "max_tokens"), ("refusal", "refusal"),
                                              ("pause_turn", "pause_turn"), ("end_turn", "end_turn")])
def test_anthropic_stop_reasons_reach_the_worker(fake_api, reason, stop):
    fake_api.reply(anthropic_text("partial", stop_reason=reason))
    assert ask(anthropic(fake_api)).stop_reason == stop
