"""A person logs in with a real browser and lands on their role's page."""

from __future__ import annotations

import pytest

from tests.browser import assert_accessible, log_in
from tests.factories import make_manager

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_logs_in_and_lands_on_the_board(browser_page, team) -> None:
    make_manager(team=team, username="boss")
    log_in(browser_page, "boss")
    assert browser_page.url.endswith("/board/")
    assert browser_page.locator("h1").inner_text() == "Follow-up board"


def test_wrong_password_is_refused_with_a_message(browser_page, team) -> None:
    make_manager(team=team, username="boss")
    log_in(browser_page, "boss", password="not-the-password")
    assert browser_page.url.endswith("/login/")
    assert "correct username and password" in browser_page.locator("[role=alert]").inner_text()


def test_login_page_has_no_serious_accessibility_violations(browser_page) -> None:
    browser_page.goto("/login/")
    assert_accessible(browser_page)
