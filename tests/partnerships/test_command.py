"""`saferhub partnership` and `saferhub user` as an operator uses them."""

import io

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from saferhub.partnerships.models import Partnership, User
from tests.conftest import EXAMPLE_FILE

pytestmark = pytest.mark.django_db


def run(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    if stdin:
        import sys

        old, sys.stdin = sys.stdin, io.StringIO(stdin)
        try:
            call_command(*args, stdout=out)
        finally:
            sys.stdin = old
    else:
        call_command(*args, stdout=out)
    return out.getvalue()


def test_apply_prints_each_change_then_nothing_the_second_time():
    first = run("partnership", "apply", str(EXAMPLE_FILE))
    assert "+ organisation police-fife: Police Scotland, Fife Division (police)" in first
    assert first.strip().endswith("changes to partnership fife.")
    second = run("partnership", "apply", str(EXAMPLE_FILE))
    assert second.strip() == f"No changes: partnership fife already matches {EXAMPLE_FILE}."


def test_dry_run_changes_nothing():
    out = run("partnership", "apply", str(EXAMPLE_FILE), "--dry-run")
    assert "+ user jo.smith: Jo Smith, police-fife" in out
    assert "nothing was changed" in out
    assert not Partnership.objects.exists()


def test_an_invalid_file_changes_nothing_and_names_the_key(tmp_path):
    data = yaml.safe_load(EXAMPLE_FILE.read_text())
    data["organisations"][1]["kind"] = "brigade"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data))
    with pytest.raises(CommandError) as caught:
        run("partnership", "apply", str(broken))
    message = str(caught.value)
    assert message.startswith(f"{broken} was not applied and nothing changed.")
    assert "organisations[1].kind: 'brigade' is not allowed here" in message
    assert not Partnership.objects.exists()


def test_a_missing_file_is_explained(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run("partnership", "apply", str(tmp_path / "nope.yaml"))


def test_export_writes_a_file_that_applies_cleanly(tmp_path):
    run("partnership", "apply", str(EXAMPLE_FILE))
    target = tmp_path / "fife-export.yaml"
    assert "Wrote the partnership file of fife" in run(
        "partnership", "export", "fife", "--output", str(target)
    )
    assert "No changes" in run("partnership", "apply", str(target))


def test_export_of_an_unknown_partnership_is_refused():
    with pytest.raises(CommandError, match="No partnership with code 'atlantis'"):
        run("partnership", "export", "atlantis")


def test_set_password_from_stdin_checks_the_rules():
    run("partnership", "apply", str(EXAMPLE_FILE))
    with pytest.raises(CommandError, match="Password not set: This password is too short"):
        run("user", "set-password", "jo.smith", "--stdin", stdin="short\n")
    assert not User.objects.get(username="jo.smith").has_usable_password()
    assert "Password set for jo.smith." in run(
        "user", "set-password", "jo.smith", "--stdin", stdin="a long and unusual passphrase\n"
    )
    user = User.objects.get(username="jo.smith")
    assert user.check_password("a long and unusual passphrase")
    assert user.password.startswith("argon2")


def test_set_password_for_an_unknown_user_is_refused():
    with pytest.raises(CommandError, match="No user with username 'nobody'"):
        run("user", "set-password", "nobody", "--stdin", stdin="whatever it is\n")


def test_user_list_shows_roles_by_partnership():
    run("partnership", "apply", str(EXAMPLE_FILE))
    out = run("user", "list", "--partnership", "fife")
    assert "fife\tali.khan\tAli Khan\tfife-council-asb\tadmin,coordinator" in out
    with pytest.raises(CommandError, match="No users with a role in partnership 'x'"):
        run("user", "list", "--partnership", "x")
