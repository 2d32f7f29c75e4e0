"""The Tier 3 worker loop: run() -> step() -> query() -> execute(), ended by small exceptions."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from conductor.config import LimitsConfig
from conductor.gate import Decision
from conductor.messages import AssistantTurn, Message, ToolCall, ToolResult, clean_turn
from conductor.protocols import Model, ToolExecutor
from conductor.tools import MUTATING_TOOLS, ToolArgumentError, ToolOutcome, ToolRequest


class Finished(Exception):
    """The model ended its turn without a tool call; its text is the ticket's summary."""

    def __init__(self, summary: str) -> None:
        super().__init__(summary)
        self.summary = summary


class LimitReached(Exception):
    """A step, token or cost limit stopped the worker; the message says which."""


class StepStopped(Exception):
    """The engine was asked to stop between two steps."""


class GaveUp(Exception):
    """The model's answers cannot finish the ticket (refused, filtered, or cut off too often); says why."""


# A natural end of turn finishes a ticket; these are asked to continue (bounded); anything else blocks it.
CONTINUE_REASONS = {"max_tokens": "Your answer was cut off at the output limit. Continue where you stopped; "
                                  "keep each tool call small enough to fit.",
                    "malformed_function_call": "Your last tool call was malformed and did not run. Make the call "
                                               "again with valid JSON arguments.",
                    "empty": "Your answer was empty. Continue the ticket, or answer with a summary to finish.",
                    "pause_turn": "Continue.",
                    "no_tool_call": "Answer with a tool call: a plain-text answer does not finish this work."}
MAX_CONTINUATIONS = 2


class WorkerContext(BaseModel):
    """What one Tier 3 worker holds while on one ticket; its messages are archived then flushed."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: str
    provider: str
    """Short provider name (`anthropic`, `gemini`, `scripted`)."""
    model: str
    """The model assigned to the worker."""
    config: dict[str, Any] = Field(default_factory=dict)
    """Configuration injected for this worker (archetype, limits, trust)."""
    messages: list[Message] = Field(default_factory=list)
    """The ephemeral conversation; gone after the ticket ends (context amnesia)."""

    def flush(self) -> list[Message]:
        """Hand back the history (for archiving) and forget it."""
        history, self.messages = self.messages, []
        return history


class WorkerState(WorkerContext):
    """The worker's context plus everything needed to resume it after a pause or a crash (saved after each
    model answer and each write)."""

    system: str
    """The system prompt the worker started with."""
    steps: int = 0
    """Model calls so far."""
    tokens: int = 0
    cost_usd: float = 0.0
    pending_calls: list[ToolCall] = Field(default_factory=list)
    """Calls of the latest answer not yet executed (the first one may await approval)."""
    results: list[ToolResult] = Field(default_factory=list)
    """Results of the latest answer's calls executed so far."""
    last_stop_reason: str = "end_turn"
    """Why the latest answer ended (`end_turn`, `tool_use`, `max_tokens`, `refusal`, ...)."""
    continuations: int = 0
    """Answers in a row that were cut off or empty and were asked to continue."""
    calls: int = 0
    """Tool calls run (or refused) so far: bounded by the same limit as model calls."""


@dataclass
class WorkerHooks:
    """What the engine does around the loop: approvals, accounting, recording, persistence."""

    decide: Callable[[ToolRequest], tuple[Decision, ToolRequest]]
    """The decision and the request to run (the one asked about, or as a person edited it, validated); may
    block for a human; raises EngineStopped when the run stops meanwhile."""
    on_turn: Callable[[AssistantTurn], float | None]
    """Records a model answer; returns its cost (None when the model has no price)."""
    before_execute: Callable[[ToolRequest], None]
    """Called just before an approved mutating call runs (the engine takes a checkpoint)."""
    on_outcome: Callable[[ToolRequest, ToolOutcome], str]
    """Records what a tool did; returns the text the model gets."""
    save: Callable[[WorkerState], None]
    should_stop: Callable[[], bool]


class Worker:
    def __init__(self, state: WorkerState, model: Model, tools: ToolExecutor, hooks: WorkerHooks,
                 limits: LimitsConfig, max_output_tokens: int, require_tool: bool = False) -> None:
        self.state = state
        self.model = model
        self.tools = tools
        self.hooks = hooks
        self.limits = limits
        self.max_output_tokens = max_output_tokens
        self.require_tool = require_tool
        self.final_answer: str | None = None
        """Set by a tool whose outcome ends the run (the planner's proposal): the run's summary."""

    def run(self) -> str:
        """Loop until the model finishes; returns the summary. LimitReached, StepStopped, provider errors and
        EngineStopped end the loop early."""
        try:
            if self.state.pending_calls or self.state.results:
                self.execute()  # resume a turn cut short by a pause or a crash
            elif self.state.messages[-1].role == "assistant":
                self.conclude(self.state.messages[-1])  # killed just after the final answer: no new query
            while True:
                self.step()
        except Finished as finished:
            return finished.summary

    def step(self) -> None:
        if self.hooks.should_stop():
            raise StepStopped("stopped between steps")
        self.query()
        self.execute()

    def query(self) -> AssistantTurn:
        self._check_limits()
        turn = clean_turn(self.model.complete(self.state.system, self.state.messages, self.tools.specs(),
                                              self.max_output_tokens, require_tool=self.require_tool))
        self.state.steps += 1
        self.state.tokens += turn.usage.input_tokens + turn.usage.output_tokens
        self.state.cost_usd += self.hooks.on_turn(turn) or 0.0
        message = turn.as_message()
        self.state.messages.append(message)
        self.state.pending_calls = list(turn.tool_calls)
        self.state.results = []
        self.state.last_stop_reason = turn.stop_reason
        self.hooks.save(self.state)
        if turn.tool_calls:
            self.state.continuations = 0
        else:
            self.conclude(message)
        return turn

    def conclude(self, answer: Message) -> None:
        """An answer without tool calls: a natural end finishes the ticket; a cut-off or empty one is asked to
        continue (bounded); a refusal or a filtered answer blocks it."""
        reason = self.state.last_stop_reason
        if reason == "end_turn" and self.require_tool:
            reason = "no_tool_call"  # the planner finishes by a call (propose_track), never by text
        elif reason == "end_turn" and not answer.text.strip():
            reason = "empty"
        if reason == "end_turn":
            raise Finished(answer.text.strip())
        if reason not in CONTINUE_REASONS:
            raise GaveUp(f"the model stopped without finishing (stop reason: {reason})"
                         + (f": {answer.text.strip()[:300]}" if answer.text.strip() else ""))
        if self.state.continuations >= MAX_CONTINUATIONS:
            raise GaveUp(f"the model's answer ended with stop reason {reason} {self.state.continuations + 1} "
                         "times in a row")
        self.state.continuations += 1
        self.state.messages.append(Message(role="user", text=CONTINUE_REASONS[reason]))
        self.state.last_stop_reason = "continue"
        self.hooks.save(self.state)

    def execute(self) -> None:
        if not (self.state.pending_calls or self.state.results):
            return  # the answer had no calls (it was asked to continue)
        while self.state.pending_calls:
            call = self.state.pending_calls[0]
            if self.state.calls >= self.limits.max_steps:
                raise LimitReached(f"tool-call limit reached ({self.limits.max_steps} calls; [limits] max_steps)")
            self.state.calls += 1
            self.state.results.append(self.execute_one(call))
            self.state.pending_calls.pop(0)
            if self.final_answer is not None:  # every call of the answer still gets a result
                self.state.results += [ToolResult(tool_call_id=c.id, name=c.name, is_error=True,
                                                  content="not run: the previous call ended the run")
                                       for c in self.state.pending_calls]
                self.state.pending_calls = []
            if call.name in MUTATING_TOOLS:  # a read is harmless to repeat after a crash; a write is not
                self.hooks.save(self.state)
        self.state.messages.append(Message(role="user", tool_results=self.state.results))
        self.state.results = []
        self.hooks.save(self.state)
        if self.final_answer is not None:
            raise Finished(self.final_answer)

    def execute_one(self, call: ToolCall) -> ToolResult:
        try:
            request = self.tools.validate(call)  # the model's call enters here: validated once
        except ToolArgumentError as error:
            return ToolResult(tool_call_id=call.id, name=call.name, content=f"error: {error}", is_error=True)
        asked = request
        decision, request = self.hooks.decide(asked)
        if decision.action == "reject":
            reason = decision.reason or "no reason given"
            return ToolResult(tool_call_id=call.id, name=call.name, is_error=True, rejected=True,
                              content=f"The developer rejected this call; it was not run. Reason: {reason}")
        note = f"Note from the developer: {decision.note.strip()}\n" if decision.note.strip() else ""
        if decision.action == "edit" and request.arguments != asked.arguments:
            note += ("Note: the developer edited your call before it ran; it ran with these arguments instead: "
                     f"{json.dumps(request.call.arguments, ensure_ascii=False)}. Do not repeat the original call.\n")
        if call.name in MUTATING_TOOLS:
            self.hooks.before_execute(request)
        outcome = self.tools.execute(request)
        content = self.hooks.on_outcome(request, outcome)
        if outcome.final:
            self.final_answer = content
        return ToolResult(tool_call_id=call.id, name=call.name, content=note + content, is_error=outcome.is_error)

    def _check_limits(self) -> None:
        if self.state.steps >= self.limits.max_steps:
            raise LimitReached(f"step limit reached ({self.limits.max_steps} model calls)")
        if self.state.tokens >= self.limits.max_tokens:
            raise LimitReached(f"token limit reached ({self.state.tokens} of {self.limits.max_tokens})")
        if self.state.cost_usd >= self.limits.max_cost_usd:
            raise LimitReached(f"cost limit reached (${self.state.cost_usd:.4f} of ${self.limits.max_cost_usd})")
