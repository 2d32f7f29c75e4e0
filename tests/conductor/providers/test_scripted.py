import json

import pytest

from conductor.messages import Message, ToolResult, ToolSpec
from conductor.providers.scripted import ScriptedModel, ScriptError, load_script

TOOLS = [ToolSpec(name="read_file", description="Read.", parameters={"type": "object"})]


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "script.json"
    path.write_text(json.dumps({
        "tier3": {"T1": [
            {"text": "Reading.", "tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}}]},
            {"text": "Done.", "expect": {"results_contain": ["def f"], "max_result_chars": 100},
             "usage": {"input_tokens": 7, "output_tokens": 3}},
        ]},
        "tier4": [{"text": "Hint one."}],
    }))
    return path


def test_replays_turns_with_tool_calls_and_estimates_usage(script):
    model = ScriptedModel(script, ticket_id="T1")
    history = [Message(role="user", text="Do T1")]
    first = model.complete("sys", history, TOOLS, 100)
    assert [(c.id, c.name, c.arguments) for c in first.tool_calls] == [("call_T1_1_1", "read_file", {"path": "a.py"})]
    assert first.stop_reason == "tool_use" and first.usage.input_tokens > 0 and first.usage.output_tokens > 0
    history += [first.as_message(), Message(role="user", tool_results=[
        ToolResult(tool_call_id="call_T1_1_1", name="read_file", content="def f(): ...")])]
    second = model.complete("sys", history, TOOLS, 100)
    assert (second.text, second.stop_reason, second.usage.input_tokens) == ("Done.", "end_turn", 7)
    with pytest.raises(ScriptError, match="ticket T1: the script has no turn 3"):
        model.complete("sys", history, TOOLS, 100)


def test_tier4_turns_are_served_in_order(script):
    model = ScriptedModel(script, tier="tier4")
    assert model.complete("s", [Message(role="user", text="trace")], [], 50).text == "Hint one."


@pytest.mark.parametrize(
    ("history", "problem"),
    [
        ([], "must start and end with a user message"),
        ([Message(role="user", text="a"), Message(role="user", text="b")], "two user messages in a row"),
        ([Message(role="user", tool_results=[ToolResult(tool_call_id="x", name="n", content="")])],
         "tool results before any tool call"),
    ],
)
def test_malformed_requests_are_refused(script, history, problem):
    with pytest.raises(ScriptError, match=problem):
        ScriptedModel(script, ticket_id="T1").complete("s", history, TOOLS, 10)


def test_missing_results_changed_history_and_failed_expectations_are_refused(script):
    model = ScriptedModel(script, ticket_id="T1")
    first = model.complete("s", [Message(role="user", text="go")], TOOLS, 10)
    unanswered = [Message(role="user", text="go"), first.as_message(), Message(role="user", text="no results")]
    with pytest.raises(ScriptError, match="were answered by results"):
        model.complete("s", unanswered, TOOLS, 10)
    rewritten = [Message(role="user", text="go"), Message(role="assistant", text="something else"),
                 Message(role="user", text="x")]
    with pytest.raises(ScriptError, match="does not hold the answers this provider gave"):
        model.complete("s", rewritten, TOOLS, 10)
    wrong = [Message(role="user", text="go"), first.as_message(), Message(role="user", tool_results=[
        ToolResult(tool_call_id="call_T1_1_1", name="read_file", content="x" * 50)])]
    with pytest.raises(ScriptError, match=r"turn 2: expected 'def f' in the last message"):
        model.complete("s", wrong, TOOLS, 10)


def test_calls_to_tools_that_are_not_offered_are_refused_unless_marked(script, tmp_path):
    with pytest.raises(ScriptError, match="not among the offered tools"):
        ScriptedModel(script, ticket_id="T1").complete("s", [Message(role="user", text="go")], [], 10)
    marked = _write(tmp_path, {"tier3": {"T1": [{"tool_calls": [{"name": "nope", "unoffered": True}]}]}})
    turn = ScriptedModel(marked, ticket_id="T1").complete("s", [Message(role="user", text="go")], [], 10)
    assert [c.name for c in turn.tool_calls] == ["nope"]


def test_script_file_errors_are_clear(tmp_path):
    with pytest.raises(ScriptError, match="no turns for ticket T9"):
        ScriptedModel(load_script(_write(tmp_path, {"tier3": {}})), ticket_id="T9")
    with pytest.raises(ScriptError, match="no such script file"):
        load_script(tmp_path / "missing.json")
    with pytest.raises(ScriptError, match=r"tier3.T1.0.tool_calls: Input should be a valid list"):
        load_script(_write(tmp_path, {"tier3": {"T1": [{"tool_calls": "read"}]}}))
    (tmp_path / "bad.json").write_text("{\n  nope")
    with pytest.raises(ScriptError, match="bad.json: line 2"):
        load_script(tmp_path / "bad.json")


def _write(tmp_path, data):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    return path
