import pytest

from conductor.config import load_project_config
from conductor.guards import PathGuard, PathRefusedError, case_insensitive


@pytest.fixture
def guard(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("x\n")
    return PathGuard.for_project(load_project_config(tmp_path, environ={}))


@pytest.mark.parametrize(("path", "reason"), [
    ("../x.py", "outside the project root"),
    ("/etc/passwd", "outside the project root"),
    ("src/\0a.py", "NUL byte"),
    ("src/\udc80.py", "lone surrogate"),
    ("credentials.toml", "a secret file"),
    (".env", "a secret file"),
    (".env.production", "a secret file"),
    ("deploy/server.pem", "a secret file"),
    ("home/.ssh/id_ed25519", "a secret file"),
    (".git/config", "inside a .git folder"),
    ("vendor/lib/.git/HEAD", "inside a .git folder"),
    ("tracks/t/track.json", "inside tracks/"),
    ("x" * 5000, "File name too long"),
])
def test_refused_paths_name_the_rule(guard, path, reason):
    with pytest.raises(PathRefusedError, match=reason):
        guard.writable(path)


def test_a_case_insensitive_file_system_folds_names(guard):
    folded = PathGuard(root=guard.root, protected=guard.protected, secret_globs=guard.secret_globs,
                       secret_files=guard.secret_files, fold_case=True)
    for path in ("Credentials.TOML", ".GIT/config", "Tracks/t/track.json", "KEYS/Server.PEM"):
        with pytest.raises(PathRefusedError):
            folded.writable(path)
    assert guard.writable("Credentials.TOML")  # this file system is case-sensitive: another file


def test_case_sensitivity_is_checked_not_guessed(tmp_path):
    (tmp_path / "Probe").mkdir()
    assert case_insensitive(tmp_path / "Probe") is False  # Linux file systems here are case-sensitive


def tools_for(root):
    from conductor.tools import ProjectTools
    from file_cache import FileCache

    config = load_project_config(root, environ={})
    return ProjectTools(FileCache(config.root), PathGuard.for_project(config), run_command=lambda command: None)


def call(tools, name, **arguments):
    from conductor.messages import ToolCall

    return tools.run(ToolCall(id="c1", name=name, arguments=arguments))


def test_a_hard_link_to_a_secret_anywhere_in_the_project_is_refused_everywhere(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "cfg").mkdir()
    (tmp_path / "sub" / ".env").write_text("TOKEN=hunter2\n")
    (tmp_path / "cfg" / "id_rsa").write_text("PRIVATE hunter2\n")
    (tmp_path / "notes.txt").hardlink_to(tmp_path / "sub" / ".env")
    (tmp_path / "cfg" / "data.py").hardlink_to(tmp_path / "cfg" / "id_rsa")
    (tmp_path / "plain.txt").write_text("nothing\n")
    (tmp_path / "plain-link.txt").hardlink_to(tmp_path / "plain.txt")  # a link to no secret stays readable
    tools = tools_for(tmp_path)
    for path in ("notes.txt", "cfg/data.py"):
        outcome = call(tools, "read_file", path=path)
        assert outcome.is_error and "a secret file" in outcome.content
    assert call(tools, "search_files", pattern="hunter2").content == "no matches"
    assert "notes.txt" not in call(tools, "list_directory", path=".").content
    assert call(tools, "read_file", path="plain-link.txt").content.endswith("nothing")


def test_a_symlink_loop_is_refused_and_never_crashes_a_tool(tmp_path):
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    (tmp_path / "a.py").write_text("x = 1\n")
    tools = tools_for(tmp_path)
    assert call(tools, "read_file", path="loop1").content == (
        "error: loop1: a symlink loop (the link leads back to itself)")
    assert call(tools, "list_directory", path=".").content == "a.py\n"
    assert call(tools, "search_files", pattern="x").content == "a.py:1: x = 1"
    assert call(tools, "get_skeleton", path="loop2").is_error
