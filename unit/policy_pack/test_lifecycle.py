"""Versioning and lifecycle family: buckets and repositories matched to their configuration resources."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, PolicyResource

from policy_pack.policies import lifecycle
from unit.policy_pack import baselines as base
from unit.policy_pack.conftest import UNKNOWN, resource, run_resource, run_stack


@pytest.mark.parametrize("policy", lifecycle.POLICIES, ids=lambda p: p.name)
def test_metadata(policy: Any) -> None:
    assert policy.name.startswith("lifecycle-")
    assert policy.enforcement_level == EnforcementLevel.ADVISORY
    assert policy.description and policy.remediation_steps
    assert policy.tags or policy.framework.name == "webstack"


def bucket(resource_type: str = lifecycle.BUCKETS[0]) -> PolicyResource:
    return resource(resource_type, {"bucket": "assets-dev", "forceDestroy": True}, "assets")


def attached(resource_type: str, target: PolicyResource, prop: str, **props: Any) -> PolicyResource:
    return resource(resource_type, {prop: "assets-dev"} | props, f"{target.name}-cfg", deps={prop: [target]})


# -- lifecycle-s3-versioning -----------------------------------------------------------------


@pytest.mark.parametrize("versioning_type", lifecycle.VERSIONING)
@pytest.mark.parametrize("bucket_type", lifecycle.BUCKETS)
def test_002_R42_bucket_with_versioning_enabled_passes(versioning_type: str, bucket_type: str) -> None:
    b = bucket(bucket_type)
    cfg = attached(versioning_type, b, "bucket", versioningConfiguration={"status": "Enabled"})
    assert run_stack(lifecycle.s3_versioning, [b, cfg]).ok


def test_suspended_versioning_is_a_finding() -> None:
    b = bucket()
    cfg = attached(lifecycle.VERSIONING[0], b, "bucket", versioningConfiguration={"status": "Suspended"})
    outcome = run_stack(lifecycle.s3_versioning, [b, cfg])
    assert outcome.urns == [b.urn] and "versioning status is 'Suspended'" in outcome.messages[0]


def test_bucket_without_versioning_is_a_finding() -> None:
    b = bucket()
    outcome = run_stack(lifecycle.s3_versioning, [b])
    assert outcome.urns == [b.urn] and "has no BucketVersioning" in outcome.messages[0]


def test_unknown_versioning_status_in_preview_is_unknown() -> None:
    b = bucket()
    cfg = attached(lifecycle.VERSIONING[0], b, "bucket", versioningConfiguration={"status": UNKNOWN})
    assert run_stack(lifecycle.s3_versioning, [b, cfg]).unknown


def test_versioning_matches_through_dependencies_when_the_bucket_name_is_unknown() -> None:
    b = bucket()
    cfg = attached(lifecycle.VERSIONING[0], b, "bucket", versioningConfiguration={"status": "Enabled"})
    other = resource(lifecycle.BUCKETS[0], {"bucket": UNKNOWN}, "other")
    outcome = run_stack(lifecycle.s3_versioning, [b, cfg, other])
    assert outcome.urns == [other.urn] and not outcome.unknown


# -- lifecycle-s3-lifecycle-rules ------------------------------------------------------------


@pytest.mark.parametrize("lifecycle_type", lifecycle.BUCKET_LIFECYCLE)
def test_002_R43_bucket_with_a_lifecycle_configuration_passes(lifecycle_type: str) -> None:
    b = bucket()
    rules = [
        {
            "id": "noncurrent",
            "status": "Enabled",
            "filter": {},
            "noncurrentVersionExpiration": {"noncurrentDays": 30},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
        }
    ]
    assert run_stack(lifecycle.s3_lifecycle, [b, attached(lifecycle_type, b, "bucket", rules=rules)]).ok


def test_bucket_without_a_lifecycle_configuration_is_a_finding() -> None:
    b = bucket()
    outcome = run_stack(lifecycle.s3_lifecycle, [b])
    assert outcome.urns == [b.urn] and "has no BucketLifecycleConfiguration" in outcome.messages[0]


# -- lifecycle-ecr-scan-on-push / lifecycle-ecr-immutable-tags -------------------------------

REPOSITORY = base.repository_props("web")


def test_004_R27_repository_baseline_passes_both_resource_rules() -> None:
    assert run_resource(lifecycle.ecr_scan_on_push, lifecycle.ECR_REPOSITORY, REPOSITORY).ok
    assert run_resource(lifecycle.ecr_immutable_tags, lifecycle.ECR_REPOSITORY, REPOSITORY).ok


@pytest.mark.parametrize("scanning", [{"scanOnPush": False}, None])
def test_repository_not_scanning_on_push_is_a_finding(scanning: Any) -> None:
    props = {k: v for k, v in REPOSITORY.items() if k != "imageScanningConfiguration"}
    if scanning is not None:
        props["imageScanningConfiguration"] = scanning
    (message,) = run_resource(lifecycle.ecr_scan_on_push, lifecycle.ECR_REPOSITORY, props).messages
    assert "scanOnPush=true" in message


@pytest.mark.parametrize(
    ("mutability", "shown"), [("MUTABLE", "MUTABLE"), (None, "MUTABLE"), ("IMMUTABLE_WITH_EXCLUSION", "EXCL")]
)
def test_mutable_tags_are_a_finding(mutability: Any, shown: str) -> None:
    props = REPOSITORY | {"imageTagMutability": mutability}
    (message,) = run_resource(lifecycle.ecr_immutable_tags, lifecycle.ECR_REPOSITORY, props).messages
    assert message.startswith("imageTagMutability is") and shown in message


@pytest.mark.parametrize(
    ("policy", "prop", "value"),
    [
        (lifecycle.ecr_scan_on_push, "imageScanningConfiguration", {"scanOnPush": UNKNOWN}),
        (lifecycle.ecr_immutable_tags, "imageTagMutability", UNKNOWN),
    ],
)
def test_unknown_repository_settings_in_preview_are_unknown(policy: Any, prop: str, value: Any) -> None:
    assert run_resource(policy, lifecycle.ECR_REPOSITORY, REPOSITORY | {prop: value}).unknown


def test_mutable_tags_are_caught_when_the_name_is_unknown() -> None:
    props = REPOSITORY | {"name": UNKNOWN, "imageTagMutability": "MUTABLE"}
    outcome = run_resource(lifecycle.ecr_immutable_tags, lifecycle.ECR_REPOSITORY, props)
    assert len(outcome.messages) == 1 and not outcome.unknown


# -- lifecycle-ecr-lifecycle-policy ----------------------------------------------------------


def test_004_R27_repository_with_a_lifecycle_policy_passes() -> None:
    repo = resource(lifecycle.ECR_REPOSITORY, REPOSITORY, "web")
    policy = attached(lifecycle.ECR_LIFECYCLE_POLICY, repo, "repository", policy="{}")
    assert run_stack(lifecycle.ecr_lifecycle_policy, [repo, policy]).ok


def test_repository_without_a_lifecycle_policy_is_a_finding() -> None:
    repo = resource(lifecycle.ECR_REPOSITORY, REPOSITORY, "web")
    outcome = run_stack(lifecycle.ecr_lifecycle_policy, [repo])
    assert outcome.urns == [repo.urn] and "has no lifecycle policy" in outcome.messages[0]


# -- lifecycle-s3-lifecycle-rules: incomplete multipart uploads aborted bucket-wide (CKV_AWS_300)

ABORT = {"abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}}


def lifecycle_with(*rules: dict[str, Any]) -> list[PolicyResource]:
    b = bucket()
    return [b, attached(lifecycle.BUCKET_LIFECYCLE[0], b, "bucket", rules=list(rules))]


@pytest.mark.parametrize("scope", [{}, {"filter": {}}, {"filter": {"prefix": ""}}, {"prefix": ""}])
def test_a_whole_bucket_abort_rule_passes(scope: dict[str, Any]) -> None:
    rule = {"id": "abort", "status": "Enabled", **ABORT, **scope}
    assert run_stack(lifecycle.s3_lifecycle, lifecycle_with(rule)).ok


def test_002_R43_aborting_only_under_prefixes_is_a_finding() -> None:
    rules = [
        {"id": p, "status": "Enabled", "filter": {"prefix": p}, **ABORT, "expiration": {"days": 30}}
        for p in ("data/", "errors/")
    ]
    resources = lifecycle_with(*rules)
    outcome = run_stack(lifecycle.s3_lifecycle, resources)
    assert outcome.urns == [resources[0].urn]
    (message,) = outcome.messages
    assert message.startswith(
        "aborts incomplete multipart uploads only under prefix 'data/'; prefix 'errors/'"
    )
    assert "filter {} (the whole bucket)" in message


@pytest.mark.parametrize(
    "rule",
    [
        {"id": "noncurrent", "status": "Enabled", "noncurrentVersionExpiration": {"noncurrentDays": 30}},
        {"id": "off", "status": "Disabled", **ABORT},
    ],
)
def test_a_configuration_that_never_aborts_uploads_is_a_finding(rule: dict[str, Any]) -> None:
    (message,) = run_stack(lifecycle.s3_lifecycle, lifecycle_with(rule)).messages
    assert message.startswith("has a lifecycle configuration that never aborts incomplete multipart uploads")


def test_a_size_filtered_abort_rule_does_not_cover_the_bucket() -> None:
    rule = {"id": "big", "status": "Enabled", "filter": {"objectSizeGreaterThan": 1024}, **ABORT}
    (message,) = run_stack(lifecycle.s3_lifecycle, lifecycle_with(rule)).messages
    assert "only under objectSizeGreaterThan" in message


def test_unknown_rules_in_preview_are_unknown() -> None:
    b = bucket()
    cfg = attached(lifecycle.BUCKET_LIFECYCLE[0], b, "bucket", rules=UNKNOWN)
    assert run_stack(lifecycle.s3_lifecycle, [b, cfg]).unknown


# -- over the wire: this family's cases in the one graph the real pack judges ---------------


def wire_cases(cat: base.Catalog) -> None:
    """This family's violators and controls in the graph the real pack judges over the wire
    (test_every_policy_over_the_wire.py): each a shared baseline with one thing changed."""
    base.bucket(cat, "assets")  # control
    # lifecycle-s3-versioning: versioning suspended
    urns = base.bucket(
        cat, "suspended", companions={"versioning": {"versioningConfiguration.status": "Suspended"}}
    )
    cat.expect("lifecycle-s3-versioning", urns["bucket"], "versioning status is 'Suspended'")
    # lifecycle-s3-lifecycle-rules: no BucketLifecycleConfiguration
    base.bucket(cat, "no-lifecycle", without=["lifecycle"], violates=["lifecycle-s3-lifecycle-rules"])
    base.repository(cat, "app")  # control
    # lifecycle-ecr-scan-on-push: scanning off
    base.repository(
        cat,
        "unscanned",
        change={"imageScanningConfiguration.scanOnPush": False},
        violates=["lifecycle-ecr-scan-on-push"],
    )
    # lifecycle-ecr-immutable-tags: tags can be overwritten
    base.repository(
        cat, "mutable", change={"imageTagMutability": "MUTABLE"}, violates=["lifecycle-ecr-immutable-tags"]
    )
    # lifecycle-ecr-lifecycle-policy: no LifecyclePolicy
    base.repository(cat, "unexpired", lifecycle_policy=False, violates=["lifecycle-ecr-lifecycle-policy"])
    # lifecycle-s3-lifecycle-rules: uploads aborted only under one prefix
    urns = base.bucket(cat, "prefix-abort", companions={"lifecycle": {"rules.0.filter": {"prefix": "data/"}}})
    cat.expect(
        "lifecycle-s3-lifecycle-rules", urns["bucket"], "aborts incomplete multipart uploads only under"
    )
