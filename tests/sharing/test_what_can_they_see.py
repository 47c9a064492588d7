"""The page that answers: what can organisation X see of organisation Y's records, and why?"""

import datetime
from html.parser import HTMLParser

import pytest
import yaml
from django.test import Client
from django.utils import timezone

from saferhub.partnerships.models import Organisation, Theme, User
from saferhub.partnerships.partnership_file import validate_partnership_data
from saferhub.partnerships.services import partnership_apply
from saferhub.sharing import engine
from saferhub.sharing.models import Protocol
from saferhub.sharing.presenters import sharing_tables
from saferhub.sharing.selectors import reader_for_organisation, sharing_between_organisations
from tests.conftest import EXAMPLE_FILE, log_in

pytestmark = pytest.mark.django_db

PAGE = "/partnerships/fife/protocols/what-can-they-see/"
NOTHING = ["nothing shared"] * 3
ISP = ["personal under fife-isp v3"] * 3
ASB_TASKING = ["depersonalised under fife-asb v1", "nothing shared", "nothing shared"]
STANDARD_THEMES_AND_CUCKOOING = 15


class _Tables(HTMLParser):
    """Each table's body rows, by the table's id: {theme: [tasking, referral, analysis]}."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, dict[str, list[str]]] = {}
        self._table = self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("id", ""), {})
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row:
            if self._row[0] != "Theme of the record":
                self._table[self._row[0]] = self._row[1:]
            self._row = None
        elif tag == "table":
            self._table = None


def tables_of(page: str) -> dict[str, dict[str, list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


@pytest.fixture
def sam(manager) -> Client:
    client = Client()
    log_in(client, manager)
    return client


def shown(client: Client, reader: str, owner: str) -> dict[str, dict[str, list[str]]]:
    response = client.get(PAGE, {"reader": reader, "owner": owner})
    assert response.status_code == 200
    return tables_of(response.content.decode())


def only(table: dict[str, list[str]], **expected: list[str]) -> None:
    """Every theme shares nothing except those named (by theme name)."""
    assert len(table) == STANDARD_THEMES_AND_CUCKOOING
    for theme, cells in table.items():
        assert cells == expected.get(theme, NOTHING), theme


def test_police_see_housing_asb_records_only_when_named_as_a_relevant_partner(sam):
    tables = shown(sam, "police-fife", "kingdom-ha")
    only(tables["named"], **{"Antisocial behaviour": ASB_TASKING, "Cuckooing": ASB_TASKING})
    only(tables["not-named"])


def test_police_see_fire_records_personal_under_the_isp_for_every_purpose(sam):
    tables = shown(sam, "police-fife", "sfrs-fife")
    isp_themes = {"Antisocial behaviour": ISP, "Home safety": ISP, "Fire safety": ISP}
    only(tables["named"], **isp_themes)
    only(tables["not-named"], **isp_themes)


def test_the_highest_level_wins_where_two_protocols_cover_a_theme(sam):
    tables = shown(sam, "police-fife", "fife-council-asb")
    isp_themes = {"Antisocial behaviour": ISP, "Home safety": ISP, "Fire safety": ISP}
    # ASB is in both; the ISP's personal beats the ASB protocol's depersonalised.
    only(tables["named"], **isp_themes, Cuckooing=ASB_TASKING)
    only(tables["not-named"], **isp_themes)


def test_sharing_goes_both_ways_between_signatories(sam):
    tables = shown(sam, "kingdom-ha", "police-fife")
    only(tables["named"], **{"Antisocial behaviour": ASB_TASKING, "Cuckooing": ASB_TASKING})
    only(tables["not-named"])


def test_an_organisation_that_signed_nothing_sees_nothing(sam):
    for reader, owner in (("nhs-fife", "police-fife"), ("police-fife", "nhs-fife")):
        tables = shown(sam, reader, owner)
        only(tables["named"])
        only(tables["not-named"])


def test_an_organisation_sees_everything_of_its_own_records(sam):
    page = sam.get(PAGE, {"reader": "police-fife", "owner": "police-fife"}).content.decode()
    assert "Police Scotland, Fife Division sees everything: its own records." in page
    assert tables_of(page) == {}


def test_suspended_expired_and_draft_protocols_share_nothing(sam, fife, manager):
    Protocol.objects.filter(code="fife-asb").update(status="suspended")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Protocol.objects.filter(code="fife-isp").update(expires_on=yesterday)
    for reader, owner in (("police-fife", "kingdom-ha"), ("police-fife", "sfrs-fife")):
        tables = shown(sam, reader, owner)
        only(tables["named"])
        only(tables["not-named"])


def test_the_page_explains_restricted_and_several_theme_records(sam):
    page = sam.get(PAGE, {"reader": "police-fife", "owner": "kingdom-ha"}).content.decode()
    assert "is seen only by the organisation that holds it and by the relevant partners" in page
    assert "only under a protocol that covers every one of them" in page
    assert "When Police Scotland, Fife Division is named on the record as a relevant partner" in (
        page
    )
    assert (
        "When Police Scotland, Fife Division is not named on the record as a relevant partner"
        in page
    )
    assert '<th scope="col">Tasking</th><th scope="col">Referral</th>' in page


def test_the_form_offers_the_members_and_names_its_errors(sam):
    page = sam.get(PAGE).content.decode()
    assert '<option value="kingdom-ha">Kingdom Housing Association</option>' in page
    assert tables_of(page) == {}
    response = sam.get(PAGE, {"reader": "nobody", "owner": ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert '<a href="#id_reader">Choose the organisation that reads from the partnership' in page
    assert '<a href="#id_owner">Choose the organisation whose records are read</a>' in page


def test_an_organisation_outside_the_partnership_is_not_offered(sam):
    Organisation.objects.create(code="elsewhere", name="Elsewhere", kind="other")
    assert "Elsewhere" not in sam.get(PAGE).content.decode()
    assert sam.get(PAGE, {"reader": "elsewhere", "owner": "police-fife"}).status_code == 422


def test_the_page_is_for_managers(fife, practitioner):
    client = Client()
    log_in(client, practitioner)
    response = client.get(PAGE, {"reader": "police-fife", "owner": "kingdom-ha"})
    assert response.status_code == 403
    assert "Only managers can do this" in response.content.decode()


# The reader behind the page -------------------------------------------------------------------


def organisation(code: str) -> Organisation:
    return Organisation.objects.get(code=code)


def test_the_reader_holds_the_protocols_the_organisation_signed_for_the_purpose(fife):
    today = timezone.localdate()
    police = reader_for_organisation(
        organisation=organisation("police-fife"), partnership=fife, purpose="tasking", day=today
    )
    assert [(p.code, p.version) for p in police.protocols] == [("fife-isp", 3), ("fife-asb", 1)]
    assert police.organisation_id == organisation("police-fife").id
    referral = reader_for_organisation(
        organisation=organisation("kingdom-ha"), partnership=fife, purpose="referral", day=today
    )
    assert referral.protocols == []
    before = reader_for_organisation(
        organisation=organisation("police-fife"),
        partnership=fife,
        purpose="tasking",
        day=datetime.date(2024, 12, 31),
    )
    assert before.protocols == []  # neither protocol had started
    with pytest.raises(ValueError, match="unknown purpose"):
        reader_for_organisation(
            organisation=organisation("police-fife"), partnership=fife, purpose="x", day=today
        )


def test_a_record_with_several_themes_needs_a_protocol_covering_all_of_them(fife):
    police = reader_for_organisation(
        organisation=organisation("police-fife"),
        partnership=fife,
        purpose="tasking",
        day=timezone.localdate(),
    )
    themes = {code: Theme.objects.get(code=code).id for code in ("asb", "cuckooing", "home_safety")}

    def level(*codes: str) -> str:
        return engine.decide(
            police,
            partnership_id=fife.id,
            owner_id=organisation("fife-council-asb").id,
            theme_ids={themes[c] for c in codes},
            restricted=False,
            relevant_partner_ids={organisation("police-fife").id},
        ).level

    assert level("asb", "home_safety") == "personal"  # fife-isp covers both
    assert level("asb", "cuckooing") == "depersonalised"  # only fife-asb covers both
    assert level("cuckooing", "home_safety") == "none"  # no protocol covers both


def test_the_tables_hold_a_row_per_theme_and_a_column_per_purpose(fife):
    police, kingdom = organisation("police-fife"), organisation("kingdom-ha")
    cells = sharing_between_organisations(
        partnership=fife, reader=police, owner=kingdom, day=timezone.localdate()
    )
    assert len(cells) == STANDARD_THEMES_AND_CUCKOOING * 3 * 2
    named, not_named = sharing_tables(cells, reader=police, owner=kingdom)
    assert named.relevant_partner and not not_named.relevant_partner
    assert named.purposes == ["Tasking", "Referral", "Analysis"]
    asb = next(row for row in named.rows if row.theme.code == "asb")
    assert asb.cells == [
        ("Tasking", "depersonalised under fife-asb v1"),
        ("Referral", "nothing shared"),
        ("Analysis", "nothing shared"),
    ]
    assert named.caption == (
        "Police Scotland, Fife Division reading Kingdom Housing Association's records, when "
        "Police Scotland, Fife Division is named on the record as a relevant partner"
    )


def test_the_partnership_s_own_themes_are_rows_and_other_partnerships_are_not(fife):
    data = yaml.safe_load(EXAMPLE_FILE.read_text())
    data["partnership"].update(code="kinross", name="Kinross Partnership")
    data.update(themes=[{"code": "kinross-only", "name": "Kinross only"}], users=[], protocols=[])
    partnership_apply(document=validate_partnership_data(data))
    cells = sharing_between_organisations(
        partnership=fife,
        reader=organisation("police-fife"),
        owner=organisation("kingdom-ha"),
        day=timezone.localdate(),
    )
    names = {cell.theme.name for cell in cells}
    assert "Cuckooing" in names and "Kinross only" not in names


def test_the_answer_is_the_organisation_s_whoever_asks(fife, manager):
    # A manager's own reads are capped at aggregate; the page answers for the organisation.
    reader = reader_for_organisation(
        organisation=manager.organisation,
        partnership=fife,
        purpose="tasking",
        day=timezone.localdate(),
    )
    assert fife.id in reader.personal_partnerships
    assert isinstance(reader.user, User) and reader.user.pk is None
