"""Every policy of the pack fires over the real CrossGuard Analyzer protocol, as the offline plan runs it.

The unit tests of each family call a policy's validate in-process. Here the real pack is started
as the engine starts it (``python -u -m pulumi.policy``) and driven through gRPC by
``plan.gate.analyze``: Analyze with each resource's inputs and options, AnalyzeStack with the
outputs and property dependencies. The graph is built from ``baselines.shared`` and the
``wire_cases`` each family's test module declares next to its in-process cases: for every
registered policy (and the plan's own ``no-retain-on-delete``) at least one resource built to
violate it, next to compliant baselines and controls that pass only through a relation between
resources. The pack is the session's running pack (conftest.py ``running_packs``).
"""

from __future__ import annotations

import importlib
from collections import defaultdict

import pytest

from plan.gate import RETAIN_POLICY, Diagnostic, Verdict
from plan.project import StackSpec
from policy_pack.policies import registry
from unit.conftest import REPO_ROOT
from unit.policy_pack.baselines import PROJECT, STACK, STACK_CONFIG, Catalog, shared
from unit.policy_pack.conftest import RunningPacks

FAMILIES = [
    f.__name__.rsplit(".", 1)[-1] for f in (*registry.MANDATORY_FAMILIES, *registry.BEST_PRACTICE_FAMILIES)
]
# Every policy's level as registered, plus the plan's retainOnDelete check (mandatory by default).
REGISTERED_LEVELS = {policy.name: policy.enforcement_level.value for policy in registry.POLICIES}
LEVELS = {**REGISTERED_LEVELS, RETAIN_POLICY: "mandatory"}
CANNOT_RUN = "can't run policy"


def build_catalog() -> Catalog:
    """The shared resources, then each family's cases from its own test module."""
    cat = Catalog()
    shared(cat)
    for family in FAMILIES:
        importlib.import_module(f"unit.policy_pack.test_{family}").wire_cases(cat)
    return cat


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog()


@pytest.fixture(scope="module")
def verdict(catalog: Catalog, running_packs: RunningPacks) -> Verdict:
    spec = StackSpec(
        project=PROJECT,
        stack=STACK,
        project_dir=REPO_ROOT,
        main_dir=REPO_ROOT / "program",
        config=dict(STACK_CONFIG),
    )
    return running_packs.analyze(catalog.graph(), spec)


def _by_policy(diagnostics: list[Diagnostic]) -> dict[str, list[Diagnostic]]:
    found: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in diagnostics:
        found[diagnostic.policyName].append(diagnostic)
    return found


def test_every_family_declares_its_wire_cases_in_its_own_test_module() -> None:
    missing = [
        f
        for f in FAMILIES
        if not hasattr(importlib.import_module(f"unit.policy_pack.test_{f}"), "wire_cases")
    ]
    assert missing == []


def test_the_catalog_targets_every_registered_policy(catalog: Catalog) -> None:
    untargeted = sorted(set(LEVELS) - set(catalog.expected))
    unknown = sorted(set(catalog.expected) - set(LEVELS))
    assert (untargeted, unknown) == ([], []), (
        f"policies with no violator in any family's wire_cases: {untargeted}; "
        f"violators of unregistered policies: {unknown}"
    )


def test_every_policy_fires_over_the_wire(verdict: Verdict) -> None:
    fired = {diagnostic.policyName for diagnostic in verdict.diagnostics}
    missing = sorted(set(LEVELS) - fired)
    unregistered = sorted(fired - set(LEVELS))
    assert (missing, unregistered) == ([], []), (
        f"{len(missing)} of {len(LEVELS)} policies never fired over the Analyzer protocol: {missing}; "
        f"diagnostics from policies not in the registry: {unregistered}"
    )


def test_every_diagnostic_arrives_at_its_registered_level(verdict: Verdict) -> None:
    wrong = sorted(
        (d.policyName, d.enforcementLevel, LEVELS.get(d.policyName, "unregistered"))
        for d in verdict.diagnostics
        if d.enforcementLevel != LEVELS.get(d.policyName)
    )
    assert wrong == [], f"(policy, level received, level registered): {wrong}"
    configured = {policy.name: policy.enforcementLevel for policy in verdict.policies}
    assert configured == LEVELS


def test_each_policy_fires_on_the_resources_built_to_violate_it(catalog: Catalog, verdict: Verdict) -> None:
    found = _by_policy(verdict.diagnostics)
    missed = {
        policy: sorted(urns - {d.urn for d in found.get(policy, [])})
        for policy, urns in sorted(catalog.expected.items())
    }
    missed = {policy: urns for policy, urns in missed.items() if urns}
    assert missed == {}, f"violators that drew no diagnostic of their policy: {missed}"


def test_relation_findings_are_decided_through_the_relation(catalog: Catalog, verdict: Verdict) -> None:
    """Stack findings that only a property dependency can produce (a BucketPolicy without the TLS
    deny, an alarm's topic, a listener rule's listener...) say so in their message."""
    messages = defaultdict(list)
    for d in verdict.diagnostics:
        messages[(d.policyName, d.urn)].append(d.message)
    wrong = {
        key: messages.get(key, [])
        for key, phrase in catalog.phrases.items()
        if not any(phrase in message for message in messages.get(key, []))
    }
    assert wrong == {}, f"expected phrases {[catalog.phrases[k] for k in wrong]}, got {wrong}"


def test_nothing_fires_on_a_resource_not_built_to_violate_it(catalog: Catalog, verdict: Verdict) -> None:
    """The baselines and the relation controls (inline SSE, a DLQ, Lambda@Edge outside a VPC, the
    ALB's open web ports, a CMK alarm topic, an HTTPS listener rule, v2 CloudFront logging...) pass."""
    stray = sorted(
        (d.policyName, d.urn, d.message.splitlines()[-1][:160])
        for d in verdict.diagnostics
        if d.urn not in catalog.expected.get(d.policyName, set())
    )
    assert stray == [], "diagnostics on resources not built to draw them:\n" + "\n".join(map(str, stray))


def test_no_policy_reports_it_cannot_run(verdict: Verdict) -> None:
    cannot_run = sorted((d.policyName, d.message) for d in verdict.diagnostics if CANNOT_RUN in d.message)
    assert cannot_run == [], f"every value is known in this graph, yet: {cannot_run}"
