"""checkov, a second and independent scanner, over the `--tfplan` export of every built blueprint and
of the pack's one-violation-per-family fixture; the pack must agree with it (issue 13).

For every check that fails, ``agreement.toml`` holds either the pack policies that flag the same
concern (then the pack, run through plan.gate on the same graph, must flag that very resource) or
the reason the check does not apply to this design. A failing check with no entry fails the test,
so the pack and the blueprints stay at least as strict as checkov where checkov applies.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import yaml

from plan import tfplan
from plan.capture import Graph, capture
from plan.gate import Verdict, analyze, load_policy_config
from plan.project import StackSpec, load_stack, stack_policy_config
from program.blueprints import BUILT
from unit.checkov.scan import Scan, checkov_bin, run_checkov
from unit.conftest import REPO_ROOT
from unit.plan.projects import write_project
from unit.policy_pack.test_one_violation_per_family import PROGRAM as VIOLATIONS_PROGRAM

TABLE = tomllib.loads((Path(__file__).with_name("agreement.toml")).read_text(encoding="utf-8"))


def built_stacks() -> list[str]:
    """Every Pulumi.STACK.yaml of this repo whose blueprint is built."""
    stacks = []
    for path in sorted(REPO_ROOT.glob("Pulumi.*.yaml")):
        if path.name == "Pulumi.yaml":
            continue
        config = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("config", {})
        if config.get("webstack:blueprint") in BUILT:
            stacks.append(path.name[len("Pulumi.") : -len(".yaml")])
    return stacks


def scanned(spec: StackSpec, tmp_path: Path) -> tuple[Graph, Verdict, tfplan.Export, Scan]:
    checkov_bin()  # before the capture: fail (or skip, outside nox) at once
    graph = capture(spec)
    # Judged as the plan judges it: under the stack's own policy config, where it has one.
    own = stack_policy_config(spec.project_dir, spec.stack)
    verdict = analyze(graph, spec, REPO_ROOT / "policy_pack", load_policy_config(own))
    exported = tfplan.export(graph)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(exported.plan), encoding="utf-8")
    return graph, verdict, exported, run_checkov(plan_file)


def disagreements(verdict: Verdict, exported: tfplan.Export, scan: Scan) -> list[str]:
    urn_of = {address: urn for urn, address in exported.mapped.items()}
    problems = []
    for failure in scan.failed:
        check, address = failure["check_id"], failure["resource"]
        entry = TABLE.get(check)
        if entry is None:
            problems.append(
                f"{check} ({failure['check_name']}) fails on {address}: no entry in agreement.toml"
            )
            continue
        policies = set(entry.get("policies", []))
        if not policies:
            continue  # the entry's reason covers it
        urn = urn_of[address]
        flagged = {d.policyName for d in verdict.diagnostics if d.urn == urn}
        if not flagged & policies:
            problems.append(
                f"{check} fails on {address} but the pack does not flag {urn} with any of {sorted(policies)}"
            )
    return problems


def assert_scanned_whole(graph: Graph, exported: tfplan.Export, scan: Scan) -> None:
    aws = [r.urn for r in graph.resources if r.custom and r.type.startswith("aws:")]
    assert sorted(exported.mapped) == sorted(aws), "every AWS resource has a Terraform twin"
    assert scan.summary["parsing_errors"] == 0
    assert scan.summary["resource_count"] == len(aws)


def test_every_entry_has_a_reason_or_policies() -> None:
    for check, entry in TABLE.items():
        assert check.startswith(("CKV_AWS_", "CKV2_AWS_")), check
        assert bool(entry.get("reason")) != bool(entry.get("policies")), (
            f"{check}: a reason or policies, not both"
        )
        assert entry.get("name"), f"{check}: the check's name, for the reader"


@pytest.mark.parametrize("stack", built_stacks())
def test_checkov_agrees_with_the_pack_on_blueprint(stack: str, tmp_path: Path) -> None:
    """Each built blueprint's export parses, every AWS resource is scanned, every failed check has an
    entry, and the pack raises no mandatory violation on it."""
    graph, verdict, exported, scan = scanned(load_stack(REPO_ROOT, stack), tmp_path)
    assert_scanned_whole(graph, exported, scan)
    assert verdict.mandatory == []
    assert disagreements(verdict, exported, scan) == []


def test_blueprints_are_scanned() -> None:
    assert "serverless-dev" in built_stacks()


def test_checkov_agrees_with_the_pack_on_the_violation_fixture(tmp_path: Path) -> None:
    """The one-violation-per-family fixture: where checkov catches a violation, the pack flags the
    same resource for the same concern (the table's ``policies``)."""
    project = write_project(
        tmp_path / "proj", VIOLATIONS_PROGRAM, "aws:region: us-west-2\nwebstack:environmentSuffix: dev"
    )
    graph, verdict, exported, scan = scanned(load_stack(project, "dev"), tmp_path)
    assert_scanned_whole(graph, exported, scan)
    assert disagreements(verdict, exported, scan) == []
    # checkov sees the fixture's unencrypted stream, and so does the pack.
    kinesis = next(a for u, a in exported.mapped.items() if u.endswith("aws:kinesis/stream:Stream::events"))
    assert scan.results("CKV_AWS_43", kinesis) == (True, False)
