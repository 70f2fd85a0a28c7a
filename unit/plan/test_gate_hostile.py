"""The gate under hostile packs and policy config (issue 9 B): crashing policies, config schemas."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from plan.capture import Graph, capture
from plan.gate import Crash, analyze
from plan.project import StackSpec, UsageError, load_stack
from unit.conftest import REPO_ROOT
from unit.plan.projects import VIOLATIONS_PROGRAM, write_pack, write_project

OUR_PACK = REPO_ROOT / "policy_pack"
ROLE_URN = "urn:pulumi:dev::throwaway::aws:iam/role:Role::runner"

CRASHING_PACK = """
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy

def crashes_on_roles(args, report):
    if args.resource_type == "aws:iam/role:Role":
        raise ValueError("role policy bug")

def flags_everything(args, report):
    report(f"saw {args.name}")

def stack_crash(args, report):
    raise RuntimeError("stack policy bug")

def stack_counts(args, report):
    report(f"{len(args.resources)} resources")

MANDATORY = EnforcementLevel.MANDATORY
PolicyPack("crashy", [
    ResourceValidationPolicy(name="crashes-on-roles", description="d", validate=crashes_on_roles),
    ResourceValidationPolicy(name="flags-everything", description="d", validate=flags_everything,
                             enforcement_level=MANDATORY),
    StackValidationPolicy(name="stack-crash", description="d", validate=stack_crash),
    StackValidationPolicy(name="stack-counts", description="d", validate=stack_counts,
                          enforcement_level=MANDATORY),
])
"""


@pytest.fixture(scope="module")
def violations(tmp_path_factory: pytest.TempPathFactory) -> tuple[StackSpec, Graph]:
    spec = load_stack(write_project(tmp_path_factory.mktemp("proj"), VIOLATIONS_PROGRAM), "dev")
    return spec, capture(spec)


def test_a_crashing_policy_is_named_and_hides_no_other_verdict(
    tmp_path: Path, violations: tuple[StackSpec, Graph]
) -> None:
    spec, graph = violations
    verdict = analyze(graph, spec, write_pack(tmp_path / "pack", CRASHING_PACK))
    assert verdict.crashes == [
        Crash("crashes-on-roles", ROLE_URN, "role policy bug"),
        Crash("stack-crash", "", "stack policy bug"),
    ]
    flagged = sorted(
        d.message.split("\n")[-1] for d in verdict.mandatory if d.policyName == "flags-everything"
    )
    # Every resource, the role too (it was analyzed again without the crashing policy).
    assert flagged == ["saw default_7_51_1", "saw everything", "saw runner", "saw site"]
    (counts,) = [d for d in verdict.diagnostics if d.policyName == "stack-counts"]
    assert counts.message.endswith("4 resources")


def test_the_cli_reports_the_crash_after_the_other_verdicts(tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", VIOLATIONS_PROGRAM)
    pack = write_pack(tmp_path / "pack", CRASHING_PACK)
    result = subprocess.run(
        [sys.executable, "-m", "plan", "dev", "--project-dir", project, "--policy-pack", pack, "--no-tree",
         "--json", tmp_path / "r.json"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"error: policy crashes-on-roles crashed on {ROLE_URN}: role policy bug",
        "error: policy stack-crash crashed on (stack): stack policy bug",
    ]
    assert "flags-everything" in result.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert [c["policyName"] for c in report["crashes"]] == ["crashes-on-roles", "stack-crash"]


def test_a_policy_crashing_on_many_resources_is_one_line_with_a_count(tmp_path: Path) -> None:
    program = (
        "import pulumi_aws as aws\nfor i in range(30):\n    aws.iam.Role(f'r{i}', assume_role_policy='{}')\n"
    )
    spec = load_stack(write_project(tmp_path / "proj", program), "dev")
    verdict = analyze(capture(spec), spec, write_pack(tmp_path / "pack", CRASHING_PACK))
    (roles,) = [c for c in verdict.crashes if c.policyName == "crashes-on-roles"]
    assert (roles.urn, roles.count) == ("urn:pulumi:dev::throwaway::aws:iam/role:Role::r0", 30)
    assert roles.line().endswith("aws:iam/role:Role::r0 and 29 more: role policy bug")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"naming-suffix": {"suffix": 42}},
            "policy config naming-suffix: suffix must be string, got 42",
        ),
        (
            {"iam-no-wildcard-actions": {"exemptions": "runner"}},
            'policy config iam-no-wildcard-actions: exemptions must be array, got "runner"',
        ),
        (
            {"iam-no-wildcard-actions": {"exemptions": [{"resource": "runner"}]}},
            "policy config iam-no-wildcard-actions: exemptions[0].reason is required",
        ),
        (
            {"iam-no-wildcard-actions": {"exemptions": [{"resource": "runner", "reason": "short"}]}},
            "policy config iam-no-wildcard-actions: exemptions[0].reason must be at least 10 characters, "
            'got "short"',
        ),
        (
            {
                "iam-no-wildcard-actions": {
                    "exemptions": [{"resource": True, "reason": "a long enough reason"}]
                }
            },
            "policy config iam-no-wildcard-actions: exemptions[0].resource must be string, got true",
        ),
    ],
)
def test_policy_config_is_checked_against_each_policys_schema(
    violations: tuple[StackSpec, Graph], config: dict, message: str
) -> None:
    spec, graph = violations
    with pytest.raises(UsageError) as raised:
        analyze(graph, spec, OUR_PACK, config)
    assert str(raised.value) == message


def test_integer_schemas_take_whole_numbers_only(tmp_path: Path, violations: tuple[StackSpec, Graph]) -> None:
    from unit.plan.test_gate import FOREIGN_PACK

    spec, graph = violations
    pack = write_pack(tmp_path / "pack", FOREIGN_PACK)
    for bad, shown in ((2.5, "2.5"), (True, "true"), ("7", '"7"')):
        with pytest.raises(UsageError, match=f"maxLength must be integer, got {shown}"):
            analyze(graph, spec, pack, {"short-bucket-names": {"maxLength": bad}})
    assert analyze(graph, spec, pack, {"short-bucket-names": {"maxLength": 20}}).crashes == []
