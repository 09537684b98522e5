"""The three journeys a new customer tries first, in a real browser against a live server
with a real Celery worker and beat (private Redis, the test's PostgreSQL database).

Each journey ends with a screenshot of its last page in docs/screenshots/ (README uses them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from leads.models import Lead, LeadEvent, Source
from tests.browser import log_in, save_screenshot
from tests.cluster import Cluster, running_cluster, wait_for
from tests.factories import ProductFactory, make_manager, make_rep

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with running_cluster() as cluster:
        cluster.start_worker()
        cluster.start_beat()
        yield cluster


@contextmanager
def company_site(form_url: str) -> Iterator[str]:
    """The customer's own web site on another origin, embedding our hosted form."""
    page = (
        "<!doctype html><html lang='en'><head><title>Acme Widgets</title></head><body>"
        "<h1>Acme Widgets</h1><p>Questions? Ask us below.</p>"
        f"<iframe title='Contact form' src='{form_url}' width='600' height='900'></iframe>"
        "</body></html>"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def new_page(browser, live_server, **viewport: int):
    size = viewport or {"width": 1280, "height": 900}
    context = browser.new_context(base_url=live_server.url, viewport=size)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_marketing_a_visitor_fills_the_embedded_form_and_the_lead_reaches_a_rep_live(
    browser, live_server, cluster, team, settings
) -> None:
    settings.LEADS_FORM_MIN_FILL_SECONDS = 0
    make_rep(team=team, username="rosa", first_name="Rosa", last_name="Parks")
    ProductFactory(name="Widget XL")
    Source.objects.create(name="Company site", slug="site", kind=Source.Kind.FORM, team=team)

    rep_page = new_page(browser, live_server)
    log_in(rep_page, "rosa")
    rep_page.goto("/leads/?tab=waiting")

    with company_site(f"{live_server.url}/f/site/") as origin:
        settings.LEADS_FORM_FRAME_ANCESTORS = [origin]
        visitor = new_page(browser, live_server)
        visitor.goto(origin)
        form = visitor.frame_locator("iframe[title='Contact form']")
        form.get_by_label("Your name").fill("Margaret Hamilton")
        form.get_by_label("Email", exact=True).fill("margaret@example.com")
        form.get_by_label("Company").fill("Apollo Guidance")
        form.get_by_label("Your question").fill("Do you ship <b>widgets</b> to Houston?")
        form.get_by_role("button", name="Send").click()
        form.get_by_text("Thank you").first.wait_for()
        save_screenshot(visitor, "journey-embedded-form")

    lead = Lead.objects.get()
    assert lead.owner.username == "rosa" and lead.source.slug == "site"
    row = rep_page.locator(f"#lead-{lead.pk}")
    row.wait_for()  # the queue refreshes itself: no reload
    assert "Margaret Hamilton" in row.inner_text()
    assert "<b>" not in row.inner_html()  # the prospect's markup is shown escaped
    save_screenshot(rep_page, "journey-marketing")
    # The real worker delivered the rep's notification from the outbox.
    wait_for(lambda: lead.notifications.filter(state="sent").exists(), timeout=20)


def test_rep_on_a_phone_logs_first_contact_qualifies_and_plans_a_follow_up(
    browser, live_server, team
) -> None:
    from tests.factories import LeadFactory

    rep = make_rep(team=team, username="ken")
    lead = LeadFactory(team=team, owner=rep, name="Dorothy Vaughan", phone="+1 555 0142")

    page = new_page(browser, live_server, width=375, height=812)
    log_in(page, "ken")
    page.goto("/leads/?tab=waiting")
    page.get_by_role("button", name="Reached — log call for Dorothy Vaughan").click()
    page.wait_for_load_state()
    lead.refresh_from_db()
    assert lead.status == "contacted"

    page.goto(f"/leads/{lead.pk}/")
    page.select_option("select[name=status]", "qualified")
    page.get_by_role("button", name="Change status").click()
    page.wait_for_load_state()
    page.locator(".suggestions button").first.click()  # the day-2 cadence suggestion
    page.wait_for_load_state()

    lead.refresh_from_db()
    assert lead.status == "qualified" and lead.qualified_at is not None
    assert lead.next_follow_up_at is not None
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    save_screenshot(page, "journey-rep-phone")


def test_manager_sees_an_overdue_lead_on_the_board_and_reassigns_it(
    browser, live_server, team, settings
) -> None:
    from django.utils import timezone

    from leads.intake import LeadInput, ingest_lead

    # A seconds-long target for the lead; the ladder's own reassignment comes much later,
    # so it is the manager who hands the lead over.
    overrides = {"LEADS_RESPONSE_TARGET": "3s", "LEADS_REMINDER_BEFORE": "1s"}
    overrides |= {"LEADS_REASSIGN_AFTER": "30m"}
    for name, value in overrides.items():
        setattr(settings, name, value)
    make_manager(team=team, username="maya")
    make_rep(team=team, username="first", first_name="Fay", last_name="First")
    make_rep(team=team, username="second", first_name="Sam", last_name="Second")
    source = Source.objects.create(name="Partner API", slug="partner", team=team)

    with running_cluster(**overrides) as cluster:
        cluster.start_worker()
        cluster.start_beat()
        lead = ingest_lead(
            source=source,
            data=LeadInput(name="Hedy Lamarr", email="hedy@example.com"),
            now=timezone.now(),
            channel="api",
        ).lead
        first_owner = lead.owner.username
        # The beat's sweep marks it overdue and alerts the manager.
        wait_for(lambda: lead.events.filter(type=LeadEvent.Type.OVERDUE).exists(), timeout=30)

        page = new_page(browser, live_server)
        log_in(page, "maya")
        assert page.url.endswith("/board/")
        row = page.locator(f"#overdue tr[data-lead='{lead.pk}']")
        row.wait_for()
        assert "Hedy Lamarr" in row.inner_text()
        new_owner = "second" if first_owner == "first" else "first"
        row.locator("select[name=owner]").select_option(
            str(type(lead.owner).objects.get(username=new_owner).pk)
        )
        row.get_by_role("button", name="Reassign").click()
        page.wait_for_load_state()
        lead.refresh_from_db()
        assert lead.owner.username == new_owner
        save_screenshot(page, "journey-manager-board")

    rep_page = new_page(browser, live_server)
    log_in(rep_page, new_owner)
    rep_page.locator(f"#lead-{lead.pk}").wait_for()
    assert "Hedy Lamarr" in rep_page.locator(f"#lead-{lead.pk}").inner_text()
