"""Tier 2 planning: proposals validated like any track, sent back until right, nothing created until accepted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conductor.cli import main
from conductor.config import load_project_config
from conductor.demo import DEMO_TRACK, prepare_demo
from conductor.planner import PlanSession
from conductor.proposals import Proposal
from conductor.providers.scripted import ScriptedModel
from conductor.store import TrackStore
from conductor.tickets import TicketService
from tests.conductor.engine_helpers import trust_project
from tests.fakes.http_api import anthropic_message, gemini_response

CYCLE = {"title": "Add mode", "description": "mode()", "tickets": [
    {"id": "A", "title": "stats", "target_file": "calc/stats.py", "prompt": "add mode()", "depends_on": ["B"]},
    {"id": "B", "title": "report", "target_file": "calc/report.py", "prompt": "show it", "depends_on": ["A"]}]}
FIXED = {**CYCLE, "tickets": [{**CYCLE["tickets"][0], "depends_on": []}, CYCLE["tickets"][1]]}


@pytest.fixture
def demo(tmp_path):
    return prepare_demo(tmp_path / "demo")


def problems_of(demo, tickets, **extra):
    config = load_project_config(demo, environ={})
    proposal = Proposal.model_validate({"title": "t", "tickets": tickets, **extra})
    return TicketService(config).proposal_problems(proposal)


def ticket(id_, target="calc/stats.py", **fields):
    return {"id": id_, "title": f"ticket {id_}", "target_file": target, "prompt": "do it", **fields}


def test_proposals_are_validated_like_any_track(demo):
    (demo / "credentials.toml").write_text("x = 1\n")
    assert problems_of(demo, [ticket("A"), ticket("B", depends_on=["A"])]) == []
    assert problems_of(demo, [ticket("A", depends_on=["B"]), ticket("B", depends_on=["A"])]) == [
        "dependency cycle: A -> B -> A"]
    assert problems_of(demo, [
        ticket("A", depends_on=["Z", "A"]), ticket("A"), ticket("bad id!"),
        ticket("C", target="../x.py"), ticket("D", target="credentials.toml"), ticket("E", target="tracks/x.py"),
        ticket("F", target=".git/config"), ticket("G", target="calc/new.py"), ticket("H", prompt=" "),
        ticket("I", target="calc/new.py", new_file=True), ticket("J", archetype="nope"), ticket("K", target="calc"),
    ]) == [
        "ticket id 'A' is used more than once",
        "ticket A depends on unknown ticket 'Z'",
        "ticket A depends on itself",
        "ticket bad id!: the id must be letters, digits, '.', '_' or '-' (at most 40)",
        f"ticket C: target ../x.py: outside the project root {demo.resolve()}",
        "ticket D: target credentials.toml: a secret file (credentials, keys, .env); the worker may not open it",
        "ticket E: target tracks/x.py: inside tracks/, which the worker may not write",
        "ticket F: target .git/config: inside a .git folder, which the worker may not open",
        "ticket G: target calc/new.py: no such file in the project (mark it a new file if the ticket creates it: "
        "--new-file, the 'new file' box, new_file)",
        "ticket H: the prompt is empty",
        "ticket J: unknown archetype 'nope'; known: default (define more under [archetypes.NAME] in project.toml)",
        "ticket K: target calc: a folder",
    ]


def session_with(demo, turns):
    config = load_project_config(demo, environ={})
    script = {"tier2": turns}
    (demo / "plan.json").write_text(json.dumps(script))
    model = ScriptedModel(demo / "plan.json", tier="tier2")
    return PlanSession(config, TrackStore(config.tracks_path), model), model


def test_a_plain_text_answer_is_asked_again_and_refused_proposals_go_back_with_their_problems(demo):
    session, model = session_with(demo, [
        {"text": "I think you should add mode()."},
        {"tool_calls": [{"name": "propose_track", "arguments": CYCLE}],
         "expect": {"results_contain": ["Answer with a tool call"]}},
        {"tool_calls": [{"name": "propose_track", "arguments": FIXED}],
         "expect": {"results_contain": ["dependency cycle: A -> B -> A"]}}])
    result = session.start("Add mode()")
    assert (result.problems, result.attempts, [t.id for t in result.proposal.tickets]) == ([], 2, ["A", "B"])
    assert all(request["require_tool"] for request in model.requests)
    assert "propose_track" in model.requests[0]["tools"] and "write_file" not in model.requests[0]["tools"]
    assert "# Repository map" in model.requests[0]["messages"][0].text
    assert TrackStore(demo / "tracks").ids() == [DEMO_TRACK]  # nothing created before acceptance
    track = session.accept(result.proposal)
    assert [(t.id, t.status) for t in track.tickets] == [("A", "pending"), ("B", "locked")]
    events = [e["event"] for e in TrackStore(demo / "tracks").ledger(track.id).read()]
    assert events == ["track_created", "plan_accepted"]
    plans = [json.loads(line) for line in (demo / "tracks" / "plans.jsonl").read_text().splitlines()]
    assert [e["event"] for e in plans] == ["model_call"] * 3 + ["plan_proposed", "plan_accepted"]
    assert plans[0]["tier"] == "tier2" and session.accountant.tiers["tier2"].calls == 3


def test_the_planner_is_a_worker_with_read_tools_and_propose_track(demo):
    session, _ = session_with(demo, [
        {"tool_calls": [{"name": "get_skeleton", "arguments": {"path": "calc/stats.py"}},
                        {"name": "propose_track", "arguments": {"title": "no tickets"}}]},
        {"tool_calls": [{"name": "propose_track", "arguments": FIXED},
                        {"name": "read_file", "arguments": {"path": "calc/stats.py"}}],
         "expect": {"results_contain": ["def mean(", "invalid arguments for propose_track: tickets: Field required"]}}])
    result = session.start("Add mode()")
    assert (result.problems, result.attempts, result.proposal.title) == ([], 1, "Add mode")
    answered = [(r.name, r.content) for r in result.messages[-1].tool_results]
    assert answered == [("propose_track", "accepted for review"),
                        ("read_file", "not run: the previous call ended the run")]


def test_after_the_attempts_the_person_sees_the_proposal_with_its_problems(demo):
    session, _ = session_with(demo, [{"tool_calls": [{"name": "propose_track", "arguments": CYCLE}]}] * 4)
    result = session.start("Add mode()")
    assert result.problems == ["dependency cycle: A -> B -> A"] and result.attempts == 4
    with pytest.raises(Exception, match="cannot be accepted: dependency cycle"):
        session.accept(result.proposal)


def conductor(*argv, stdin="", env=None):
    return subprocess.run([sys.executable, "-m", "conductor.cli", *argv], input=stdin, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)


def test_plan_at_the_terminal_json_yes_edit_revise_reject(demo, tmp_path):
    plan = ["plan", "Add mode() and show it", "--project", str(demo)]
    as_json = conductor(*plan, "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["problems"] == [] and TrackStore(demo / "tracks").ids() == [DEMO_TRACK]
    accepted = conductor(*plan, "--yes", "--title", "Mode")
    assert accepted.returncode == 0, accepted.stderr
    track_id = accepted.stdout.splitlines()[-1]
    assert track_id.startswith("mode-") and TrackStore(demo / "tracks").load(track_id).title == "Mode"
    # edit: an "editor" that drops the test ticket, then accept
    editor = tmp_path / "editor.py"
    editor.write_text("import json, sys\np = json.load(open(sys.argv[1]))\np['tickets'] = p['tickets'][:2]\n"
                      "json.dump(p, open(sys.argv[1], 'w'))\n")
    edited = conductor(*plan, stdin="e\na\n", env={"EDITOR": f"{sys.executable} {editor}"})
    assert edited.returncode == 0, edited.stderr
    new = TrackStore(demo / "tracks").load(edited.stdout.splitlines()[-1])
    assert [t.id for t in new.tickets] == ["M1", "M2"]
    assert TrackStore(demo / "tracks").ledger(new.id).read()[-1]["edited"] is True
    rejected = conductor(*plan, stdin="r\nnot now\n")
    assert rejected.returncode == 1 and "rejected: no track was created" in rejected.stderr
    plans = [json.loads(line)["event"] for line in (demo / "tracks" / "plans.jsonl").read_text().splitlines()]
    assert plans.count("plan_rejected") == 1 and plans.count("plan_accepted") == 2


def test_without_a_planner_configured_the_plan_says_how(tmp_path):
    result = conductor("plan", "goal", "--project", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("conductor: no Tier 2 provider configured: pass --provider P (and --model M), "
                                    "set [tier2] provider in project.toml, or set CONDUCTOR_TIER2_PROVIDER")


def test_revising_a_running_track_touches_only_tickets_not_started(demo, capsys):
    from conductor.tickets import TicketService

    config = load_project_config(demo, environ={})
    TicketService(config).complete(DEMO_TRACK, "T1", "median added")
    session, model = session_with(demo, [{"tool_calls": [{"name": "propose_track", "arguments": {
        "title": "x", "tickets": [{"id": "T3", "title": "describe with median", "target_file": "calc/report.py",
                                   "prompt": "add describe()", "depends_on": ["T1"]},
                                  {"id": "T1", "title": "reuse", "target_file": "calc/stats.py", "prompt": "p"}]}}]},
        {"tool_calls": [{"name": "propose_track", "arguments": {"title": "x", "tickets": [
            {"id": "T3", "title": "describe with median", "target_file": "calc/report.py", "prompt": "add describe()",
             "depends_on": ["T1"]}]}}], "expect": {"results_contain": ["'T1' belongs to a ticket that has already"]}}])
    result = session.start_revision(DEMO_TRACK, "T2 is too big")
    assert "T1 [completed]" in model.requests[0]["messages"][0].text and "T2 is too big" in model.requests[0][
        "messages"][0].text
    diff = session.revision_diff(result.proposal)
    assert "-  T2  Add describe() to calc/report.py" in diff and "+  T3  describe with median" in diff
    track = session.accept(result.proposal)
    assert [(t.id, t.status) for t in track.tickets] == [("T1", "completed"), ("T3", "pending")]
    assert track.ticket("T1").summary == "median added"


def test_a_plan_round_trip_through_the_anthropic_sdk(demo, fake_api, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0123456789")
    (demo / "project.toml").write_text(f'[tier2]\nprovider = "anthropic"\nmodel = "claude-test"\n'
                                       f'[providers]\nanthropic_base_url = "{fake_api.url}"\nmax_retries = 0\n')
    trust_project(demo)
    fake_api.reply(anthropic_message({"type": "tool_use", "id": "tu1", "name": "propose_track", "input": CYCLE},
                                     stop_reason="tool_use"))
    fake_api.reply(anthropic_message({"type": "tool_use", "id": "tu2", "name": "propose_track", "input": FIXED},
                                     stop_reason="tool_use"))
    assert main(["plan", "Add mode()", "--yes", "--project", str(demo)]) == 0
    first, second = (r.body for r in fake_api.received)
    assert first["tool_choice"] == {"type": "any"}
    assert next(t for t in first["tools"] if t["name"] == "propose_track")["input_schema"]["required"] == [
        "title", "tickets"]
    sent_back = second["messages"][-1]["content"][0]
    assert sent_back["tool_use_id"] == "tu1" and sent_back["is_error"] and "dependency cycle: A -> B -> A" in \
        sent_back["content"]
    assert len(TrackStore(demo / "tracks").ids()) == 2


def test_a_plan_round_trip_through_the_gemini_sdk(demo, fake_api, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-test-0123456789")
    (demo / "project.toml").write_text(f'[tier2]\nprovider = "gemini"\nmodel = "gemini-test"\n'
                                       f'[providers]\ngemini_base_url = "{fake_api.url}"\nmax_retries = 0\n')
    trust_project(demo)
    fake_api.reply(gemini_response({"functionCall": {"name": "propose_track", "args": CYCLE}}))
    fake_api.reply(gemini_response({"functionCall": {"name": "propose_track", "args": FIXED}}))
    assert main(["plan", "Add mode()", "--yes", "--project", str(demo)]) == 0
    first, second = (r.body for r in fake_api.received)
    assert first["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    response = second["contents"][-1]["parts"][0]["functionResponse"]
    assert response["name"] == "propose_track" and "dependency cycle: A -> B -> A" in response["response"]["error"]
    assert len(TrackStore(demo / "tracks").ids()) == 2


def test_the_demo_plans_offline(tmp_path):
    result = conductor("plan", "--demo", "--yes", env={"TMPDIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "proposal 1 refused: 1 problems" in result.stderr
    steps = [line for line in result.stderr.splitlines() if line.startswith("planner step")]
    assert steps[0] == "planner step 1: get_skeleton" and steps[-1].endswith(": propose_track"), steps
    assert result.stdout.splitlines()[-1].startswith("add-mode-to-the-calc-package-")
