"""The `saferhub` command as a person runs it: a real process, its output and exit code."""

import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_FILE

SAFERHUB = Path(sys.executable).parent / "saferhub"

# Each process gets a SQLite database of its own, whatever DATABASE_URL says.
pytestmark = pytest.mark.own_database


def saferhub(*args: str, env: dict | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SAFERHUB), *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def hub_env(tmp_path_factory) -> dict:
    """A development hub of its own: SQLite in a temporary folder, migrated."""
    var = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DEBUG="true", SAFERHUB_VAR_DIR=str(var))
    result = saferhub("migrate", "--verbosity", "0", env=env)
    assert result.returncode == 0, result.stderr
    return env


def test_help_lists_every_hub_command_in_plain_words():
    result = saferhub("--help")
    assert result.returncode == 0
    for command in (
        "partnership apply FILE",
        "partnership export CODE",
        "user set-password USERNAME",
        "token create USERNAME",
        "token revoke USERNAME",
        "serve [--port N]",
        "worker [--batch]",
        "demo [--size small|medium|large] [--exports small|full|none] [--seed N]",
        "places resolve [--organisation CODE]",
        "migrate",
        "import incidents|people|places FILE --org CODE --profile NAME",
        "import report RUN [--csv FILE]",
        "export person-clusters|place-clusters FILE --as USERNAME",
        "link people|places [--partnership CODE] [--retrain]",
        "briefing --partnership CODE [--date D] [--area CODE]",
        "briefing schedule",
    ):
        assert command in result.stdout
    assert "saferhub shell" in result.stdout


def test_each_subcommand_explains_itself(hub_env):
    result = saferhub("partnership", "apply", "--help", env=hub_env)
    assert result.returncode == 0
    assert "--dry-run" in result.stdout
    assert "changes nothing" in result.stdout


def test_an_invalid_file_exits_non_zero_with_the_key_and_no_traceback(hub_env, tmp_path):
    broken = tmp_path / "broken.yaml"
    text = EXAMPLE_FILE.read_text().replace("code: fife\n", "code: fife-broken\n", 1)
    broken.write_text(text.replace("level: personal", "level: total"))
    result = saferhub("partnership", "apply", str(broken), env=hub_env)
    assert result.returncode == 1
    assert "protocols[0].level: 'total' is not allowed here" in result.stderr
    assert "nothing changed" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    listing = saferhub("user", "list", env=hub_env)
    assert "fife-broken" not in listing.stdout


def test_token_create_prints_the_token_alone_on_the_last_line(hub_env):
    assert saferhub("partnership", "apply", str(EXAMPLE_FILE), env=hub_env).returncode == 0
    result = saferhub("token", "create", "jo.smith", "--name", "records system", env=hub_env)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("shub_") and " " not in token and len(token) > 40
    listing = saferhub("token", "list", "jo.smith", env=hub_env).stdout
    assert token[:12] in listing
    assert token not in listing
    revoked = saferhub("token", "revoke", "jo.smith", token[:12], env=hub_env)
    assert revoked.returncode == 0
    assert f"Revoked 1 token(s) of jo.smith: {token[:12]}" in revoked.stdout


def test_token_commands_refuse_bad_input_cleanly(hub_env):
    assert saferhub("partnership", "apply", str(EXAMPLE_FILE), env=hub_env).returncode == 0
    for args, message in [
        (("token", "create", "nobody"), "No user with username 'nobody'"),
        (("token", "revoke", "jo.smith"), "Say which token to revoke"),
        (("token", "revoke", "jo.smith", "abc"), "is not the start of a token"),
    ]:
        result = saferhub(*args, env=hub_env)
        assert result.returncode != 0
        assert message in result.stderr
        assert "Traceback" not in result.stderr


def test_set_password_without_a_terminal_asks_for_stdin(hub_env):
    assert saferhub("partnership", "apply", str(EXAMPLE_FILE), env=hub_env).returncode == 0
    result = saferhub("user", "set-password", "jo.smith", env=hub_env)
    assert result.returncode == 1
    assert "pipe it in with --stdin" in result.stderr
    result = saferhub(
        "user", "set-password", "jo.smith", "--stdin", env=hub_env, stdin="long enough phrase 7\n"
    )
    assert result.returncode == 0, result.stderr


def test_production_settings_need_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    result = saferhub("check", env=env)
    assert result.returncode == 2
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_is_named():
    env = dict(os.environ, DEBUG="maybe")
    result = saferhub("check", env=env)
    assert result.returncode == 2
    assert "DEBUG must be true or false, not 'maybe'" in result.stderr


def test_production_settings_pass_the_deployment_check():
    # As deployed: none of the test run's development settings.
    excluded = ("DEBUG", "SAFERHUB_HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in excluded}
    env.update(SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="hub.example.scot")
    result = saferhub("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_runs_gunicorn_and_a_task_worker_and_stops_both(hub_env):
    port = _free_port()
    server = subprocess.Popen(
        [str(SAFERHUB), "serve", "--port", str(port), "--workers", "1"],
        env=dict(hub_env, TASKS_BACKEND="database"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as r:
                    body = r.read().decode()
                    server_header = r.headers.get("Server", "")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert body == '{"status": "ok"}'
        assert "gunicorn" in server_header
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0]
    assert "Serving the Safer Communities Hub" in output
    assert server.returncode == 0, output
    # The worker starts before gunicorn, and serve waits for it to stop before it exits.
    started = next(line for line in output.splitlines() if "Started the background task" in line)
    worker_pid = int(started.rsplit("process ", 1)[1].rstrip(")"))
    assert "Stopped the background task worker" in output
    with pytest.raises(ProcessLookupError):
        os.kill(worker_pid, 0)


def _briefing_runs_waiting(env: dict) -> int:
    """How many runs of the morning briefings wait in the hub's task queue (its SQLite file)."""
    database = Path(env["SAFERHUB_VAR_DIR"]) / "saferhub.sqlite3"
    with closing(sqlite3.connect(database)) as connection:
        (count,) = connection.execute(
            "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult "
            "WHERE task_path LIKE '%briefings_make_due' AND status = 'READY'"
        ).fetchone()
    return count


def test_the_worker_keeps_one_run_of_the_morning_briefings_waiting(hub_env):
    env = dict(hub_env, TASKS_BACKEND="database")
    for _ in range(2):
        result = saferhub("worker", "--batch", env=env)
        assert result.returncode == 0, result.stderr
        assert "morning briefings are" in result.stdout
        # The run made whatever was due and queued its next run, for tomorrow: never two.
        assert _briefing_runs_waiting(env) == 1


def test_serve_refuses_a_bad_port(hub_env):
    result = saferhub("serve", "--port", "70000", env=hub_env)
    assert result.returncode == 1
    assert "--port must be between 1 and 65535" in result.stderr


def test_a_bad_port_from_the_environment_is_named(hub_env):
    result = saferhub("serve", env=dict(hub_env, PORT="abc"))
    assert result.returncode == 1
    assert "--port (or PORT) must be a whole number, not 'abc'" in result.stderr


def test_a_bad_log_level_is_named():
    result = saferhub("check", env=dict(os.environ, LOG_LEVEL="loud"))
    assert result.returncode == 2
    assert "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL" in result.stderr
