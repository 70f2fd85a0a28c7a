"""checkov, a second and independent scanner, over the `--tfplan` export of every built blueprint and
of the pack's one-violation-per-family fixture; the pack must agree with it (issue 13).

For every check that fails, ``agreement.toml`` holds either the pack policies that flag the same
concern (then the pack, run through plan.gate on the same graph, must flag that very resource) or
the reason the check does not apply to this design. A failing check with no entry fails the test,
so the pack and the blueprints stay at least as strict as checkov where checkov applies; an entry
that no scan fails any more fails it too, so stale reasons do not pile up.

Each target (a built stack, or the fixture) is captured, gated, exported and scanned once per test
module, on first use (``scans``); every test here reads the same results. Under pytest-xdist that is
once per worker that runs a test of this module.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import NamedTuple

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
# The key of the one-violation-per-family fixture among the targets (no stack file is named so).
FIXTURE = "one-violation-per-family fixture"


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


class Scanned(NamedTuple):
    graph: Graph
    verdict: Verdict
    exported: tfplan.Export
    scan: Scan


def scanned(spec: StackSpec, tmp_path: Path) -> Scanned:
    checkov_bin()  # before the capture: fail (or skip, outside nox) at once
    graph = capture(spec)
    # Judged as the plan judges it: under the stack's own policy config, where it has one.
    own = stack_policy_config(spec.project_dir, spec.stack)
    verdict = analyze(graph, spec, REPO_ROOT / "policy_pack", load_policy_config(own))
    exported = tfplan.export(graph)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(exported.plan), encoding="utf-8")
    return Scanned(graph, verdict, exported, run_checkov(plan_file))


class Scans:
    """The built stacks and the fixture, each scanned on first use and kept for the module."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._done: dict[str, Scanned] = {}
        self.targets = [*built_stacks(), FIXTURE]

    def __getitem__(self, target: str) -> Scanned:
        if target not in self._done:
            tmp = self._tmp.mktemp("checkov")
            self._done[target] = scanned(self._spec(target, tmp), tmp)
        return self._done[target]

    @staticmethod
    def _spec(target: str, tmp: Path) -> StackSpec:
        if target != FIXTURE:
            return load_stack(REPO_ROOT, target)
        project = write_project(
            tmp / "proj", VIOLATIONS_PROGRAM, "aws:region: us-west-2\nwebstack:environmentSuffix: dev"
        )
        return load_stack(project, "dev")


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Scans:
    checkov_bin()  # skip (or fail, under nox) every scanning test at once, before any capture
    return Scans(tmp_path_factory)


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


def stale_entries(table: dict[str, object], scans: list[Scan]) -> list[str]:
    """The table's checks that fail on no resource of any scan."""
    failing = {failure["check_id"] for scan in scans for failure in scan.failed}
    return sorted(set(table) - failing)


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
def test_checkov_agrees_with_the_pack_on_blueprint(stack: str, scans: Scans) -> None:
    """Each built blueprint's export parses, every AWS resource is scanned, every failed check has an
    entry, and the pack raises no mandatory violation on it."""
    graph, verdict, exported, scan = scans[stack]
    assert_scanned_whole(graph, exported, scan)
    assert verdict.mandatory == []
    assert disagreements(verdict, exported, scan) == []


def test_blueprints_are_scanned() -> None:
    assert "serverless-dev" in built_stacks()


def test_checkov_agrees_with_the_pack_on_the_violation_fixture(scans: Scans) -> None:
    """The one-violation-per-family fixture: where checkov catches a violation, the pack flags the
    same resource for the same concern (the table's ``policies``)."""
    graph, verdict, exported, scan = scans[FIXTURE]
    assert_scanned_whole(graph, exported, scan)
    assert disagreements(verdict, exported, scan) == []
    # checkov sees the fixture's unencrypted stream, and so does the pack.
    kinesis = next(a for u, a in exported.mapped.items() if u.endswith("aws:kinesis/stream:Stream::events"))
    assert scan.results("CKV_AWS_43", kinesis) == (True, False)


def test_every_entry_still_matches_a_failure(scans: Scans) -> None:
    """No entry outlives its failure: each check in agreement.toml fails somewhere in the built
    stacks or the fixture (the same scans as above), else its reason or policies explain nothing."""
    stale = stale_entries(TABLE, [scans[target].scan for target in scans.targets])
    assert not stale, (
        f"agreement.toml entries that fail on no resource of {', '.join(scans.targets)}: "
        f"{', '.join(stale)}; remove them (or fix the scan that should fail them)"
    )


def test_stale_entries_are_the_checks_no_scan_fails() -> None:
    failed = Scan({}, [{"check_id": "CKV_AWS_43"}, {"check_id": "CKV_AWS_21"}], [])
    other = Scan({}, [{"check_id": "CKV2_AWS_6"}], [])
    table: dict[str, object] = {"CKV_AWS_43": {}, "CKV2_AWS_6": {}, "CKV_AWS_28": {}, "CKV_AWS_185": {}}
    assert stale_entries(table, [failed, other]) == ["CKV_AWS_185", "CKV_AWS_28"]
    assert stale_entries(table, []) == sorted(table)
