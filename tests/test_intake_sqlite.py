"""Intake on SQLite, the database `make run` uses without environment: the prepared
statements run as plain SQL, ids are drawn from sqlite_sequence, round robin holds."""

from __future__ import annotations

from tests.sqlite_probes import run_on_sqlite


def test_the_api_stores_and_assigns_leads_on_sqlite(tmp_path) -> None:
    probe = run_on_sqlite("tests.intake_sqlite_probe", tmp_path)

    # Every post after the first authenticates with a key whose last use is a stored time.
    assert probe["statuses"] == [201] * 8
    first_six = [(pk, owner) for pk, owner, _ in probe["leads"][:6]]
    assert first_six == [(i + 1, f"rep{i % 3}") for i in range(6)]
    # The repeat inquiry went to the rep of the prospect's open lead, and was linked to it.
    assert probe["repeat_owner"] == "rep1"
    assert probe["repeat_id"] == 7
    # After the newest lead was deleted, the next one still gets a new id.
    assert probe["leads"][6] == [8, "rep0", None]
