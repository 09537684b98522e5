"""A manager opens the board in a real browser, sees an overdue lead, reassigns it with one
click and sees the board update; the board and the dashboard pass axe."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from leads.escalation import record_sweep
from tests.browser import assert_accessible, log_in, save_screenshot
from tests.factories import SourceFactory, TeamFactory, make_manager, make_rep
from tests.metrics_data import add_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def board_world():
    team = TeamFactory(name="Team North", slug="north", time_zone="UTC")
    ana = make_rep(team=team, username="ana", first_name="Ana", last_name="Alves")
    ben = make_rep(team=team, username="ben", first_name="Ben", last_name="Brook")
    make_manager(team=team, username="boss", first_name="Bo", last_name="Boss")
    now = timezone.now()
    midnight = datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
    source = SourceFactory(name="Website")
    received = max(midnight, now - timedelta(hours=2))
    overdue = add_lead(
        team=team, owner=ana, source=source, received_at=received, name="Olga Overdue"
    )
    # An overdue lead is one whose respond-by has passed with no contact.
    overdue.respond_by = received
    overdue.save(update_fields=["respond_by"])
    add_lead(
        team=team,
        owner=ben,
        source=source,
        received_at=received,
        contact_after=min(timedelta(minutes=7), now - received),
        name="Carl Contacted",
    )
    for weeks_ago in range(1, 12):
        for minutes in (4, 30, 95):
            add_lead(
                team=team,
                owner=ana if minutes < 60 else ben,
                source=source,
                received_at=now - timedelta(weeks=weeks_ago, minutes=minutes * 3),
                contact_after=timedelta(minutes=minutes),
                qualified=minutes < 10,
                ordered=minutes == 4 and weeks_ago % 3 == 0,
            )
    # Escalations are running: no stale-sweep banner over the screenshots.
    record_sweep(now=now)
    return {"overdue": overdue}


def test_manager_sees_an_overdue_lead_reassigns_it_and_the_board_updates(
    browser_page, board_world
) -> None:
    page = browser_page
    log_in(page, "boss")
    assert page.url.endswith("/board/")
    assert "1 of 2 leads followed up (50%)" in page.locator("#headline").inner_text()
    row = page.locator("#overdue tr.overdue-row", has_text="Olga Overdue")
    assert row.locator("td.owner").inner_text() == "Ana Alves"
    assert_accessible(page)
    save_screenshot(page, "board")

    row.locator("select").select_option(label="Ben Brook")
    row.locator("button", has_text="Reassign").click()
    page.wait_for_load_state()

    assert page.url.endswith("/board/")
    assert "Olga Overdue is now with Ben Brook" in page.locator(".messages").inner_text()
    row = page.locator("#overdue tr.overdue-row", has_text="Olga Overdue")
    assert row.locator("td.owner").inner_text() == "Ben Brook"


def test_the_board_refreshes_itself_through_htmx(browser_page, board_world) -> None:
    page = browser_page
    page.clock.install()  # the page's timers run on a clock the test moves
    log_in(page, "boss")
    assert "1 of 2 leads followed up (50%)" in page.locator("#headline").inner_text()
    lead = board_world["overdue"]
    now = timezone.now()
    type(lead).objects.filter(pk=lead.pk).update(
        first_touch_at=now, first_contact_at=now, status="contacted"
    )
    # The board polls every 20 seconds.
    with page.expect_response(lambda r: "/board/" in r.url and r.request.headers.get("hx-request")):
        page.clock.run_for(21_000)
    page.wait_for_function(
        "document.getElementById('headline').innerText.includes('2 of 2 leads followed up (100%)')"
    )
    assert page.locator("#overdue").count() == 0


def test_the_dashboard_is_accessible_and_draws_its_charts(browser_page, board_world) -> None:
    page = browser_page
    log_in(page, "boss")
    page.goto("/metrics/")
    assert page.locator("svg.chart").count() == 5
    assert page.locator("#table-weekly tbody tr").count() == 12
    assert_accessible(page)
    save_screenshot(page, "dashboard")
