"""A provider that replays a recorded conversation: the offline demo and every engine test run on it.

A script is a JSON file:

    {"tier3": {"T1": [turn, ...], "T2": [...]},   # the worker's answers, per ticket, in order
     "tier4": [turn, ...]}                        # the summariser's answers, in order

and a turn is `{"text": "...", "tool_calls": [{"name": "write_file", "arguments": {...}}],
"usage": {"input_tokens": 10, "output_tokens": 5}, "expect": {...}, "on_reject": turn}` (all optional). Without
`usage`, tokens are estimated from the request, so accounting and budgets behave as with a real model.

A recording can branch, so that a person can answer the demo any way they like: a turn's `on_reject` is answered
when the developer rejects one of that turn's calls (the script stays at that step), and the script's
`off_script` turn is answered when a request no longer meets a turn's `expect` (an edit took the run where the
recording did not go). Without them, both are errors, as every test wants.

Every request is checked: roles alternate from a user turn, each tool call of the previous answer has exactly
one result, the history still holds the answers this provider gave, the scripted tools are offered, and the
turn's `expect` holds. A mismatch is a ScriptError, which names the ticket and the turn.
"""

from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from conductor.messages import AssistantTurn, Message, ToolCall, ToolSpec, Usage, clean_turn, request_tokens
from conductor.providers.base import ProviderError
from conductor.text import validation_problems
from file_cache import estimate_tokens

logger = logging.getLogger(__name__)


class ScriptError(ProviderError):
    """The script and the requests disagree, or the script file is wrong."""


class ScriptedCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    unoffered: bool = False
    """The recording calls a tool that is not offered on purpose (a model's mistake the engine must survive)."""


class Expectation(BaseModel):
    """Checks on the request a turn answers."""

    model_config = ConfigDict(extra="forbid")

    results_contain: list[str] = Field(default_factory=list)
    """Substrings the tool results (or text) of the last user message must contain."""
    results_not_contain: list[str] = Field(default_factory=list)
    """Substrings they must not contain."""
    max_result_chars: int | None = None
    """Upper bound on the characters of the last user message's tool results."""
    system_contains: list[str] = Field(default_factory=list)
    """Substrings of the system prompt."""


class ScriptedTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = ""
    tool_calls: list[ScriptedCall] = Field(default_factory=list)
    usage: Usage | None = None
    expect: Expectation | None = None
    stop_reason: str | None = None
    """Why the answer ended (default: `tool_use` with calls, else `end_turn`); tests use `max_tokens`, `refusal`."""
    on_reject: ScriptedTurn | None = None
    """Answered instead of the next turn when the developer rejects a call of this turn; the script stays at this
    step, so every rejection of it is answered the same way."""


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier3: dict[str, list[ScriptedTurn]] = Field(default_factory=dict)
    tier4: list[ScriptedTurn] = Field(default_factory=list)
    tier2: list[ScriptedTurn] = Field(default_factory=list)
    """The planner's answers, in order (one conversation per plan, revisions included)."""
    off_script: ScriptedTurn | None = None
    """Answered (tier 3) instead of a ScriptError when a request does not meet its turn's `expect`: a developer's
    edit took the run where the recording did not go."""


def load_script(path: str | Path) -> Script:
    path = Path(path)
    try:
        return Script.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ScriptError("scripted", f"{path}: no such script file") from None
    except json.JSONDecodeError as error:
        raise ScriptError("scripted", f"{path}: line {error.lineno}: {error.msg}") from None
    except ValidationError as error:
        raise ScriptError("scripted", f"{path}: {validation_problems(error, limit=1, label='script')}") from None


class ScriptedModel:
    provider = "scripted"

    def __init__(self, script: Script | str | Path, tier: str = "tier3", ticket_id: str | None = None,
                 model: str = "scripted") -> None:
        self.script = script if isinstance(script, Script) else load_script(script)
        self.model = model
        self.label = f"ticket {ticket_id}" if tier == "tier3" else tier.replace("tier", "tier ")
        if tier == "tier3":
            if ticket_id not in self.script.tier3:
                raise ScriptError("scripted", f"the script has no turns for ticket {ticket_id}")
            self.turns = self.script.tier3[ticket_id]
        elif tier == "tier2":
            self.turns = self.script.tier2
        else:
            self.turns = self.script.tier4
        self.position = 0
        """The next turn of the recording (branches answered meanwhile do not move it)."""
        self.answered = 0
        """Answers given, branches included (numbers the call ids)."""
        self.ticket_id = ticket_id or "tier4"
        self.given: list[Message] = []
        """What this provider answered so far (checked against the history it is sent back)."""
        self.stateless = tier == "tier4"
        """Tier 4 requests are independent one-message conversations: no history to check."""
        self.requests: list[dict[str, Any]] = []

    def __repr__(self) -> str:
        return f"ScriptedModel({self.label}, turn {self.position}/{len(self.turns)})"

    def complete(self, system: str, messages: list[Message], tools: list[ToolSpec],
                 max_output_tokens: int, require_tool: bool = False) -> AssistantTurn:
        self.requests.append({"system": system, "messages": list(messages), "tools": [t.name for t in tools],
                              "require_tool": require_tool})
        self._adopt_history(messages)
        turn = self._branch(messages)
        if turn is not None:
            self._check_request(turn, system, messages, tools)
        else:
            if self.position >= len(self.turns):
                raise ScriptError("scripted", f"{self.label}: the script has no turn {self.position + 1}")
            turn = self.turns[self.position]
            self._check_request(turn, system, messages, tools)
            problem = self._unmet_expectation(turn, system, messages)
            if problem is None:
                self.position += 1
            elif self.stateless or self.script.off_script is None:
                self._fail(problem)
            else:
                logger.info("%s: off the script (%s)", self.label, problem)
                turn = self.script.off_script
        assert turn is not None
        self.answered += 1
        calls = [ToolCall(id=f"call_{self.ticket_id}_{self.answered}_{i}", name=c.name, arguments=c.arguments)
                 for i, c in enumerate(turn.tool_calls, 1)]
        usage = turn.usage or Usage(
            input_tokens=request_tokens(system, messages, tools),
            output_tokens=estimate_tokens(turn.text) + sum(estimate_tokens(json.dumps(c.arguments)) for c in calls),
        )
        answer = AssistantTurn(text=turn.text, tool_calls=calls,
                               stop_reason=turn.stop_reason or ("tool_use" if calls else "end_turn"), usage=usage,
                               model=self.model)
        if not self.stateless:
            self.given.append(clean_turn(answer).as_message())  # the worker stores answers cleaned
        return answer

    def _branch(self, messages: list[Message]) -> ScriptedTurn | None:
        """The previous turn's `on_reject` when the developer rejected one of its calls."""
        if self.stateless or self.position == 0:
            return None
        if any(result.rejected for result in messages[-1].tool_results):
            return self.turns[self.position - 1].on_reject
        return None

    def _adopt_history(self, messages: list[Message]) -> None:
        """A worker resumed after a restart sends a history this instance never answered: when its answers follow
        the script (its branches included), carry on from there."""
        answered = [m for m in messages if m.role == "assistant"]
        if self.given or not answered:
            return
        position = 0
        for index, message in enumerate(answered, 1):
            branch = self.turns[position - 1].on_reject if position else None
            if position < len(self.turns) and _same(message, self.turns[position]):
                position += 1
            elif not any(turn is not None and _same(message, turn) for turn in (branch, self.script.off_script)):
                self.position = position
                self._fail(f"the resumed history differs from the script at answer {index}")
        self.given = list(answered)
        self.position, self.answered = position, len(answered)

    def _fail(self, problem: str) -> None:
        raise ScriptError("scripted", f"{self.label}, turn {self.position + 1}: {problem}")

    def _check_request(self, turn: ScriptedTurn, system: str, messages: list[Message], tools: list[ToolSpec]) -> None:
        if not messages or messages[0].role != "user" or messages[-1].role != "user":
            self._fail("the conversation must start and end with a user message")
        for previous, current in itertools.pairwise(messages):
            if previous.role == current.role:
                self._fail(f"two {current.role} messages in a row")
            if previous.role == "assistant":
                asked = [(c.id, c.name) for c in previous.tool_calls]
                answered = [(r.tool_call_id, r.name) for r in current.tool_results]
                if sorted(asked) != sorted(answered):
                    self._fail(f"tool calls {asked} were answered by results {answered}")
        if messages[0].tool_results:
            self._fail("tool results before any tool call")
        history = [m for m in messages if m.role == "assistant"]
        if history != self.given:
            self._fail("the history does not hold the answers this provider gave")
        offered = {t.name for t in tools}
        for call in turn.tool_calls:
            if call.name not in offered and not call.unoffered:
                self._fail(f"scripted call {call.name!r} is not among the offered tools {sorted(offered)}")

    @staticmethod
    def _unmet_expectation(turn: ScriptedTurn, system: str, messages: list[Message]) -> str | None:
        """What of the turn's `expect` the request does not meet, or None."""
        expect = turn.expect
        if expect is None:
            return None
        last = messages[-1]
        seen = "\n".join([last.text, *(r.content for r in last.tool_results)])
        for text in expect.results_contain:
            if text not in seen:
                return f"expected {text!r} in the last message, got {seen[:500]!r}"
        for text in expect.results_not_contain:
            if text in seen:
                return f"did not expect {text!r} in the last message"
        size = sum(len(r.content) for r in last.tool_results)
        if expect.max_result_chars is not None and size > expect.max_result_chars:
            return f"tool results are {size} characters, more than {expect.max_result_chars}"
        for text in expect.system_contains:
            if text not in system:
                return f"expected {text!r} in the system prompt"
        return None


def _same(message: Message, turn: ScriptedTurn) -> bool:
    return message.text == turn.text and [(c.name, c.arguments) for c in message.tool_calls] == [
        (c.name, c.arguments) for c in turn.tool_calls]
