"""Anthropic Messages API through the official `anthropic` SDK (tool_use / tool_result blocks)."""

from __future__ import annotations

import json
from typing import Any, cast

import anthropic

from conductor.config import Credentials, ProviderSettings
from conductor.messages import AssistantTurn, Message, ToolCall, ToolSpec, Usage
from conductor.providers.base import (
    MalformedAnswerError,
    ProviderError,
    ProviderTimeoutError,
    RateLimiter,
    api_key,
    retry_after_seconds,
)

STOP_REASONS = {"end_turn": "end_turn", "tool_use": "tool_use", "max_tokens": "max_tokens",
                "stop_sequence": "end_turn", "pause_turn": "pause_turn", "refusal": "refusal",
                "model_context_window_exceeded": "max_tokens"}


class AnthropicModel:
    provider = "anthropic"

    def __init__(self, model: str, credentials: Credentials, settings: ProviderSettings,
                 limiter: RateLimiter | None = None, credentials_hint: str = "credentials.toml") -> None:
        key = api_key(self.provider, credentials.anthropic_api_key,
                      f"set ANTHROPIC_API_KEY or anthropic_api_key in {credentials_hint}")
        options: dict[str, Any] = {"api_key": key, "max_retries": settings.max_retries,
                                   "timeout": settings.timeout_seconds}
        if settings.anthropic_base_url:
            options["base_url"] = settings.anthropic_base_url  # otherwise the SDK reads ANTHROPIC_BASE_URL
        self.model = model
        self.prompt_caching = settings.prompt_caching
        self._client = anthropic.Anthropic(**options)
        self._limiter = limiter or RateLimiter(settings.requests_per_minute)

    def __repr__(self) -> str:
        return f"AnthropicModel(model={self.model!r})"

    def complete(self, system: str, messages: list[Message], tools: list[ToolSpec],
                 max_output_tokens: int, require_tool: bool = False) -> AssistantTurn:
        wire = [to_anthropic(message) for message in messages]
        system_blocks: list[dict[str, Any]] = [{"type": "text", "text": system}]
        if self.prompt_caching:
            # two breakpoints: tools + system (stable for the whole ticket), and the conversation so far
            system_blocks[0]["cache_control"] = {"type": "ephemeral"}
            if wire:
                wire[-1]["content"][-1]["cache_control"] = {"type": "ephemeral"}
        self._limiter.acquire()
        try:
            response = self._client.messages.create(
                model=self.model,
                max_tokens=max_output_tokens,
                system=cast("list[anthropic.types.TextBlockParam]", system_blocks),
                messages=cast("list[anthropic.types.MessageParam]", wire),
                tools=[{"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools],
                tool_choice={"type": "any"} if require_tool and tools else anthropic.omit,
            )
        except anthropic.APITimeoutError as error:
            raise ProviderTimeoutError(self.provider, f"no answer in time: {error}") from None
        except anthropic.APIStatusError as error:
            raise ProviderError(self.provider, _status_message(error), status=error.status_code,
                                retryable=error.status_code in (408, 429) or error.status_code >= 500,
                                retry_after=retry_after_seconds(error.response)) from None
        except anthropic.APIConnectionError as error:
            raise ProviderError(self.provider, f"{type(error).__name__}: {error}", kind="connection") from None
        except anthropic.APIError as error:
            raise ProviderError(self.provider, f"{type(error).__name__}: {error}") from None
        except (json.JSONDecodeError, ValueError, TypeError, AttributeError, KeyError, RecursionError) as error:
            raise MalformedAnswerError(self.provider, f"malformed response: {type(error).__name__}") from None
        try:
            return from_anthropic(response)
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as error:
            raise MalformedAnswerError(self.provider, f"malformed response: {_first_line(error)}") from None


def to_anthropic(message: Message) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if message.role == "user":
        blocks += [{"type": "tool_result", "tool_use_id": r.tool_call_id, "content": r.content, "is_error": r.is_error}
                   for r in message.tool_results]
        if message.text:
            blocks.append({"type": "text", "text": message.text})
    else:
        if message.text:
            blocks.append({"type": "text", "text": message.text})
        blocks += [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in message.tool_calls]
    if not blocks:
        blocks.append({"type": "text", "text": "(empty)"})
    return {"role": message.role, "content": blocks}


def from_anthropic(response: Any) -> AssistantTurn:
    """The SDK's response as a turn; raises ValueError/TypeError on anything that is not a well-formed answer."""
    if not isinstance(getattr(response, "content", None), list):
        raise ValueError("the answer has no content list")
    if getattr(response, "usage", None) is None:
        raise ValueError("the answer has no usage (tokens could not be counted)")
    texts, calls = [], []
    for block in response.content:
        if block.type == "text":
            if not isinstance(block.text, str):
                raise ValueError("a text block without text")
            texts.append(block.text)
        elif block.type == "tool_use":
            if not isinstance(block.input, dict):
                raise ValueError(f"tool_use input is a {type(block.input).__name__}, not an object")
            if not isinstance(block.name, str) or not isinstance(block.id, str) or not block.id:
                raise ValueError("a tool_use block without a string name and id")
            calls.append(ToolCall(id=block.id, name=block.name, arguments=block.input))
    usage = response.usage
    return AssistantTurn(
        text="\n".join(texts),
        tool_calls=calls,
        stop_reason=STOP_REASONS.get(response.stop_reason or "end_turn", response.stop_reason or "end_turn"),
        usage=Usage(input_tokens=usage.input_tokens or 0, output_tokens=usage.output_tokens or 0,
                    cache_read_tokens=getattr(usage, "cache_read_input_tokens", None) or 0,
                    cache_write_tokens=getattr(usage, "cache_creation_input_tokens", None) or 0),
        model=response.model or "",
    )


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:300]


def _status_message(error: anthropic.APIStatusError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    detail = body.get("error", {}) if isinstance(body.get("error"), dict) else {}
    return detail.get("message") or error.message
