"""The demo's end-to-end run once through the real anthropic SDK against the local fake server."""

import json

from conductor.demo import DEMO_TRACK, prepare_demo
from conductor.gate import AutoGate
from tests.conductor.engine_helpers import engine_for, trust_project
from tests.fakes.http_api import anthropic_message


def test_demo_through_the_anthropic_sdk(tmp_path, fake_api, monkeypatch):
    demo = prepare_demo(tmp_path / "demo")
    script = json.loads((demo / "script.json").read_text())
    for ticket_id in ("T1", "T2"):
        for turn_number, turn in enumerate(script["tier3"][ticket_id], 1):
            blocks = [{"type": "text", "text": turn["text"]}]
            blocks += [{"type": "tool_use", "id": f"toolu_{ticket_id}_{turn_number}_{i}", "name": c["name"],
                        "input": c["arguments"]} for i, c in enumerate(turn.get("tool_calls", []))]
            fake_api.reply(anthropic_message(*blocks, stop_reason="tool_use" if len(blocks) > 1 else "end_turn",
                                             input_tokens=1000, output_tokens=50,
                                             model="claude-sonnet-4-5-20250929"))
    (demo / "project.toml").write_text(
        '[tier3]\nprovider = "anthropic"\nmodel = "claude-sonnet-4-5-20250929"\n'
        f'[providers]\nanthropic_base_url = "{fake_api.url}"\nmax_retries = 0\n')
    trust_project(demo)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-e2e-test-key-123456")
    engine = engine_for(demo, DEMO_TRACK, gate=AutoGate(), auto=True)
    result = engine.run()
    assert (result.completed, result.blocked) == (["T1", "T2"], [])
    assert "def median" in (demo / "calc" / "stats.py").read_text()
    requests = [r.body for r in fake_api.received]
    assert len(requests) == 9
    assert [t["name"] for t in requests[0]["tools"]][:3] == ["read_file", "list_directory", "search_files"]
    # the failing run's Tier 4 report (deterministic: no Tier 4 model here) went back as a tool_result
    third = requests[2]["messages"][-1]["content"][0]
    assert third["type"] == "tool_result" and third["tool_use_id"] == "toolu_T1_2_0" and third["is_error"]
    assert ("1 failure:\n- tests.test_stats.StatsTest.test_median_even | AssertionError: 3 != 2.5 | "
            "at tests/test_stats.py:14 in test_median_even") in third["content"]
    # context amnesia: T2's first request starts a fresh conversation
    assert len(requests[5]["messages"]) == 1 and "# Ticket T2" in requests[5]["messages"][0]["content"][0]["text"]
    usage = engine.accountant.snapshot().track
    assert (usage.calls, usage.input_tokens) == (9, 9000)
    assert usage.cost_usd == 9 * (1000 * 3 + 50 * 15) / 1_000_000
