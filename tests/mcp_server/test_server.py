"""The MCP server through the real `mcp` client over stdio: every tool, errors, path escapes, a claim race."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from conductor.demo import DEMO_TRACK, prepare_demo
from conductor.models import utc_now
from conductor.store import TrackStore

TOOLS = ["get_skeleton", "get_curated_view", "get_outline", "get_definition", "list_directory", "search_files",
         "repo_map", "list_tracks", "show_track", "claim_next_ticket", "complete_ticket", "block_ticket",
         "release_ticket"]


def server(project: Path) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "conductor.cli", "mcp", "--project",
                                                               str(project)], env=dict(os.environ))


async def session_calls(project: Path, calls: list[tuple[str, dict[str, Any]]]) -> tuple[list[str], list[Any]]:
    async with stdio_client(server(project)) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = [tool.name for tool in (await session.list_tools()).tools]
        results = [await session.call_tool(name, arguments) for name, arguments in calls]
        return tools, results


def run(project: Path, *calls: tuple[str, dict[str, Any]]) -> tuple[list[str], list[Any]]:
    return asyncio.run(session_calls(project, list(calls)))


def text(result: Any) -> str:
    return result.content[0].text


@pytest.fixture
def demo(tmp_path):
    project = prepare_demo(tmp_path / "demo")
    (project / "credentials.toml").write_text('anthropic_api_key = "sk-ant-secret-0123456789"\n')
    (project / "docs").mkdir()
    (project / "docs" / "notes.md").symlink_to("../credentials.toml")
    return project


def test_every_view_tool_and_the_same_rules_as_the_worker(demo):
    tools, results = run(
        demo,
        ("get_skeleton", {"path": "calc/stats.py"}),
        ("get_curated_view", {"path": "calc/stats.py"}),
        ("get_outline", {"path": "calc/stats.py"}),
        ("get_definition", {"path": "calc/stats.py", "symbol": "mean"}),
        ("list_directory", {}),
        ("search_files", {"pattern": r"def \w+"}),
        ("repo_map", {"budget_tokens": 300}),
        ("get_skeleton", {"path": "../outside.py"}),
        ("get_skeleton", {"path": "/etc/passwd"}),
        ("search_files", {"pattern": "sk-ant"}),
        ("get_curated_view", {"path": "docs/notes.md"}),
        ("get_skeleton", {"path": "tracks/add-median/track.json"}),
        ("get_definition", {"path": "calc/stats.py", "symbol": "nope"}),
        ("search_files", {"pattern": "("}),
        ("repo_map", {"budget_tokens": 0}),
        ("get_skeleton", {}),
    )
    assert tools == TOOLS
    skeleton, curated, outline, definition, listing, search, repo_map, *errors = results
    assert text(skeleton) == "def mean(values: list[float]) -> float: ...\n"
    assert '"""Arithmetic mean of a non-empty list."""' in text(curated)
    assert text(outline) == "function mean  L4-8\n"
    assert text(definition).startswith("def mean(values: list[float]) -> float:")
    assert "calc/stats.py" in text(listing) and "credentials.toml" not in text(listing)
    assert "calc/stats.py:4: def mean" in text(search)
    assert text(repo_map).startswith("## ")
    assert not any(r.is_error for r in (skeleton, curated, outline, definition, listing, search, repo_map))
    assert all(r.is_error for r in errors[:2] + errors[3:]), [text(r) for r in errors]
    assert text(errors[2]) == "no matches"  # the key in credentials.toml is never searched
    assert "outside the project root" in text(errors[0]) and "outside the project root" in text(errors[1])
    assert "a secret file" in text(errors[3]) and "inside tracks/" in text(errors[4])
    assert "no symbol 'nope'" in text(errors[5]) and "invalid pattern" in text(errors[6])
    assert "at least 1" in text(errors[7]) and "path" in text(errors[8])
    assert "sk-ant-secret" not in json.dumps([text(r) for r in results])


def test_claim_work_complete_unlocks_like_the_engine(demo):
    _, results = run(
        demo,
        ("list_tracks", {}),
        ("claim_next_ticket", {"track_id": DEMO_TRACK, "agent": "claude-code"}),
        ("claim_next_ticket", {"track_id": DEMO_TRACK, "agent": "cursor"}),
        ("complete_ticket", {"track_id": DEMO_TRACK, "ticket_id": "T1", "summary": "median added",
                             "agent": "claude-code"}),
        ("claim_next_ticket", {"track_id": DEMO_TRACK, "agent": "cursor"}),
        ("release_ticket", {"track_id": DEMO_TRACK, "ticket_id": "T2", "agent": "cursor"}),
        ("claim_next_ticket", {"track_id": DEMO_TRACK, "agent": "cursor"}),
        ("block_ticket", {"track_id": DEMO_TRACK, "ticket_id": "T2", "reason": "needs a design", "agent": "cursor"}),
        ("show_track", {"track_id": DEMO_TRACK}),
        ("show_track", {"track_id": "nope"}),
        ("complete_ticket", {"track_id": DEMO_TRACK, "ticket_id": "T9", "summary": "x", "agent": "cursor"}),
        ("claim_next_ticket", {"track_id": DEMO_TRACK, "agent": "  "}),
    )
    tracks, first, nothing, completed, second, released, _again, blocked, shown, *errors = results
    assert json.loads(text(tracks)) == [{"id": DEMO_TRACK, "title": "Add median to the calc package",
                                         "status": "planned", "tickets": 2, "completed": 0}]
    claim = json.loads(text(first))
    assert (claim["ticket"]["id"], claim["ticket"]["status"], claim["ticket"]["claimed_by"]) == (
        "T1", "in_progress", "claude-code")
    assert claim["brief"].startswith("# Ticket T1: Add median() to calc/stats.py")
    assert json.loads(text(nothing)) == {"ticket": None}  # T2 waits for T1
    assert json.loads(text(completed)) == {"completed": "T1", "unlocked": ["T2"]}
    assert json.loads(text(second))["ticket"]["id"] == "T2"
    assert json.loads(text(released)) == {"released": "T2", "status": "pending"}
    assert json.loads(text(blocked)) == {"blocked": "T2", "cascaded": []}
    assert [t["status"] for t in json.loads(text(shown))["tickets"]] == ["completed", "blocked"]
    assert all(r.is_error for r in errors)
    assert "no track 'nope'" in text(errors[0]) and "no ticket 'T9'" in text(errors[1])
    events = TrackStore(demo / "tracks").ledger(DEMO_TRACK).read()
    ledger = [(e["event"], e.get("agent") or e.get("by")) for e in events]
    assert ledger == [("ticket_claimed", "claude-code"), ("ticket_completed", "claude-code"),
                      ("ticket_claimed", "cursor"), ("ticket_released", "cursor"), ("ticket_claimed", "cursor"),
                      ("ticket_blocked", "cursor")]


def test_an_agent_acts_only_on_the_ticket_it_holds(demo):
    """A claims T1, A's lease lapses, B claims T1: A can no longer complete, block or release it."""
    from conductor.config import load_project_config
    from conductor.tickets import TicketService

    config = load_project_config(demo, environ={})
    an_hour_ago = utc_now() - timedelta(hours=1)
    TicketService(config, by="mcp", clock=lambda: an_hour_ago).claim_next(DEMO_TRACK, "agent-a", 600)  # lapsed
    TicketService(config, by="mcp").claim_next(DEMO_TRACK, "agent-b", 600)  # A's claim returns, then B takes T1
    _, results = run(
        demo,
        ("complete_ticket", {"track_id": DEMO_TRACK, "ticket_id": "T1", "summary": "stale", "agent": "agent-a"}),
        ("block_ticket", {"track_id": DEMO_TRACK, "ticket_id": "T1", "reason": "stale", "agent": "agent-a"}),
        ("release_ticket", {"track_id": DEMO_TRACK, "ticket_id": "T1", "agent": "agent-a"}),
        ("complete_ticket", {"track_id": DEMO_TRACK, "ticket_id": "T1", "summary": "done by B", "agent": "agent-b"}),
    )
    *refused, done = results
    assert all(r.is_error and "held by agent-b; agent-a may act only" in text(r) for r in refused)
    assert json.loads(text(done)) == {"completed": "T1", "unlocked": ["T2"]}


def test_resources_serve_tracks_and_skeletons(demo):
    async def read() -> list[str]:
        async with stdio_client(server(demo)) as (r, w), ClientSession(r, w) as session:
            await session.initialize()
            track = await session.read_resource(f"conductor://tracks/{DEMO_TRACK}")
            skeleton = await session.read_resource("conductor://skeleton/calc/stats.py")
            templates = [t.uri_template for t in (await session.list_resource_templates()).resource_templates]
            return [track.contents[0].text, skeleton.contents[0].text, *templates]

    track, skeleton, *templates = asyncio.run(read())
    assert json.loads(track)["id"] == DEMO_TRACK
    assert skeleton == "def mean(values: list[float]) -> float: ...\n"
    assert sorted(templates) == ["conductor://skeleton/{+path}", "conductor://tracks/{track_id}"]


RACE = textwrap.dedent("""
    import asyncio, json, sys
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client
    from tests.mcp_server.test_server import server
    from pathlib import Path

    async def main():
        async with stdio_client(server(Path(sys.argv[1]))) as (r, w), ClientSession(r, w) as session:
            await session.initialize()
            wins = 0
            for _ in range(40):  # keep trying while the other client holds the lock
                result = await session.call_tool("claim_next_ticket", {"track_id": sys.argv[2], "agent": sys.argv[3]})
                if result.is_error:
                    continue
                print(result.content[0].text)
                return
    asyncio.run(main())
""")


def test_two_clients_in_separate_processes_never_get_the_same_ticket(demo):
    root = Path(__file__).resolve().parents[2]
    racers = [subprocess.Popen([sys.executable, "-c", RACE, str(demo), DEMO_TRACK, name], cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    outputs = [json.loads(racer.communicate(timeout=120)[0]) for racer in racers]
    claimed = [o["ticket"]["id"] for o in outputs if o["ticket"]]
    assert claimed == ["T1"]  # exactly one wins; the other is told nothing is ready
    holder = TrackStore(demo / "tracks").load(DEMO_TRACK).ticket("T1").claimed_by
    assert holder in ("a", "b")


def test_an_expired_lease_returns_the_ticket(demo):
    """An agent claimed T1 and crashed; its lease (the project's 30 minutes) ran out an hour later: the next
    claim over MCP takes T1 back. The clock is moved, not waited for."""
    from conductor.config import load_project_config
    from conductor.tickets import TicketService

    config = load_project_config(demo, environ={})
    two_hours_ago = utc_now() - timedelta(hours=2)
    crashed = TicketService(config, by="mcp", clock=lambda: two_hours_ago).claim_next(
        DEMO_TRACK, "crashed", config.mcp.lease_seconds)
    assert crashed.claim_expires_at == two_hours_ago + timedelta(seconds=1800)
    _, (again,) = run(demo, ("claim_next_ticket", {"track_id": DEMO_TRACK, "agent": "next"}))
    claimed = json.loads(text(again))["ticket"]
    assert (claimed["id"], claimed["claimed_by"]) == ("T1", "next")
    lease = datetime.fromisoformat(claimed["claim_expires_at"]) - utc_now()
    assert timedelta(minutes=29) < lease <= timedelta(minutes=30)  # the server took the project's lease
    events = [(e["event"], e.get("agent")) for e in TrackStore(demo / "tracks").ledger(DEMO_TRACK).read()]
    assert events == [("ticket_claimed", "crashed"), ("ticket_released", "crashed"), ("ticket_claimed", "next")]
