"""The referral pages: both sides' queues, sending from the form, working a referral, and
what an organisation outside the referral sees (depersonalised, or nothing at all)."""

import datetime

import pytest
from django.utils import timezone

from saferhub.audit.models import AuditEvent
from saferhub.partnerships.models import User
from saferhub.places.models import PlaceRecord
from saferhub.referrals.models import Referral, ReferralEvent
from saferhub.sharing.models import Protocol
from tests.referrals.conftest import SUBJECT_DETAILS, client_for, person_of, record, send

pytestmark = pytest.mark.django_db

LIST = "/partnerships/fife/referrals/"
HOUR = datetime.timedelta(hours=1)


def form_data(incident_id: int, **changes) -> dict:
    data = {
        "incident": str(incident_id),
        "recipient": "sfrs-fife",
        "referral_type": "home-fire-safety-visit",
        "themes": ["home_safety"],
        "urgency": "red",
        "reason": "Hoarding blocks the exits; she smokes in bed.",
        "lawful_basis": "protocol",
        "protocol": "",
        "consent_given_by": "",
        "consent_given_at": "",
        "consent_given_how": "",
        "consent_capacity_note": "",
        "vital_interests_reason": "",
    }
    data.update(changes)
    return data


def test_a_practitioner_sends_a_referral_from_an_incident(staff, types):
    council = staff["fife-council-asb"]
    incident = record(council, themes=["home_safety"])
    client = client_for(council)
    page = client.get(f"{LIST}new/?incident={incident.pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert f"Incident {incident.pk}" in text
    assert "Red: within 4 hours" in text
    # The incident's themes are ticked to start with.
    assert 'value="home_safety" checked' in text
    response = client.post(f"{LIST}new/", form_data(incident.pk))
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}{referral.pk}/"
    assert (referral.recipient.code, referral.protocol.code, referral.urgency) == (
        "sfrs-fife",
        "fife-isp",
        "red",
    )


def test_bad_input_answers_422_naming_each_field_and_saves_nothing(staff, types):
    council = staff["fife-council-asb"]
    incident = record(council, themes=["home_safety"])
    response = client_for(council).post(
        f"{LIST}new/",
        form_data(
            incident.pk,
            recipient="",
            themes=[],
            reason="",
            lawful_basis="consent",
            consent_given_at="yesterday",
        ),
    )
    assert response.status_code == 422
    text = response.content.decode()
    for message in (
        "Choose the organisation to refer to",
        "Choose at least one theme",
        "Say why you are referring",
        "Enter when consent was given like 23/11/2026 14:30",
    ):
        assert message in text
    assert 'href="#id_recipient"' in text
    assert not Referral.objects.exists()


def test_when_no_protocol_covers_it_the_form_says_why(staff, types):
    council = staff["fife-council-asb"]
    incident = record(council, themes=["home_safety"])
    response = client_for(council).post(f"{LIST}new/", form_data(incident.pk, recipient="nhs-fife"))
    assert response.status_code == 422
    text = response.content.decode()
    assert "NHS Fife has not signed protocol fife-isp" in text
    assert "Send it on the person&#x27;s consent, or on vital interests" in text
    assert not Referral.objects.exists()


def test_the_form_will_not_start_from_another_organisations_record(staff, types):
    police_incident = record(staff["police-fife"], themes=["home_safety"])
    client = client_for(staff["fife-council-asb"])
    assert client.get(f"{LIST}new/?incident={police_incident.pk}").status_code == 404
    response = client.post(f"{LIST}new/", form_data(police_incident.pk))
    assert response.status_code == 404
    assert not Referral.objects.exists()


def test_both_sides_see_it_in_their_queue_with_overdue_marked(staff, types):
    late = send(staff["fife-council-asb"], urgency="red", now=timezone.now() - 5 * HOUR)
    fire = client_for(staff["sfrs-fife"]).get(LIST).content.decode()
    council = client_for(staff["fife-council-asb"]).get(LIST).content.decode()
    for text in (fire, council):
        assert f"Referral {late.pk}" in text
        assert "Overdue" in text
    received = fire[fire.index('id="received"') : fire.index('id="sent"')]
    assert f"Referral {late.pk}" in received
    sent = council[council.index('id="sent"') : council.index('id="shared"')]
    assert f"Referral {late.pk}" in sent


def test_the_recipient_works_it_and_the_referrer_sees_the_history(staff, types):
    referral = send(staff["fife-council-asb"])
    fire = client_for(staff["sfrs-fife"])
    detail = f"{LIST}{referral.pk}/"
    page = fire.get(detail).content.decode()
    for detail_text in SUBJECT_DETAILS[:4]:
        assert detail_text in page  # the recipient sees who it is about
    assert fire.post(detail + "accept/").status_code == 302
    response = fire.post(
        detail + "contact/", {"contact-contact_outcome": "left_message", "contact-note": "Card"}
    )
    assert response.status_code == 302
    assert fire.post(detail + "complete/", {"complete-outcome": ""}).status_code == 422
    assert fire.post(detail + "complete/", {"complete-outcome": "Alarms fitted"}).status_code == 302
    history = client_for(staff["fife-council-asb"]).get(detail).content.decode()
    for shown in ("Completed", "Accepted", "Contact attempt: Left a message", "Alarms fitted"):
        assert shown in history


def test_the_wrong_side_gets_the_reason_not_the_step(staff, types):
    referral = send(staff["fife-council-asb"])
    response = client_for(staff["fife-council-asb"]).post(f"{LIST}{referral.pk}/accept/")
    assert response.status_code == 422
    assert "Only the organisation it was sent to can accept it" in response.content.decode()
    assert list(ReferralEvent.objects.values_list("kind", flat=True)) == ["sent"]


def test_a_partner_under_a_depersonalised_protocol_sees_no_names_or_free_text(staff, types):
    # Kingdom Housing shares ASB referrals, depersonalised, with the police and the council.
    Protocol.objects.filter(code="fife-asb").update(for_referral=True, audience="all_signatories")
    referral = send(
        staff["fife-council-asb"],
        recipient="police-fife",
        themes=["asb"],
        referral_type="asb-warning-visit",
        incident_id=record(staff["fife-council-asb"], themes=["asb"]).pk,
    )
    housing = client_for(staff["kingdom-ha"])
    queue = housing.get(LIST).content.decode()
    shared = queue[queue.index('id="shared"') :]
    assert f"Referral {referral.pk}" in shared
    page = housing.get(f"{LIST}{referral.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Depersonalised" in text and "Person " in text
    for hidden in (*SUBJECT_DETAILS, referral.reason):
        assert hidden not in text
    read = AuditEvent.objects.filter(action="read", actor_username=staff["kingdom-ha"].username)
    assert read.filter(level="depersonalised", protocol_code="fife-asb").exists()


def test_a_partner_with_no_protocol_sees_nothing_and_gets_404(staff, types):
    referral = send(staff["fife-council-asb"])
    nhs = client_for(staff["nhs-fife"])
    assert nhs.get(f"{LIST}{referral.pk}/").status_code == 404
    assert nhs.post(f"{LIST}{referral.pk}/accept/").status_code == 404
    assert f"Referral {referral.pk}" not in nhs.get(LIST).content.decode()
    assert f"{LIST}{referral.pk}/" not in nhs.get(LIST).content.decode()


def test_filters_narrow_the_queue(staff, types):
    sent = send(staff["fife-council-asb"])
    done = send(staff["fife-council-asb"])
    Referral.objects.filter(pk=done.pk).update(status="completed")
    text = client_for(staff["sfrs-fife"]).get(LIST + "?status=completed").content.decode()
    assert f"Referral {done.pk}<" in text and f"Referral {sent.pk}<" not in text


def test_a_manager_sees_only_counts_and_small_ones_are_suppressed(staff, types, fife):
    for _ in range(2):
        send(staff["fife-council-asb"])
    manager = User.objects.get(username="sam.boyd")
    text = client_for(manager).get(LIST).content.decode()
    assert "fewer than 5 open" in text
    assert "Referral 1<" not in text
    for _ in range(3):
        send(staff["fife-council-asb"])
    text = client_for(manager).get(LIST).content.decode()
    assert "5 open" in text and "fewer than 5 open" not in text


def test_a_person_is_referred_in_full_to_the_recipient_and_as_a_pseudonym_to_others(staff, types):
    council = staff["fife-council-asb"]
    person = person_of(council, given_name="Agnes", family_name="Lumsden")
    client = client_for(council)
    page = client.get(f"{LIST}new/?person={person.pk}").content.decode()
    assert "Agnes Lumsden (your reference" in page
    response = client.post(
        f"{LIST}new/",
        {**form_data(0, incident=""), "person_record": str(person.pk)},
    )
    referral = Referral.objects.get()
    assert response.status_code == 302 and referral.person_record == person
    fire = client_for(staff["sfrs-fife"]).get(f"{LIST}{referral.pk}/").content.decode()
    for shown in ("Agnes Lumsden", "9 August 1941", "3 Links Street, Kirkcaldy, KY1 1QH"):
        assert shown in fire
    assert "This referral was sent to your organisation." in fire
    # Under a depersonalised protocol for referrals, the police see a pseudonym and age band.
    Protocol.objects.filter(code="fife-isp").update(level="depersonalised")
    police = client_for(staff["police-fife"]).get(f"{LIST}{referral.pk}/").content.decode()
    assert "Agnes" not in police and "Lumsden" not in police and "Links Street" not in police
    assert "Person " in police and "75 and over" in police
    assert referral.reason not in police


def test_a_place_record_is_shown_as_its_data_zone_when_depersonalised(staff, types):
    council = staff["fife-council-asb"]
    place = PlaceRecord.objects.create(
        organisation_id=council.organisation_id,
        source_ref="PL-1",
        address_line_1="4 Kirk Wynd",
        town="Kirkcaldy",
        postcode="KY1 1XX",
        data_zone="S01009555",
    )
    referral = send(council, place_record_id=place.pk)
    fire = client_for(staff["sfrs-fife"]).get(f"{LIST}{referral.pk}/").content.decode()
    assert "4 Kirk Wynd, Kirkcaldy, KY1 1XX" in fire
    Protocol.objects.filter(code="fife-isp").update(level="depersonalised")
    police = client_for(staff["police-fife"]).get(f"{LIST}{referral.pk}/").content.decode()
    assert "S01009555" in police and "Kirk Wynd" not in police
