"""What a worker sees first: a long target as its numbered view plus the definitions the ticket names, and
every line still reachable."""

from __future__ import annotations

from conductor.gate import AutoGate
from tests.conductor.engine_helpers import engine_for, history_results, make_project, ticket


def long_module(functions: int = 120) -> str:
    parts = ['"""A long module."""\n']
    for index in range(functions):
        parts.append(f"\n\ndef helper_{index}(value: int) -> int:\n    \"\"\"Helper {index}.\"\"\"\n"
                     f"    total = value * {index}\n    return total + {index}\n")
    return "".join(parts)


def test_a_long_target_is_numbered_and_its_unseen_lines_are_read_and_edited(tmp_path):
    source = long_module()
    line_of = {line: n for n, line in enumerate(source.splitlines(), 1)}
    body_line = line_of["    total = value * 77"]
    tier3 = {"T1": [
        {"text": "Reading helper_77's body.", "expect": {
            "results_not_contain": [], "system_contains": ["read other lines with read_file"]},
         "tool_calls": [{"name": "read_file", "arguments": {"path": "big.py", "start_line": body_line - 2,
                                                            "end_line": body_line + 1}}]},
        {"text": "Editing it.", "expect": {"results_contain": ["    total = value * 77"]},
         "tool_calls": [{"name": "edit_file", "arguments": {"path": "big.py", "old_text": "    total = value * 77\n",
                                                            "new_text": "    total = value * 770\n"}}]},
        {"text": "done"}]}
    track_id = make_project(tmp_path, {"big.py": source}, tier3,
                            [ticket("T1", "big.py", prompt="Make helper_3 and helper_77 faster.")],
                            extra_toml="[context]\ntarget_raw_max_tokens = 500\n")
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    assert engine.run().completed == ["T1"]
    first = engine.store.load_history(engine.store.histories(track_id, "T1")[0])[0].text
    assert "long file: " in first and "Shown as its skeleton view, each line numbered" in first
    assert f"{line_of['def helper_50(value: int) -> int:']:>3}| def helper_50(value: int) -> int: ..." in first
    assert "total = value * 50" not in first  # bodies of definitions the ticket does not name are not sent
    assert "### helper_3 (lines " in first and "total = value * 3\n" in first  # named ones are, whole
    assert "### helper_77 (lines " in first
    results = history_results(engine.store, track_id, "T1")
    assert "total = value * 77" in results[0].content
    assert "    total = value * 770\n" in (tmp_path / "big.py").read_text()


def test_a_short_target_and_a_raw_archetype_get_the_whole_file(tmp_path):
    tier3 = {"T1": [{"text": "done"}], "T2": [{"text": "done"}]}
    track_id = make_project(tmp_path, {"small.py": "def f():\n    return 1\n", "big.py": long_module(60)}, tier3,
                            [ticket("T1", "small.py"), ticket("T2", "big.py")],
                            extra_toml='[archetypes.default]\ncontext_view = "raw"\n')
    engine = engine_for(tmp_path, track_id, gate=AutoGate(), auto=True)
    assert engine.run().completed == ["T1", "T2"]
    for ticket_id, expected in (("T1", "    return 1\n"), ("T2", "    total = value * 59\n")):
        first = engine.store.load_history(engine.store.histories(track_id, ticket_id)[0])[0].text
        assert expected in first and "long file" not in first
