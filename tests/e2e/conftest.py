"""Browser tests: one headless Chromium per session, a fresh context per test, the live server.

The live server needs a transactional database, which is flushed after every test. The flush
also empties what data migrations put there (the standard themes), so the data fixtures ask
for serialized rollback: every test starts from the database as the migrations left it.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    Route,
    sync_playwright,
)

from saferhub.partnerships.models import Partnership, User
from saferhub.partnerships.partnership_file import (
    read_partnership_file,
    validate_partnership_data,
)
from saferhub.partnerships.services import partnership_apply

from .helpers import authenticator, with_password

EXAMPLE_FILE = Path(__file__).parent.parent / "fixtures" / "fife.yaml"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


# The browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session (Debian's, not a downloaded one)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class PageProblems:
    """What went wrong in the browser outside the page's content: broken static files,
    script errors and Content Security Policy refusals (reported on the console)."""

    items: list[str] = field(default_factory=list)
    # Scripts the test itself kept from loading (see `page_without_javascript`).
    blocked: set[str] = field(default_factory=set)

    def on_response(self, response: Response) -> None:
        # Pages themselves may answer 4xx (a form with errors is 422); their parts may not.
        if response.request.resource_type != "document" and response.status >= 400:
            self.items.append(f"{response.status} for {response.url}")

    def on_request_failed(self, request: Request) -> None:
        # ERR_ABORTED is the browser dropping a fetch it no longer needs (the page moved on
        # while its icon was loading): not a broken file, which answers 4xx (on_response).
        if request.url not in self.blocked and "ERR_ABORTED" not in (request.failure or ""):
            self.items.append(f"request failed ({request.failure}) for {request.url}")

    def on_console(self, message: ConsoleMessage) -> None:
        # A failed load is reported by the two handlers above (the page itself may be a 422).
        if message.type != "error" or message.text.startswith("Failed to load resource"):
            return
        where = message.location["url"]
        self.items.append(f"console error: {message.text}" + (f" ({where})" if where else ""))

    def on_page_error(self, error: Exception) -> None:
        self.items.append(f"script error: {error}")

    def block(self, route: Route) -> None:
        self.blocked.add(route.request.url)
        route.abort("blockedbyclient")


def _open_page(browser: Browser, base_url: str, *, scripts: bool) -> tuple:
    context = browser.new_context(
        base_url=base_url, viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/London"
    )
    context.set_default_timeout(10_000)
    problems = PageProblems()
    if not scripts:
        context.route("**/*.js", problems.block)
    page = context.new_page()
    page.on("response", problems.on_response)
    page.on("requestfailed", problems.on_request_failed)
    page.on("console", problems.on_console)
    page.on("pageerror", problems.on_page_error)
    return context, page, problems


def _close_page(context: BrowserContext, problems: PageProblems) -> None:
    context.close()
    if problems.items:
        pytest.fail(
            "The browser reported problems:\n" + "\n".join(f"- {p}" for p in problems.items),
            pytrace=False,
        )


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies) pointed at the live server; the test
    fails if a static file is missing or the browser reports a script or CSP error."""
    context, page, problems = _open_page(browser, live_server.url, scripts=True)
    yield page
    _close_page(context, problems)


@pytest.fixture
def page_without_javascript(browser: Browser, live_server) -> Iterator[Page]:
    """The same, as if JavaScript were off: the hub's own scripts are kept from loading.

    (Turning JavaScript off in the context would stop axe-core too: it needs timers.)
    """
    context, page, problems = _open_page(browser, live_server.url, scripts=False)
    yield page
    _close_page(context, problems)


# The data -------------------------------------------------------------------------------


@pytest.fixture
def fife_live(transactional_db, django_db_serialized_rollback) -> Partnership:
    """The partnership of tests/fixtures/fife.yaml, applied and committed so that the live
    server's thread sees it."""
    partnership_apply(document=read_partnership_file(EXAMPLE_FILE))
    return Partnership.objects.get(code="fife")


@pytest.fixture
def tayside_live(fife_live) -> Partnership:
    """A second partnership, from a modified copy of the Fife file: another code and name,
    a dearer campus officer (annual total £81,000), and only jo.smith as a user."""
    data = yaml.safe_load(EXAMPLE_FILE.read_text())
    data["partnership"].update(
        code="tayside", name="Tayside Community Safety Partnership", local_authority="Dundee"
    )
    data["funded_posts"][0]["annual_cost_gbp"] = 50000
    data["users"] = [user for user in data["users"] if user["username"] == "jo.smith"]
    partnership_apply(document=validate_partnership_data(data, "the Tayside copy"))
    return Partnership.objects.get(code="tayside")


@pytest.fixture
def practitioner_without_app(fife_live) -> User:
    """jo.smith, a police practitioner: a password, but no authenticator app set up yet."""
    return with_password("jo.smith")


@pytest.fixture
def practitioner(fife_live) -> User:
    """jo.smith with a password and a confirmed authenticator app."""
    user = with_password("jo.smith")
    authenticator(user)
    return user


@pytest.fixture
def manager(fife_live) -> User:
    """sam.boyd, a manager only: sees no personal data, so no second factor."""
    return with_password("sam.boyd")


@pytest.fixture
def administrator(fife_live) -> User:
    """ali.khan, coordinator and admin in Fife, with an authenticator app."""
    user = with_password("ali.khan")
    authenticator(user)
    return user
