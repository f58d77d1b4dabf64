"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

The browser is required, not optional: without it these tests fail with a message that says
how to install it (``make test`` does), so that CI can never pass by skipping them.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

# The live server answers from a thread while Playwright's sync API keeps an event loop in
# this one; without this Django refuses the ORM calls the tests make to set up data.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    "desktop": {"width": 1366, "height": 900},
    # The narrowest phone the pages are made for.
    "phone": {"width": 360, "height": 740},
}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the browser tests last. Playwright's sync API keeps an asyncio loop running in the
    main thread while the browser is open, which breaks ``async_to_sync`` in any test that
    would run after the browser started."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


def missing_chromium() -> str:
    """Why the browser cannot start, or "" when it can."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return ""
    found = shutil.which("chromium")
    return (
        f"Chromium is required for the browser tests and was not found at {CHROMIUM}"
        + (f" (there is one at {found}: set CHROMIUM_PATH)" if found else "")
        + ". Run `make test`, whose `browsers` step installs it with apt-get, or"
        " `apt-get install chromium fonts-wqy-microhei` yourself."
    )


@pytest.fixture(scope="session")
def browser():
    """The shared browser, or None when Chromium is missing: each test then fails (not
    errors, not skips) with the reason, through ``new_page``."""
    if missing_chromium():
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Open pages in fresh contexts: ``new_page("phone", javascript=False)``.

    JavaScript is on by default because axe runs in the page; the journeys switch it off
    to show that the site works without it.
    """
    contexts = []

    def open_page(viewport: str = "desktop", *, javascript: bool = True):
        if browser is None:
            pytest.fail(missing_chromium(), pytrace=False)
        context = browser.new_context(
            viewport=VIEWPORTS[viewport],
            is_mobile=viewport == "phone",
            locale="zh-CN",
            java_script_enabled=javascript,
            accept_downloads=True,
            # Only so that axe can be injected should the site send a strict CSP one day.
            bypass_csp=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def seed(transactional_db):
    """The seed letter imported through the real parser, where the live server can see it."""
    from replies.services.letters.importer import import_letter

    path = Path(settings.SAMPLES_DIR) / "letters" / "001.txt"
    if not path.is_file():
        pytest.fail(f"The seed letter is missing: {path} (set SAMPLES_DIR).", pytrace=False)
    return import_letter(text=path.read_text(encoding="utf-8"))
