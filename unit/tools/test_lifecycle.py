"""The deploy lifecycle's commands, with a fake `pulumi` on PATH recording every call.

STS is answered by moto's server on 127.0.0.1, so the credential check is real boto3 code.
Nothing here reaches AWS or a Pulumi backend. The whole sequence is tested in test_pipeline.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools import lifecycle
from unit.tools.fake_pulumi import NI, PACK, calls, deploy_calls, destroy_calls
from unit.tools.fake_pulumi import run as run_module


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_module(env, "tools.lifecycle", *args)


def test_deploy_runs_up_with_the_policy_pack_and_writes_both_outputs_files(sandbox: dict[str, str]) -> None:
    result = run(sandbox, "deploy", "serverless-dev")
    assert result.returncode == 0, result.stderr
    assert calls(sandbox) == [
        ["stack", "select", "--create", "--stack", "serverless-dev", NI],
        *deploy_calls("serverless-dev"),
    ]
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


def test_deploy_uses_the_stacks_own_policy_config_when_none_is_given(sandbox: dict[str, str]) -> None:
    """catalog-dev's exemptions (Pulumi.catalog-dev.policy.json) go to `pulumi up` without a flag."""
    assert run(sandbox, "deploy", "catalog-dev").returncode == 0
    up = next(call for call in calls(sandbox) if call[0] == "up")
    assert up[-3:-1] == ["--policy-pack-config", str(lifecycle.ROOT / "Pulumi.catalog-dev.policy.json")]
    assert run(sandbox, "deploy", "catalog-dev", "--policy-config", "pc.json").returncode == 0
    ups = [call for call in calls(sandbox) if call[0] == "up"]
    assert ups[-1][-3:] == ["--policy-pack-config", "pc.json", NI]


def test_destroy_removes_resources_then_the_stack_keeping_the_example_config(sandbox: dict[str, str]) -> None:
    assert run(sandbox, "destroy", "serverless-dev").returncode == 0
    assert calls(sandbox) == destroy_calls("serverless-dev", keep_config=True)


def test_002_R27_destroy_waits_out_lambda_edge_replicas_then_removes_the_stack(
    sandbox: dict[str, str],
) -> None:
    """A replicated Lambda@Edge function fails destroy until AWS removes its replicas: run again."""
    env = {**sandbox, "FAKE_PULUMI_REPLICATED": "2", "WEBSTACK_DESTROY_RETRY_WAIT_S": "0"}
    result = run(env, "destroy", "catalog-dev")
    assert result.returncode == 0, result.stderr
    verbs = [call[0] for call in calls(env)]
    assert verbs.count("destroy") == 3 and verbs[-1] == "stack"
    assert "still has replicas" in result.stderr and "attempt 2 of 4" in result.stderr
    assert "because it is a replicated function" in result.stdout  # the CLI's own words, shown


def test_destroy_gives_up_on_replicas_after_its_attempts_and_never_removes_the_stack(
    sandbox: dict[str, str],
) -> None:
    env = {
        **sandbox,
        "FAKE_PULUMI_REPLICATED": "9",
        "WEBSTACK_DESTROY_RETRY_WAIT_S": "0",
        "WEBSTACK_DESTROY_ATTEMPTS": "2",
    }
    result = run(env, "destroy", "catalog-dev")
    assert result.returncode != 0
    assert [call[0] for call in calls(env)].count("destroy") == 2
    assert all(call[:2] != ["stack", "rm"] for call in calls(env))


def test_other_destroy_failures_are_not_retried(sandbox: dict[str, str]) -> None:
    env = {**sandbox, "FAKE_PULUMI_FAIL": "destroy", "WEBSTACK_DESTROY_RETRY_WAIT_S": "0"}
    assert run(env, "destroy", "catalog-dev").returncode != 0
    assert [call[0] for call in calls(env)].count("destroy") == 1


def test_teardown_is_a_no_op_when_no_stack_is_left(sandbox: dict[str, str]) -> None:
    env = {**sandbox, "FAKE_PULUMI_STACKS": '[{"name": "serverless-dev"}]', "GITHUB_RUN_ID": "9"}
    result = run(env, "teardown")
    assert result.returncode == 0
    assert calls(env) == [["stack", "ls", "--json", NI]]
    assert "nothing to tear down" in result.stdout


def test_teardown_destroys_a_stack_a_killed_job_left(sandbox: dict[str, str]) -> None:
    env = {
        **sandbox,
        "FAKE_PULUMI_STACKS": '[{"name": "organization/webstack/serverless-se9-1"}]',
        "GITHUB_RUN_ID": "9",
    }
    assert run(env, "teardown").returncode == 0
    # The killed job's pulumi may still hold the lock: cancel it before the destroy.
    assert calls(env) == [
        ["stack", "ls", "--json", NI],
        ["cancel", "--yes", "--stack", "serverless-se9-1", NI],
        *destroy_calls("serverless-se9-1", keep_config=False),
    ]


def test_teardown_surfaces_a_backend_failure(sandbox: dict[str, str]) -> None:
    env = {**sandbox, "FAKE_PULUMI_FAIL": "stack ls", "GITHUB_RUN_ID": "9"}
    assert run(env, "teardown").returncode == 7


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
    [({"GITHUB_RUN_ID": "123", "GITHUB_RUN_ATTEMPT": "1"}, "se123-1"), ({}, "see2611220430")],
)
def test_ephemeral_suffixes_are_valid_and_unique_per_run(environ: dict[str, str], suffix: str) -> None:
    assert lifecycle.ephemeral_suffix(environ, now=1795321800.0, tag="se") == suffix


def test_long_run_ids_keep_the_tag_and_the_attempt_within_the_suffix_limit() -> None:
    environ = {"GITHUB_RUN_ID": "98765432101234567", "GITHUB_RUN_ATTEMPT": "3"}
    assert lifecycle.ephemeral_suffix(environ, tag="ca") == "ca432101234567-3"  # 16 characters


def test_copies_of_two_example_stacks_in_one_run_get_different_suffixes() -> None:
    environ = {"GITHUB_RUN_ID": "77", "GITHUB_RUN_ATTEMPT": "1"}
    assert lifecycle.ephemeral_stack("serverless-dev", environ) == ("serverless-se77-1", "se77-1")
    assert lifecycle.ephemeral_stack("stream-dev", environ) == ("stream-st77-1", "st77-1")


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


# -- hostile CLI output, files and signals (issue 9, B: lifecycle) ------------------------------------


@pytest.mark.parametrize(
    ("printed", "needle"),
    [
        ("not json at all", "printed 'not json at all', not JSON"),
        ("", "printed 'nothing', not JSON"),
        ('["a", "b"]', "printed a JSON list; expected a JSON object"),
    ],
)
def test_garbage_stack_output_is_one_line_and_leaves_no_outputs_files(
    sandbox: dict[str, str], printed: str, needle: str
) -> None:
    result = run({**sandbox, "FAKE_PULUMI_OUTPUT": printed}, "deploy", "serverless-dev")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line == f"error: `pulumi stack output --json` {needle}"
    assert not list(Path(sandbox["WEBSTACK_OUTPUTS_DIR"]).glob("*.json"))


@pytest.mark.parametrize(
    ("printed", "needle"),
    [
        ("<html>502</html>", "printed '<html>502</html>', not JSON"),
        ("", "printed 'nothing', not JSON"),
        ('{"name": "x"}', "printed a JSON dict; expected a JSON array"),
        ('["serverless-se9-1"]', "listed 'serverless-se9-1', not a stack with a name"),
    ],
)
def test_garbage_stack_ls_stops_teardown_with_one_line(
    sandbox: dict[str, str], printed: str, needle: str
) -> None:
    env = {**sandbox, "FAKE_PULUMI_STACKS": printed, "GITHUB_RUN_ID": "9"}
    result = run(env, "teardown")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: `pulumi stack ls --json` ") and line.endswith(needle)
    assert [call[0] for call in calls(env)] == ["stack"]  # nothing destroyed on a guess


def test_deploy_creates_a_missing_outputs_dir_with_its_parents(
    sandbox: dict[str, str], tmp_path: Path
) -> None:
    nested = tmp_path / "not" / "there" / "cfn-outputs"
    result = run({**sandbox, "WEBSTACK_OUTPUTS_DIR": str(nested)}, "deploy", "serverless-dev")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in nested.iterdir()) == ["flat-outputs.json", "outputs.json"]


def test_probes_without_an_outputs_dir_say_so_in_one_line(sandbox: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = run({**sandbox, "WEBSTACK_OUTPUTS_DIR": str(missing)}, "integration", "serverless-dev")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line == (f"error: no {missing}/flat-outputs.json: run `nox -s deploy -- serverless-dev` first")


def test_a_failed_deploy_leaves_no_outputs_of_the_previous_one(sandbox: dict[str, str]) -> None:
    outputs = Path(sandbox["WEBSTACK_OUTPUTS_DIR"])
    assert run(sandbox, "deploy", "serverless-dev").returncode == 0
    assert (outputs / "flat-outputs.json").is_file()
    assert run({**sandbox, "FAKE_PULUMI_FAIL": "up"}, "deploy", "serverless-dev").returncode == 7
    assert sorted(p.name for p in outputs.iterdir()) == []


def test_outputs_files_are_never_left_mismatched_or_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lifecycle, "OUTPUTS_DIR", tmp_path)
    lifecycle.write_outputs({"a": "1"})
    real_replace = lifecycle.os.replace

    def crash_on_second(src: str, dst: str) -> None:
        if str(dst).endswith("flat-outputs.json"):
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(lifecycle.os, "replace", crash_on_second)
    with pytest.raises(OSError, match="disk full"):
        lifecycle.write_outputs({"a": "2"})
    # outputs.json was already the new one: rather than a mismatched pair, neither is left (nor temps).
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"config: [a, b\n", "is not valid YAML at line 2"),
        (b"config:\n  - webstack:blueprint\n", "'config' is a list; it must be a mapping"),
        (b"config: serverless-app\n", "'config' is a str; it must be a mapping"),
        (b"- one\n- two\n", "the file must be a mapping with a 'config:' key"),
        (b"config:\n  webstack:alertEmail: caf\xe9@example.com\n", "is not UTF-8 (byte 34)"),
    ],
)
def test_a_malformed_example_stack_is_a_one_line_prerequisite_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, needle: str
) -> None:
    (tmp_path / "Pulumi.bad.yaml").write_bytes(content)
    monkeypatch.setattr(lifecycle, "ROOT", tmp_path)
    with pytest.raises(lifecycle.MissingPrerequisiteError) as raised:
        lifecycle.example_config("bad")
    assert str(raised.value).startswith("Pulumi.bad.yaml") and needle in str(raised.value)
    assert "\n" not in str(raised.value)


def test_ci_without_a_remote_backend_exits_2_before_touching_anything(sandbox: dict[str, str]) -> None:
    """issue 9 A.3: state on a throwaway runner could never destroy the stack later."""
    result = run({**sandbox, "CI": "true"}, "deploy", "serverless-dev")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: CI runs need a remote state backend: set PULUMI_BACKEND_URL (s3://BUCKET, "
        "https://api.pulumi.com, ...); a local .pulumi-state/ is lost with the runner"
    )
    assert calls(sandbox) == []


def test_ci_with_a_remote_backend_deploys(sandbox: dict[str, str]) -> None:
    env = {**sandbox, "CI": "true", "PULUMI_BACKEND_URL": "s3://state-bucket-ci"}
    assert run(env, "deploy", "serverless-dev").returncode == 0
