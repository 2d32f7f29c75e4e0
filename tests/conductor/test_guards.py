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
