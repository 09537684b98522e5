"""pytest plugin (loaded with -p from pyproject): pick the database and broker for the run.

Before Django's settings are read, probe PostgreSQL and Redis at DATABASE_URL /
CELERY_BROKER_URL (or their default local addresses). Found, the suite runs against them;
missing, it falls back to SQLite and the embedded broker, and tests marked `postgres` or
`redis` are skipped with the reason. With REQUIRE_SERVICES=1 (CI) a missing server stops
the run instead: nothing is skipped there.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Generator
from urllib.parse import urlsplit

import pytest

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/leadresponse"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

SERVICES: dict[str, str | None] = {"postgres": None, "redis": None}


def _answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def _redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return parts._replace(path=f"/{db}").geturl()


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> Generator[None]:
    # Runs before pytest-django imports the settings, so the environment decides them.
    require = os.environ.get("REQUIRE_SERVICES") == "1"
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = (
        os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL") or DEFAULT_REDIS_URL
    )

    missing = []
    if database_url.startswith("postgres") and _answers(database_url, 5432):
        os.environ["DATABASE_URL"] = database_url
        SERVICES["postgres"] = database_url
    else:
        missing.append(f"PostgreSQL at {database_url}")
        os.environ["DATABASE_URL"] = "sqlite:///:memory:"
    if redis_url.startswith("redis") and _answers(redis_url, 6379):
        # Tests use their own Redis database so they never eat a running app's queue.
        SERVICES["redis"] = _redis_db(redis_url, int(os.environ.get("TEST_REDIS_DB", "13")))
        os.environ["CELERY_BROKER_URL"] = SERVICES["redis"]
        os.environ["REDIS_URL"] = SERVICES["redis"]
    else:
        missing.append(f"Redis at {redis_url}")
        os.environ["CELERY_BROKER_URL"] = "memory://"
    if missing and require:
        raise pytest.UsageError(
            "REQUIRE_SERVICES=1 but not answering: " + ", ".join(missing) + ". Start them "
            "(see docs/operations.md) or unset REQUIRE_SERVICES to fall back."
        )
    return (yield)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        "database: " + (SERVICES["postgres"] or "SQLite in memory (PostgreSQL not answering)"),
        "broker: " + (SERVICES["redis"] or "in-memory (Redis not answering)"),
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for marker, service in (("postgres", "PostgreSQL"), ("redis", "Redis")):
        if SERVICES[marker]:
            continue
        skip = pytest.mark.skip(reason=f"needs {service}, which is not answering (fallback run)")
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)
