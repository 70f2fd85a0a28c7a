"""plan.gate: a policy pack started as the engine starts it, driven over the Analyzer protocol."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plan.capture import Graph, capture
from plan.gate import RETAIN_POLICY, PackError, Verdict, analyze
from plan.project import StackSpec, UsageError, load_stack
from unit.conftest import REPO_ROOT
from unit.plan.projects import VIOLATIONS_PROGRAM, write_pack, write_project

OUR_PACK = REPO_ROOT / "policy_pack"

FOREIGN_PACK = """
import pulumi
from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, PolicyPack,
                           ResourceValidationPolicy, StackValidationPolicy)

def short_names(args, report):
    if args.resource_type == "aws:s3/bucket:Bucket":
        limit = args.get_config()["maxLength"]
        if len(args.props["bucket"]) > limit:
            report(f"bucket name is longer than {limit}")

def strict_mode(args, report):
    # Stack config reaches the pack through PULUMI_CONFIG, as under the engine.
    if pulumi.Config("throwaway").get_bool("strict"):
        report(f"strict stack with {len(args.resources)} resources")

PolicyPack(
    "foreign",
    [
        ResourceValidationPolicy(
            name="short-bucket-names", description="Bucket names are short.", validate=short_names,
            enforcement_level=EnforcementLevel.ADVISORY,
            config_schema=PolicyConfigSchema(properties={"maxLength": {"type": "integer", "default": 3}}),
        ),
        StackValidationPolicy(name="strict-mode", description="Strict stacks are flagged.",
                              validate=strict_mode),
    ],
    initial_config={"short-bucket-names": {"enforcementLevel": EnforcementLevel.MANDATORY}},
)
"""


@pytest.fixture(scope="module")
def violations(tmp_path_factory: pytest.TempPathFactory) -> tuple[StackSpec, Graph]:
    spec = load_stack(write_project(tmp_path_factory.mktemp("proj"), VIOLATIONS_PROGRAM), "dev")
    return spec, capture(spec)


def by_policy(verdict: Verdict) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for d in verdict.diagnostics:
        found.setdefault(d.policyName, []).append(d)
    return found


# Only the policy under test: the throwaway program breaks other families too.
ONLY_WILDCARDS = {"all": "disabled", "iam-no-wildcard-actions": "mandatory"}


def test_wildcard_through_the_wire_and_retain_from_options(violations: tuple[StackSpec, Graph]) -> None:
    spec, graph = violations
    verdict = analyze(graph, spec, OUR_PACK, ONLY_WILDCARDS)
    found = by_policy(verdict)
    (wildcard,) = found["iam-no-wildcard-actions"]
    assert wildcard.urn == graph.one("aws:iam/rolePolicy:RolePolicy").urn
    assert wildcard.enforcementLevel == "mandatory" and wildcard.policyPackName == "webstack-guardrails"
    assert "statement All allows '*'" in wildcard.message
    (retain,) = found[RETAIN_POLICY]
    assert retain.urn == graph.one("aws:s3/bucket:Bucket").urn and retain.enforcementLevel == "mandatory"
    assert len(verdict.mandatory) == 2


def test_preview_unknowns_do_not_crash_the_pack(violations: tuple[StackSpec, Graph]) -> None:
    spec, _ = violations
    verdict = analyze(capture(spec, preview=True), spec, OUR_PACK, ONLY_WILDCARDS)
    found = by_policy(verdict)
    # The policy document depends on the bucket ARN, unknown in preview: the SDK says so (advisory).
    (unknown,) = found["iam-no-wildcard-actions"]
    assert unknown.enforcementLevel == "advisory" and "during preview" in unknown.message
    assert [d.policyName for d in verdict.mandatory] == [RETAIN_POLICY]


def test_policy_config_relevels_and_disables(violations: tuple[StackSpec, Graph]) -> None:
    spec, graph = violations
    config = {**ONLY_WILDCARDS, "iam-no-wildcard-actions": "disabled", RETAIN_POLICY: "advisory"}
    verdict = analyze(graph, spec, OUR_PACK, config)
    assert verdict.mandatory == []
    assert [d.policyName for d in verdict.advisory] == [RETAIN_POLICY]
    everything = analyze(graph, spec, OUR_PACK)
    relevelled = analyze(graph, spec, OUR_PACK, {"all": "advisory"})
    assert "iam-no-wildcard-actions" in {d.policyName for d in relevelled.advisory}
    # Every pack policy became advisory; the plan's own retain check keeps its level.
    assert [d.policyName for d in relevelled.mandatory] == [RETAIN_POLICY]
    assert len(relevelled.diagnostics) == len(everything.diagnostics)


def test_unknown_policy_names_in_config_are_usage_errors(violations: tuple[StackSpec, Graph]) -> None:
    spec, graph = violations
    with pytest.raises(UsageError, match="unknown policies iam-no-wildcards"):
        analyze(graph, spec, OUR_PACK, {"iam-no-wildcards": "disabled"})
    with pytest.raises(UsageError, match="enforcement level 'loud'"):
        analyze(graph, spec, OUR_PACK, {"iam-no-wildcard-actions": "loud"})


def test_foreign_pack_config_precedence(tmp_path: Path, violations: tuple[StackSpec, Graph]) -> None:
    spec, graph = violations
    pack = write_pack(tmp_path / "pack", FOREIGN_PACK)
    # Schema default maxLength 3; the pack's initial config raises the level to mandatory.
    (short,) = by_policy(analyze(graph, spec, pack))["short-bucket-names"]
    assert short.enforcementLevel == "mandatory" and short.urn == graph.one("aws:s3/bucket:Bucket").urn
    # User config wins over both.
    assert "short-bucket-names" not in by_policy(
        analyze(graph, spec, pack, {"short-bucket-names": {"maxLength": 20}})
    )
    relevelled = analyze(graph, spec, pack, {"short-bucket-names": "advisory"})
    assert [d.policyName for d in relevelled.advisory] == ["short-bucket-names"]


def test_stack_config_reaches_the_pack(tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", VIOLATIONS_PROGRAM, "aws:region: us-west-2\nstrict: true")
    spec = load_stack(project, "dev")
    pack = write_pack(tmp_path / "pack", FOREIGN_PACK)
    found = by_policy(analyze(capture(spec), spec, pack))
    (strict,) = found["strict-mode"]
    assert strict.message.endswith("strict stack with 4 resources")


def test_a_pack_that_crashes_at_import_is_a_clear_error(
    tmp_path: Path, violations: tuple[StackSpec, Graph]
) -> None:
    spec, graph = violations
    pack = write_pack(tmp_path / "pack", "raise RuntimeError('pack is broken')\n")
    with pytest.raises(PackError, match=r"exited with code 1 before serving: .*RuntimeError: pack is broken"):
        analyze(graph, spec, pack)


def test_a_pack_that_prints_at_import_is_a_clear_error(
    tmp_path: Path, violations: tuple[StackSpec, Graph]
) -> None:
    spec, graph = violations
    pack = write_pack(tmp_path / "pack", "print('loading policies')\n" + FOREIGN_PACK)
    with pytest.raises(PackError, match="printed 'loading policies' to stdout before its port"):
        analyze(graph, spec, pack)


def test_a_dir_without_pulumipolicy_yaml_is_a_usage_error(
    tmp_path: Path, violations: tuple[StackSpec, Graph]
) -> None:
    spec, graph = violations
    with pytest.raises(UsageError, match=r"no PulumiPolicy\.yaml"):
        analyze(graph, spec, tmp_path)


def test_exemptions_skip_a_resource_and_carry_their_reason(violations: tuple[StackSpec, Graph]) -> None:
    spec, graph = violations
    reason = "legacy role; scoped down in the next release"
    config = {"iam-no-wildcard-actions": {"exemptions": [{"resource": "every*", "reason": reason}]}}
    verdict = analyze(graph, spec, OUR_PACK, config)
    assert "iam-no-wildcard-actions" not in by_policy(verdict)
    (exemption,) = verdict.exemptions
    assert exemption.policyName == "iam-no-wildcard-actions"
    assert exemption.urn == graph.one("aws:iam/rolePolicy:RolePolicy").urn
    assert exemption.reason == reason


def test_a_packs_initial_all_level_applies_to_every_policy(
    tmp_path: Path, violations: tuple[StackSpec, Graph]
) -> None:
    spec, graph = violations
    pack = write_pack(
        tmp_path / "pack",
        FOREIGN_PACK.replace(
            'initial_config={"short-bucket-names": {"enforcementLevel": EnforcementLevel.MANDATORY}}',
            'initial_config={"all": EnforcementLevel.MANDATORY}',
        ),
    )
    found = by_policy(analyze(graph, spec, pack))
    assert found["short-bucket-names"][0].enforcementLevel == "mandatory"
