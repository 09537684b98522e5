"""Login throttling without user enumeration, security headers, request ids."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from tests.factories import make_rep

pytestmark = pytest.mark.django_db


def fail_login(client: Client, username: str, ip: str = "203.0.113.7"):
    return client.post(
        "/login/", {"username": username, "password": "wrong-password"}, REMOTE_ADDR=ip
    )


def test_an_account_is_locked_after_five_failures_even_from_many_addresses(team) -> None:
    make_rep(team=team, username="ana")
    client = Client()
    for i in range(4):
        assert fail_login(client, "ana", ip=f"198.51.100.{i}").status_code == 200
    assert fail_login(client, "ana", ip="198.51.100.9").status_code == 429  # the fifth locks
    locked = client.post(
        "/login/", {"username": "ana", "password": "correct-horse-battery"}, REMOTE_ADDR="192.0.2.1"
    )
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content


def test_an_address_is_locked_after_five_failures_across_accounts(team) -> None:
    make_rep(team=team, username="ana")
    client = Client()
    for i in range(5):
        fail_login(client, f"guess{i}")
    locked = client.post(
        "/login/",
        {"username": "ana", "password": "correct-horse-battery"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert locked.status_code == 429


def test_failed_logins_say_the_same_for_known_and_unknown_users(team) -> None:
    make_rep(team=team, username="ana")
    known = fail_login(Client(), "ana", ip="192.0.2.10").content.decode()
    unknown = fail_login(Client(), "nobody", ip="192.0.2.11").content.decode()
    message = "Please enter a correct username and password"
    assert message in known and message in unknown
    for _ in range(5):
        fail_login(Client(), "ana", ip="192.0.2.12")
        fail_login(Client(), "nobody", ip="192.0.2.13")
    assert fail_login(Client(), "ana", ip="192.0.2.14").status_code == 429
    assert fail_login(Client(), "nobody", ip="192.0.2.15").status_code == 429


def test_pages_carry_a_strict_content_security_policy(client) -> None:
    response = client.get("/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_api_docs_work_without_inline_scripts(client) -> None:
    page = client.get("/api/v1/docs").content.decode()
    assert "<script>" not in page.replace(" ", "")
    assert client.get("/api/v1/docs?script=").status_code == 200


def test_every_response_carries_a_request_id_and_echoes_a_given_one(client) -> None:
    generated = client.get("/login/").headers["X-Request-ID"]
    assert len(generated) >= 16
    assert client.get("/login/", HTTP_X_REQUEST_ID="abc-123").headers["X-Request-ID"] == "abc-123"


def test_json_log_lines_carry_the_request_id() -> None:
    from django.conf import settings
    from pythonjsonlogger.json import JsonFormatter

    spec = settings.LOGGING["formatters"]["json"]
    formatter = JsonFormatter(spec["fmt"], rename_fields=spec["rename_fields"])
    record = logging.LogRecord("leads", logging.INFO, __file__, 1, "lead %s stored", (42,), None)
    record.request_id = "abc-123"
    line = json.loads(formatter.format(record))
    assert line["level"] == "INFO" and line["logger"] == "leads"
    assert line["request_id"] == "abc-123" and line["message"] == "lead 42 stored"
