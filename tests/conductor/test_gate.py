import threading

from conductor.config import ProjectConfig
from conductor.gate import ApprovalPolicy, Decision, PendingCall, QueueGate, TerminalGate
from conductor.guards import PathGuard
from conductor.messages import ToolCall


def pending(name="run_shell", **arguments):
    return PendingCall(track_id="t", ticket_id="T1", call=ToolCall(id="c1", name=name, arguments=arguments))


def terminal(answers):
    lines = iter(answers)
    shown = []

    def read(prompt):
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    def preview(request):
        return PendingCall(track_id="t", ticket_id="T1", call=request.call, diff=f"diff for {request.call.arguments}")

    return TerminalGate(preview=preview, read=read, write=shown.append), shown


def test_terminal_approve_reject_and_end_of_input():
    gate, _ = terminal(["a"])
    assert gate.decide(pending(command="ls")).action == "approve"
    gate, _ = terminal(["r", "too risky"])
    assert gate.decide(pending(command="ls")) == Decision(action="reject", reason="too risky", decided_by="terminal")
    gate, _ = terminal([])
    assert gate.decide(pending(command="ls")).action == "reject"


def test_terminal_edit_refuses_bad_json_keeps_the_call_then_runs_the_edit():
    gate, shown = terminal(["e", "{not json", "", "e", '{"command": "pytest -q"}', "", "a"])
    decision = gate.decide(pending(command="pytest"))
    assert decision == Decision(action="edit", arguments={"command": "pytest -q"}, decided_by="terminal")
    assert any(line.startswith("refused: invalid JSON at line 1, column 2") for line in shown)
    assert "diff for {'command': 'pytest -q'}" in shown


def test_policy_reads_auto_writes_and_shell_ask_and_allow_rules():
    config = ProjectConfig.model_validate({"archetypes": {"default": {}, "trusted": {"trust": "auto"}},
                                           "shell": {"allow": ["pytest", "pytest -q"]}})
    guard = PathGuard.for_project(config)
    policy = ApprovalPolicy(config, guard)
    assert policy.auto_reason("default", ToolCall(id="1", name="read_file", arguments={"path": "a"}))
    assert policy.auto_reason("default", ToolCall(id="1", name="write_file", arguments={})) is None
    assert policy.auto_reason("default", ToolCall(id="1", name="run_shell", arguments={"command": "rm -rf x"})) is None
    assert policy.auto_reason("default", ToolCall(id="1", name="run_shell", arguments={"command": "pytest -q"})) == (
        "command matches the allow-rule 'pytest -q'")
    assert policy.auto_reason("default", ToolCall(id="1", name="run_shell", arguments={"command": "pytest -x"})) \
        is None
    assert policy.auto_reason("default", ToolCall(id="1", name="run_shell", arguments={"command": "pytest; rm x"})) \
        is None
    assert policy.auto_reason("trusted", ToolCall(id="1", name="write_file", arguments={}))
    assert ApprovalPolicy(config, guard, force_auto=True).auto_reason("default", ToolCall(id="1", name="run_shell"))


def test_queue_gate_ignores_decisions_for_other_calls():
    gate = QueueGate()
    first = pending(command="ls")
    result = []
    thread = threading.Thread(target=lambda: result.append(gate.decide(first)))
    thread.start()
    gate.submit("some-old-call", Decision(action="approve"))
    gate.submit(first.id, Decision(action="reject", reason="no"))
    thread.join(timeout=10)
    assert result == [Decision(action="reject", reason="no")]
    assert gate.pending is None
