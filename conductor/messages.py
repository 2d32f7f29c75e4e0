"""Provider-neutral conversation types; each provider adapter converts them to and from its API."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from file_cache import estimate_tokens


class ToolSpec(BaseModel):
    """A tool offered to the model."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    parameters: dict[str, Any]
    """JSON schema of the arguments object."""


class ToolCall(BaseModel):
    """One call the model asked for."""

    model_config = ConfigDict(frozen=True)

    id: str
    """Provider's call id, echoed back in the result."""
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ToolResult(BaseModel):
    """What the model is told about one of its calls."""

    model_config = ConfigDict(frozen=True)

    tool_call_id: str
    name: str
    content: str
    is_error: bool = False
    rejected: bool = False
    """The developer rejected the call: it did not run (the content says why)."""


class Message(BaseModel):
    """One turn of the conversation: user text and tool results, or assistant text and tool calls."""

    model_config = ConfigDict(frozen=True)

    role: Literal["user", "assistant"]
    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_results: list[ToolResult] = Field(default_factory=list)


class Usage(BaseModel):
    """Tokens of one model call as the provider reported them."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{name: getattr(self, name) + getattr(other, name) for name in Usage.model_fields})


class AssistantTurn(BaseModel):
    """The model's answer to one request."""

    model_config = ConfigDict(frozen=True)

    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    stop_reason: str = "end_turn"
    """`end_turn`, `tool_use`, `max_tokens` (provider values mapped to these)."""
    usage: Usage = Field(default_factory=Usage)
    model: str = ""
    local: bool = False
    """Served by a model on this machine (a loopback server): it costs nothing."""

    def as_message(self) -> Message:
        return Message(role="assistant", text=self.text, tool_calls=self.tool_calls)


MAX_ARGUMENT_DEPTH = 32
INVALID_ARGUMENTS = "__invalid_arguments__"
"""Key of the arguments that replace a call's own when those cannot be kept (the worker answers with the reason)."""


def clean_text(text: str) -> str:
    """Lone surrogates (which no file, JSON line or API can carry) become U+FFFD; the rest is untouched."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _clean_value(value: Any, depth: int) -> Any:
    if depth > MAX_ARGUMENT_DEPTH:
        raise ValueError(f"arguments nested more than {MAX_ARGUMENT_DEPTH} levels deep")
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_value(v, depth + 1) for v in value]
    return value


def clean_turn(turn: AssistantTurn) -> AssistantTurn:
    """A model answer made safe to store and replay: text without lone surrogates, tool arguments that can be
    saved (too deep or unusable ones are replaced by a note the worker answers as an error)."""
    calls = []
    for call in turn.tool_calls:
        try:
            arguments = _clean_value(call.arguments, 0)
        except (ValueError, RecursionError) as error:
            arguments = {INVALID_ARGUMENTS: str(error)}
        calls.append(call.model_copy(update={"name": clean_text(call.name), "id": clean_text(call.id),
                                             "arguments": arguments}))
    return turn.model_copy(update={"text": clean_text(turn.text), "tool_calls": calls})


def request_tokens(system: str, messages: list[Message], tools: list[ToolSpec]) -> int:
    """A request's input tokens by the offline estimate: the system prompt, every message's parts and the tool
    definitions (what the scripted provider reports, and what a dry run foresees)."""
    parts = [system, *(t.description + json.dumps(t.parameters) for t in tools)]
    for message in messages:
        parts += [message.text, *(r.content for r in message.tool_results),
                  *(c.name + json.dumps(c.arguments) for c in message.tool_calls)]
    return sum(estimate_tokens(part) for part in parts)
