"""Provider-neutral conversation types; each provider adapter converts them to and from its API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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

    def as_message(self) -> Message:
        return Message(role="assistant", text=self.text, tool_calls=self.tool_calls)
