"""The queue's rows as HTML, built in Python from plain dicts.

The queue is re-rendered every few seconds for every rep with it open, and a busy rep may
hold hundreds of open leads. Through Django's template engine 500 rows took ~450 ms on 2
cores (bench/queue_bench.py), `format_html` (lazy-aware escaping) about half that; f-strings
with the standard library's `html.escape` (the same five characters Django escapes) over
`.values()` dicts bring it under the 100 ms target. Every value that comes from data goes
through `esc`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from html import escape as esc
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from leads.models import Lead
from leads.times import time_tag

TEMPERATURES = dict(Lead.Temperature.choices)
STATUSES = dict(Lead.Status.choices)
QUESTION_CHARS = 140


def _clock(lead: Mapping[str, Any], now: datetime, tz: tzinfo) -> str:
    status = lead["status"]
    if status not in Lead.OPEN_STATUSES:
        closed = time_tag(lead["closed_at"], now, tz) if lead["closed_at"] else ""
        return f'<span class="badge">{STATUSES[status]}</span> {closed}'
    if lead["first_contact_at"] is None:
        respond_by = lead["respond_by"]
        state = "overdue" if respond_by <= now else "respond"
        return (
            f'<span class="countdown" data-deadline="{respond_by.isoformat()}">'
            f"{state} {time_tag(respond_by, now, tz)}</span>"
        )
    follow_up = ""
    if lead["next_follow_up_at"]:
        due = " due" if lead["next_follow_up_at"] <= now else ""
        follow_up = (
            f' <span class="follow-up{due}">follow up '
            f"{time_tag(lead['next_follow_up_at'], now, tz)}</span>"
        )
    return f'<span class="badge ok">{STATUSES[status]}</span>{follow_up}'


def _question(message: str) -> str:
    line = message.strip().split("\n", 1)[0].strip() if message else ""
    if not line:
        return ""
    if len(line) > QUESTION_CHARS:
        line = line[: QUESTION_CHARS - 1].rstrip() + "…"
    return f'<p class="lead-question">{esc(line)}</p>'


def render_queue_rows(
    leads: Iterable[Mapping[str, Any]], *, now: datetime, csrf: str, next_url: str
) -> SafeString:
    """One `<li>` per lead; `leads` are dicts with views_workspace.QUEUE_ROW_FIELDS."""
    tz = timezone.get_current_timezone()
    detail = reverse("leads:detail", args=[0]).replace("/0/", "/{}/")
    log = reverse("leads:log-activity", args=[0]).replace("/0/", "/{}/")
    csrf, next_url = esc(csrf), esc(next_url)
    rows = []
    for lead in leads:
        pk = int(lead["pk"])
        waiting = lead["status"] in Lead.OPEN_STATUSES and lead["first_contact_at"] is None
        name = esc(lead["name"])
        company = (
            f' <span class="company">· {esc(lead["company"])}</span>' if lead["company"] else ""
        )
        product = esc(lead["product__name"]) if lead["product__name"] else "No product"
        temperature = lead["temperature"]
        quick_log = ""
        if waiting:
            quick_log = (
                f'<form class="quick-log" method="post" action="{log.format(pk)}">'
                f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
                '<input type="hidden" name="kind" value="call">'
                '<input type="hidden" name="outcome" value="reached">'
                f'<input type="hidden" name="next" value="{next_url}">'
                '<button type="submit" class="primary">Reached — log call'
                f'<span class="visually-hidden"> for {name}</span></button></form>'
            )
        rows.append(
            f'<li class="lead-row{" waiting" if waiting else ""}" id="lead-{pk}" '
            f'data-lead="{pk}">\n<div class="lead-main">\n'
            f'<a class="lead-name" href="{detail.format(pk)}">{name}</a>{company}\n'
            f'<div class="lead-meta"><span class="badge {esc(temperature)}">'
            f"{esc(TEMPERATURES.get(temperature, temperature))}</span> <span>{product}</span> "
            f"<span>via {esc(lead['source__name'])}</span> "
            f"<span>received {time_tag(lead['received_at'], now, tz)}</span></div>\n"
            f"{_question(lead['message'])}\n</div>\n"
            f'<div class="lead-clock">{_clock(lead, now, tz)}</div>\n{quick_log}\n</li>\n'
        )
    return mark_safe("".join(rows))  # noqa: S308 - every data value above went through esc()


def render_team_rows(
    leads: Iterable[Lead],
    *,
    members: Mapping[int, list[Any]],
    now: datetime,
    csrf: str,
    next_url: str,
) -> SafeString:
    """One `<tr>` per lead of the manager's team queue, with an inline reassign form.

    `members` maps a team id to the users a lead of that team may be handed to. The owner
    options of each team are built once; the current owner is left out per row.
    """
    tz = timezone.get_current_timezone()
    detail = reverse("leads:detail", args=[0]).replace("/0/", "/{}/")
    reassign = reverse("leads:reassign", args=[0]).replace("/0/", "/{}/")
    csrf, next_url = esc(csrf), esc(next_url)
    options = {
        team_id: [
            (user.pk, f'<option value="{user.pk}">{esc(_person(user))}</option>') for user in users
        ]
        for team_id, users in members.items()
    }
    rows = []
    for lead in leads:
        pk, name = lead.pk, esc(lead.name)
        company = f" · {esc(lead.company)}" if lead.company else ""
        product = esc(lead.product.name) if lead.product_id else "No product"
        unrouted = ' <span class="badge overdue">unrouted</span>' if lead.unrouted else ""
        if lead.first_contact_at:
            clock = f"contacted {time_tag(lead.first_contact_at, now, tz)}"
        else:
            clock = (
                f'<span class="countdown" data-deadline="{lead.respond_by.isoformat()}">'
                f"{time_tag(lead.respond_by, now, tz)}</span>"
            )
        choices = "".join(
            h for user_pk, h in options.get(lead.team_id, []) if user_pk != lead.owner_id
        )
        rows.append(
            f'<tr id="lead-{pk}"><td><a href="{detail.format(pk)}">{name}</a>{company}<br>'
            f'<span class="helptext">{product} · {TEMPERATURES[lead.temperature]} · '
            f"{STATUSES[lead.status]}</span></td>"
            f"<td>{esc(_person(lead.owner))}{unrouted}</td><td>{clock}</td><td>"
            f'<form class="inline-form" method="post" action="{reassign.format(pk)}">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
            f'<input type="hidden" name="next" value="{next_url}">'
            f'<label class="visually-hidden" for="owner-{pk}">New owner of {name}</label>'
            f'<select id="owner-{pk}" name="owner" required>{choices}</select>'
            f'<label class="visually-hidden" for="reason-{pk}">Reason</label>'
            f'<input id="reason-{pk}" name="reason" placeholder="Reason" required maxlength="500">'
            '<button type="submit">Reassign</button></form></td></tr>\n'
        )
    return mark_safe("".join(rows))  # noqa: S308 - every data value above went through esc()


def _person(user: Any) -> str:
    return user.get_full_name() or user.get_username()
