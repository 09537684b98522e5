"""Production mode refuses unsafe defaults; `check --deploy` finds nothing to fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_commands import ROOT, production_env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing: str, tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env[missing]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert f"needs {missing}" in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path: Path) -> None:
    env = production_env(tmp_path) | {"SECRET_KEY": "short"}
    assert "needs SECRET_KEY" in manage("check", env=env).stderr


def test_check_deploy_is_clean_in_production(tmp_path: Path) -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_local_defaults_need_no_environment(tmp_path: Path) -> None:
    env = {k: v for k, v in production_env(tmp_path).items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.pop("ALLOWED_HOSTS")
    assert manage("check", env=env).returncode == 0
