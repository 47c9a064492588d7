"""`saferhub briefing`: make or find a briefing, print a user's version, write the PDF."""

import io

import pytest
from django.core.management import CommandError, call_command

from saferhub.audit.models import AuditEvent
from saferhub.briefings.management.commands.briefing import Command
from saferhub.briefings.models import Briefing, MadeBy
from saferhub.incidents.services import PersonInput
from tests.incidents.conftest import record


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("briefing", *args, stdout=out)
    return out.getvalue()


def test_it_makes_the_briefing_once(fife):
    first = run("--partnership", "fife", "--date", "2026-06-17")
    second = run("--partnership", "fife", "--date", "2026-06-17")

    briefing = Briefing.objects.get()
    assert (str(briefing.for_date), briefing.made_by) == ("2026-06-17", MadeBy.COMMAND)
    assert "Briefing for fife on 2026-06-17 (draft)" in first
    assert first == second


def test_it_prints_the_users_version(staff, fife):
    police = staff["police-fife"]
    run("--partnership", "fife", "--date", "2026-06-17")
    briefing = Briefing.objects.get()
    from tests.briefings.conftest import hours_before_end

    record(
        police,
        occurred_at=hours_before_end(briefing, 2),
        relevant_partners=["kingdom-ha"],
        people=[PersonInput("victim", "Margaret", "Haddow")],
    )

    police_text = run("--partnership", "fife", "--date", "2026-06-17", "--as", police.username)
    housing_text = run(
        "--partnership", "fife", "--date", "2026-06-17", "--as", staff["kingdom-ha"].username
    )

    assert "12 Hilltown" in police_text and "Antisocial behaviour: fewer than 5" in police_text
    assert "12 Hilltown" not in housing_text and "Haddow" not in housing_text
    assert "Data zone S01009876" in housing_text
    # Kingdom HA reading a police record is a disclosure; the police reading their own is not.
    event = AuditEvent.objects.get(action="briefing read")
    assert event.actor_username == staff["kingdom-ha"].username


def test_it_writes_the_pdf_and_audits_it(staff, fife, tmp_path):
    police = staff["police-fife"]
    run("--partnership", "fife", "--date", "2026-06-17")
    from tests.briefings.conftest import hours_before_end

    theirs = record(police, occurred_at=hours_before_end(Briefing.objects.get(), 1))
    path = tmp_path / "briefing.pdf"

    out = run(
        "--partnership", "fife", "--date", "2026-06-17", "--as", "ali.khan", "--pdf", str(path)
    )

    assert path.read_bytes().startswith(b"%PDF")
    assert f"Wrote {path}" in out
    event = AuditEvent.objects.get(action="briefing pdf")
    assert (event.record_type, event.record_id) == ("incident", theirs.pk)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Say which partnership"),
        (["--partnership", "nowhere"], "no partnership with the code 'nowhere'"),
        (["--partnership", "fife", "--date", "17/06/2026"], "is not a date like"),
        (["--partnership", "fife", "--date", "2026-02-30"], "is not a date like"),
        (["--partnership", "fife", "--as", "nobody"], "no active user 'nobody'"),
        (["--partnership", "fife", "--pdf", "x.pdf"], "say whose with --as"),
        (["--partnership", "fife", "--area", "S02999999"], "not a known intermediate zone"),
        (
            ["--partnership", "fife", "--as", "ali.khan", "--pdf", "/no/such/folder/b.pdf"],
            "there is no folder",
        ),
    ],
)
def test_it_refuses_bad_input_clearly(fife, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not AuditEvent.objects.filter(action__startswith="briefing").exists()


def test_a_user_with_no_role_there_is_refused(staff, fife):
    from saferhub.partnerships.models import RoleAssignment

    RoleAssignment.objects.filter(user=staff["nhs-fife"]).delete()

    with pytest.raises(CommandError, match="holds no role in fife"):
        run("--partnership", "fife", "--as", staff["nhs-fife"].username)


def test_the_help_says_what_it_does():
    text = Command().create_parser("saferhub", "briefing").format_help()

    for option in ("--partnership", "--date", "--area", "--as", "--pdf", "schedule"):
        assert option in text
