"""The whole sequence (tools/pipeline.py) with the fake `pulumi`: order, and what stops or tears down.

The unit-test, gate and probe stages are stand-ins that record their name in the fake's log (the
real stages are pytest, `python -m plan` and pytest integration; one test below runs the real gate
and one the real probes), so the recorded log is the whole sequence, in order.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tools import pipeline
from tools.stacks import example_stacks
from unit.tools.fake_pulumi import ROOT, calls, deploy_calls, destroy_calls, stand_in
from unit.tools.fake_pulumi import run as run_module

NI = "--non-interactive"
RUN = {"GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "1"}


def with_stand_ins(env: dict[str, str], **codes: int) -> dict[str, str]:
    """The environment with tests, gate and probes replaced by stand-ins exiting with ``codes``."""
    chosen = {stage: stand_in(f"<{stage}>", codes.get(stage, 0)) for stage in ("tests", "gate", "probes")}
    return {**env, **RUN, "WEBSTACK_PIPELINE_STAND_INS": json.dumps(chosen)}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_module(env, "tools.pipeline", *args)


def summary_rows(stdout: str) -> dict[str, str]:
    """stage -> result, from the summary the pipeline prints last."""
    lines = stdout[stdout.rindex("pipeline ") :].splitlines()[2:]
    rows = [re.fullmatch(r"  (\S+) +(\d+\.\d s|-)  (.+)", line) for line in lines]
    assert all(rows), lines
    return {row.group(1): row.group(3) for row in rows if row}


# What a throwaway copy of each blueprint gets beyond its example stack (issue 9 A2, A7).
COPY_ONLY = {
    "serverless-app": {"webstack:manageApiGatewayAccount": "false", "webstack:natGateways": "none"},
    # Their REST stages log too: the copy must not take the region's setting from its owner.
    "catalog-api": {"webstack:manageApiGatewayAccount": "false"},
    "media-platform": {"webstack:manageApiGatewayAccount": "false"},
}


def config_calls(stack: str, source: str, suffix: str) -> list[list[str]]:
    config = dict(yaml.safe_load((ROOT / f"Pulumi.{source}.yaml").read_text())["config"])
    config["webstack:environmentSuffix"] = suffix
    config.update(COPY_ONLY.get(str(config["webstack:blueprint"]), {}))
    return [["config", "set", "--stack", stack, key, str(value), NI] for key, value in config.items()]


@pytest.mark.parametrize("source", [entry.stack for entry in example_stacks()])
def test_each_built_stack_runs_tests_gate_up_probes_destroy_in_that_order(
    sandbox: dict[str, str], source: str
) -> None:
    env = with_stand_ins(sandbox)
    result = run(env, source)
    assert result.returncode == 0, result.stdout + result.stderr
    tag = source[:2]
    stack, suffix = f"{source.rsplit('-', 1)[0]}-{tag}42-1", f"{tag}42-1"
    assert calls(env) == [
        ["<tests>"],
        ["<gate>"],
        ["stack", "select", "--create", "--stack", stack, NI],
        *config_calls(stack, source, suffix),
        # The copy is deployed under the example stack's own policy config, where it has one.
        *deploy_calls(stack, str(own) if (own := ROOT / f"Pulumi.{source}.policy.json").is_file() else None),
        ["<probes>"],
        *destroy_calls(stack, keep_config=False),
    ]
    rows = summary_rows(result.stdout)
    assert list(rows) == ["prerequisites", "tests", "gate", "deploy", "probes", "destroy"]
    assert set(rows.values()) == {"passed"}
    assert f"pipeline {source} (deployed as {stack}):" in result.stdout


def test_the_summary_gives_each_stage_a_time(sandbox: dict[str, str]) -> None:
    result = run(with_stand_ins(sandbox), "serverless-dev")
    summary = result.stdout[result.stdout.rindex("pipeline ") :].splitlines()
    assert summary[1].split() == ["stage", "time", "result"]
    for line in summary[2:]:
        assert re.fullmatch(r"  \S+ +\d+\.\d s  passed", line), line


def test_a_failing_unit_test_means_no_pulumi_up_at_all(sandbox: dict[str, str]) -> None:
    env = with_stand_ins(sandbox, tests=1)
    result = run(env, "serverless-dev")
    assert result.returncode == 1
    assert calls(env) == [["<tests>"]]
    rows = summary_rows(result.stdout)
    assert rows["tests"] == "failed (exit 1)"
    assert [rows[s] for s in ("gate", "deploy", "probes", "destroy")] == ["skipped"] * 4


@pytest.mark.parametrize(
    ("code", "verdict"), [(1, "mandatory policy violations"), (2, "no verdict (the plan could not run)")]
)
def test_a_gate_that_finds_mandatory_violations_or_no_verdict_stops_before_up(
    sandbox: dict[str, str], code: int, verdict: str
) -> None:
    env = with_stand_ins(sandbox, gate=code)
    result = run(env, "serverless-dev")
    assert result.returncode == code
    assert calls(env) == [["<tests>"], ["<gate>"]]
    assert summary_rows(result.stdout)["gate"] == f"failed (exit {code}: {verdict})"


def test_the_real_gate_plans_exactly_the_copy_that_will_be_deployed(sandbox: dict[str, str]) -> None:
    """No gate stand-in: `python -m plan` on the copy's own stack name and suffix, with the pack."""
    env = with_stand_ins(sandbox)
    replaced = json.loads(env["WEBSTACK_PIPELINE_STAND_INS"])
    del replaced["gate"]
    env["WEBSTACK_PIPELINE_STAND_INS"] = json.dumps(replaced)
    result = run(env, "serverless-dev")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "offline plan (no Pulumi engine)" in result.stdout and "0 mandatory" in result.stdout
    assert [call[0] for call in calls(env)][:3] == ["<tests>", "stack", "config"]


def test_the_real_gate_without_a_verdict_stops_before_up(sandbox: dict[str, str], tmp_path: Path) -> None:
    env = with_stand_ins(sandbox)
    replaced = json.loads(env["WEBSTACK_PIPELINE_STAND_INS"])
    del replaced["gate"]
    env["WEBSTACK_PIPELINE_STAND_INS"] = json.dumps(replaced)
    broken = tmp_path / "policy-config.json"
    broken.write_text("{not json")
    result = run(env, "serverless-dev", "--policy-config", str(broken))
    assert result.returncode == 2
    assert calls(env) == [["<tests>"]]


def test_a_failing_probe_still_destroys(sandbox: dict[str, str]) -> None:
    env = with_stand_ins(sandbox, probes=1)
    result = run(env, "serverless-dev")
    assert result.returncode == 1
    assert calls(env)[-3:] == [["<probes>"], *destroy_calls("serverless-se42-1", keep_config=False)]
    rows = summary_rows(result.stdout)
    assert (rows["probes"], rows["destroy"]) == ("failed (exit 1)", "passed")


def test_the_real_probes_fail_on_unreachable_outputs_and_the_copy_is_destroyed(
    sandbox: dict[str, str],
) -> None:
    env = with_stand_ins(sandbox)
    replaced = json.loads(env["WEBSTACK_PIPELINE_STAND_INS"])
    del replaced["probes"]
    env["WEBSTACK_PIPELINE_STAND_INS"] = json.dumps(replaced)
    result = run(env, "serverless-dev")
    assert result.returncode == 1
    assert calls(env)[-2:] == destroy_calls("serverless-se42-1", keep_config=False)
    assert summary_rows(result.stdout)["probes"] == "failed (exit 1)"


LISTED = json.dumps([{"name": "organization/webstack/serverless-se42-1"}])


def test_a_failed_up_is_destroyed_and_skips_the_probes(sandbox: dict[str, str]) -> None:
    env = {**with_stand_ins(sandbox), "FAKE_PULUMI_FAIL": "up", "FAKE_PULUMI_STACKS": LISTED}
    result = run(env, "serverless-dev")
    assert result.returncode == 7
    recorded = calls(env)
    assert recorded[-3:] == [
        ["stack", "ls", "--json", NI],  # did the failed deploy create the stack? It did.
        *destroy_calls("serverless-se42-1", keep_config=False),
    ]
    assert recorded[-4][0] == "up" and ["<probes>"] not in recorded
    rows = summary_rows(result.stdout)
    assert rows["deploy"] == "failed: `pulumi up --yes` exited 7"
    assert (rows["probes"], rows["destroy"]) == ("skipped", "passed")


def test_a_deploy_that_failed_before_creating_the_stack_has_nothing_to_destroy(
    sandbox: dict[str, str],
) -> None:
    env = {**with_stand_ins(sandbox), "FAKE_PULUMI_FAIL": "stack select"}
    result = run(env, "serverless-dev")
    assert result.returncode == 7
    assert [call[:2] for call in calls(env)][-2:] == [["stack", "select"], ["stack", "ls"]]
    assert "did not finish" not in result.stderr
    assert summary_rows(result.stdout)["destroy"] == "passed (nothing to destroy)"


def test_a_failing_destroy_names_the_stack_and_the_commands_to_finish_it(sandbox: dict[str, str]) -> None:
    env = {**with_stand_ins(sandbox), "FAKE_PULUMI_FAIL": "destroy"}
    result = run(env, "serverless-dev")
    assert result.returncode == 7
    state = (ROOT / ".pulumi-state").as_uri()
    assert (
        "error: destroy of serverless-se42-1 did not finish; its resources are still deployed."
        in result.stderr
    )
    assert f"    export PULUMI_BACKEND_URL={state}\n" in result.stderr
    assert (
        "    pulumi destroy --yes --stack serverless-se42-1 && pulumi stack rm --yes serverless-se42-1"
        in result.stderr
    )
    assert summary_rows(result.stdout)["destroy"] == "failed: `pulumi destroy --yes` exited 7"


def test_ci_without_a_remote_backend_runs_nothing(sandbox: dict[str, str]) -> None:
    env = {**with_stand_ins(sandbox), "CI": "true"}
    result = run(env, "serverless-dev")
    assert result.returncode == 2
    assert calls(env) == []
    assert summary_rows(result.stdout)["prerequisites"].startswith(
        "failed: CI runs need a remote state backend"
    )


def test_an_unknown_example_stack_is_one_line_and_runs_nothing(sandbox: dict[str, str]) -> None:
    env = with_stand_ins(sandbox)
    result = run(env, "nope-dev")
    assert result.returncode == 2
    assert calls(env) == []
    assert "failed: no example stack nope-dev: Pulumi.nope-dev.yaml does not exist" in result.stdout
    assert "Traceback" not in result.stderr


def start(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tools.pipeline", "serverless-dev"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + 60
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert path.exists()


def test_cancelling_during_up_stops_pulumi_cleanly_then_destroys(
    sandbox: dict[str, str], tmp_path: Path
) -> None:
    ready = tmp_path / "up-started"
    env = {
        **with_stand_ins(sandbox),
        "FAKE_PULUMI_HANG": "up",
        "FAKE_PULUMI_READY": str(ready),
        "FAKE_PULUMI_STACKS": LISTED,
    }
    process = start(env)
    wait_for(ready)
    process.send_signal(signal.SIGTERM)  # what CI sends on cancellation
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and "cancelled" in stderr
    verbs = [call[0] for call in calls(env)]
    # pulumi up got SIGINT (its graceful stop), then the queued destroy ran; no cancel was needed.
    assert verbs[-5:] == ["up", "<SIGINT>", "stack", "destroy", "stack"]
    assert summary_rows(stdout)["deploy"] == "cancelled"


def test_a_pulumi_that_ignores_sigint_is_terminated_killed_and_still_destroyed(
    sandbox: dict[str, str], tmp_path: Path
) -> None:
    """issue 9 B: bounded wait, then SIGTERM, then SIGKILL, then `pulumi cancel` and destroy."""
    ready = tmp_path / "up-started"
    env = {
        **with_stand_ins(sandbox),
        "FAKE_PULUMI_STUBBORN": "up",
        "FAKE_PULUMI_READY": str(ready),
        "WEBSTACK_PULUMI_STOP_S": "1",
        "WEBSTACK_PULUMI_TERM_S": "1",
    }
    process = start(env)
    wait_for(ready)
    began = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        _, stderr = process.communicate(timeout=60)  # the stubborn fake sleeps 90 s
    finally:
        process.kill()
    assert time.monotonic() - began < 60
    assert process.returncode == 130
    assert calls(env)[-5:] == [
        ["<ignored SIGINT>"],
        ["<ignored SIGTERM>"],
        ["cancel", "--yes", "--stack", "serverless-se42-1", NI],  # the killed up's lock
        *destroy_calls("serverless-se42-1", keep_config=False),
    ]
    assert "sending SIGTERM" in stderr and "sending SIGKILL" in stderr


def test_the_unit_test_stage_leaves_out_only_other_blueprints_own_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("test_serverless_app.py", "test_catalog_api.py"):
        (tmp_path / "unit/program/blueprints").mkdir(parents=True, exist_ok=True)
        (tmp_path / "unit/program/blueprints" / name).write_text("")
    monkeypatch.setattr(pipeline, "ROOT", tmp_path)
    monkeypatch.setattr(
        pipeline, "built_blueprints", lambda: frozenset({"serverless-app", "catalog-api", "media-platform"})
    )
    command = pipeline.unit_test_command("serverless-app")
    assert command[1:] == [
        "-m",
        "pytest",
        "unit",
        "-q",
        "-n",
        "auto",
        "--ignore=unit/program/blueprints/test_catalog_api.py",
    ]


def test_the_gate_command_plans_the_copy_with_its_own_config(tmp_path: Path) -> None:
    config = {
        "aws:region": "us-west-2",
        "webstack:blueprint": "serverless-app",
        "webstack:environmentSuffix": "se42-1",
    }
    command = pipeline.gate_command("serverless-se42-1", config, tmp_path, "pc.json")
    assert command[1:] == [
        "-m",
        "plan",
        "serverless-se42-1",
        "--project-dir",
        str(tmp_path),
        "--policy-pack",
        str(ROOT / "policy_pack"),
        "--no-tree",
        "--policy-config",
        str(ROOT / "pc.json"),
    ]
    assert yaml.safe_load((tmp_path / "Pulumi.serverless-se42-1.yaml").read_text()) == {"config": config}
    project = yaml.safe_load((tmp_path / "Pulumi.yaml").read_text())
    assert project["name"] == "webstack" and project["main"] == str(ROOT / "program")


def test_a_blueprint_that_is_not_built_stops_before_the_tests(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(pipeline, "built_blueprints", lambda: frozenset({"catalog-api"}))
    monkeypatch.setattr(pipeline.signal, "signal", lambda *_: None)  # leave pytest's handlers alone
    monkeypatch.setattr(pipeline.lifecycle, "prepare", lambda _stack: pytest.fail("prepare ran"))
    assert pipeline.pipeline("serverless-dev", environ=RUN) == 2
    out = capsys.readouterr()
    assert (
        "error: prerequisites failed: Pulumi.serverless-dev.yaml: blueprint serverless-app is not built yet "
        "(built: catalog-api)"
    ) in out.err
    assert summary_rows(out.out)["tests"] == "skipped"
