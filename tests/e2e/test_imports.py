"""Importing a partner's file from the web: the upload form, the run page as it follows the
run, the report, and the mapping profiles page.

The test settings run background tasks at once (TASKS_BACKEND=immediate): the upload's import
has finished when the run page first loads. Following a run live is shown on a run whose
progress the test itself moves on.
"""

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from saferhub.imports.models import ImportRun, MappingProfile, RunStatus
from saferhub.imports.profiles import profiles_apply
from saferhub.imports.services import import_run_create
from tests.conftest import add_user
from tests.imports.conftest import PROFILES

from .helpers import (
    PASSWORD,
    assert_accessible,
    authenticator,
    expect_error_summary,
    expect_path,
    go_to,
    log_in,
)

pytestmark = pytest.mark.browser

IMPORTS = "/partnerships/fife/imports/"


@pytest.fixture
def council_places(fife_live, settings, tmp_path) -> MappingProfile:
    """The council's places profile (ali.khan's organisation), and uploads kept in tmp_path."""
    settings.IMPORT_DIR = tmp_path / "imports"
    profiles_apply(text=PROFILES.read_text(), source=str(PROFILES))
    return MappingProfile.objects.get(name="council-places")


def test_a_coordinator_imports_a_file_and_reads_what_was_rejected(
    page: Page, administrator, council_places, tmp_path
):
    # Given the council's coordinator on the imports page
    log_in(page, "ali.khan", TOTPDevice.objects.get(user=administrator))
    go_to(page, IMPORTS)

    # When they send the form empty, the error summary links to each problem
    page.get_by_role("button", name="Import the file").click()
    page.wait_for_load_state()
    assert_accessible(page)
    expect_error_summary(page, message="Choose a file to import", field_id="id_file")

    # When they choose a file of two properties, one of an unknown type, and import it
    properties = tmp_path / "properties.csv"
    properties.write_text(
        "Property Ref,Address 1,Town,Postcode,Type\n"
        "H1,1 High Street,Leven,KY8 4AA,HSE\n"
        "H2,2 High Street,Leven,KY8 4AA,CASTLE\n"
    )
    page.locator("#id_file").set_input_files(properties)
    page.get_by_role("group", name="What the file holds").get_by_text("Places").click()
    page.get_by_label("Mapping profile").select_option(label="council-places (places)")
    page.get_by_role("button", name="Import the file").click()
    page.wait_for_load_state()
    assert_accessible(page)

    # Then the run page shows it finished, with the rejected row and the report
    run = ImportRun.objects.get()
    expect_path(page, f"{IMPORTS}{run.pk}/")
    expect(page.locator("#run-status")).to_contain_text("Finished")
    expect(page.locator("#rows-inserted")).to_have_text("1")
    expect(page.locator("#rows-rejected")).to_have_text("1")
    expect(page.locator("#rejections")).to_contain_text("CASTLE")
    expect(page.get_by_role("link", name="Download the full report (CSV)")).to_have_attribute(
        "href", f"{IMPORTS}{run.pk}/rejections.csv"
    )

    # And the profiles page shows the council's profile, ready to change
    go_to(page, IMPORTS + "profiles/")
    expect(page.get_by_role("table")).to_contain_text("council-places")
    expect(page.get_by_label("Your organisation's profiles as YAML")).to_contain_text(
        "name: council-places"
    )


def test_the_run_page_follows_a_run_as_it_goes_with_or_without_javascript(
    page: Page, page_without_javascript: Page, administrator, council_places
):
    # Given a run waiting for the worker
    run = import_run_create(
        organisation=council_places.organisation,
        kind="places",
        profile=council_places,
        file_name="later.csv",
        stored_path="",
    )
    log_in(page, "ali.khan", TOTPDevice.objects.get(user=administrator))
    go_to(page, f"{IMPORTS}{run.pk}/")
    expect(page.locator("#run-status")).to_contain_text("Waiting to start")

    # When the worker finishes it, the open page shows so by itself
    ImportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FINISHED, rows_read=3, rows_inserted=3, finished_at=timezone.now()
    )
    expect(page.locator("#run-status")).to_contain_text("Finished")
    expect(page.locator("#rows-inserted")).to_have_text("3")
    assert_accessible(page)

    # And without JavaScript, the Refresh link shows the same (to another coordinator of the
    # council: one authenticator app's code is accepted only once)
    ImportRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED)
    colleague = add_user(
        "coordinator.council",
        partnership=council_places.organisation.partnerships.get(code="fife"),
        organisation=council_places.organisation,
        roles=["coordinator"],
    )
    colleague.set_password(PASSWORD)
    colleague.save()
    log_in(page_without_javascript, "coordinator.council", authenticator(colleague))
    page_without_javascript.goto(f"{IMPORTS}{run.pk}/")
    ImportRun.objects.filter(pk=run.pk).update(status=RunStatus.FINISHED)
    page_without_javascript.get_by_role("link", name="Refresh").click()
    expect(page_without_javascript.locator("#run-status")).to_contain_text("Finished")
