"""The seams of the engine, in one place: the model, the tool executor and the approval gate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from conductor.messages import AssistantTurn, Message, ToolSpec

if TYPE_CHECKING:
    from conductor.gate import Decision, PendingCall
    from conductor.messages import ToolCall
    from conductor.tools import ToolOutcome, ToolRequest


@runtime_checkable
class Model(Protocol):
    """A chat model with tool calling. Adapters raise `conductor.providers.ProviderError` on failure."""

    provider: str
    """Short provider name (`anthropic`, `gemini`, `scripted`)."""
    model: str

    def complete(self, system: str, messages: list[Message], tools: list[ToolSpec],
                 max_output_tokens: int, require_tool: bool = False) -> AssistantTurn:
        """One answer; ``require_tool``: the model must call one of ``tools`` (Anthropic `tool_choice` any,
        Gemini function calling mode ANY)."""


class ToolExecutor(Protocol):
    """The tools a worker may call: validates a call once where it enters, previews and runs it."""

    def specs(self) -> list[ToolSpec]: ...

    def validate(self, call: ToolCall) -> ToolRequest:
        """The call with its arguments validated against its tool; raises `ToolArgumentError`."""

    def preview(self, request: ToolRequest) -> str | None:
        """A unified diff of what the call would change (file tools), else None; raises on a call that cannot
        run as it stands."""

    def execute(self, request: ToolRequest) -> ToolOutcome:
        """Runs an approved call; a failure is an error outcome, never an exception."""


class ApprovalGate(Protocol):
    """Decides a pending tool call: approve, approve with edited arguments, or reject with a reason."""

    def decide(self, pending: PendingCall) -> Decision:
        """May block for a human; raises `EngineStopped` when `stop()` is called meanwhile."""

    def stop(self) -> None:
        """Wake a `decide` that is waiting (the run is stopping); a gate that never waits does nothing."""
