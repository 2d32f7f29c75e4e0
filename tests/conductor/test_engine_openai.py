"""The demo end to end through the real openai SDK against the local fake server: Tier 3 and Tier 4 (run), Tier 2
(plan), the key kept out of every file, and an answer cut off at the limit never taken for a finished ticket."""

import json

from conductor.cli import main
from conductor.demo import DEMO_TRACK, prepare_demo
from conductor.gate import AutoGate
from conductor.plan_cli import DEMO_GOAL
from tests.conductor.engine_helpers import engine_for, trust_project
from tests.fakes.http_api import openai_completion

KEY = "sk-proj-e2e-test-key-0123456789"


def completion(turn: dict, ticket: str, number: int, **kwargs) -> dict:
    """A scripted turn of the demo as a Chat Completions answer."""
    calls = [(f"call_{ticket}_{number}_{i}", c["name"], json.dumps(c["arguments"]))
             for i, c in enumerate(turn.get("tool_calls", []))]
    return openai_completion(turn.get("text", ""), calls, **kwargs)


def every_file_text(folder) -> str:
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file() and ".git" not in p.parts)


def test_the_demo_through_the_openai_sdk_with_tier4_on_its_own_server(tmp_path, fake_api, monkeypatch):
    demo = prepare_demo(tmp_path / "demo")
    script = json.loads((demo / "script.json").read_text())
    for ticket_id in ("T1", "T2"):
        for number, turn in enumerate(script["tier3"][ticket_id], 1):
            fake_api.reply(completion(turn, ticket_id, number, prompt_tokens=1000, completion_tokens=50,
                                      model="gpt-5-mini-2025-08-07"))
            if (ticket_id, number) == ("T1", 2):  # its command fails: the Tier 4 model is asked for a hint
                fake_api.reply(openai_completion(script["tier4"][0]["text"], model="qwen2.5-coder:7b"))
    port = fake_api.url.rsplit(":", 1)[1]
    (demo / "project.toml").write_text(
        '[tier3]\nprovider = "openai"\nmodel = "gpt-5-mini"\n'
        f'[tier4]\nprovider = "openai"\nmodel = "qwen2.5-coder:7b"\nbase_url = "http://localhost:{port}/v1"\n'
        f'[providers]\nopenai_base_url = "{fake_api.url}/v1"\nmax_retries = 0\n')
    trust_project(demo)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    engine = engine_for(demo, DEMO_TRACK, gate=AutoGate(), auto=True)
    result = engine.run()
    assert (result.completed, result.blocked) == (["T1", "T2"], [])
    assert "def median" in (demo / "calc" / "stats.py").read_text()
    # preflight: both servers answered their model list before any ticket changed status
    assert [(r.method, r.path) for r in fake_api.received[:2]] == [("GET", "/v1/models")] * 2
    posts = fake_api.posts()
    assert len(posts) == 10 and {r.path for r in posts} == {"/v1/chat/completions"}
    hint_request = posts[2]
    assert hint_request.body["model"] == "qwen2.5-coder:7b" and hint_request.headers["host"].startswith("localhost")
    # the failing run's report went back as a tool message for the call that ran it, with the model's hint
    tool_message = posts[3].body["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_T1_2_0"
    assert tool_message["content"].startswith("ERROR: $ python3 -m unittest tests.test_stats")
    assert "hint: test_median_even fails" in tool_message["content"]
    # T2 starts a fresh conversation: the system prompt and its brief
    assert [m["role"] for m in posts[6].body["messages"]] == ["system", "user"]
    usage = engine.accountant.snapshot()
    assert usage.tiers["tier4"].cost_text == "$0.0000"  # a loopback server: free, not unknown
    assert usage.tiers["tier3"].cost_usd == 0.0  # also on 127.0.0.1 here
    assert KEY not in every_file_text(demo / "tracks")


def test_an_answer_cut_off_at_the_limit_never_completes_the_ticket(tmp_path, fake_api, monkeypatch):
    demo = prepare_demo(tmp_path / "demo")
    for _ in range(3):  # asked to continue twice, then blocked
        fake_api.reply(openai_completion("Added median() to calc/st", finish_reason="length"))
    (demo / "project.toml").write_text('[tier3]\nprovider = "openai"\nmodel = "gpt-5-mini"\n'
                                       f'[providers]\nopenai_base_url = "{fake_api.url}/v1"\nmax_retries = 0\n')
    trust_project(demo)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # a loopback server needs none
    engine = engine_for(demo, DEMO_TRACK, gate=AutoGate(), auto=True)
    result = engine.run()
    assert result.completed == [] and "T1" in result.blocked
    assert "max_tokens" in engine.store.load(DEMO_TRACK).ticket("T1").block_reason


def test_the_planner_through_the_openai_sdk(tmp_path, fake_api, monkeypatch, capsys):
    demo = prepare_demo(tmp_path / "demo")
    script = json.loads((demo / "script.json").read_text())
    for number, turn in enumerate(script["tier2"], 1):
        fake_api.reply(completion(turn, "plan", number))
    (demo / "project.toml").write_text('[tier2]\nprovider = "openai"\nmodel = "gpt-5-mini"\n'
                                       f'[providers]\nopenai_base_url = "{fake_api.url}/v1"\nmax_retries = 0\n')
    trust_project(demo)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    assert main(["plan", DEMO_GOAL, "--project", str(demo), "--json"]) == 0
    proposal = json.loads(capsys.readouterr().out)
    assert [t["id"] for t in proposal["proposal"]["tickets"]] == ["M1", "M2", "M3"] and proposal["problems"] == []
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in fake_api.posts())
    assert KEY not in every_file_text(demo / "tracks")
