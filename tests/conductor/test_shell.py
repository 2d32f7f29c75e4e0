import os
import time

import pytest

from conductor.shell import clean_environment, run_command


def test_success_and_failure_with_both_streams(tmp_path):
    result = run_command("echo out; echo err >&2; exit 3", tmp_path, timeout=10)
    assert (result.exit_code, result.stdout, result.stderr, result.timed_out) == (3, "out\n", "err\n", False)
    assert result.output == "out\nerr\n"
    assert run_command("pwd", tmp_path, timeout=10).stdout.strip() == str(tmp_path)


def test_timeout_kills_the_whole_process_group(tmp_path):
    marker = tmp_path / "child.pid"
    result = run_command(f"sleep 60 & echo $! > {marker}; sleep 60", tmp_path, timeout=0.5)
    assert (result.timed_out, result.exit_code) == (True, 124)
    child = int(marker.read_text())
    for _ in range(100):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.02)
    else:
        pytest.fail("the background child survived the timeout")


def test_output_is_capped_keeping_head_and_tail(tmp_path):
    result = run_command("seq 1 200000", tmp_path, timeout=30, max_output_bytes=2000)
    assert result.truncated
    assert result.stdout.startswith("1\n2\n3\n")
    assert result.stdout.endswith("199999\n200000\n")
    assert "bytes dropped" in result.stdout
    assert len(result.stdout) < 2100


def test_commands_never_see_api_keys(tmp_path):
    environ = {"PATH": os.environ["PATH"], "ANTHROPIC_API_KEY": "k1", "GEMINI_API_KEY": "k2", "GOOGLE_API_KEY": "k3",
               "GITHUB_TOKEN": "k4", "MY_SECRET": "k5", "AWS_SECRET_ACCESS_KEY": "k6", "HOME": "/root", "LANG": "C"}
    assert set(clean_environment(environ)) == {"PATH", "HOME", "LANG"}
    result = run_command("env", tmp_path, timeout=10, environ=environ)
    assert "k1" not in result.stdout and "ANTHROPIC" not in result.stdout
    assert "LANG=C" in result.stdout


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead too (its parent has not reaped it yet)
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().split(")")[-1].split()[0] != "Z"


def wait_dead(pid: int) -> bool:
    for _ in range(200):
        if not alive(pid):
            return True
        time.sleep(0.02)
    return False


def test_a_command_that_starts_a_new_session_is_killed_at_the_timeout(tmp_path):
    marker = tmp_path / "pid"
    started = time.monotonic()
    result = run_command(f"setsid sh -c 'echo $$ > {marker}; exec sleep 25'", tmp_path, timeout=2)
    took = time.monotonic() - started
    assert result.timed_out
    assert took < 20, took  # far from the 25 s the escaped child would have held the pipes
    assert wait_dead(int(marker.read_text()))


def test_nothing_a_command_started_outlives_it(tmp_path):
    marker = tmp_path / "pids"
    command = (f"nohup sleep 30 >/dev/null 2>&1 & echo $! >> {marker}; "
               f"(setsid sh -c 'sleep 30 & echo $! >> {marker}; wait' &) ; "
               f"sh -c 'sleep 30 & echo $! >> {marker}' ; sleep 0.3; echo done")
    result = run_command(command, tmp_path, timeout=20)
    assert (result.exit_code, result.stdout.strip(), result.timed_out) == (0, "done", False)
    pids = [int(line) for line in marker.read_text().split()]
    assert len(pids) == 3
    assert all(wait_dead(pid) for pid in pids)


def test_nothing_outlives_a_command_that_kills_its_reaper(tmp_path):
    marker = tmp_path / "pid"
    command = f"setsid nohup sleep 4242 >/dev/null 2>&1 </dev/null & echo $! > {marker}; sleep 0.5; kill -9 $PPID"
    run_command(command, tmp_path, timeout=20)
    assert wait_dead(int(marker.read_text()))


def test_the_environment_is_scrubbed_by_pattern():
    environ = {"PATH": "/bin", "HOME": "/root", "LANG": "C", "PWD": "/w", "OLDPWD": "/", "MY_PWD": "p",
               "DB_PASSWORD": "p", "PASSWD": "p", "MY_KEY": "k", "KEYRING_THING": "k", "SLACK_TOKEN": "t",
               "CLIENT_SECRET": "s", "AWS_CREDENTIAL_FILE": "c", "SSH_AUTH_SOCK": "/tmp/agent",
               "DATABASE_URL": "postgres://user:hunter2@db/app", "PUBLIC_URL": "https://example.org/app",
               "anthropic_api_key": "lower"}
    assert set(clean_environment(environ)) == {"PATH", "HOME", "LANG", "PWD", "OLDPWD", "PUBLIC_URL"}


@pytest.mark.parametrize("value", ["postgres://user:pa/ss@db/x", "https://ghp_tok123@github.com/x",
                                   " https://u:p@host/x", "redis://:secret@cache:6379/0", "x https://a@b/c"])
def test_urls_carrying_credentials_are_scrubbed_whatever_their_form(value):
    assert clean_environment({"SOME_SETTING": value, "PATH": "/bin"}) == {"PATH": "/bin"}


def test_names_of_tokens_auths_and_webhooks_are_scrubbed():
    environ = {"GITHUB_PAT": "p", "NPM_AUTH": "a", "AUTH_HEADER": "h", "SLACK_WEBHOOK_URL": "w", "PATH": "/bin",
               "HOME_URL": "https://example.org/", "GIT_REMOTE": "git@github.com:x/y.git"}
    assert set(clean_environment(environ)) == {"PATH", "HOME_URL", "GIT_REMOTE"}
