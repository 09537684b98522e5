"""Intake pages in a real browser: the hosted form, the import progress, the sources page."""

from __future__ import annotations

import pytest
from django.utils import timezone

from leads.imports import run_import_job
from leads.models import ImportJob, Lead
from tests.browser import assert_accessible, log_in, save_screenshot
from tests.factories import SourceFactory, make_manager, make_rep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_prospect_fixes_an_error_and_sends_the_form(browser_page, team, settings) -> None:
    settings.LEADS_FORM_MIN_FILL_SECONDS = 0
    rep = make_rep(team=team, username="ana")
    SourceFactory(slug="website", name="Website", kind="form")
    page = browser_page

    page.goto("/f/website/")
    assert_accessible(page)
    page.fill("#id_name", "Dana Whitfield")
    page.fill("#id_company", "Whitfield Logistics")
    page.fill("#id_message", "Does it track trucks?")
    page.click("button[type=submit]")

    assert "Give an email or a phone number" in page.locator(".field.has-error").inner_text()
    assert page.input_value("#id_company") == "Whitfield Logistics"
    assert page.input_value("#id_message") == "Does it track trucks?"
    save_screenshot(page, "intake-form-error")
    page.fill("#id_email", "dana@example.com")
    page.click("button[type=submit]")

    page.wait_for_url("**/f/website/thanks/")
    assert page.locator("h1").inner_text() == "Thank you"
    lead = Lead.objects.get()
    assert (lead.owner, lead.company) == (rep, "Whitfield Logistics")


def test_the_honeypot_is_invisible_to_people(browser_page, team) -> None:
    SourceFactory(slug="website", name="Website", kind="form")
    browser_page.goto("/f/website/")
    assert not browser_page.locator("#id_website").is_visible() or (
        browser_page.locator("#id_website").bounding_box()["x"] < 0
    )


def test_the_import_page_shows_progress_until_done(browser_page, team, tmp_path) -> None:
    make_manager(team=team, username="boss")
    make_rep(team=team, username="ana")
    SourceFactory(slug="fair", name="Fair", kind="import")
    path = tmp_path / "leads.csv"
    path.write_text(
        "received_at,name,email,phone,company,source,product,temperature,owner\n"
        "2026-03-02T09:15:00Z,Dana,dana@example.com,,,fair,,,ana\n"
        "2026-03-02T09:15:00Z,Nobody,,,,fair,,,ana\n"
    )
    page = browser_page
    log_in(page, "boss")
    page.goto("/leads/import/")
    assert_accessible(page)
    page.set_input_files("#id_file", str(path))
    page.click("main button[type=submit]")
    page.wait_for_url("**/leads/import/*/")
    assert "Waiting" in page.locator("#import-progress").inner_text()

    run_import_job(job_id=ImportJob.objects.get().pk, now=timezone.now())  # the worker

    page.wait_for_selector("#import-progress:has-text('Done')")
    text = page.locator("#import-progress").inner_text()
    assert "2 of 2 rows checked, 1 imported" in text and "email or a phone" in text
    assert_accessible(page)
    save_screenshot(page, "intake-import-done")


def test_marketing_reads_the_sources_page(browser_page, team) -> None:
    from tests.factories import UserFactory

    UserFactory(username="mkt", role="marketing")
    SourceFactory(slug="website", name="Website", kind="form")
    log_in(browser_page, "mkt")
    assert browser_page.url.endswith("/sources/")
    assert "Website" in browser_page.locator("table.sources").inner_text()
    assert_accessible(browser_page)
