import pytest

from conductor.config import load_project_config
from conductor.guards import PathGuard
from conductor.messages import ToolCall
from conductor.shell import run_command
from conductor.tools import TOOLS, ProjectTools, ToolArgumentError, edited_request
from file_cache import FileCache


@pytest.fixture
def tools(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("def f(x):\n    return x\n\n\nclass C:\n    def m(self):\n        pass\n")
    (tmp_path / "notes.txt").write_text("".join(f"line {i}\n" for i in range(1, 3001)))
    guard = PathGuard.for_project(load_project_config(tmp_path, environ={}))
    return ProjectTools(cache=FileCache(tmp_path), guard=guard,
                        run_command=lambda command: run_command(command, tmp_path, 10))


def call(name, **arguments):
    return ToolCall(id="c1", name=name, arguments=arguments)


def test_the_tool_set_has_exactly_the_documented_names_and_strict_schemas(tools):
    assert list(TOOLS) == ["read_file", "list_directory", "search_files", "get_skeleton", "get_curated_view",
                           "get_definition", "write_file", "edit_file", "run_shell"]
    spec = {s.name: s for s in tools.specs()}["edit_file"]
    assert spec.parameters == {
        "type": "object", "additionalProperties": False, "required": ["path", "old_text", "new_text"],
        "properties": {
            "path": {"type": "string", "description": "File path relative to the project root."},
            "old_text": {"type": "string", "minLength": 1,
                         "description": "Exact text to replace; must occur exactly once in the file."},
            "new_text": {"type": "string", "description": "Replacement text."}}}


def test_read_tools(tools):
    assert tools.run(call("read_file", path="pkg/mod.py")).content == (
        "def f(x):\n    return x\n\n\nclass C:\n    def m(self):\n        pass")
    long = tools.run(call("read_file", path="notes.txt")).content
    assert long.endswith("line 2000\n[lines 1-2000 of 3000; pass start_line/end_line for more]")
    assert tools.run(call("read_file", path="notes.txt", start_line=2999)).content == (
        "line 2999\nline 3000\n[lines 2999-3000 of 3000; pass start_line/end_line for more]")
    assert tools.run(call("get_skeleton", path="pkg/mod.py")).content == (
        "def f(x): ...\nclass C:\n    def m(self): ...\n")
    assert tools.run(call("get_definition", path="pkg/mod.py", symbol="C.m")).content == (
        "    def m(self):\n        pass\n")
    assert tools.run(call("list_directory")).content == "notes.txt\npkg/\npkg/mod.py\n"
    assert tools.run(call("search_files", pattern=r"def \w+\(self")).content == "pkg/mod.py:6: def m(self):"
    assert tools.run(call("search_files", pattern="(")).content == "error: invalid pattern: missing ) at position 1"


def test_write_preview_and_change_record(tools, tmp_path):
    new = call("write_file", path="pkg/new.py", content="x = 1\n")
    assert tools.preview(tools.validate(new)) == "--- /dev/null\n+++ b/pkg/new.py\n@@ -0,0 +1 @@\n+x = 1\n"
    outcome = tools.run(new)
    assert (outcome.content, outcome.change.before, outcome.change.after.text) == ("created pkg/new.py (1 lines)",
                                                                                   None, "x = 1\n")
    edit = call("edit_file", path="pkg/new.py", old_text="x = 1", new_text="x = 2")
    assert tools.preview(tools.validate(edit)) == "--- a/pkg/new.py\n+++ b/pkg/new.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
    assert tools.run(edit).change.before.text == "x = 1\n"
    assert (tmp_path / "pkg" / "new.py").read_text() == "x = 2\n"
    assert tools.preview(tools.validate(call("read_file", path="pkg/new.py"))) is None
    missing_newline = call("write_file", path="pkg/new.py", content="y")
    assert tools.preview(tools.validate(missing_newline)).endswith("+y\n\\ No newline at end of file\n")


def test_edited_json_is_parsed_and_validated():
    shell = call("run_shell", command="ls")
    request = edited_request(shell, '{"command": "pytest -q"}')
    assert (request.call.arguments, request.call.id, request.tool) == ({"command": "pytest -q"}, "c1",
                                                                       TOOLS["run_shell"])
    with pytest.raises(ToolArgumentError, match="invalid JSON at line 1, column 13"):
        edited_request(shell, '{"command": }')
    with pytest.raises(ToolArgumentError, match="must be a JSON object"):
        edited_request(shell, '["pytest"]')
    with pytest.raises(ToolArgumentError, match="command: String should have at least 1 character"):
        edited_request(shell, '{"command": ""}')


def test_every_tool_carries_its_implementation_and_an_error_is_a_value(tools):
    assert all(tool.implementation.__name__ == name for name, tool in TOOLS.items())
    refused = tools.run(call("read_file", path="../outside.txt"))
    assert (refused.is_error, type(refused.error).__name__) == (True, "PathRefusedError")
    unknown = tools.run(call("delete_everything", path="x"))
    assert (type(unknown.error), str(unknown.error)) == (ToolArgumentError, "unknown tool 'delete_everything'; "
                                                         "available: " + ", ".join(TOOLS))


def test_edits_keep_crlf_line_endings(tools, tmp_path):
    (tmp_path / "win.py").write_bytes(b"a = 1\r\nb = 2\r\n")
    outcome = tools.run(call("edit_file", path="win.py", old_text="a = 1\nb = 2", new_text="a = 1\nb = 3"))
    assert not outcome.is_error, outcome.content
    assert (tmp_path / "win.py").read_bytes() == b"a = 1\r\nb = 3\r\n"
