"""The ingest benchmark's floor: the same settings, a URLconf with one insert-a-row view."""

from leadresponse.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
