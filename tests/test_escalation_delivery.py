"""The outbox delivered for real: e-mail through an SMTP server on loopback, webhooks to an
HTTP server on loopback with their HMAC checked, leases, backoff and visible failures."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.utils import timezone

from leads.escalation import escalate_due_leads
from leads.models import LeadEvent, Notification, Webhook
from leads.notifications import claim_due_notifications, deliver_due_notifications
from tests.cluster import free_port
from tests.escalation_helpers import make_lead

T0 = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd API
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_inbox(settings) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


class Receiver:
    """A loopback HTTP server recording each POST; answers `status`."""

    def __init__(self) -> None:
        self.requests: list[tuple[Any, bytes]] = []  # (case-insensitive headers, body)
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.headers, body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_an_overdue_alert_reaches_the_manager_through_a_real_smtp_server(
    team, rep, manager, smtp_inbox
) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        make_lead(team=team, owner=rep, received_at=timezone.now(), name="Ada Buyer")
        traveller.move_to(T0 + timedelta(minutes=60))
        escalate_due_leads(now=timezone.now())
        deliver_due_notifications(now=timezone.now())
    to_manager = [m for rcpt, m in smtp_inbox.messages if rcpt == [manager.email]]
    assert len(to_manager) == 1
    assert "Subject: Overdue: Ada Buyer (rep-a)" in to_manager[0]
    assert not Notification.objects.filter(channel="email").exclude(state="sent").exists()


def test_webhooks_are_signed_with_hmac_sha256_and_follow_the_ladder(
    team, rep, manager, receiver
) -> None:
    hook = Webhook.objects.create(team=team, url=receiver.url)
    with time_machine.travel(T0, tick=False) as traveller:
        lead = make_lead(team=team, owner=rep, received_at=timezone.now())
        traveller.move_to(T0 + timedelta(minutes=60))
        escalate_due_leads(now=timezone.now())
        deliver_due_notifications(now=timezone.now())
    events = []
    for headers, body in receiver.requests:
        expected = "sha256=" + hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-LeadResponse-Signature"], expected)
        payload = json.loads(body)
        assert payload["lead"]["id"] == lead.pk
        events.append(payload["event"])
    # The reminder is not a webhook event; created and overdue are.
    assert events == [LeadEvent.Type.CREATED, LeadEvent.Type.OVERDUE]


def test_a_slack_compatible_webhook_posts_text(team, rep, receiver) -> None:
    Webhook.objects.create(team=team, url=receiver.url, format=Webhook.Format.SLACK)
    make_lead(team=team, owner=rep, received_at=timezone.now(), name="Slack Lead")
    deliver_due_notifications(now=timezone.now())
    (_, body), *_ = receiver.requests
    payload = json.loads(body)
    assert list(payload) == ["text"]
    assert "Slack Lead" in payload["text"] and "created" in payload["text"]


def test_a_send_interrupted_by_a_killed_worker_is_retried_after_the_lease(
    team, rep, receiver, settings
) -> None:
    settings.LEADS_DELIVERY_LEASE = "90s"
    Webhook.objects.create(team=team, url=receiver.url)
    with time_machine.travel(T0, tick=False) as traveller:
        make_lead(team=team, owner=rep, received_at=timezone.now())
        # A worker claims the row and dies before sending: nothing else may take it...
        assert len(claim_due_notifications(now=timezone.now())) == 1
        traveller.move_to(T0 + timedelta(seconds=89))
        assert deliver_due_notifications(now=timezone.now()) == 0
        # ...until the lease ends, well within two minutes.
        traveller.move_to(T0 + timedelta(seconds=90))
        assert deliver_due_notifications(now=timezone.now()) == 1
    assert len(receiver.requests) == 1
    assert Notification.objects.get(channel="webhook").state == Notification.State.SENT


def test_failing_deliveries_back_off_and_end_failed_for_the_admin(team, rep, receiver) -> None:
    receiver.status = 500
    Webhook.objects.create(team=team, url=receiver.url)
    with time_machine.travel(T0, tick=False) as traveller:
        make_lead(team=team, owner=rep, received_at=timezone.now())
        waits = []
        for _ in range(8):
            deliver_due_notifications(now=timezone.now())
            row = Notification.objects.get(channel="webhook")
            if row.next_attempt_at is None:
                break
            waits.append(row.next_attempt_at - timezone.now())
            traveller.move_to(row.next_attempt_at)
    row = Notification.objects.get(channel="webhook")
    assert row.state == Notification.State.FAILED
    assert row.attempts == 8
    assert "HTTP 500" in row.last_error
    assert waits[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert len(receiver.requests) == 8
