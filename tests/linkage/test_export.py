"""`saferhub export person-clusters|place-clusters`: only what the user may see in full, and
audited as an export."""

import csv

import pytest
from django.core.management import CommandError, call_command

from saferhub.audit.models import AuditEvent
from tests.linkage import entities
from tests.linkage.entities import member

# The fixtures these tests use, from tests/linkage/entities.py.
margaret_linked, staff, three_records = (
    entities.margaret_linked,
    entities.staff,
    entities.three_records,
)


def _rows(path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_export_holds_only_the_records_the_user_may_see_in_full(
    fife, margaret_linked, tmp_path
):
    analyst = member(fife, "analyst.fire", "sfrs-fife", ["analyst"])
    out = tmp_path / "people.csv"

    call_command("export", "person-clusters", str(out), "--as", analyst.username)

    rows = _rows(out)
    assert rows == [
        {
            "organisation": "fife-council-asb",
            "source_ref": "ASB-P-0042",
            "person_id": str(margaret_linked.pk),
            "match_probability": "1.000000",
        }
    ]
    assert "NHS-0777" not in out.read_text() and "POL-0909" not in out.read_text()


def test_a_depersonalised_reader_exports_nothing_of_others(fife, margaret_linked, tmp_path):
    analyst = member(fife, "analyst.housing", "kingdom-ha", ["analyst"])
    out = tmp_path / "people.csv"

    call_command("export", "person-clusters", str(out), "--as", analyst.username)

    assert _rows(out) == []


def test_the_export_is_audited(fife, margaret_linked, tmp_path):
    analyst = member(fife, "analyst.fire", "sfrs-fife", ["analyst"])

    call_command(
        "export",
        "person-clusters",
        str(tmp_path / "p.csv"),
        "--as",
        analyst.username,
        "--partnership",
        "fife",
    )

    event = AuditEvent.objects.get(action="export")
    assert (event.actor_username, event.owner_code, event.purpose) == (
        "analyst.fire",
        "fife-council-asb",
        "analysis",
    )
    assert event.detail == {"export": "person_clusters", "rows": 1}


def test_an_export_of_nothing_is_audited_too(fife, tmp_path):
    analyst = member(fife, "analyst.fire", "sfrs-fife", ["analyst"])

    call_command("export", "place-clusters", str(tmp_path / "p.csv"), "--as", analyst.username)

    assert _rows(tmp_path / "p.csv") == []
    assert AuditEvent.objects.filter(action="export", partnership_code="fife").count() == 1
    assert (tmp_path / "p.csv").read_text().startswith("organisation,source_ref,place_id,")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as", "nobody"], "No user with username 'nobody'"),
        (["--as", "jo.smith", "--partnership", "tayside"], "works in no partnership"),
    ],
)
def test_unknown_users_and_partnerships_are_named(fife, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export", "person-clusters", str(tmp_path / "p.csv"), *args)


def test_an_unwritable_file_is_a_clear_error(fife, tmp_path):
    with pytest.raises(CommandError, match="Cannot write"):
        call_command(
            "export", "person-clusters", str(tmp_path / "missing" / "p.csv"), "--as", "jo.smith"
        )
