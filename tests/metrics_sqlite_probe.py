"""Run as a separate process with DATABASE_URL pointing at an SQLite file: migrate, build
the mixed cohort, print the query layer's answers as JSON (tests/test_metrics_backends.py)."""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadresponse.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from tests.metrics_data import build_mixed_cohort, mixed_cohort_answers  # noqa: E402

call_command("migrate", verbosity=0, interactive=False)
build_mixed_cohort()
json.dump(mixed_cohort_answers(), sys.stdout)
