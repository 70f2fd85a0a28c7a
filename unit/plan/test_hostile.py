"""`python -m plan` under hostile programs and inputs (issue 9 B): one line, exit 2, never a pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from unit.conftest import REPO_ROOT
from unit.plan.projects import write_project

QUEUE = "import pulumi_aws as aws\naws.sqs.Queue('q', name='q-dev')\n"


def plan(*args: str | Path, cwd: Path = REPO_ROOT, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plan", *map(str, args)],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},  # `-m plan` from any cwd
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def only_line(result: subprocess.CompletedProcess[str]) -> str:
    """The run exited 2 with exactly one line on stderr (no traceback, no asyncio noise)."""
    assert result.returncode == 2, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-3000:]
    return lines[0]


@pytest.mark.parametrize(
    ("ending", "code"),
    [
        ("import sys\nsys.exit(0)\n", 0),
        ("import sys\nsys.exit(3)\n", 3),
        ("import sys\nsys.exit()\n", 0),
        ("import os\nos._exit(0)\n", 0),
        ("import os\nos._exit(5)\n", 5),
        ("raise KeyboardInterrupt\n", 130),
    ],
)
def test_a_program_cannot_set_the_plans_exit_code(tmp_path: Path, ending: str, code: int) -> None:
    project = write_project(tmp_path, QUEUE + ending)
    result = plan("dev", "--project-dir", project, "--no-tree")
    assert only_line(result) == f"error: the program exited with code {code}"
    assert "guardrails pass" not in result.stdout


def test_a_program_that_never_ends_is_stopped_by_the_timeout(tmp_path: Path) -> None:
    project = write_project(tmp_path, QUEUE + "import time\nwhile True:\n    time.sleep(1)\n")
    line = only_line(plan("dev", "--project-dir", project, "--no-policy", "--timeout", "3", timeout=60))
    assert line == "error: the program did not finish within 3 s (--timeout SECONDS)"


def test_a_bad_timeout_is_a_usage_error(tmp_path: Path) -> None:
    result = plan("serverless-dev", "--timeout", "0")
    assert result.returncode == 2
    assert "--timeout" in result.stderr


def error_and_hint(result: subprocess.CompletedProcess[str]) -> str:
    """Exit 2 with the error line and the --debug hint, nothing else (no asyncio noise)."""
    assert result.returncode == 2, (result.stdout[-2000:], result.stderr[-2000:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[1:] == ["  (run with --debug for the traceback)"], result.stderr[-3000:]
    return lines[0]


def test_a_nan_property_is_one_clean_error(tmp_path: Path) -> None:
    program = "import pulumi_aws as aws\naws.sqs.Queue('q', delay_seconds=float('nan'))\n"
    project = write_project(tmp_path, program)
    line = error_and_hint(plan("dev", "--project-dir", project, "--no-tree"))
    assert line.startswith("error: the program raised ValueError: Fail to serialize NaN")


def test_a_program_that_raises_after_registering_is_one_clean_error(tmp_path: Path) -> None:
    program = QUEUE + "for i in range(40):\n    aws.sqs.Queue(f'q{i}')\nraise ValueError('late')\n"
    line = error_and_hint(plan("dev", "--project-dir", write_project(tmp_path, program), "--no-tree"))
    assert line == "error: the program raised ValueError: late (at prog/__main__.py:5)"


@pytest.mark.parametrize(
    ("file", "content", "expected"),
    [
        (
            "Pulumi.yaml",
            b"name: throwaway\nruntime: python\nmain: prog/\ndescription: caf\xe9\n",
            "Pulumi.yaml: not UTF-8",
        ),
        ("Pulumi.dev.yaml", b"config:\n  aws:region: caf\xe9\n", "Pulumi.dev.yaml: not UTF-8"),
        ("Pulumi.dev.yaml", b"config:\n  - aws:region\n", "Pulumi.dev.yaml: 'config' must be a mapping"),
        ("Pulumi.dev.yaml", b"config: us-west-2\n", "Pulumi.dev.yaml: 'config' must be a mapping"),
        (
            "Pulumi.dev.yaml",
            b"config:\n  aws:region: us-west-2\n  suffix: null\n",
            "Pulumi.dev.yaml: config throwaway:suffix is null; give it a value or remove the key",
        ),
        (
            "Pulumi.yaml",
            b"name: throwaway\nruntime: python\nmain: prog/\nconfig: [a, b]\n",
            "Pulumi.yaml: 'config' must be a mapping",
        ),
        (
            "Pulumi.yaml",
            b"name: throwaway\nruntime: python\nmain: prog/\nstackConfigDir: stacks\n",
            "Pulumi.yaml: stackConfigDir is not supported",
        ),
    ],
)
def test_unreadable_project_files_are_one_line(
    tmp_path: Path, file: str, content: bytes, expected: str
) -> None:
    project = write_project(tmp_path, QUEUE)
    (project / file).write_bytes(content)
    line = only_line(plan("dev", "--project-dir", project, "--no-tree"))
    assert line.startswith("error: ") and expected in line, line


def test_a_non_utf8_policy_config_is_one_line(tmp_path: Path) -> None:
    project = write_project(tmp_path, QUEUE)
    (tmp_path / "policy.json").write_bytes(b'{"all": "advisory", "x": "caf\xe9"}')
    line = only_line(plan("dev", "--project-dir", project, "--policy-config", tmp_path / "policy.json"))
    assert "policy.json: not UTF-8" in line


@pytest.mark.parametrize("stack", ["../dev", "dev\n", "dev/x"])
def test_stack_names_are_checked_whole(tmp_path: Path, stack: str) -> None:
    project = write_project(tmp_path, QUEUE)
    line = only_line(plan(stack, "--project-dir", project, "--no-policy"))
    assert "is not a valid stack name" in line


def test_duplicate_urns_are_refused_as_the_engine_does(tmp_path: Path) -> None:
    program = QUEUE + "aws.sqs.Queue('q', name='q-other')\n"
    line = only_line(plan("dev", "--project-dir", write_project(tmp_path, program), "--no-policy"))
    assert line == (
        "error: Duplicate resource URN 'urn:pulumi:dev::throwaway::aws:sqs/queue:Queue::q'; "
        "try giving it a unique name"
    )


def test_five_thousand_resources_reach_a_verdict_with_the_pack(tmp_path: Path) -> None:
    """All Analyze RPCs at once ended in CANCELLED at 2,000-5,000 resources; the window holds."""
    from unit.plan.projects import write_generated

    project = write_generated(tmp_path, 5000)
    result = plan("dev", "--project-dir", project, "--no-tree", "--json", tmp_path / "r.json", timeout=1200)
    assert result.returncode == 1, result.stderr[-2000:]  # the generated names break the naming policy
    assert result.stderr == ""
    summary = json.loads((tmp_path / "r.json").read_text())["summary"]
    assert summary["resources"] == 4999 and summary["mandatory"] > 0


def test_mermaid_draws_a_dash_an_underscore_and_a_dot_as_three_nodes() -> None:
    import pulumi_aws as aws

    from plan import report
    from unit.conftest import capture_fn

    graph = capture_fn(lambda: [aws.sqs.Queue(name) for name in ("a-b", "a_b", "a.b")])
    nodes = [line.strip() for line in report.mermaid(graph).splitlines() if "sqs.Queue" in line]
    assert nodes == [
        'naws_3a_sqs_2f_queue_3a_Queue_3a__3a_a_2d_b["sqs.Queue<br/>a-b"]',
        'naws_3a_sqs_2f_queue_3a_Queue_3a__3a_a_2e_b["sqs.Queue<br/>a.b"]',
        'naws_3a_sqs_2f_queue_3a_Queue_3a__3a_a_5f_b["sqs.Queue<br/>a_b"]',
    ]


SECRETS = """
import pulumi
import pulumi_aws as aws

secret = aws.ssm.Parameter("p", name="/dev/p", type="SecureString",
                           value=pulumi.Output.secret("hunter2-do-not-print"))
pulumi.export("token", pulumi.Output.secret("s3cr3t-output"))
pulumi.export("plain", "visible")
"""


def test_secret_values_are_masked_in_the_json_report(tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", SECRETS)
    result = plan("dev", "--project-dir", project, "--no-policy", "--json", tmp_path / "r.json")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "r.json").read_text()
    assert "hunter2" not in text and "s3cr3t" not in text
    report = json.loads(text)
    (parameter,) = [r for r in report["resources"] if r["type"] == "aws:ssm/parameter:Parameter"]
    assert parameter["inputs"]["value"] == "[secret]"
    assert report["outputs"] == {"token": "[secret]", "plain": "visible"}


def test_relative_report_paths_are_the_callers_even_if_the_program_changes_directory(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    program = QUEUE + f"import os\nos.chdir({str(tmp_path / 'elsewhere')!r})\n"
    project = write_project(tmp_path / "proj", program)
    result = plan(
        "dev", "--project-dir", "proj", "--no-policy", "--json", "r.json", "--mermaid", "r.mmd", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "proj", "r.json", "r.mmd"]
    assert json.loads((tmp_path / "r.json").read_text())["project"] == "throwaway"
    assert project.is_dir()
