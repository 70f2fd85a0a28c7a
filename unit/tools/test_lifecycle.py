"""The deploy lifecycle's orchestration, with a fake `pulumi` on PATH recording every call.

STS is answered by moto's server on 127.0.0.1, so the credential check is real boto3 code.
Nothing here reaches AWS or a Pulumi backend.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tools import lifecycle

ROOT = Path(__file__).resolve().parents[2]
PACK = str(ROOT / "policy_pack")
NI = "--non-interactive"

FAKE_PULUMI = """\
#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_PULUMI_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
verb = " ".join(a for a in args[:2] if not a.startswith("-"))
if verb in os.environ.get("FAKE_PULUMI_FAIL", "").split(","):
    sys.exit(7)
if verb in os.environ.get("FAKE_PULUMI_HANG", "").split(","):
    import signal, time
    def interrupted(*_):
        with open(os.environ["FAKE_PULUMI_LOG"], "a") as log:
            log.write(json.dumps(["<SIGINT>"]) + "\\n")
        sys.exit(255)
    signal.signal(signal.SIGINT, interrupted)
    open(os.environ["FAKE_PULUMI_READY"], "w").close()
    time.sleep(60)
if verb == "stack ls":
    print(os.environ.get("FAKE_PULUMI_STACKS", "[]"))
if verb == "stack output":
    outputs = {{"cloudfrontUrl": "https://d1.cloudfront.net", "privateSubnetIds": ["subnet-1", "subnet-2"]}}
    print(json.dumps(outputs))
"""


@pytest.fixture
def sandbox(tmp_path: Path, moto_url: str) -> dict[str, str]:
    """An environment with the fake pulumi first on PATH, fake AWS credentials, a passphrase."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pulumi"
    fake.write_text(textwrap.dedent(FAKE_PULUMI.format(python=sys.executable)))
    fake.chmod(0o755)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_", "GITHUB_"))}
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


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.lifecycle", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def calls(env: dict[str, str]) -> list[list[str]]:
    log = Path(env["FAKE_PULUMI_LOG"])
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def deploy_calls(stack: str) -> list[list[str]]:
    return [
        ["stack", "select", "--create", "--stack", stack, NI],
        ["install", NI],
        ["install", "--cwd", PACK, NI],
        ["up", "--yes", "--stack", stack, "--policy-pack", PACK, NI],
        ["stack", "output", "--json", "--show-secrets", "--stack", stack, NI],
    ]


def destroy_calls(stack: str, keep_config: bool) -> list[list[str]]:
    rm = (
        ["stack", "rm", "--yes", "--preserve-config", stack, NI]
        if keep_config
        else ["stack", "rm", "--yes", stack, NI]
    )
    return [["destroy", "--yes", "--skip-preview", "--stack", stack, NI], rm]


def test_deploy_runs_up_with_the_policy_pack_and_writes_both_outputs_files(sandbox: dict[str, str]) -> None:
    result = run(sandbox, "deploy", "serverless-dev")
    assert result.returncode == 0, result.stderr
    assert calls(sandbox) == deploy_calls("serverless-dev")
    outputs = Path(sandbox["WEBSTACK_OUTPUTS_DIR"])
    typed = json.loads((outputs / "outputs.json").read_text())
    flat = json.loads((outputs / "flat-outputs.json").read_text())
    assert typed["privateSubnetIds"] == ["subnet-1", "subnet-2"]
    assert flat == {
        "cloudfrontUrl": "https://d1.cloudfront.net",
        "privateSubnetIds": '["subnet-1", "subnet-2"]',
    }


def test_deploy_passes_policy_config_through(sandbox: dict[str, str]) -> None:
    assert run(sandbox, "deploy", "serverless-dev", "--policy-config", "pc.json").returncode == 0
    up = next(call for call in calls(sandbox) if call[0] == "up")
    assert up[-3:] == ["--policy-pack-config", "pc.json", NI]


def test_destroy_removes_resources_then_the_stack_keeping_the_example_config(sandbox: dict[str, str]) -> None:
    assert run(sandbox, "destroy", "serverless-dev").returncode == 0
    assert calls(sandbox) == destroy_calls("serverless-dev", keep_config=True)


def test_ephemeral_deploys_a_suffixed_copy_probes_and_destroys(sandbox: dict[str, str]) -> None:
    env = {**sandbox, "GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "2"}
    result = run(env, "ephemeral", "serverless-dev")
    stack = "serverless-ci4242-2"
    recorded = calls(env)
    select, *config_sets = recorded[:4]
    assert select == ["stack", "select", "--create", "--stack", stack, NI]
    assert config_sets == [
        ["config", "set", "--stack", stack, "aws:region", "us-west-2", NI],
        ["config", "set", "--stack", stack, "webstack:blueprint", "serverless-app", NI],
        ["config", "set", "--stack", stack, "webstack:environmentSuffix", "ci4242-2", NI],
    ]
    assert recorded[4:8] == deploy_calls(stack)[1:]
    # The fake outputs point nowhere, so the probes fail; teardown runs all the same.
    assert recorded[8:] == destroy_calls(stack, keep_config=False)
    assert result.returncode != 0


def test_ephemeral_destroys_after_a_failed_up(sandbox: dict[str, str]) -> None:
    env = {**sandbox, "FAKE_PULUMI_FAIL": "up", "GITHUB_RUN_ID": "7", "GITHUB_RUN_ATTEMPT": "1"}
    result = run(env, "ephemeral")
    verbs = [call[0] for call in calls(env)]
    assert verbs[-3:] == ["up", "destroy", "stack"]
    assert "stack output" not in [" ".join(call[:2]) for call in calls(env)]
    assert result.returncode == 7
    assert "`pulumi up" in result.stderr


def test_teardown_is_a_no_op_when_no_stack_is_left(sandbox: dict[str, str]) -> None:
    env = {**sandbox, "FAKE_PULUMI_STACKS": '[{"name": "serverless-dev"}]', "GITHUB_RUN_ID": "9"}
    result = run(env, "teardown")
    assert result.returncode == 0
    assert calls(env) == [["stack", "ls", "--json", NI]]
    assert "nothing to tear down" in result.stdout


def test_teardown_destroys_a_stack_a_killed_job_left(sandbox: dict[str, str]) -> None:
    env = {
        **sandbox,
        "FAKE_PULUMI_STACKS": '[{"name": "organization/webstack/serverless-ci9-1"}]',
        "GITHUB_RUN_ID": "9",
    }
    assert run(env, "teardown").returncode == 0
    assert calls(env) == [
        ["stack", "ls", "--json", NI],
        *destroy_calls("serverless-ci9-1", keep_config=False),
    ]


def test_teardown_surfaces_a_backend_failure(sandbox: dict[str, str]) -> None:
    env = {**sandbox, "FAKE_PULUMI_FAIL": "stack ls", "GITHUB_RUN_ID": "9"}
    assert run(env, "teardown").returncode == 7


def test_cancelling_an_ephemeral_run_stops_pulumi_cleanly_then_destroys(
    sandbox: dict[str, str], tmp_path: Path
) -> None:
    ready = tmp_path / "up-started"
    env = {**sandbox, "FAKE_PULUMI_HANG": "up", "FAKE_PULUMI_READY": str(ready), "GITHUB_RUN_ID": "5"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.lifecycle", "ephemeral"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)  # what CI sends on cancellation
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and "cancelled" in stderr
    verbs = [call[0] for call in calls(env)]
    # pulumi up got SIGINT (its graceful stop), then the queued teardown ran.
    assert verbs[-4:] == ["up", "<SIGINT>", "destroy", "stack"]


def exits_2_touching_nothing(env: dict[str, str], needle: str) -> None:
    result = run(env, "deploy", "serverless-dev")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and needle in line
    assert calls(env) == []


def test_no_pulumi_on_path_exits_2(sandbox: dict[str, str], tmp_path: Path) -> None:
    python_only = tmp_path / "python-only"
    python_only.mkdir()
    (python_only / "python3").symlink_to(sys.executable)
    exits_2_touching_nothing({**sandbox, "PATH": str(python_only)}, "pulumi CLI is not on PATH")


def test_no_passphrase_for_the_local_backend_exits_2(sandbox: dict[str, str]) -> None:
    env = {k: v for k, v in sandbox.items() if k != "PULUMI_CONFIG_PASSPHRASE"}
    exits_2_touching_nothing(env, "PULUMI_CONFIG_PASSPHRASE")


def test_no_credentials_exits_2(sandbox: dict[str, str], tmp_path: Path) -> None:
    env = {
        k: v for k, v in sandbox.items() if not k.startswith("AWS_ACCESS") and not k.startswith("AWS_SECRET")
    }
    env |= {
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    exits_2_touching_nothing(env, "no usable AWS credentials (NoCredentialsError)")


def test_a_remote_backend_needs_no_passphrase(sandbox: dict[str, str]) -> None:
    env = {k: v for k, v in sandbox.items() if k != "PULUMI_CONFIG_PASSPHRASE"}
    env["PULUMI_BACKEND_URL"] = "s3://state-bucket-dev"
    assert run(env, "destroy", "serverless-dev").returncode == 0


@pytest.mark.parametrize(
    ("environ", "suffix"),
    [({"GITHUB_RUN_ID": "123", "GITHUB_RUN_ATTEMPT": "1"}, "ci123-1"), ({}, "e2611220430")],
)
def test_ephemeral_suffixes_are_valid_and_unique_per_run(environ: dict[str, str], suffix: str) -> None:
    assert lifecycle.ephemeral_suffix(environ, now=1795321800.0) == suffix


def test_long_run_ids_still_fit_the_suffix_limit() -> None:
    suffix = lifecycle.ephemeral_suffix({"GITHUB_RUN_ID": "98765432101234567", "GITHUB_RUN_ATTEMPT": "3"})
    assert len(suffix) <= 16 and suffix.endswith("-3") and not suffix.startswith("-")


def test_flat_outputs_are_all_strings() -> None:
    assert lifecycle.flatten_outputs({"a": "x", "n": 3, "l": [1], "m": {"k": True}}) == {
        "a": "x",
        "n": "3",
        "l": "[1]",
        "m": '{"k": true}',
    }


def test_preview_runs_the_real_engine_when_cli_backend_and_credentials_are_there(
    sandbox: dict[str, str],
) -> None:
    result = run(sandbox, "preview", "serverless-dev", "--diff")
    assert result.returncode == 0, result.stderr
    assert "real engine" in result.stdout
    assert calls(sandbox) == [
        ["whoami", NI],
        ["stack", "select", "--create", "--stack", "serverless-dev", NI],
        ["install", NI],
        ["install", "--cwd", PACK, NI],
        ["preview", "--stack", "serverless-dev", "--policy-pack", PACK, "--diff", NI],
    ]


def test_preview_falls_back_to_the_offline_plan_and_says_why(sandbox: dict[str, str], tmp_path: Path) -> None:
    python_only = tmp_path / "python-only"
    python_only.mkdir()
    (python_only / "python3").symlink_to(sys.executable)
    result = run({**sandbox, "PATH": str(python_only)}, "preview", "serverless-dev", "--no-tree")
    assert result.returncode == 0, result.stderr
    assert "offline plan of serverless-dev (no Pulumi engine): the pulumi CLI is not on PATH" in result.stdout
    assert "0 mandatory" in result.stdout
    assert calls(sandbox) == []


def test_preview_passes_the_policy_config_to_the_cli(sandbox: dict[str, str]) -> None:
    assert run(sandbox, "preview", "serverless-dev", "--policy-config", "pc.json").returncode == 0
    (preview,) = [call for call in calls(sandbox) if call[0] == "preview"]
    assert preview == [
        "preview",
        "--stack",
        "serverless-dev",
        "--policy-pack",
        PACK,
        "--policy-pack-config",
        "pc.json",
        NI,
    ]


def test_a_failing_pulumi_preview_reports_its_exit_code(sandbox: dict[str, str]) -> None:
    result = run({**sandbox, "FAKE_PULUMI_FAIL": "preview"}, "preview", "serverless-dev")
    assert result.returncode == 7 and "Traceback" not in result.stderr
    assert "`pulumi preview" in result.stderr


def test_example_config_copies_structured_values_as_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Pulumi.x.yaml").write_text(
        "config:\n  webstack:publicSubnetCidrs: [10.0.0.0/24, 10.0.1.0/24]\n  webstack:flag: true\n"
        "  webstack:nested: {a: 1}\n"
    )
    monkeypatch.setattr(lifecycle, "ROOT", tmp_path)
    assert lifecycle.example_config("x") == {
        "webstack:publicSubnetCidrs": '["10.0.0.0/24", "10.0.1.0/24"]',
        "webstack:flag": "true",
        "webstack:nested": '{"a": 1}',
    }
    (tmp_path / "Pulumi.y.yaml").write_text("config:\n  webstack:dbPassword:\n    secure: v1:abc\n")
    with pytest.raises(lifecycle.MissingPrerequisiteError, match="encrypted"):
        lifecycle.example_config("y")
