"""Regenerate the README's screenshots from the real window under Xvfb, driven by real clicks and keys:
`.venv/bin/python -m scripts.screenshots` (needs xvfb and xdotool, which scripts/test installs)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from conductor.demo import prepare_demo
from tests.gui.xvfb import click, type_text, wait_for_settled, wait_for_status, xvfb_display

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "screenshots"


def main() -> int:
    with tempfile.TemporaryDirectory() as folder, xvfb_display(1600, 900) as env:
        work = Path(folder)
        project = prepare_demo(work / "calc-demo")
        status_file, requests, shots = work / "status.json", work / "requests.jsonl", work / "shots"
        gui = subprocess.Popen([sys.executable, "-m", "tests.gui.driver", "--project", str(project), "--run",
                                "--size", "1600x900", "--open", "calc/stats.py", "--view", "raw",
                                "--status-file", str(status_file), "--screenshot-dir", str(shots), "--requests",
                                str(requests)], env=env, cwd=ROOT)

        def shot(name: str) -> None:
            requests.write_text(json.dumps({"do": "screenshot", "name": name}) + "\n")
            wait_for_status(status_file, lambda s: name in s["screenshots"], gui)

        try:
            edit = wait_for_settled(status_file, lambda s: s["pending"] is not None, gui)
            shot("1-approve-an-edit")
            click(env, *edit["buttons"]["approve"])
            shell = wait_for_settled(status_file, lambda s: s["pending"] is not None
                                     and s["pending"]["call"]["name"] == "run_shell", gui)
            click(env, *shell["buttons"]["always_allow"])  # shows the rule it would add; not confirmed here
            wait_for_settled(status_file, lambda s: s["buttons"]["rule_confirm"] != [0, 0], gui)
            shot("2-a-command-waits")
            answered: set[str] = set()
            while True:
                status = wait_for_settled(status_file, lambda s: s["engine"] == "finished" or (
                    s["pending"] is not None and s["pending"]["id"] not in answered), gui)
                if status["engine"] == "finished":
                    break
                answered.add(status["pending"]["id"])
                click(env, *status["buttons"]["approve"])
            status = wait_for_settled(status_file, lambda s: "median" in s["outline"], gui)
            click(env, *status["outline"]["median"])
            wait_for_settled(status_file, lambda s: s["file"]["line"] is not None, gui)
            shot("3-finished")
            click(env, *status["buttons"]["plan_open"])
            status = wait_for_status(status_file, lambda s: s["plan"]["visible"], gui)
            click(env, *status["buttons"]["plan_goal"])
            type_text(env, "Add mode() to calc/stats.py and show it in describe()")
            click(env, *status["buttons"]["plan"])
            wait_for_status(status_file, lambda s: s["plan"]["rows"] and not s["plan"]["busy"], gui)
            shot("4-plan-a-track")
        finally:
            gui.terminate()
            gui.wait(timeout=60)
        TARGET.mkdir(parents=True, exist_ok=True)
        for old in TARGET.glob("*.png"):
            old.unlink()
        for name in ("1-approve-an-edit", "2-a-command-waits", "3-finished", "4-plan-a-track"):
            shutil.copy(shots / f"{name}.png", TARGET / f"{name}.png")
            print(TARGET / f"{name}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
