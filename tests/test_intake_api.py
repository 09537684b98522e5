"""POST /api/v1/leads: stored, assigned, answered; every error code in the one shape."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from leads.models import ApiKey, Lead, LeadEvent, Notification, RepProfile
from tests.factories import ProductFactory, make_manager, make_rep
from tests.intake_helpers import post_lead, source_with_key, token_for

pytestmark = pytest.mark.django_db

LEAD = {"name": "Dana Whitfield", "email": "Dana@Example.com", "message": "What does it cost?"}


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@time_machine.travel("2026-11-23 10:00Z", tick=False)
def test_posted_lead_is_stored_assigned_and_answered_with_its_owner(rep) -> None:
    source, key = source_with_key(slug="web-api")

    response = post_lead(key, LEAD | {"temperature": "hot", "company": "Whitfield"})

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert response.json() == {
        "id": lead.pk,
        "status": "new",
        "received_at": "2026-11-23T10:00:00Z",
        "respond_by": "2026-11-23T11:00:00Z",
        "assigned_to": {"id": rep.pk, "username": "rep-a", "name": rep.get_full_name()},
        "source": "web-api",
    }
    assert (lead.owner, lead.source, lead.email, lead.temperature) == (
        rep,
        source,
        "dana@example.com",
        "hot",
    )
    # The ladder's first step, the owner's reminder, is due 15 minutes before respond-by.
    assert lead.next_escalation_at == lead.respond_by - timedelta(minutes=15)


def test_assignment_reason_is_stored_on_the_event(rep) -> None:
    _, key = source_with_key()
    post_lead(key, LEAD)
    lead = Lead.objects.get()
    types = list(lead.events.values_list("type", flat=True))
    assert types == [LeadEvent.Type.CREATED, LeadEvent.Type.ASSIGNED]
    assigned = lead.events.get(type=LeadEvent.Type.ASSIGNED)
    assert assigned.data["reason"] == "round robin among 1 available reps"
    assert assigned.data["owner"] == "rep-a"


def test_the_assigned_rep_is_notified_in_app_and_by_email(rep) -> None:
    _, key = source_with_key()
    post_lead(key, LEAD)
    channels = set(Notification.objects.filter(recipient=rep).values_list("channel", flat=True))
    assert channels == {Notification.Channel.IN_APP, Notification.Channel.EMAIL}


def test_a_retry_with_the_same_idempotency_key_returns_the_original_lead(rep) -> None:
    _, key = source_with_key()
    first = post_lead(key, LEAD, **{"Idempotency-Key": "abc-1"})
    again = post_lead(key, LEAD, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1
    assert Notification.objects.filter(channel="email").count() == 1


def test_the_same_idempotency_key_with_another_body_is_a_conflict(rep) -> None:
    _, key = source_with_key()
    post_lead(key, LEAD, **{"Idempotency-Key": "abc-1"})
    response = post_lead(key, LEAD | {"name": "Someone Else"}, **{"Idempotency-Key": "abc-1"})
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["errors"]
    assert Lead.objects.count() == 1


def test_idempotency_keys_of_different_sources_do_not_collide(rep) -> None:
    _, key_a = source_with_key()
    _, key_b = source_with_key()
    a = post_lead(key_a, LEAD, **{"Idempotency-Key": "same"})
    b = post_lead(key_b, LEAD | {"email": "other@example.com"}, **{"Idempotency-Key": "same"})
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_a_repeated_external_id_is_a_conflict(rep) -> None:
    _, key = source_with_key()
    post_lead(key, LEAD | {"external_id": "crm-1"})
    response = post_lead(key, LEAD | {"external_id": "crm-1", "email": "x@example.com"})
    assert response.status_code == 409
    assert list(response.json()["errors"]) == ["external_id"]


def test_unknown_fields_are_rejected_by_name(rep) -> None:
    _, key = source_with_key()
    response = post_lead(key, LEAD | {"budget": 5000, "utm": "x"})
    assert response.status_code == 400
    assert response.json() == {"errors": {"budget": ["Unknown field."], "utm": ["Unknown field."]}}
    assert not Lead.objects.exists()


def test_numbers_where_strings_belong_are_rejected_not_coerced(rep) -> None:
    _, key = source_with_key()
    response = post_lead(key, LEAD | {"external_id": 0, "phone": 5550100})
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"external_id": ["Not a valid string."], "phone": ["Not a valid string."]}
    }
    assert not Lead.objects.exists()


def test_a_lead_without_email_or_phone_is_rejected(rep) -> None:
    _, key = source_with_key()
    response = post_lead(key, {"name": "Nobody"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "phone"}


def test_field_errors_name_each_field(rep) -> None:
    _, key = source_with_key()
    response = post_lead(
        key, {"name": "", "email": "not-an-email", "temperature": "boiling", "product": "nope"}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "email", "temperature", "product"}


def test_a_product_is_matched_by_slug_or_name(team) -> None:
    product = ProductFactory(name="Fleet Tracker", slug="fleet")
    expert = make_rep(team=team, products=[product])
    make_rep(team=team)
    _, key = source_with_key()
    post_lead(key, LEAD | {"product": "fleet tracker"})
    lead = Lead.objects.get()
    assert (lead.product, lead.owner) == (product, expert)


def test_a_missing_key_is_401(rep) -> None:
    response = post_lead("", LEAD)
    assert response.status_code == 401
    assert response.json()["errors"]["detail"]


def test_a_revoked_key_is_401(rep) -> None:
    source, key = source_with_key()
    source.api_keys.get().revoke(now=timezone.now())
    assert post_lead(key, LEAD).status_code == 401


def test_keys_known_to_this_process_follow_revocation_deactivation_and_issue(rep) -> None:
    source, key = source_with_key()
    assert post_lead(key, LEAD).status_code == 201  # the active keys are now cached

    _, issued_since = ApiKey.issue(source=source, name="second")
    assert post_lead(issued_since, LEAD | {"email": "second@example.com"}).status_code == 201
    assert post_lead(key[:-1] + "?", LEAD).status_code == 401  # the lookup matches, the hash not

    ApiKey.find_active(key).revoke(now=timezone.now())
    assert post_lead(key, LEAD | {"email": "third@example.com"}).status_code == 401

    source.is_active = False
    source.save()
    assert post_lead(issued_since, LEAD | {"email": "fourth@example.com"}).status_code == 401
    assert Lead.objects.count() == 2


def test_a_personal_token_may_not_post_leads(rep) -> None:
    response = post_lead(token_for(rep), LEAD)
    assert response.status_code == 403
    assert not Lead.objects.exists()


def test_a_body_over_64_kib_is_413(rep) -> None:
    _, key = source_with_key()
    response = post_lead(key, LEAD | {"message": "x" * (65 * 1024)})
    assert response.status_code == 413
    assert response.json()["errors"]["detail"]


def test_a_body_that_is_not_json_is_415(rep) -> None:
    _, key = source_with_key()
    from django.test import Client

    response = Client().post(
        "/api/v1/leads",
        "name=Dana&email=dana@example.com",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 415
    assert response.json()["errors"]["detail"]


def test_malformed_json_is_400(rep) -> None:
    _, key = source_with_key()
    response = post_lead(key, '{"name": "Dana", ')
    assert response.status_code == 400
    assert response.json()["errors"]["detail"]


@time_machine.travel("2026-11-23 10:00:20Z", tick=False)
def test_over_the_rate_limit_a_key_gets_429_with_retry_after(rep, settings) -> None:
    settings.LEADS_API_RATE_LIMIT = "3/min"
    _, key = source_with_key()
    _, other_key = source_with_key()
    codes = [post_lead(key, LEAD | {"email": f"p{i}@example.com"}).status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    limited = post_lead(key, LEAD)
    assert limited["Retry-After"] == "40"  # the minute's window ends at 10:01
    assert limited.json()["errors"]["detail"]
    # The limit is per key: another source's key still gets through.
    assert post_lead(other_key, LEAD | {"email": "q@example.com"}).status_code == 201

    with time_machine.travel("2026-11-23 10:01:00Z", tick=False):
        assert post_lead(key, LEAD | {"email": "next@example.com"}).status_code == 201


def test_nobody_available_sends_the_lead_to_the_manager_flagged_unrouted(team) -> None:
    manager = make_manager(team=team)
    away = make_rep(team=team)
    RepProfile.objects.filter(user=away).update(is_available=False)
    _, key = source_with_key()
    response = post_lead(key, LEAD)
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.owner == manager and lead.unrouted
    assert response.json()["assigned_to"]["username"] == manager.username


def test_the_response_is_json_for_every_error(rep) -> None:
    _, key = source_with_key()
    response = post_lead(key, "[1, 2, 3]")
    assert response.status_code == 400
    assert json.loads(response.content)["errors"]
