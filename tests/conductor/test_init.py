"""`conductor init` on a repository of one's own: twice, by flags and at a terminal, and what git then ignores."""

import argparse
import subprocess
import sys

import pytest

from conductor.config import load_project_config
from conductor.errors import ConductorError
from conductor.init_cli import init_project


def conductor(*argv, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "conductor.cli", *argv], capture_output=True, text=True,
                          timeout=60, cwd=cwd, env=env)


@pytest.fixture
def repository(tmp_path):
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("node_modules/")  # no final newline: the block starts on its own line
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("x = 1\n")
    return tmp_path


def test_init_twice_changes_nothing_and_git_ignores_what_must_never_be_committed(repository):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(repository), "GEMINI_API_KEY": "AIza-test-key-0123456789"}
    first = conductor("init", "--provider", "gemini", cwd=repository / "src", env=env)
    assert first.returncode == 0, first.stderr
    assert "key for gemini: found (GEMINI_API_KEY)" in first.stdout
    config = load_project_config(repository, environ={})
    assert (config.tier3.provider, config.tier3.model, config.tier2.provider) == ("gemini", "gemini-2.5-flash",
                                                                                  "gemini")
    written = {name: (repository / name).read_bytes() for name in ("project.toml", ".gitignore")}
    second = conductor("init", "--provider", "anthropic", cwd=repository, env=env)
    assert second.returncode == 0 and "kept as it is" in second.stdout
    assert {name: (repository / name).read_bytes() for name in written} == written
    assert (repository / ".gitignore").read_text().startswith("node_modules/\n\n# Conductor:")
    made = conductor("track", "new", "Work", cwd=repository / "src", env=env).stdout.strip()
    track = repository / "tracks" / made
    for name in ("outputs/out-1.log", "histories/T1-1.json", "changes.jsonl", "checkpoints.git/HEAD",
                 "workers/T1.json", "pending.json", "track.json.refused-0"):
        (track / name).parent.mkdir(parents=True, exist_ok=True)
        (track / name).write_text("x")
    (repository / "credentials.toml").write_text('gemini_api_key = "AIza-x"\n')
    (repository / "tracks" / "conductor.log").write_text("log\n")
    listed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repository,
                            capture_output=True, text=True, check=True).stdout.split("\n")
    assert sorted(line[3:] for line in listed if line) == [
        ".gitignore", "project.toml", "src/app.py", f"tracks/{made}/ledger.jsonl", f"tracks/{made}/track.json"]


def test_init_asks_at_a_terminal_and_says_how_to_set_the_key(repository, capsys, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(repository))
    answers = iter(["mistral", "anthropic", ""])  # a choice not offered is asked again; empty takes the default
    args = argparse.Namespace(project=repository, provider=None, model=None, tier2_provider=None, tier2_model=None,
                              tier4_provider=None, tier4_model=None)
    assert init_project(args, ask=lambda prompt: next(answers), interactive=True) == 0
    out = capsys.readouterr().out
    assert "choose one of anthropic, gemini" in out
    assert ("key for anthropic: not found; set ANTHROPIC_API_KEY, or write anthropic_api_key = \"...\" into "
            "credentials.toml (ignored by git)") in out
    assert load_project_config(repository, environ={}).tier3.model == "claude-sonnet-4-5"


def test_init_with_a_local_preset_writes_its_server_and_needs_no_key(repository):
    made = conductor("init", "--provider", "anthropic", "--tier4-provider", "ollama", cwd=repository)
    assert made.returncode == 0, made.stderr
    config = load_project_config(repository, environ={})
    assert (config.tier4.provider, config.tier4.model, config.tier4.base_url) == (
        "openai", "qwen2.5-coder:7b", "http://127.0.0.1:11434/v1")
    assert ("qwen2.5-coder:7b at http://127.0.0.1:11434/v1: a server on this machine, no key needed "
            "(start it before `conductor run`)") in made.stdout
    assert "key for openai" not in made.stdout


def test_init_without_a_terminal_or_a_provider_says_how(repository):
    args = argparse.Namespace(project=repository, provider=None, model=None, tier2_provider=None, tier2_model=None,
                              tier4_provider=None, tier4_model=None)
    with pytest.raises(ConductorError, match="choose a provider: conductor init --provider"):
        init_project(args, interactive=False)
    assert not (repository / "project.toml").exists()


def test_init_by_flags_per_tier_and_typos_answered_at_the_terminal(repository):
    made = conductor("init", "--provider", "anthropic", "--tier2-provider", "gemini", "--tier4-provider", "gemini",
                     "--tier4-model", "gemini-2.5-flash-lite", cwd=repository)
    assert made.returncode == 0, made.stderr
    config = load_project_config(repository, environ={})
    assert [(t.provider, t.model) for t in (config.tier3, config.tier2, config.tier4)] == [
        ("anthropic", "claude-sonnet-4-5"), ("gemini", "gemini-2.5-flash"), ("gemini", "gemini-2.5-flash-lite")]
    toml = (repository / "project.toml").read_text()
    (repository / "project.toml").write_text(toml.replace("timeout_seconds", "timout_seconds"))
    typo = conductor("track", "new", "Typo", cwd=repository / "src")
    assert typo.returncode == 2
    assert typo.stderr.endswith("unknown key `timout_seconds` in [shell]; did you mean `timeout_seconds`?\n")
    (repository / "project.toml").write_text(toml)
    titled = conductor("track", "new", "Ünïcode ✓ track", cwd=repository / "src")
    assert titled.stdout.startswith("unicode-track-")
