"""The sandbox every lifecycle and pipeline test runs in: the fake pulumi first on PATH."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from unit.tools import fake_pulumi


@pytest.fixture
def sandbox(tmp_path: Path, moto_url: str) -> dict[str, str]:
    """An environment with the fake pulumi first on PATH, fake AWS credentials (STS answered by
    moto on 127.0.0.1), a passphrase, and none of the caller's AWS, Pulumi, GitHub or CI settings."""
    bin_dir = tmp_path / "bin"
    fake_pulumi.install(bin_dir)
    keep = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_", "GITHUB_", "WEBSTACK_"))
    }
    keep.pop("CI", None)
    return {
        **keep,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_PULUMI_LOG": str(tmp_path / "calls.jsonl"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-west-2",
        "AWS_ENDPOINT_URL_STS": moto_url,
        "PULUMI_CONFIG_PASSPHRASE": "test-passphrase",
        "WEBSTACK_OUTPUTS_DIR": str(tmp_path / "cfn-outputs"),
        "WEBSTACK_PROBE_BUDGET_S": "2",
    }
