"""Run a probe module in a separate process against a fresh SQLite file (the database of
`make run` without environment) and read the JSON it prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_on_sqlite(module: str, folder: Path) -> Any:
    env = os.environ | {"DATABASE_URL": f"sqlite:///{folder / 'probe.sqlite3'}"}
    done = subprocess.run(
        [sys.executable, "-m", module],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
