import subprocess
import sys

from conductor.cli import main


def test_view_prints_the_view_and_its_token_count(tmp_path, capsys):
    (tmp_path / "m.py").write_text("class A:\n    def f(self, x: int) -> int:\n        return x\n")
    assert main(["view", "skeleton", "m.py", "--project", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "class A:\n    def f(self, x: int) -> int: ...\n# 18 tokens (estimate)\n"
    assert main(["view", "raw", str(tmp_path / "m.py"), "--symbol", "A.f", "--project", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("    def f(self, x: int) -> int:\n        return x\n# ")
    assert main(["view", "skeleton", "m.py", "--symbol", "A.f", "--project", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("def f(self, x: int) -> int: ...\n# ")


def test_bad_input_is_one_line_on_stderr(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "credentials.toml").write_text("anthropic_api_key = 'sk-ant-0123456789'\n")
    for argv, message in (
            (["pkg/none.py"], f"conductor: pkg/none.py: no such file in {tmp_path / 'pkg'}\n"),
            (["../x.py"], "conductor: ../x.py: outside the project root"),
            (["credentials.toml"], "conductor: credentials.toml: a secret file"),
            (["pkg/none.py", "--project", str(tmp_path / "nope")], "conductor: "),
    ):
        result = subprocess.run([sys.executable, "-m", "conductor.cli", "view", "curated", *argv], cwd=tmp_path,
                                capture_output=True, text=True)
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


def test_relative_paths_are_read_from_the_project_not_the_current_folder(tmp_path, monkeypatch, capsys):
    (tmp_path / "m.py").write_text("def f(): pass\n")
    monkeypatch.chdir("/")
    assert main(["view", "outline", "m.py", "--project", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("function f  L1-1\n")
