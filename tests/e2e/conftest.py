"""Browser tests: Playwright (sync API) driving Debian's Chromium against live_server.

The browser is started once per session (under pytest-xdist: once per worker
that runs browser tests, each against its own live_server on a free port);
every test gets a fresh context (cookies, storage) and page. Without
/usr/bin/chromium the tests are skipped. A failed test leaves a screenshot in
test-results/, named after the test, so parallel workers never write the same file.
"""

import os
import re
from pathlib import Path

import pytest

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
try:
    import playwright  # noqa: F401
except ImportError:  # pragma: no cover - the dev extra installs it
    collect_ignore_glob = ["test_*.py", "wizard.py"]

RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
TIMEOUT_MS = 10_000


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the item, so `page` can tell a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        pytest.skip("Browser tests need the playwright package")
    expect.set_options(timeout=TIMEOUT_MS)
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls
    # from the test body would otherwise raise SynchronousOnlyOperation. Only
    # while the browser tests run, so other tests keep Django's guard.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as error:  # noqa: BLE001 - a broken install is a skip, not a failure
        playwright.stop()
        pytest.skip(f"Chromium at {CHROMIUM} could not be started: {error}")
    yield browser
    browser.close()
    playwright.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def e2e_db(transactional_db):
    """The live server sees committed data only; roles are recreated after each flush."""
    from portal.roles import ensure_roles

    ensure_roles()


@pytest.fixture
def context(browser, live_server, e2e_db):
    context = browser.new_context(base_url=live_server.url, locale="de-DE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context, request):
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        try:
            page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)
        except Exception:  # noqa: BLE001, S110 - a screenshot must not hide the real failure
            pass
    page.close()


@pytest.fixture
def english(context, live_server):
    """Pin the pages to English (the language switcher's cookie) for stable texts."""
    from django.conf import settings

    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])


@pytest.fixture
def sign_in(context, live_server):
    """Put a Django session for `user` into the browser (skips the login form)."""
    from django.conf import settings
    from django.test import Client

    def sign_in(user):
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])

    return sign_in
