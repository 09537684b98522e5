"""In a real browser: a manager sees the bell's unread count, the stale-sweep banner, and
marks notifications read; the pages pass axe-core and the Content Security Policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.escalation import escalate_due_leads, record_sweep
from tests.browser import assert_accessible, log_in
from tests.escalation_helpers import make_lead
from tests.factories import make_manager, make_rep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_reads_an_overdue_alert_from_the_bell_under_a_stale_banner(
    browser_page, team
) -> None:
    boss = make_manager(team=team, username="boss")
    rep = make_rep(team=team, username="slow-rep")
    make_lead(
        team=team, owner=rep, received_at=timezone.now() - timedelta(minutes=61), name="Ada Buyer"
    )
    escalate_due_leads(now=timezone.now())  # reminder, then overdue: the manager is told
    record_sweep(now=timezone.now() - timedelta(minutes=10))  # and then beat died
    assert boss.notifications.filter(read_at=None, channel="in_app").count() == 1

    log_in(browser_page, "boss")
    page = browser_page
    assert "Escalations are not running" in page.locator("[role=alert]").first.inner_text()
    bell = page.locator("a.bell")
    assert bell.get_attribute("aria-label") == "Notifications, 1 unread"
    assert page.locator("a.bell svg").count() == 1
    bell.click()
    page.wait_for_url("**/notifications/")
    assert "Overdue: Ada Buyer (slow-rep)" in page.locator(".notification-list").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Mark all read").click()
    page.wait_for_load_state()
    assert page.locator(".bell-count").count() == 0
