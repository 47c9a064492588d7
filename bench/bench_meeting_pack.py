"""The MATAC meeting pack: one organisation's 30-item pack as a PDF.

The target (the meetings issue): a 30-item meeting pack PDF in at most 5 s. The meeting is
the Fife partnership of tests/fixtures/fife.yaml with 30 agenda items of every kind of record
(10 incidents, 5 cases, 5 referrals, 5 actions, 3 people, 2 places, each with two people or a
place), and the pack is built for the fire service, which sees most items in full through
fife-isp: deciding each item's level, redacting, rendering the HTML and WeasyPrint's PDF.
Also printed for scale: building the pack alone, and the housing association's pack (mostly
depersonalised). Medians of several runs; the two cores are shared, so expect noise.
"""

import datetime
import time
from pathlib import Path

from django.utils import timezone

from bench.measure import Result, median
from saferhub.actions.services import ActionInput, action_create
from saferhub.cases.models import Case
from saferhub.incidents.services import IncidentInput, PersonInput, incident_create
from saferhub.meetings.models import AgendaItem, ItemKind
from saferhub.meetings.packs import pack_for_organisation, pack_pdf
from saferhub.meetings.services import MeetingInput, meeting_schedule
from saferhub.partnerships.models import Organisation, Partnership, RoleAssignment, User
from saferhub.partnerships.partnership_file import read_partnership_file
from saferhub.partnerships.services import partnership_apply
from saferhub.partnerships.themes import ThemeBook
from saferhub.people.models import PersonRecord
from saferhub.places.models import PlaceRecord
from saferhub.referrals.models import Referral, ReferralType
from saferhub.sharing.models import Protocol

FIFE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "fife.yaml"
PDF_MS = 5_000
REPEAT = 5


def _user(code: str, role: str) -> User:
    partnership = Partnership.objects.get(code="fife")
    user, _ = User.objects.get_or_create(
        username=f"bench.{code}",
        defaults={"organisation": Organisation.objects.get(code=code), "name": f"Bench {code}"},
    )
    RoleAssignment.objects.get_or_create(user=user, partnership=partnership, role=role)
    return user


def _meeting():
    partnership_apply(document=read_partnership_file(FIFE))
    fife = Partnership.objects.get(code="fife")
    police = _user("police-fife", "practitioner")
    coordinator = User.objects.get(username="ali.khan")
    org = {o.code: o for o in Organisation.objects.all()}
    book = ThemeBook.of(fife)
    now = timezone.now()
    meeting = meeting_schedule(
        user=coordinator,
        partnership=fife,
        data=MeetingInput(
            starts_at=now + datetime.timedelta(days=1),
            invited_organisations=list(org),
        ),
    )
    records: list[tuple[str, int]] = []
    people = [
        PersonRecord.objects.create(
            organisation=org["police-fife"],
            source_ref=f"P{n}",
            given_name=given,
            family_name="Haddow",
            date_of_birth=datetime.date(1950 + n, 5, 17),
        )
        for n, given in enumerate(["Margaret", "Ann", "Isla"])
    ]
    places = [
        PlaceRecord.objects.create(
            organisation=org["police-fife"],
            source_ref=f"L{n}",
            address_line_1=f"{n + 1} Hilltown",
            postcode="KY1 1AA",
            data_zone="S01009876",
        )
        for n in range(2)
    ]
    for n in range(10):
        incident = incident_create(
            user=police,
            partnership=fife,
            data=IncidentInput(
                category="noise",
                themes=["asb"],
                occurred_at=now - datetime.timedelta(days=n + 1),
                risk="red",
                address=f"{n + 1} Hilltown",
                postcode="KY1 1AA",
                data_zone="S01009876",
                place_record_id=places[n % 2].pk,
                narrative="Loud music until 3am, neighbour in tears. " * 5,
                relevant_partners=["kingdom-ha"],
                people=[
                    PersonInput(
                        "victim",
                        people[n % 3].given_name,
                        "Haddow",
                        person_record_id=people[n % 3].pk,
                    ),
                    PersonInput("perpetrator", "Darren", "Kelso", datetime.date(1991, 2, 3)),
                ],
            ),
        )
        records.append(("incident", incident.pk))
    for n in range(5):
        case = Case.objects.create(
            partnership=fife,
            owner=org["police-fife"],
            title=f"Cuckooing at flat {n}",
            subject="person",
            person_record=people[n % 3],
            theme_mask=book.mask_of(["asb"]),
            rag="red",
            opened_at=now,
            response_plan="Joint visits; support to move. " * 5,
        )
        records.append(("case", case.pk))
    kind = ReferralType.objects.create(partnership=fife, code="hfsv", name="Home fire safety visit")
    isp = Protocol.objects.get(partnership=fife, code="fife-isp")
    for n in range(5):
        referral = Referral.objects.create(
            partnership=fife,
            owner=org["police-fife"],
            recipient=org["sfrs-fife"],
            referral_type=kind,
            theme_mask=book.mask_of(["asb"]),
            urgency="red",
            reason="Smokes in bed; no working alarm.",
            person_record=people[n % 3],
            lawful_basis="protocol",
            protocol=isp,
            sent_at=now,
            due_at=now + datetime.timedelta(hours=4),
        )
        records.append(("referral", referral.pk))
    for n in range(5):
        action = action_create(
            user=police,
            partnership=fife,
            data=ActionInput(
                title=f"Visit flat {n}",
                assignee_organisation="fife-council-asb",
                due_on=now.date(),
                themes=["asb"],
            ),
        )
        records.append(("action", action.pk))
    records += [("person_record", p.pk) for p in people]
    records += [("place_record", p.pk) for p in places]
    AgendaItem.objects.bulk_create(
        AgendaItem(
            meeting=meeting,
            position=n + 1,
            kind=ItemKind.OTHER,
            proposed=True,
            record_type=record_type,
            record_id=record_id,
        )
        for n, (record_type, record_id) in enumerate(records)
    )
    return meeting, org


def _ms(action) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(REPEAT):
        start = time.perf_counter()
        result = action()
        samples.append((time.perf_counter() - start) * 1000)
    return median(samples), result


def run() -> list[Result]:
    meeting, org = _meeting()
    fire, housing = org["sfrs-fife"], org["kingdom-ha"]
    pack_pdf(pack_for_organisation(meeting, fire))  # warm up: fonts, templates, imports
    built_ms, pack = _ms(lambda: pack_for_organisation(meeting, fire))
    assert len(pack.items) == 30, f"the fire service's pack holds {len(pack.items)} items"
    pdf_ms, pdf = _ms(lambda: pack_pdf(pack_for_organisation(meeting, fire)))
    assert pdf.startswith(b"%PDF")
    housing_ms, _ = _ms(lambda: pack_pdf(pack_for_organisation(meeting, housing)))
    return [
        Result("30-item pack PDF, fire service (median)", pdf_ms, "ms", PDF_MS),
        Result("30-item pack built, no PDF (median)", built_ms, "ms", 0, kind="info"),
        Result("pack PDF, housing association (median)", housing_ms, "ms", 0, kind="info"),
    ]
