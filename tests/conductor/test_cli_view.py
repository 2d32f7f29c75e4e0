import subprocess
import sys

from conductor.cli import main


def test_view_prints_the_view_and_its_token_count(tmp_path, capsys):
    (tmp_path / "m.py").write_text("class A:\n    def f(self, x: int) -> int:\n        return x\n")
    assert main(["view", "skeleton", str(tmp_path / "m.py")]) == 0
    assert capsys.readouterr().out == "class A:\n    def f(self, x: int) -> int: ...\n# 21 tokens (estimate)\n"
    assert main(["view", "raw", str(tmp_path / "m.py"), "--symbol", "A.f"]) == 0
    assert capsys.readouterr().out.startswith("    def f(self, x: int) -> int:\n        return x\n# ")
    assert main(["view", "skeleton", str(tmp_path / "m.py"), "--symbol", "A.f"]) == 0
    assert capsys.readouterr().out.startswith("def f(self, x: int) -> int: ...\n# ")


def test_bad_input_is_one_line_on_stderr(tmp_path):
    result = subprocess.run([sys.executable, "-m", "conductor.cli", "view", "curated", str(tmp_path / "none.py")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == "conductor: none.py: no such file\n"
    assert result.stdout == ""
