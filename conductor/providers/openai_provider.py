"""OpenAI and every OpenAI-compatible server (OpenRouter, Ollama, LM Studio, llama.cpp, vLLM) through the official
`openai` SDK's Chat Completions with tools (`tool_calls` with JSON-string arguments; results as `role: tool`)."""

from __future__ import annotations

import json
from typing import Any, cast

import openai

from conductor.config import OPENAI_URL, Credentials, ProviderSettings, is_loopback
from conductor.messages import INVALID_ARGUMENTS, AssistantTurn, Message, ToolCall, ToolSpec, Usage
from conductor.providers.base import (
    MalformedAnswerError,
    ProviderError,
    ProviderTimeoutError,
    RateLimiter,
    api_key,
    retry_after_seconds,
)

FINISH_REASONS = {"stop": "end_turn", "tool_calls": "tool_use", "function_call": "tool_use", "length": "max_tokens"}
"""Anything else (`content_filter`, a server's own reason) is passed on as it is: only a natural stop finishes."""
NO_KEY = "no-key"
"""What the SDK is given for a server on this machine that needs no key (the SDK insists on one)."""
PREFLIGHT_SECONDS = 5.0


class OpenAIModel:
    provider = "openai"

    def __init__(self, model: str, credentials: Credentials, settings: ProviderSettings,
                 limiter: RateLimiter | None = None, credentials_hint: str = "credentials.toml") -> None:
        self.base_url = settings.openai_url
        self.local = is_loopback(self.base_url)
        """A server on this machine: runs without a key and costs nothing."""
        key = NO_KEY if self.local and credentials.openai_api_key is None else api_key(
            self.provider, credentials.openai_api_key, f"set OPENAI_API_KEY or openai_api_key in {credentials_hint} "
            f"for {self.base_url} (a server on 127.0.0.1 needs none)")
        self.model = model
        self._client = openai.OpenAI(api_key=key, base_url=self.base_url, max_retries=settings.max_retries,
                                     timeout=settings.timeout_seconds)
        self._limiter = limiter or RateLimiter(settings.requests_per_minute)

    def __repr__(self) -> str:
        return f"OpenAIModel(model={self.model!r}, base_url={self.base_url!r})"

    def preflight(self) -> None:
        """The server answers and takes the key (its model list: no tokens spent); raises ProviderError."""
        try:
            self._client.with_options(timeout=PREFLIGHT_SECONDS, max_retries=0).models.list()
        except openai.APIError as error:
            raise self._error(error) from None

    def complete(self, system: str, messages: list[Message], tools: list[ToolSpec],
                 max_output_tokens: int, require_tool: bool = False) -> AssistantTurn:
        wire = [{"role": "system", "content": system}]
        for message in messages:
            wire += to_openai(message)
        # OpenAI's own models take max_completion_tokens (max_tokens is refused by its reasoning models); the
        # compatible servers all know max_tokens
        openai_own = self.base_url.rstrip("/") == OPENAI_URL
        self._limiter.acquire()
        try:
            response = self._client.chat.completions.create(
                model=self.model, messages=cast(Any, wire),
                tools=cast(Any, [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                                     "parameters": t.parameters}} for t in tools])
                if tools else openai.omit,
                tool_choice="required" if require_tool and tools else openai.omit,
                max_completion_tokens=max_output_tokens if openai_own else openai.omit,
                max_tokens=openai.omit if openai_own else max_output_tokens,
            )
        except openai.APIError as error:
            raise self._error(error) from None
        except (json.JSONDecodeError, ValueError, TypeError, AttributeError, KeyError, RecursionError) as error:
            raise MalformedAnswerError(self.provider, f"malformed response: {type(error).__name__}") from None
        try:
            return from_openai(response, self.model, self.local)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError) as error:
            raise MalformedAnswerError(self.provider, f"malformed response: {error}") from None

    def _error(self, error: openai.APIError) -> ProviderError:
        if isinstance(error, openai.APITimeoutError):
            return ProviderTimeoutError(self.provider, f"no answer from {self.base_url} in time")
        if isinstance(error, openai.APIStatusError):
            body = error.body if isinstance(error.body, dict) else {}
            detail = body.get("error") if isinstance(body.get("error"), dict) else body
            message = (detail or {}).get("message") or error.message
            return ProviderError(self.provider, message, status=error.status_code,
                                 retryable=error.status_code in (408, 429) or error.status_code >= 500,
                                 retry_after=retry_after_seconds(error.response))
        if isinstance(error, openai.APIConnectionError):
            return ProviderError(self.provider, f"{type(error).__name__} to {self.base_url}: {error}",
                                 kind="connection")
        return ProviderError(self.provider, f"{type(error).__name__}: {error}")


def to_openai(message: Message) -> list[dict[str, Any]]:
    """One of our messages as Chat Completions messages: a user message's tool results first, one `role: tool`
    message each (right after the assistant message that called them), then its text."""
    if message.role == "user":
        wire: list[dict[str, Any]] = [
            {"role": "tool", "tool_call_id": r.tool_call_id, "content": f"ERROR: {r.content}" if r.is_error
             else r.content} for r in message.tool_results]
        if message.text or not wire:
            wire.append({"role": "user", "content": message.text or "(empty)"})
        return wire
    turn: dict[str, Any] = {"role": "assistant", "content": message.text or None}
    if message.tool_calls:
        turn["tool_calls"] = [{"id": c.id, "type": "function",
                               "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)}}
                              for c in message.tool_calls]
    elif not message.text:
        turn["content"] = "(empty)"
    return [turn]


def from_openai(response: Any, model: str, local: bool) -> AssistantTurn:
    """The SDK's response as a turn; raises ValueError/TypeError on anything that is not a well-formed answer."""
    if not response.choices:
        raise ValueError("the answer has no choices")
    if response.usage is None:
        raise ValueError("the answer has no usage (tokens could not be counted)")
    choice = response.choices[0]
    message = choice.message
    calls = []
    for call in message.tool_calls or []:
        function = getattr(call, "function", None)
        if function is None or not isinstance(function.name, str) or not function.name or not call.id:
            raise ValueError("a tool call without a function name or id")
        calls.append(ToolCall(id=call.id, name=function.name, arguments=_arguments(function.arguments)))
    finish = choice.finish_reason or "stop"
    stop = "refusal" if getattr(message, "refusal", None) else FINISH_REASONS.get(finish, finish)
    if calls and stop == "end_turn":
        stop = "tool_use"  # some servers say "stop" beside tool calls
    usage = response.usage
    details = getattr(usage, "prompt_tokens_details", None)
    cached = (getattr(details, "cached_tokens", None) or 0) if details is not None else 0
    return AssistantTurn(
        text=message.content or "", tool_calls=calls, stop_reason=stop,
        usage=Usage(input_tokens=max((usage.prompt_tokens or 0) - cached, 0),
                    output_tokens=usage.completion_tokens or 0, cache_read_tokens=cached),
        model=response.model or model, local=local)


def _arguments(text: str | None) -> dict[str, Any]:
    """A call's JSON-string arguments as an object; anything else is kept as the reason the worker gives back."""
    if not text or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        return {INVALID_ARGUMENTS: f"the arguments are not valid JSON ({error})"}
    if not isinstance(value, dict):
        return {INVALID_ARGUMENTS: f"the arguments are a JSON {type(value).__name__}, not an object"}
    return value
