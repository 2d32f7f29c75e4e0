"""The promise under hostile model output, broken providers, odd files and crashes: nothing runs, changes or
leaks without the human knowing. Every test goes through the engine with the scripted provider (or the real SDK
against the local fake server) on a real temporary repository."""

from __future__ import annotations

import json
import os
import threading

from conductor.events import EVENTS
from conductor.gate import AutoGate, Decision, QueueGate
from conductor.messages import Message, ToolCall
from conductor.models import TicketStatus
from conductor.worker import WorkerState
from tests.conductor.engine_helpers import (
    engine_for,
    history_results,
    make_project,
    run_with,
    ticket,
    trust_project,
    wait_until,
)
from tests.fakes.http_api import anthropic_text

KEY = "sk-ant-test-key-0123456789abcdef"


def calls(*pairs):
    return {"tool_calls": [{"name": name, "arguments": arguments} for name, arguments in pairs]}


def test_a_tampered_pending_file_never_shows_one_call_while_another_runs(tmp_path):
    tier3 = {"T1": [calls(("run_shell", {"command": "echo safe > out.txt"})), {"text": "done"}]}
    track_id = make_project(tmp_path, {"a.py": "x = 1\n"}, tier3, [ticket("T1", "a.py")])
    gate = QueueGate()
    engine = engine_for(tmp_path, track_id, gate=gate)
    runner = threading.Thread(target=engine.run)
    runner.start()
    wait_until(lambda: gate.pending is not None, "the call to await approval")
    engine.stop()
    runner.join(10)
    pending_file = engine.approvals.pending_path
    pending = json.loads(pending_file.read_text())
    # an attacker (or a careless hand) rewrites the call the human will see
    pending["call"]["arguments"]["command"] = "echo harmless"
    pending_file.write_text(json.dumps(pending))
    resumed = engine_for(tmp_path, track_id)
    result, shown = run_with(resumed)
    assert result.completed == ["T1"]
    assert [p.call.arguments["command"] for p in shown] == ["echo safe > out.txt"]  # what runs is what is shown
    assert (tmp_path / "out.txt").read_text() == "safe\n"
    refused = [e for e in resumed.store.ledger(track_id).read() if e["event"] == "pending_refused"]
    assert len(refused) == 1 and "differs from the call" in refused[0]["reason"]
    assert list(pending_file.parent.glob("pending.json.refused-*"))


def test_malformed_model_output_comes_back_as_error_results_and_the_run_goes_on(tmp_path):
    deep: object = "x"
    for _ in range(300):
        deep = {"a": deep}
    tier3 = {"T1": [
        {"text": "lone \ud800 surrogate", **calls(
            ("read_file", {"path": "a\0.py"}),
            ("read_file", {"path": "a\udc80.py"}),
            ("run_shell", {"command": "echo \0 hi"}),
            ("search_files", {"pattern": "a{4294967296}"}),
            ("search_files", {"pattern": "(a+)+$", "path": "big.txt"}),
            ("write_file", {"path": "a.py", "content": deep}))},
        {"text": "done"}]}
    track_id = make_project(tmp_path, {"a.py": "x = 1\n", "big.txt": ("a" * 40 + "!\n") * 20},
                            tier3, [ticket("T1", "a.py")])
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    assert engine.run().completed == ["T1"]
    results = history_results(engine.store, track_id, "T1")
    contents = [r.content for r in results]
    assert all(r.is_error for r in results[:4]), contents
    assert "NUL byte" in contents[0] and "NUL byte" in contents[2]
    assert contents[1] == "error: a\ufffd.py: no such file"  # the lone surrogate was replaced, not stored
    assert contents[3].startswith("error: invalid pattern")
    assert contents[4] == "no matches" or "search stopped after" in contents[4]
    assert contents[5] == "error: your arguments were refused: arguments nested more than 32 levels deep"
    assert (tmp_path / "a.py").read_text() == "x = 1\n"
    history = engine.store.load_history(engine.store.histories(track_id, "T1")[0])
    assert history[1].text == "lone \ufffd surrogate"


def test_a_cut_off_answer_is_continued_and_a_refusal_blocks_the_ticket(tmp_path):
    tier3 = {"T1": [{"text": "I will", "stop_reason": "max_tokens"},
                    {"text": "", "expect": {"results_contain": ["cut off at the output limit"]}},
                    {"text": "done after continuing", "expect": {"results_contain": ["Your answer was empty"]}}],
             "T2": [{"text": "I can't help with that.", "stop_reason": "refusal"}],
             "T3": [{"text": "x", "stop_reason": "max_tokens"}] * 3}
    track_id = make_project(tmp_path, {"a.py": "x = 1\n"}, tier3,
                            [ticket("T1", "a.py"), ticket("T2", "a.py"), ticket("T3", "a.py"),
                             ticket("T4", "a.py", "T2")])
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    result = engine.run()
    assert (result.completed, result.blocked) == (["T1"], ["T2", "T3"])
    track = engine.store.load(track_id)
    assert track.ticket("T1").summary == "done after continuing"
    assert track.ticket("T2").block_reason == ("the model stopped without finishing (stop reason: refusal): "
                                               "I can't help with that.")
    assert track.ticket("T3").block_reason == "the model's answer ended with stop reason max_tokens 3 times in a row"
    assert track.ticket("T4").status == TicketStatus.BLOCKED  # dependents of a refused ticket do not unlock


def test_a_process_killed_just_after_the_final_answer_completes_without_asking_again(tmp_path):
    tier3 = {"T1": [{"text": "all done"}]}
    track_id = make_project(tmp_path, {"a.py": "x = 1\n"}, tier3, [ticket("T1", "a.py")])
    engine = engine_for(tmp_path, track_id)
    track = engine.store.load(track_id)
    track.ticket("T1").transition(TicketStatus.IN_PROGRESS)
    engine.store.save(track)
    # the snapshot as the worker saved it right after the final answer, before the ticket was completed
    state = WorkerState(ticket_id="T1", provider="scripted", model="scripted", system="s", steps=1,
                        messages=[Message(role="user", text="go"), Message(role="assistant", text="all done")])
    engine.store.worker_state_path(track_id, "T1").parent.mkdir(parents=True)
    engine.store.worker_state_path(track_id, "T1").write_text(state.model_dump_json())
    result = engine.run()
    assert result.completed == ["T1"]
    assert engine.store.load(track_id).ticket("T1").summary == "all done"
    assert not [e for e in engine.store.ledger(track_id).read() if e["event"] == "model_call"]


def anthropic_project(tmp_path, fake_api, statuses=None):
    tier3 = {"T1": []}
    track_id = make_project(tmp_path, {"a.py": "x = 1\n"}, tier3, [ticket("T1", "a.py"), ticket("T2", "a.py", "T1")],
                            extra_toml=f'[providers]\nanthropic_base_url = "{fake_api.url}"\nmax_retries = 0\n')
    text = (tmp_path / "project.toml").read_text().replace('[tier3]\nprovider = "scripted"\nscript = "script.json"',
                                                          '[tier3]\nprovider = "anthropic"\nmodel = "claude-test"')
    (tmp_path / "project.toml").write_text(text)
    trust_project(tmp_path)
    return track_id


def test_provider_trouble_pauses_the_run_and_the_ticket_resumes(tmp_path, fake_api, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    track_id = anthropic_project(tmp_path, fake_api)
    fake_api.reply({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, status=529)
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    result = engine.run()
    assert (result.completed, result.blocked, result.paused_on) == ([], [], "T1")
    assert "Overloaded" in result.problem
    track = engine.store.load(track_id)
    assert [t.status for t in track.tickets] == ["pending", "locked"]  # nothing blocked, nothing cascaded
    fake_api.reply(anthropic_text("finished"))
    fake_api.reply({"type": "error", "error": {"type": "invalid_request_error", "message": "prompt is too long"}},
                   status=400)
    again = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    result = again.run()
    assert (result.completed, result.blocked) == (["T1"], ["T2"])  # a 400 is the ticket's own problem
    assert "prompt is too long" in again.store.load(track_id).ticket("T2").block_reason


def test_events_in_the_ledger_parse_back_into_their_types(tmp_path):
    tier3 = {"T1": [calls(("read_file", {"path": "a.py"})), {"text": "done"}]}
    track_id = make_project(tmp_path, {"a.py": "x = 1\n"}, tier3, [ticket("T1", "a.py")])
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    engine.run()
    kinds = [type(EVENTS.validate_python(line)).__name__ for line in engine.store.ledger(track_id).read()]
    assert kinds == ["RunStarted", "ContextBuilt", "TicketStarted", "ModelCalled", "DecisionMade", "ToolFinished",
                     "ModelCalled", "TicketCompleted", "RunFinished"]


def test_configured_keys_are_redacted_from_what_tools_return(tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    tier3 = {"T1": [calls(("read_file", {"path": "notes.md"}), ("run_shell", {"command": "cat notes.md"})),
                    {"text": "done"}]}
    track_id = make_project(tmp_path, {"a.py": "x = 1\n", "notes.md": f"the key is {KEY}\n"}, tier3,
                            [ticket("T1", "a.py")])
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    assert engine.run().completed == ["T1"]
    everything = b"".join(p.read_bytes() for p in engine.store.folder(track_id).rglob("*") if p.is_file())
    assert KEY.encode() not in everything
    assert "the key is [REDACTED]" in history_results(engine.store, track_id, "T1")[0].content


def test_approving_with_a_rule_does_not_widen_the_allow_list(tmp_path):
    tier3 = {"T1": [calls(("run_shell", {"command": "pytest --basetemp=tracks"}),
                          ("run_shell", {"command": "true"})), {"text": "done"}]}
    track_id = make_project(tmp_path, {"a.py": "x = 1\n"}, tier3, [ticket("T1", "a.py")],
                            extra_toml='allow = ["pytest", "true"]\n')
    engine = engine_for(tmp_path, track_id)
    result, asked = run_with(engine, lambda pending: Decision(action="reject", reason="no"))
    assert result.completed == ["T1"]
    assert [p.call.arguments["command"] for p in asked] == ["pytest --basetemp=tracks"]  # `true` ran by its rule
    assert (tmp_path / "tracks" / track_id / "track.json").exists()


def test_a_call_to_a_secret_through_a_symlink_or_hard_link_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shadow").write_text("root:secret-hash\n")
    project = tmp_path / "project"
    pattern = "root:s[e]cret|anthropic_api_k[e]y|tok[e]n = "  # (brackets: the script holding it does not match)
    tier3 = {"T1": [calls(("search_files", {"pattern": pattern}), ("read_file", {"path": "docs/notes.md"}),
                          ("read_file", {"path": "linked.txt"}), ("list_directory", {"path": "."}),
                          ("read_file", {"path": ".git/config"}), ("read_file", {"path": "sub/.git/config"})),
                    {"text": "done"}]}
    files = {"a.py": "x = 1\n", "credentials.toml": f'anthropic_api_key = "{KEY}"\n', "docs/readme.md": "no\n",
             ".git/config": "[remote]\ntoken = secret-token\n", "sub/.git/config": "token = secret-token\n"}
    track_id = make_project(project, files, tier3, [ticket("T1", "a.py")])
    (project / "docs" / "notes.md").symlink_to("../credentials.toml")
    (project / "docs" / "shadow.txt").symlink_to(outside / "shadow")
    os.link(project / "credentials.toml", project / "linked.txt")
    engine = engine_for(project, track_id, gate=AutoGate(), auto=True)
    assert engine.run().completed == ["T1"]
    search, notes, linked, listing, git, nested_git = [r.content for r in history_results(engine.store, track_id,
                                                                                            "T1")]
    assert search == "no matches"
    assert "a secret file" in notes and "a secret file" in linked
    assert "credentials.toml" not in listing and "notes.md" not in listing and "linked.txt" not in listing
    assert "inside a .git folder" in git and "inside a .git folder" in nested_git
    everything = json.dumps([r.content for r in history_results(engine.store, track_id, "T1")])
    assert KEY not in everything and "secret-hash" not in everything and "secret-token" not in everything


def test_a_secret_target_is_never_put_in_the_brief(tmp_path):
    tier3 = {"T1": [{"text": "done", "expect": {"results_not_contain": [KEY]}}]}
    track_id = make_project(tmp_path, {"a.py": "import cfg\n", "cfg.env": f"KEY={KEY}\n",
                                       "credentials.toml": f'anthropic_api_key = "{KEY}"\n'},
                            tier3, [ticket("T1", "credentials.toml", prompt="look at cfg.env and a.py")])
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    assert engine.run().completed == ["T1"]
    first = engine.store.load_history(engine.store.histories(track_id, "T1")[0])[0].text
    assert KEY not in first and "the target cannot be opened" in first


def test_the_demo_call_that_runs_after_an_edit_is_the_edited_one(tmp_path):
    tier3 = {"T1": [calls(("run_shell", {"command": "echo original > out.txt"})), {"text": "done"}]}
    track_id = make_project(tmp_path, {"a.py": "x = 1\n"}, tier3, [ticket("T1", "a.py")])
    engine = engine_for(tmp_path, track_id)
    run_with(engine, lambda pending: Decision(action="edit", arguments={"command": "echo edited > out.txt"}))
    assert (tmp_path / "out.txt").read_text() == "edited\n"
    call = ToolCall(id="x", name="run_shell", arguments={"command": "echo original > out.txt"})
    assert call.arguments["command"] != "echo edited > out.txt"
