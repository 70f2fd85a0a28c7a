"""checkov over a `--tfplan` export: where to find the pinned binary and how to read its answer."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# nox -s tests sets both: checkov lives in its own virtualenv (requirements-checkov.txt).
CHECKOV_BIN = os.environ.get("CHECKOV_BIN", "")
REQUIRED = os.environ.get("WEBSTACK_REQUIRE_CHECKOV") == "1"


def checkov_bin() -> str:
    if CHECKOV_BIN and Path(CHECKOV_BIN).is_file():
        return CHECKOV_BIN
    message = (
        f"checkov not found (CHECKOV_BIN={CHECKOV_BIN!r}): python3 -m venv .venv-checkov && "
        ".venv-checkov/bin/pip install -r requirements-checkov.txt; CHECKOV_BIN=.venv-checkov/bin/checkov"
    )
    if REQUIRED:
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Scan:
    summary: dict[str, Any]
    failed: list[dict[str, Any]]
    passed: list[dict[str, Any]]

    def results(self, check_id: str, address: str) -> tuple[bool, bool]:
        """(failed, passed) for one check on one resource address."""
        return (
            any(r["check_id"] == check_id and r["resource"] == address for r in self.failed),
            any(r["check_id"] == check_id and r["resource"] == address for r in self.passed),
        )


def run_checkov(plan_file: Path) -> Scan:
    """``checkov -f PLAN --framework terraform_plan``, offline (no guideline download)."""
    proc = subprocess.run(
        [
            checkov_bin(),
            "-f",
            str(plan_file),
            "--framework",
            "terraform_plan",
            "-o",
            "json",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    # Exit 1 means "some check failed"; anything else is checkov itself failing.
    assert proc.returncode in (0, 1), f"checkov exited {proc.returncode}: {proc.stderr[-2000:]}"
    report = json.loads(proc.stdout)
    report = report[0] if isinstance(report, list) else report
    results = report.get("results", {})
    return Scan(report["summary"], results.get("failed_checks", []), results.get("passed_checks", []))
