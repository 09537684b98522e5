"""CSV import: historical leads kept as given, bad rows reported by line, nothing partial."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from leads.imports import import_leads, read_import_rows, run_import_job
from leads.models import ImportJob, Lead, LeadEvent
from tests.conftest import client_for
from tests.factories import ProductFactory, SourceFactory, make_rep

pytestmark = pytest.mark.django_db

HEADER = (
    "received_at,name,email,phone,company,source,product,temperature,owner,"
    "first_touch_at,first_contact_at,qualified_at,ordered_at,disqualified_at,lost_at,reason\n"
)


@pytest.fixture
def setup(team):
    ana = make_rep(team=team, username="ana")
    make_rep(team=team, username="ben")
    SourceFactory(name="Trade show", slug="trade-show", kind="import")
    ProductFactory(name="Fleet", slug="fleet")
    return {"ana": ana}


def run_csv(text: str):
    return import_leads(read_import_rows(text), now=datetime(2026, 11, 23, 12, tzinfo=UTC))


def test_valid_rows_are_imported_with_their_history(setup) -> None:
    report = run_csv(
        HEADER + "2026-03-02T09:15:00+01:00,Dana,dana@example.com,,Acme,trade-show,fleet,hot,ana,"
        "2026-03-02T09:40:00+01:00,2026-03-02T10:00:00+01:00,2026-03-05T10:00:00+01:00,"
        "2026-03-20T10:00:00+01:00,,,\n"
    )
    assert (report.imported, report.errors) == (1, [])
    lead = Lead.objects.get()
    assert lead.received_at == datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    assert lead.owner == setup["ana"] and lead.status == "ordered"
    assert lead.first_contact_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert lead.closed_at == lead.ordered_at == datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    assert lead.next_escalation_at is None
    types = list(lead.events.values_list("type", flat=True))
    assert types[:2] == [LeadEvent.Type.CREATED, LeadEvent.Type.ASSIGNED]
    assert types.count(LeadEvent.Type.STATUS_CHANGED) == 2
    assert lead.events.get(type="lead.created").at == lead.received_at


def test_naive_times_are_read_in_the_site_time_zone(setup, settings) -> None:
    settings.TIME_ZONE = "Europe/Berlin"
    run_csv(HEADER + "2026-03-02 09:15,Dana,dana@example.com,,,trade-show,,,ana,,,,,,,\n")
    assert Lead.objects.get().received_at == datetime(2026, 3, 2, 8, 15, tzinfo=UTC)


def test_overdue_historical_leads_are_never_escalated(setup) -> None:
    run_csv(HEADER + "2026-11-01T09:00:00Z,Dana,dana@example.com,,,trade-show,,,ana,,,,,,,\n")
    lead = Lead.objects.get()
    assert lead.status == "new" and lead.next_escalation_at is None


def test_rows_without_owner_are_assigned_by_the_rules(setup) -> None:
    run_csv(HEADER + "2026-11-01T09:00:00Z,Dana,dana@example.com,,,trade-show,,,,,,,,,,\n")
    reason = Lead.objects.get().events.get(type="lead.assigned").data["reason"]
    assert reason.startswith("imported; round robin")


def test_bad_rows_are_reported_by_line_and_the_good_ones_imported(setup) -> None:
    report = run_csv(
        HEADER
        + "2026-03-02T09:15:00Z,Good,good@example.com,,,trade-show,,,ana,,,,,,,\n"
        + "yesterday,Bad time,b@example.com,,,trade-show,,,ana,,,,,,,\n"
        + "2026-03-02T09:15:00Z,No contact,,,,trade-show,,,ana,,,,,,,\n"
        + "2026-03-02T09:15:00Z,Who,w@example.com,,,nowhere,,,nobody,,,,,,,\n"
        + "2026-03-02T09:15:00Z,Early,e@example.com,,,trade-show,,,ana,2026-03-01T00:00:00Z,,,,,,\n"
        + "2026-03-02T09:15:00Z,Good too,+1 555 0100,,,trade-show,,cold,,,,,,,,\n"
    )
    assert (report.imported, report.total) == (1, 6)
    lines = dict(report.errors)
    assert set(lines) == {3, 4, 5, 6, 7}
    assert "received_at" in lines[3]
    assert "email or a phone" in lines[4]
    assert "source" in lines[5] and "owner" in lines[5]
    assert "before received_at" in lines[6]
    # Line 7 put a phone number in the email column.
    assert "email" in lines[7]
    assert set(Lead.objects.values_list("name", flat=True)) == {"Good"}


def test_a_disqualified_row_keeps_its_reason(setup) -> None:
    run_csv(
        HEADER + "2026-03-02T09:15:00Z,Dana,dana@example.com,,,trade-show,,,ana,,,,,"
        "2026-03-03T09:15:00Z,,No budget\n"
        + "2026-03-02T09:15:00Z,Eve,eve@example.com,,,trade-show,,,ana,,,,,,"
        "2026-03-04T09:15:00Z,went quiet\n"
    )
    dana, eve = Lead.objects.get(name="Dana"), Lead.objects.get(name="Eve")
    assert (dana.status, dana.close_reason) == ("disqualified", "no_budget")
    assert (eve.status, eve.close_reason, eve.close_note) == ("lost", "other", "went quiet")


def test_the_command_imports_and_reports_rejected_rows(setup, tmp_path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        HEADER
        + "2026-03-02T09:15:00Z,Dana,dana@example.com,,,trade-show,,,ana,,,,,,,\n"
        + "2026-03-02T09:15:00Z,Bad,,,,trade-show,,,ana,,,,,,,\n"
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 rows were not imported"):
        call_command("import_leads", str(path), stdout=out, stderr=err)
    assert "Imported 1 of 2 rows." in out.getvalue()
    assert "line 3:" in err.getvalue()
    assert Lead.objects.count() == 1


def test_a_file_missing_columns_is_refused_whole(setup, tmp_path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("name,email\nDana,dana@example.com\n")
    with pytest.raises(CommandError, match="Missing columns"):
        call_command("import_leads", str(path), stdout=io.StringIO())


def test_a_manager_uploads_a_file_and_follows_its_progress(setup, manager) -> None:
    client = client_for(manager)
    upload = SimpleUploadedFile(
        "leads.csv",
        (
            HEADER
            + "2026-03-02T09:15:00Z,Dana,dana@example.com,,,trade-show,,,ana,,,,,,,\n"
            + "2026-03-02T09:15:00Z,Bad,,,,trade-show,,,ana,,,,,,,\n"
        ).encode(),
        content_type="text/csv",
    )
    response = client.post("/leads/import/", {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/leads/import/{job.pk}/"
    waiting = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 1s"' in waiting.content

    run_import_job(job_id=job.pk, now=datetime(2026, 11, 23, 12, tzinfo=UTC))  # the worker

    done = client.get(response["Location"])
    html = done.content.decode()
    assert "1 of 2 rows checked" not in html and "2 of 2 rows checked, 1 imported" in html
    assert "hx-trigger" not in html
    assert "email or a phone" in html
    job.refresh_from_db()
    assert (job.state, job.imported_rows, job.content) == ("done", 1, "")
    # A second delivery of the task does nothing.
    assert run_import_job(job_id=job.pk, now=datetime(2026, 11, 23, 12, tzinfo=UTC)) is None


def test_another_managers_import_is_not_visible(setup, manager) -> None:
    job = ImportJob.objects.create(
        created_by=manager, filename="x.csv", content="", created_at=datetime.now(UTC)
    )
    other = make_rep(username="m2")
    from django.contrib.auth.models import Group

    other.groups.add(Group.objects.get(name="manager"))
    assert client_for(other).get(f"/leads/import/{job.pk}/").status_code == 404


def test_a_file_that_is_not_utf8_is_refused_on_the_page(setup, manager) -> None:
    upload = SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad", content_type="text/csv")
    response = client_for(manager).post("/leads/import/", {"file": upload})
    assert response.status_code == 200 and b"not UTF-8" in response.content
    assert not ImportJob.objects.exists()


def test_an_upload_whose_task_was_lost_is_imported_by_the_sweep(setup, manager) -> None:
    from datetime import timedelta

    from leads.imports import run_stalled_import_jobs

    uploaded = datetime(2026, 11, 23, 12, tzinfo=UTC)
    job = ImportJob.objects.create(
        created_by=manager,
        filename="x.csv",
        content=HEADER + "2026-03-02T09:15:00Z,Dana,dana@example.com,,,trade-show,,,ana,,,,,,,\n",
        created_at=uploaded,
    )
    assert run_stalled_import_jobs(now=uploaded + timedelta(seconds=5)) == 0  # task may come
    assert run_stalled_import_jobs(now=uploaded + timedelta(minutes=1)) == 1
    job.refresh_from_db()
    assert (job.state, job.imported_rows) == ("done", 1)
    assert run_stalled_import_jobs(now=uploaded + timedelta(minutes=2)) == 0
