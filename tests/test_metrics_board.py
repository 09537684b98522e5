"""The daily 100% follow-up board: every lead of the day in exactly one bucket."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from leads.models import Lead
from metrics.queries import BOARD_BUCKETS, Board, BoardRow, daily_board
from tests.conftest import client_for
from tests.factories import SourceFactory, TeamFactory, make_manager, make_rep
from tests.metrics_data import BERLIN, add_lead, berlin

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 4)  # a Wednesday
NOW = berlin(2026, 3, 4, 15, 0)


@pytest.fixture
def day_of_leads():
    team = TeamFactory(name="Berlin", slug="berlin", time_zone="Europe/Berlin")
    ana, ben = make_rep(team=team, username="ana"), make_rep(team=team, username="ben")
    manager = make_manager(team=team, username="boss")
    kw = {"team": team, "source": SourceFactory()}
    m = timedelta(minutes=1)
    leads = {
        # 00:05 Berlin is 23:05 UTC the day before: still this Berlin day.
        "within": add_lead(
            owner=ana, received_at=berlin(2026, 3, 4, 0, 5), contact_after=60 * m, **kw
        ),
        "late": add_lead(
            owner=ana, received_at=berlin(2026, 3, 4, 9, 0), contact_after=90 * m, **kw
        ),
        "touched": add_lead(
            owner=ben, received_at=berlin(2026, 3, 4, 9, 30), touch_after=10 * m, **kw
        ),
        "overdue": add_lead(
            owner=ben, received_at=berlin(2026, 3, 4, 12, 0), name="Olga Overdue", **kw
        ),
        "closed": add_lead(
            owner=ben, received_at=berlin(2026, 3, 4, 12, 30), closed="disqualified", **kw
        ),
        "waiting": add_lead(owner=ana, received_at=berlin(2026, 3, 4, 14, 30), **kw),
        # 23:59 Berlin the day before: not on this board.
        "yesterday": add_lead(owner=ana, received_at=berlin(2026, 3, 3, 23, 59), **kw),
    }
    return {"team": team, "ana": ana, "ben": ben, "manager": manager, "leads": leads}


def test_every_lead_of_the_day_is_in_exactly_one_bucket(day_of_leads) -> None:
    board = daily_board(leads=Lead.objects.all(), day=DAY, tz=BERLIN, now=NOW)
    assert board.total.counts == {
        "within_target": 1,
        "late": 1,
        "touched": 1,
        "overdue": 1,
        "closed": 1,
        "waiting": 1,
    }
    assert board.total.leads == 6
    assert [lead.name for lead in board.overdue] == ["Olga Overdue"]


def test_the_headline_counts_followed_up_leads_and_is_not_100_percent_while_any_is_open(
    day_of_leads,
) -> None:
    board = daily_board(leads=Lead.objects.all(), day=DAY, tz=BERLIN, now=NOW)
    assert (board.total.followed_up, board.total.leads) == (4, 6)
    assert board.followed_up_percent == 66  # rounded down


def test_percent_is_rounded_down_so_only_all_leads_make_100() -> None:
    counts = {b.key: 0 for b in BOARD_BUCKETS} | {"within_target": 999, "overdue": 1}
    row = BoardRow(None, "All", counts, None)
    board = Board(DAY, NOW, NOW, row, [], [])
    assert board.followed_up_percent == 99


def test_reps_get_their_own_rows_with_median_response(day_of_leads) -> None:
    board = daily_board(leads=Lead.objects.all(), day=DAY, tz=BERLIN, now=NOW)
    rows = {r.owner_id: r for r in board.reps}
    ana = rows[day_of_leads["ana"].pk]
    assert ana.counts["within_target"] == ana.counts["late"] == ana.counts["waiting"] == 1
    assert ana.response_seconds_median == 75 * 60  # median of 60 and 90 minutes
    assert rows[day_of_leads["ben"].pk].response_seconds_median is None


def test_the_board_page_lists_the_overdue_lead_with_a_reassign_form(day_of_leads) -> None:
    client = client_for(day_of_leads["manager"])
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("metrics:board"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "4 of 6 leads followed up (66%)" in html
    assert "Olga Overdue" in html
    lead = day_of_leads["leads"]["overdue"]
    assert reverse("leads:reassign", args=[lead.pk]) in html
    assert 'hx-trigger="every 20s"' in html


def test_yesterday_and_any_day_can_be_chosen(day_of_leads) -> None:
    client = client_for(day_of_leads["manager"])
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        today = client.get(reverse("metrics:board")).content.decode()
        chosen = client.get(reverse("metrics:board"), {"day": "2026-03-04"}).content.decode()
    assert "0 of 0 leads followed up" in today
    assert "4 of 6 leads followed up (66%)" in chosen


def test_an_htmx_poll_gets_only_the_board_fragment(day_of_leads) -> None:
    client = client_for(day_of_leads["manager"])
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("metrics:board"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.startswith('<div id="board"')
    assert "<html" not in html


def test_reassigning_from_the_board_moves_the_lead_and_returns_to_the_board(day_of_leads) -> None:
    client = client_for(day_of_leads["manager"])
    lead = day_of_leads["leads"]["overdue"]
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("leads:reassign", args=[lead.pk]),
            {"owner": day_of_leads["ana"].pk, "reason": "Overdue", "next": "/board/"},
        )
        assert response.status_code == 302
        assert response["Location"] == "/board/"
        board = daily_board(leads=Lead.objects.all(), day=DAY, tz=BERLIN, now=NOW)
    assert board.overdue[0].owner == day_of_leads["ana"]


def test_unrouted_leads_show_a_banner(day_of_leads) -> None:
    Lead.objects.filter(pk=day_of_leads["leads"]["waiting"].pk).update(
        unrouted=True, owner=day_of_leads["manager"]
    )
    client = client_for(day_of_leads["manager"])
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("metrics:board")).content.decode()
    assert "1 open lead found no available rep" in html


def test_a_manager_sees_only_the_leads_of_their_team(day_of_leads) -> None:
    other = TeamFactory(name="Other", slug="other", time_zone="Europe/Berlin")
    outsider = make_manager(team=other, username="other-boss")
    client = client_for(outsider)
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("metrics:board")).content.decode()
        hidden = client.get(reverse("metrics:board"), {"team": day_of_leads["team"].pk})
    assert "0 of 0 leads followed up" in html
    assert hidden.status_code == 404


def test_today_is_the_day_in_the_team_time_zone(day_of_leads) -> None:
    # 23:30 UTC on 3 March is already 00:30 on 4 March in Berlin.
    client = client_for(day_of_leads["manager"])
    with time_machine.travel(datetime(2026, 3, 3, 23, 30, tzinfo=UTC), tick=False):
        html = client.get(reverse("metrics:board")).content.decode()
    assert "Wednesday 4 March 2026" in html
    assert "of 6 leads followed up" in html


def test_an_admin_chooses_one_team_and_gets_its_time_zone(day_of_leads) -> None:
    from tests.factories import UserFactory

    TeamFactory(name="Other", slug="other", time_zone="America/New_York")
    admin = UserFactory(username="root", role="admin")
    client = client_for(admin)
    with time_machine.travel(NOW, tick=False):
        html = client.get(
            reverse("metrics:board"), {"day": "2026-03-04", "team": day_of_leads["team"].pk}
        ).content.decode()
    assert "4 of 6 leads followed up (66%)" in html
    assert "Europe/Berlin" in html
    assert 'id="board-team"' in html
