"""End-to-end engine runs on the scripted provider, real temporary repositories and real subprocesses."""

import json
import signal
import subprocess
import sys
import textwrap

import pytest

from conductor.demo import DEMO_TRACK, prepare_demo
from conductor.gate import AutoGate, Decision, QueueGate
from conductor.models import TicketStatus
from conductor.store import TrackStore
from conductor.tools import ToolArgumentError
from tests.conductor.engine_helpers import (
    APPROVE,
    engine_for,
    history_results,
    make_project,
    run_with,
    ticket,
    wait_until,
)

STATS_AFTER = '''\
"""Small statistics helpers used by the report module."""


def mean(values: list[float]) -> float:
    """Arithmetic mean of a non-empty list."""
    if not values:
        raise ValueError("mean() of an empty list")
    return sum(values) / len(values)


def median(values: list[float]) -> float:
    """Middle value of a non-empty list."""
    if not values:
        raise ValueError("median() of an empty list")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
'''


@pytest.fixture
def demo(tmp_path):
    return prepare_demo(tmp_path / "demo")


def test_demo_edit_fail_hint_fix_complete_then_dependent_runs_in_step_mode(demo):
    engine = engine_for(demo, DEMO_TRACK)
    result, asked = run_with(engine)
    assert (result.completed, result.blocked) == (["T1", "T2"], [])
    assert (demo / "calc" / "stats.py").read_text() == STATS_AFTER
    assert 'median {median(values):.2f}' in (demo / "calc" / "report.py").read_text()
    # every write and command waited for a decision; the read-only get_skeleton did not
    assert [p.call.name for p in asked] == ["edit_file", "run_shell", "edit_file", "run_shell", "edit_file",
                                            "edit_file", "run_shell"]
    assert asked[0].diff.splitlines()[:3] == ["--- a/calc/stats.py", "+++ b/calc/stats.py", "@@ -6,3 +6,11 @@"]
    store = engine.store
    failed_run = history_results(store, DEMO_TRACK, "T1")[1]
    assert failed_run.is_error
    assert "hint: test_median_even fails: median([4, 1, 3, 2]) returned 3" in failed_run.content
    assert "AssertionError: 3 != 2.5" in failed_run.content
    assert len(failed_run.content) < 1000
    output_id = failed_run.content.rsplit("full output: ", 1)[1].split()[0]
    assert "Traceback (most recent call last)" in store.load_output(DEMO_TRACK, output_id)
    track = store.load(DEMO_TRACK)
    assert [t.status for t in track.tickets] == [TicketStatus.COMPLETED, TicketStatus.COMPLETED]
    assert track.ticket("T1").summary.startswith("Added median()")
    # context amnesia: histories archived, no worker state left behind
    assert not list(store.folder(DEMO_TRACK).glob("workers/*.json"))
    assert len(store.histories(DEMO_TRACK, "T2")) == 1
    events = [e["event"] for e in store.ledger(DEMO_TRACK).read()]
    assert events.count("approval_requested") == 7 and events.count("ticket_completed") == 2
    shell = [e for e in store.ledger(DEMO_TRACK).read() if e["event"] == "shell"]
    assert [(e["exit_code"], e["hint_source"]) for e in shell] == [(1, "tier4"), (0, None), (0, None)]
    usage = engine.accountant.snapshot()
    assert usage.tiers["tier3"].calls == 9 and usage.tiers["tier4"].calls == 1
    assert usage.tickets["T1"].input_tokens > 0


def test_dependent_sees_the_skeleton_of_its_dependency_in_its_context(demo):
    engine = engine_for(demo, DEMO_TRACK, auto=True)
    run_with(engine)
    first_message = engine.store.load_history(engine.store.histories(DEMO_TRACK, "T2")[0])[0].text
    assert "## Target file: calc/report.py" in first_message
    assert "### calc/stats.py (skeleton)\n```python\ndef mean(values: list[float]) -> float: ...\n" in first_message
    assert "- T1 (calc/stats.py): Added median()" in first_message


def step_script(tmp_path):
    files = {"app.py": "VALUE = 1\n"}
    tier3 = {"T1": [
        {"text": "write",
         "tool_calls": [{"name": "write_file", "arguments": {"path": "app.py", "content": "VALUE = 2\n"}}]},
        {"text": "run", "tool_calls": [{"name": "run_shell", "arguments": {"command": "echo original > ran.txt"}}],
         "expect": {"results_contain": ["updated app.py"]}},
        {"text": "again", "tool_calls": [{"name": "write_file", "arguments": {"path": "app.py", "content": "BAD\n"}}],
         "expect": {"results_contain": ["the developer edited your call", "echo edited > ran.txt"]}},
        {"text": "Done.", "expect": {"results_contain": ["rejected this call; it was not run. Reason: keep it at 2"]}},
    ]}
    return make_project(tmp_path, files, tier3, [ticket("T1", "app.py")])


def test_step_mode_approve_edit_and_reject(tmp_path):
    track_id = step_script(tmp_path)
    answers = iter([APPROVE, Decision(action="edit", arguments={"command": "echo edited > ran.txt"}),
                    Decision(action="reject", reason="keep it at 2")])
    engine = engine_for(tmp_path, track_id)
    result, asked = run_with(engine, lambda pending: next(answers))
    assert result.completed == ["T1"]
    assert (tmp_path / "app.py").read_text() == "VALUE = 2\n"  # the rejected write never ran
    assert (tmp_path / "ran.txt").read_text() == "edited\n"  # the edited command ran as edited
    assert asked[2].diff == "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-VALUE = 2\n+BAD\n"
    decisions = [e for e in engine.store.ledger(track_id).read() if e["event"] == "decision"]
    assert [(d["action"], d["reason"]) for d in decisions] == [("approve", ""), ("edit", ""),
                                                              ("reject", "keep it at 2")]
    assert decisions[1]["edited_arguments"] == {"command": "echo edited > ran.txt"}


def test_invalid_edits_are_refused_and_the_call_stays_pending(tmp_path):
    track_id = step_script(tmp_path)
    engine = engine_for(tmp_path, track_id)
    answers = iter([Decision(action="edit", arguments={"path": "app.py"}), APPROVE,
                    Decision(action="edit", arguments={"command": "echo edited > ran.txt"}),
                    Decision(action="reject", reason="keep it at 2")])
    result, asked = run_with(engine, lambda pending: next(answers))
    assert result.completed == ["T1"]
    assert asked[0].id == asked[1].id and asked[0].call == asked[1].call
    refused = [e for e in engine.store.ledger(track_id).read() if e["event"] == "edit_refused"]
    assert refused[0]["error"] == "invalid arguments for write_file: content: Field required"
    with pytest.raises(ToolArgumentError, match="invalid JSON at line 1, column 2"):
        engine.approvals.preview_edit(asked[0], "{bad")
    edited = engine.approvals.preview_edit(asked[0], '{"path": "app.py", "content": "VALUE = 3\\n"}')
    assert edited.id == asked[0].id
    assert edited.diff == "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-VALUE = 2\n+VALUE = 3\n"


@pytest.mark.parametrize("tool", ["write_file", "edit_file", "run_shell"])
def test_every_mutating_tool_passes_the_gate(tmp_path, tool):
    arguments = {"write_file": {"path": "a.py", "content": "changed\n"},
                 "edit_file": {"path": "a.py", "old_text": "original", "new_text": "changed"},
                 "run_shell": {"command": "echo changed > a.py"}}[tool]
    track_id = make_project(tmp_path, {"a.py": "original\n"}, {"T1": [
        {"tool_calls": [{"name": tool, "arguments": arguments}]},
        {"text": "ok", "expect": {"results_contain": ["rejected this call"]}}]}, [ticket("T1", "a.py")])
    engine = engine_for(tmp_path, track_id)
    result, asked = run_with(engine, lambda pending: Decision(action="reject", reason="no"))
    assert result.completed == ["T1"]
    assert [p.call.name for p in asked] == [tool]
    assert (tmp_path / "a.py").read_text() == "original\n"


def test_path_escapes_are_refused(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    project = tmp_path / "project"
    (project / "tracks").mkdir(parents=True)
    calls = [("read_file", {"path": "../outside.txt"}), ("read_file", {"path": str(outside)}),
             ("write_file", {"path": "../outside.txt", "content": "x"}), ("write_file", {"path": "link/x.txt",
                                                                                         "content": "x"}),
             ("edit_file", {"path": "/etc/hostname", "old_text": "a", "new_text": "b"}),
             ("write_file", {"path": "tracks/track/track.json", "content": "{}"}),
             ("read_file", {"path": "credentials.toml"}), ("list_directory", {"path": ".."})]
    tier3 = {"T1": [{"tool_calls": [{"name": n, "arguments": a} for n, a in calls]}, {"text": "done"}]}
    track_id = make_project(project, {"a.py": "x = 1\n", "credentials.toml": 'anthropic_api_key = "k-123456789"\n'},
                            tier3, [ticket("T1", "a.py")])
    (project / "link").symlink_to(tmp_path)
    engine = engine_for(project, track_id, gate=AutoGate(), auto=True)
    assert engine.run().completed == ["T1"]
    results = history_results(engine.store, track_id, "T1")
    assert all(r.is_error for r in results), [r.content for r in results]
    assert [r.content.split(":")[0] for r in results] == ["error"] * len(calls)
    assert "outside the project root" in results[0].content
    assert "may not write" in results[5].content
    assert "a secret file" in results[6].content
    assert outside.read_text() == "secret\n"
    assert not (tmp_path / "x.txt").exists()
    assert "k-123456789" not in json.dumps([r.content for r in results])


def test_bad_model_output_comes_back_as_errors_and_the_loop_goes_on(tmp_path):
    tier3 = {"T1": [{"tool_calls": [{"name": "unknown_tool", "arguments": {}, "unoffered": True},
                                    {"name": "read_file", "arguments": {"nope": 1}},
                                    {"name": "read_file", "arguments": {"path": "missing.py"}},
                                    {"name": "edit_file", "arguments": {"path": "a.py", "old_text": "zzz",
                                                                        "new_text": "y"}},
                                    {"name": "edit_file", "arguments": {"path": "a.py", "old_text": "x",
                                                                        "new_text": "y"}},
                                    {"name": "get_definition", "arguments": {"path": "a.py", "symbol": "nope"}}]},
                    {"text": "done"}]}
    track_id = make_project(tmp_path, {"a.py": "x = 1\nx = 2\n"}, tier3, [ticket("T1", "a.py")])
    engine = engine_for(tmp_path, track_id, auto=True, gate=AutoGate())
    assert engine.run().completed == ["T1"]
    contents = [r.content for r in history_results(engine.store, track_id, "T1")]
    assert contents == [
        "error: unknown tool 'unknown_tool'; available: read_file, list_directory, search_files, get_skeleton, "
        "get_curated_view, get_definition, write_file, edit_file, run_shell",
        "error: invalid arguments for read_file: path: Field required; nope: Extra inputs are not permitted",
        "error: missing.py: no such file",
        "error: a.py: old_text not found. Read the file again and copy the text exactly",
        "error: a.py: old_text is ambiguous (2 matches); include more surrounding lines",
        "error: no symbol 'nope' in this file",
    ]


def test_a_3000_line_failure_reaches_the_worker_in_under_1000_characters(tmp_path):
    script = textwrap.dedent("""\
        def crunch(rows):
            for row in rows:
                print("processing row", row, "x" * 60)
            raise RuntimeError("row 2999 has no checksum")

        crunch(range(3000))
        """)
    tier3 = {"T1": [{"tool_calls": [{"name": "run_shell", "arguments": {"command": "python3 big.py"}}]},
                    {"text": "done", "expect": {"max_result_chars": 999}}]}
    track_id = make_project(tmp_path, {"big.py": script}, tier3, [ticket("T1", "big.py")])
    engine = engine_for(tmp_path, track_id, auto=True, gate=AutoGate())
    assert engine.run().completed == ["T1"]
    [result] = history_results(engine.store, track_id, "T1")
    assert len(result.content) < 1000
    assert "RuntimeError: row 2999 has no checksum" in result.content
    assert "at big.py:4 in crunch" in result.content
    output_id = result.content.rsplit("full output: ", 1)[1].split()[0]
    assert len(engine.store.load_output(track_id, output_id).splitlines()) > 3000


def test_limits_block_the_ticket_with_the_reason_and_cascade(tmp_path):
    loop = [{"tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}}]}] * 5
    track_id = make_project(tmp_path, {"a.py": "x = 1\n"}, {"T1": loop},
                            [ticket("T1", "a.py"), ticket("T2", "a.py", "T1")], extra_toml="[limits]\nmax_steps = 3\n")
    engine = engine_for(tmp_path, track_id, gate=AutoGate())
    result = engine.run()
    assert (result.completed, result.blocked) == ([], ["T1"])
    track = engine.store.load(track_id)
    assert track.ticket("T1").block_reason == "step limit reached (3 model calls)"
    assert (track.ticket("T2").status, track.ticket("T2").blocked_by) == (TicketStatus.BLOCKED, ["T1"])


def test_one_answer_with_thousands_of_calls_runs_only_as_many_as_the_limit(tmp_path):
    flood = [{"tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}}] * 3000}]
    track_id = make_project(tmp_path, {"a.py": "x = 1\n"}, {"T1": flood}, [ticket("T1", "a.py")],
                            extra_toml="[limits]\nmax_steps = 5\n")
    engine = engine_for(tmp_path, track_id, gate=AutoGate())
    assert engine.run().blocked == ["T1"]
    assert engine.store.load(track_id).ticket("T1").block_reason == (
        "tool-call limit reached (5 calls; [limits] max_steps)")
    ran = [e for e in engine.store.ledger(track_id).read() if e["event"] == "tool_result"]
    assert len(ran) == 5


def test_a_key_in_the_models_own_text_never_reaches_the_disk(tmp_path):
    from conductor.providers.base import register_secret

    key = "sk-ant-test-leaked-0123456789"
    register_secret(key)
    turns = [{"text": f"I found the key {key} in the file.", "tool_calls": [
                 {"name": "read_file", "arguments": {"path": "a.py"}}]},
             {"text": f"Done; the key was {key}."}]
    track_id = make_project(tmp_path, {"a.py": "x = 1\n"}, {"T1": turns}, [ticket("T1", "a.py")])
    engine = engine_for(tmp_path, track_id, gate=AutoGate())
    assert engine.run().completed == ["T1"]
    written = [path for path in (tmp_path / "tracks").rglob("*") if path.is_file() and "checkpoints" not in path.parts]
    assert written and not [path for path in written if key in path.read_text(errors="replace")]
    assert "[REDACTED]" in engine.store.load(track_id).ticket("T1").summary


def test_undo_puts_back_what_a_ticket_wrote(demo):
    engine = engine_for(demo, DEMO_TRACK, gate=AutoGate(), auto=True)
    original = (demo / "calc" / "stats.py").read_text()
    engine.run()
    assert engine.store.undo_ticket(DEMO_TRACK, "T1", demo) == ["calc/stats.py"]
    assert (demo / "calc" / "stats.py").read_text() == original
    assert engine.store.undo_ticket(DEMO_TRACK, "T2", demo) == ["calc/report.py"]
    with pytest.raises(Exception, match="no file changes to undo"):
        engine.store.undo_ticket(DEMO_TRACK, "T1", demo)


ENGINE_PROCESS = """
import sys
from conductor.config import load_project_config
from conductor.engine import ConductorEngine
from conductor.gate import QueueGate
config = load_project_config(sys.argv[1])
ConductorEngine(config, sys.argv[2], QueueGate()).run()   # nobody answers: waits for ever
"""


def test_a_process_killed_while_a_call_awaits_approval_resumes_with_that_call_pending(demo):
    process = subprocess.Popen([sys.executable, "-c", ENGINE_PROCESS, str(demo), DEMO_TRACK])
    store = TrackStore(demo / "tracks")
    pending_file = store.folder(DEMO_TRACK) / "pending.json"
    wait_until(pending_file.exists, "the engine process to persist its pending call")
    before = json.loads(pending_file.read_text())
    worker = json.loads(store.worker_state_path(DEMO_TRACK, "T1").read_text())
    assert (worker["ticket_id"], worker["provider"], worker["config"]["trust"]) == ("T1", "scripted", "step")
    assert worker["pending_calls"][0]["id"] == before["call"]["id"]
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert store.load(DEMO_TRACK).ticket("T1").status == TicketStatus.STEP_PAUSED
    assert (demo / "calc" / "stats.py").read_text().count("median") == 0

    engine = engine_for(demo, DEMO_TRACK)
    result, asked = run_with(engine)
    assert (asked[0].id, asked[0].call.name, asked[0].call.id) == (before["id"], "edit_file", before["call"]["id"])
    assert result.completed == ["T1", "T2"]
    assert (demo / "calc" / "stats.py").read_text() == STATS_AFTER
    started = [e for e in store.ledger(DEMO_TRACK).read() if e["event"] == "ticket_started"]
    assert [(e["ticket"], e["resumed"]) for e in started] == [("T1", False), ("T1", True), ("T2", False)]


def test_stop_while_waiting_keeps_the_call_pending_for_the_next_run(demo):
    gate = QueueGate()
    engine = engine_for(demo, DEMO_TRACK, gate=gate)
    import threading

    runner = threading.Thread(target=lambda: setattr(engine, "result", engine.run()))
    runner.start()
    wait_until(lambda: gate.pending is not None, "the first call to await approval")
    first = gate.pending
    engine.stop()
    runner.join()
    assert engine.result.paused_on == "T1"
    again = engine_for(demo, DEMO_TRACK)
    result, asked = run_with(again)
    assert asked[0].id == first.id
    assert result.completed == ["T1", "T2"]


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ("[limits]\nmax_tokens = 100\n", "token limit reached (110 of 100)"),
        ('[limits]\nmax_cost_usd = 0.5\n[prices.pricey]\ninput_per_mtok = 10000\noutput_per_mtok = 0\n',
         "cost limit reached ($0.8000 of $0.5)"),
    ],
)
def test_token_and_cost_limits(tmp_path, extra, reason):
    turn = {"tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}}],
            "usage": {"input_tokens": 80, "output_tokens": 30}}
    track_id = make_project(tmp_path, {"a.py": "x = 1\n"}, {"T1": [turn, turn, turn]}, [ticket("T1", "a.py")],
                            extra_toml=extra)
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), **{"tier3.model": "pricey"})
    assert engine.run().blocked == ["T1"]
    assert engine.store.load(track_id).ticket("T1").block_reason == reason
