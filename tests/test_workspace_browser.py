"""A rep works the queue in a real browser: a new lead appears live, first contact in one click."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from leads.assignment import choose_owner
from leads.models import Lead
from tests.browser import assert_accessible, log_in, save_screenshot
from tests.factories import LeadFactory, ProductFactory, make_rep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def post_lead(team, **fields) -> Lead:
    """A lead as intake stores it: the owner chosen by leads.assignment in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        choice = choose_owner(team=team, product=None, now=now)
        return LeadFactory(team=team, owner=choice.owner, received_at=now, **fields)


def test_new_lead_appears_live_and_first_contact_takes_one_click(browser_page, team) -> None:
    rep = make_rep(team=team, username="ana")
    page = browser_page
    log_in(page, "ana")
    assert page.url.endswith("/leads/")
    page.goto("/leads/?tab=waiting")
    assert "Nothing waiting" in page.locator("#queue-live").inner_text()

    lead = post_lead(team, name="Grace Hopper", company="Navy", phone="+1 555 0100")
    assert lead.owner == rep
    row = page.locator(f"#lead-{lead.pk}")
    row.wait_for(timeout=15_000)  # the queue polls every 5 s: no reload
    assert "Grace Hopper" in row.inner_text()
    page.wait_for_function("document.title.startsWith('(1) My queue')")
    countdown = row.locator(".countdown")
    assert "left" in countdown.inner_text()

    row.get_by_role("button", name="Reached — log call for Grace Hopper").click()  # click 1 of 2
    page.wait_for_load_state()
    assert page.url.endswith("/leads/?tab=waiting")
    assert page.locator(f"#lead-{lead.pk}").count() == 0
    assert "Call logged for Grace Hopper" in page.locator(".messages").inner_text()
    lead.refresh_from_db()
    assert lead.status == "contacted" and lead.first_contact_at is not None
    assert not page.title().startswith("(")


def test_countdown_turns_amber_in_the_last_15_minutes_and_red_when_overdue(
    browser_page, team
) -> None:
    rep = make_rep(team=team, username="ben")
    now = timezone.now()
    soon = LeadFactory(team=team, owner=rep, received_at=now - timedelta(minutes=50))
    late = LeadFactory(team=team, owner=rep, received_at=now - timedelta(minutes=70))
    log_in(browser_page, "ben")
    browser_page.goto("/leads/")
    assert "soon" in browser_page.locator(f"#lead-{soon.pk} .countdown").get_attribute("class")
    late_clock = browser_page.locator(f"#lead-{late.pk} .countdown")
    assert "overdue" in late_clock.get_attribute("class")
    assert "overdue by" in late_clock.inner_text()


def test_queue_and_lead_page_are_accessible_and_fit_a_phone(browser_page, team) -> None:
    rep = make_rep(team=team, username="chloe")
    product = ProductFactory(name="XL")
    now = timezone.now()
    LeadFactory(
        team=team,
        owner=rep,
        received_at=now - timedelta(minutes=70),
        name="Alan Turing",
        temperature="hot",
        message="Can it break codes?\nAsking for a friend.",
    )
    LeadFactory(
        team=team,
        owner=rep,
        received_at=now - timedelta(minutes=50),
        name="Ada Lovelace",
        company="Analytical Engines Ltd",
        product=product,
    )
    lead = LeadFactory(
        team=team,
        owner=rep,
        received_at=now - timedelta(minutes=3),
        name="Katherine Johnson",
        phone="+1 555 0199",
        temperature="cold",
        product=product,
    )
    page = browser_page
    log_in(page, "chloe")
    page.goto("/leads/")
    assert_accessible(page)
    page.set_viewport_size({"width": 375, "height": 812})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the queue scrolls sideways on a phone ({width}px)"
    save_screenshot(page, "queue-375")
    page.goto(f"/leads/{lead.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(page)
    save_screenshot(page, "lead-375")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_accessible(page)


def test_team_queue_and_answer_library_are_accessible(browser_page, team) -> None:
    from leads.models import Answer
    from tests.factories import make_manager

    make_manager(team=team, username="boss")
    rep = make_rep(team=team, username="dora", first_name="Dora", last_name="Diaz")
    make_rep(team=team, username="eli")
    LeadFactory(team=team, owner=rep, name="Grace Hopper")
    Answer.objects.create(question="Price", body="From 1,200 EUR")
    page = browser_page
    log_in(page, "boss")
    page.goto("/team/")
    assert "Grace Hopper" in page.locator("main").inner_text()
    assert_accessible(page)
    page.goto("/answers/")
    assert_accessible(page)
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/team/")
    save_screenshot(page, "team-queue-375")
