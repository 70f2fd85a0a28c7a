"""Destroyability family: every flag against the SDK, a destroyable baseline, and one change each."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plan.gate import RETAIN_POLICY
from policy_pack.policies import destroyability as d
from unit.policy_pack import baselines as base
from unit.policy_pack.baselines import assert_sdk_input
from unit.policy_pack.conftest import UNKNOWN, options, run_resource

RDS_CLUSTER = base.DB_CLUSTER
RDS_INSTANCE = base.DB_INSTANCE
BUCKET = base.BUCKET
ECR = base.REPOSITORY
ECS_SERVICE = base.ECS_SERVICE
SECRET = base.SECRET
KMS_KEY = base.KMS_KEY
DISTRIBUTION = base.DISTRIBUTION
STREAM = base.STREAM
TABLE = base.TABLE
ALB = base.LOAD_BALANCER
LOG_GROUP = base.LOG_GROUP
FUNCTION = base.FUNCTION

# Realistic destroyable props per type (as the blueprints set them).
BASELINES: dict[str, dict[str, Any]] = {
    RDS_CLUSTER: {
        "clusterIdentifier": "catalog-dev",
        "engine": "aurora-postgresql",
        "storageEncrypted": True,
        "skipFinalSnapshot": True,
        "deletionProtection": False,
    },
    RDS_INSTANCE: {"identifier": "db-dev", "engine": "postgres", "skipFinalSnapshot": True},
    BUCKET: {"bucket": "assets-123456789012-dev", "forceDestroy": True},
    "aws:s3/bucketV2:BucketV2": {"bucket": "logs-dev", "forceDestroy": True},
    ECR: {"name": "catalog/api-dev", "imageTagMutability": "IMMUTABLE", "forceDelete": True},
    ECS_SERVICE: {"name": "api-dev", "launchType": "FARGATE", "desiredCount": 2, "forceDelete": True},
    SECRET: {"name": "db-dev", "recoveryWindowInDays": 0},
    KMS_KEY: {"enableKeyRotation": True, "deletionWindowInDays": 7},
    DISTRIBUTION: {"enabled": True, "defaultRootObject": "index.html"},
    STREAM: {"name": "events-dev", "encryptionType": "KMS", "enforceConsumerDeletion": True},
    TABLE: {"name": "items-dev", "billingMode": "PAY_PER_REQUEST", "deletionProtectionEnabled": False},
    ALB: {"name": "web-dev", "internal": False, "enableDeletionProtection": False},
    LOG_GROUP: {"name": "/aws/lambda/api-dev", "retentionInDays": 30},
    FUNCTION: {"name": "api-dev", "runtime": "python3.13", "skipDestroy": False},
}


def baseline(token: str, **changes: Any) -> dict[str, Any]:
    props = dict(BASELINES.get(token, {"name": "thing-dev"}))
    for key, value in changes.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return props


CHECKED_INPUTS = [
    *d.DELETION_PROTECTION_PROPS.items(),
    *d.FORCE_DELETE_PROPS.items(),
    *((token, "skipDestroy") for token in d.SKIP_DESTROY_TYPES),
    *((token, "deletionWindowInDays") for token in d.KMS_KEY_TYPES),
    (RDS_CLUSTER, "skipFinalSnapshot"),
    (RDS_INSTANCE, "skipFinalSnapshot"),
    (SECRET, "recoveryWindowInDays"),
    (DISTRIBUTION, "retainOnDelete"),
    (STREAM, "enforceConsumerDeletion"),
]


@pytest.mark.parametrize(("token", "prop"), CHECKED_INPUTS)
def test_every_flag_is_an_input_of_the_sdk_type(token: str, prop: str) -> None:
    assert_sdk_input(token, prop)


@pytest.mark.parametrize("policy", d.POLICIES, ids=lambda p: p.name)
@pytest.mark.parametrize("token", sorted(BASELINES))
def test_destroyable_baseline_passes_every_destroy_policy(policy: Any, token: str) -> None:
    outcome = run_resource(policy, token, baseline(token))
    assert outcome.ok, (policy.name, outcome.messages)


# -- protect ---------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["aws:ec2/vpc:Vpc", BUCKET, "example:component:Group"])
def test_protect_option_on_any_type(token: str) -> None:
    (message,) = run_resource(d.no_protect, token, baseline(token), opts=options(protect=True)).messages
    assert "protect resource option is set" in message
    assert "Remove protect=True" in message
    assert run_resource(d.no_protect, token, baseline(token), opts=options(protect=False)).ok


# -- deletion protection ---------------------------------------------------------------------


@pytest.mark.parametrize(("token", "prop"), sorted(d.DELETION_PROTECTION_PROPS.items()))
def test_deletion_protection_on_is_a_finding(token: str, prop: str) -> None:
    (message,) = run_resource(d.no_deletion_protection, token, baseline(token, **{prop: True})).messages
    assert f"{prop} is true" in message
    assert f"Set {prop} to false" in message


@pytest.mark.parametrize(("token", "prop"), sorted(d.DELETION_PROTECTION_PROPS.items()))
def test_deletion_protection_absent_or_false_passes(token: str, prop: str) -> None:
    # Absent: every one of these flags defaults to false (pulumi_aws docstrings).
    assert run_resource(d.no_deletion_protection, token, baseline(token, **{prop: None})).ok
    assert run_resource(d.no_deletion_protection, token, baseline(token, **{prop: False})).ok


def test_deletion_protection_unknown_is_unknown() -> None:
    outcome = run_resource(
        d.no_deletion_protection, RDS_CLUSTER, baseline(RDS_CLUSTER, deletionProtection=UNKNOWN)
    )
    assert outcome.unknown


# -- skipFinalSnapshot -----------------------------------------------------------------------


@pytest.mark.parametrize("token", [RDS_CLUSTER, RDS_INSTANCE])
@pytest.mark.parametrize(
    ("value", "state"), [(None, "is not set (the provider default is false)"), (False, "is False")]
)
def test_final_snapshot_not_skipped_is_a_finding(token: str, value: Any, state: str) -> None:
    (message,) = run_resource(d.skip_final_snapshot, token, baseline(token, skipFinalSnapshot=value)).messages
    assert f"skipFinalSnapshot {state}" in message
    assert "Set skipFinalSnapshot to true" in message


def test_final_snapshot_unknown_is_unknown_and_unrelated_unknown_still_caught() -> None:
    assert run_resource(
        d.skip_final_snapshot, RDS_CLUSTER, baseline(RDS_CLUSTER, skipFinalSnapshot=UNKNOWN)
    ).unknown
    outcome = run_resource(
        d.skip_final_snapshot, RDS_CLUSTER, baseline(RDS_CLUSTER, skipFinalSnapshot=None, engine=UNKNOWN)
    )
    assert not outcome.unknown
    assert len(outcome.messages) == 1


# -- force delete ----------------------------------------------------------------------------


@pytest.mark.parametrize(("token", "prop"), sorted(d.FORCE_DELETE_PROPS.items()))
@pytest.mark.parametrize(
    ("value", "state"), [(None, "is not set (the provider default is false)"), (False, "is False")]
)
def test_force_delete_missing_or_false_is_a_finding(token: str, prop: str, value: Any, state: str) -> None:
    (message,) = run_resource(d.force_delete, token, baseline(token, **{prop: value})).messages
    assert f"{prop} {state}" in message
    assert f"Set {prop} to true" in message


def test_002_R42_versioned_bucket_needs_force_destroy() -> None:
    (message,) = run_resource(d.force_delete, BUCKET, {"bucket": "assets-dev"}).messages
    assert "forceDestroy is not set" in message
    assert "versions" in message
    assert run_resource(d.force_delete, BUCKET, {"bucket": "assets-dev", "forceDestroy": True}).ok


def test_force_delete_unknown_is_unknown_and_unrelated_unknown_still_caught() -> None:
    assert run_resource(d.force_delete, ECR, baseline(ECR, forceDelete=UNKNOWN)).unknown
    outcome = run_resource(d.force_delete, ECR, baseline(ECR, forceDelete=None, name=UNKNOWN))
    assert len(outcome.messages) == 1
    assert not outcome.unknown


# -- secrets recovery window -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "finding"),
    [(None, "is not set (the provider default is 30 days)"), (7, "is 7,"), (30, "is 30,")],
)
def test_secret_recovery_window_other_than_zero_is_a_finding(value: Any, finding: str) -> None:
    (message,) = run_resource(
        d.no_recovery_window, SECRET, baseline(SECRET, recoveryWindowInDays=value)
    ).messages
    assert f"recoveryWindowInDays {finding}" in message
    assert "Set recoveryWindowInDays to 0" in message


def test_secret_recovery_window_zero_as_the_engine_sends_it() -> None:
    assert run_resource(d.no_recovery_window, SECRET, baseline(SECRET, recoveryWindowInDays=0.0)).ok
    assert run_resource(d.no_recovery_window, SECRET, baseline(SECRET, recoveryWindowInDays=UNKNOWN)).unknown


# -- KMS deletion window ---------------------------------------------------------------------


@pytest.mark.parametrize("token", d.KMS_KEY_TYPES)
@pytest.mark.parametrize(
    ("value", "state"), [(None, "is not set (the provider default is 30 days)"), (30, "is 30"), (8, "is 8")]
)
def test_kms_deletion_window_other_than_seven_is_a_finding(token: str, value: Any, state: str) -> None:
    (message,) = run_resource(
        d.kms_deletion_window, token, {"deletionWindowInDays": value} if value else {}
    ).messages
    assert f"deletionWindowInDays {state}" in message
    assert "Set deletionWindowInDays to 7" in message


def test_kms_deletion_window_seven_passes_and_unknown_is_unknown() -> None:
    assert run_resource(d.kms_deletion_window, KMS_KEY, baseline(KMS_KEY, deletionWindowInDays=7.0)).ok
    assert run_resource(
        d.kms_deletion_window, KMS_KEY, baseline(KMS_KEY, deletionWindowInDays=UNKNOWN)
    ).unknown
    outcome = run_resource(d.kms_deletion_window, KMS_KEY, {"deletionWindowInDays": 30, "policy": UNKNOWN})
    assert len(outcome.messages) == 1


# -- skipDestroy -----------------------------------------------------------------------------


@pytest.mark.parametrize("token", d.SKIP_DESTROY_TYPES)
def test_skip_destroy_true_is_a_finding(token: str) -> None:
    (message,) = run_resource(d.no_skip_destroy, token, baseline(token, skipDestroy=True)).messages
    assert "skipDestroy is true" in message
    assert run_resource(d.no_skip_destroy, token, baseline(token, skipDestroy=None)).ok
    assert run_resource(d.no_skip_destroy, token, baseline(token, skipDestroy=False)).ok
    assert run_resource(d.no_skip_destroy, token, baseline(token, skipDestroy=UNKNOWN)).unknown


# -- CloudFront retainOnDelete (the property, not the resource option) -----------------------


def test_cloudfront_retain_on_delete_property() -> None:
    (message,) = run_resource(
        d.cloudfront_no_retain, DISTRIBUTION, baseline(DISTRIBUTION, retainOnDelete=True)
    ).messages
    assert "retainOnDelete is true" in message
    assert run_resource(d.cloudfront_no_retain, DISTRIBUTION, baseline(DISTRIBUTION, retainOnDelete=False)).ok
    assert run_resource(
        d.cloudfront_no_retain, DISTRIBUTION, baseline(DISTRIBUTION, retainOnDelete=UNKNOWN)
    ).unknown
    outcome = run_resource(d.cloudfront_no_retain, DISTRIBUTION, {"retainOnDelete": True, "origins": UNKNOWN})
    assert len(outcome.messages) == 1


# -- Kinesis consumers -----------------------------------------------------------------------


def test_003_R27_stream_enforces_consumer_deletion() -> None:
    (message,) = run_resource(
        d.kinesis_consumer_deletion, STREAM, baseline(STREAM, enforceConsumerDeletion=None)
    ).messages
    assert "enforceConsumerDeletion is not set" in message
    (message,) = run_resource(
        d.kinesis_consumer_deletion, STREAM, baseline(STREAM, enforceConsumerDeletion=False)
    ).messages
    assert "enforceConsumerDeletion is False" in message
    assert run_resource(
        d.kinesis_consumer_deletion, STREAM, baseline(STREAM, enforceConsumerDeletion=UNKNOWN)
    ).unknown


# -- seeds -----------------------------------------------------------------------------------


def _findings(token: str, props: dict[str, Any], **kwargs: Any) -> list[str]:
    """The names of the destroy policies that report this resource."""
    return [policy.name for policy in d.POLICIES if run_resource(policy, token, props, **kwargs).messages]


def test_002_R47_each_listed_flag_is_mandatory() -> None:
    assert _findings(RDS_CLUSTER, {"deletionProtection": True}) == [
        "destroyability-no-deletion-protection",
        "destroyability-skip-final-snapshot",
    ]
    assert _findings(ALB, {"enableDeletionProtection": True}) == ["destroyability-no-deletion-protection"]
    assert _findings(TABLE, {"deletionProtectionEnabled": True}) == ["destroyability-no-deletion-protection"]
    assert _findings(BUCKET, {}) == ["destroyability-force-delete"]
    assert _findings(ECR, {}) == ["destroyability-force-delete"]
    assert _findings(SECRET, {}) == ["destroyability-no-recovery-window"]
    assert _findings(KMS_KEY, {}) == ["destroyability-kms-deletion-window"]
    assert _findings(FUNCTION, baseline(FUNCTION), opts=options(protect=True)) == [
        "destroyability-no-protect"
    ]


def test_003_R27_stream_table_secret_destroyable() -> None:
    assert _findings(STREAM, {"name": "events-dev"}) == ["destroyability-kinesis-consumer-deletion"]
    assert _findings(TABLE, baseline(TABLE)) == []
    assert _findings(SECRET, baseline(SECRET)) == []


def test_004_R32_ecs_service_and_ecr_force_delete() -> None:
    assert _findings(ECS_SERVICE, baseline(ECS_SERVICE, forceDelete=None)) == ["destroyability-force-delete"]
    assert _findings(ECR, baseline(ECR, forceDelete=False)) == ["destroyability-force-delete"]
    assert _findings("aws:ecs/taskDefinition:TaskDefinition", {"family": "api-dev", "skipDestroy": True}) == [
        "destroyability-no-skip-destroy"
    ]


# -- metadata --------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", d.POLICIES, ids=lambda p: p.name)
def test_metadata_says_the_anchors_are_inverted(policy: Any) -> None:
    assert policy.name.startswith("destroyability-")
    assert policy.enforcement_level.value == "mandatory"
    assert "Every anchor tool enforces the opposite" in policy.description
    assert "RDS10" in policy.description and "CKV_AWS_139" in policy.description
    assert policy.tags, "every policy names at least one anchor rule"
    assert policy.remediation_steps


def test_deletion_protection_policy_cites_every_inverted_anchor() -> None:
    assert set(d.no_deletion_protection.tags) == {
        "cdk-nag:AwsSolutions-RDS10",
        "checkov:CKV_AWS_139",
        "checkov:CKV_AWS_150",
        "checkov:CKV_AWS_293",
        "fsbp:RDS.7",
        "fsbp:RDS.8",
        "fsbp:ELB.6",
        "fsbp:DynamoDB.6",
    }
    assert d.kms_deletion_window.tags == ["fsbp:KMS.3"]
    assert len({p.name for p in d.POLICIES}) == len(d.POLICIES)


# -- over the wire: this family's cases in the one graph the real pack judges ---------------


def wire_cases(cat: base.Catalog) -> None:
    """This family's violators and controls in the graph the real pack judges over the wire
    (test_every_policy_over_the_wire.py): each a shared baseline with one thing changed."""
    body = json.dumps({"widgets": []})
    # destroyability-no-protect: the protect resource option
    cat.add(
        base.DASHBOARD,
        "protected",
        {"dashboardName": base.physical("protected"), "dashboardBody": body},
        options={"protect": True},
        violates=["destroyability-no-protect"],
    )
    # no-retain-on-delete (the plan's own check): the retainOnDelete resource option
    cat.add(
        base.DASHBOARD,
        "retained",
        {"dashboardName": base.physical("retained"), "dashboardBody": body},
        options={"retainOnDelete": True},
        violates=[RETAIN_POLICY],
    )
    # destroyability-no-deletion-protection: DynamoDB deletion protection on
    base.table(
        cat,
        "guarded",
        change={"deletionProtectionEnabled": True},
        violates=["destroyability-no-deletion-protection"],
    )
    # destroyability-skip-final-snapshot: the cluster would take a final snapshot
    base.db_cluster(
        cat,
        "snapshotting-db",
        change={"skipFinalSnapshot": False},
        violates=["destroyability-skip-final-snapshot"],
    )
    # destroyability-force-delete: a bucket, a repository and a service that refuse deletion while not empty
    base.bucket(cat, "kept-objects", change={"forceDestroy": False}, violates=["destroyability-force-delete"])
    base.repository(
        cat, "kept-images", change={"forceDelete": False}, violates=["destroyability-force-delete"]
    )
    base.ecs_service(cat, "draining", change={"forceDelete": False}, violates=["destroyability-force-delete"])
    # destroyability-no-recovery-window: the 30-day default recovery window
    base.secret(
        cat,
        "reserved-secret",
        change={"recoveryWindowInDays": 30},
        violates=["destroyability-no-recovery-window"],
    )
    # destroyability-kms-deletion-window: the 30-day default window
    base.kms_key(
        cat,
        "slow-delete-key",
        change={"deletionWindowInDays": 30},
        violates=["destroyability-kms-deletion-window"],
    )
    # destroyability-no-skip-destroy: skipDestroy on a function and a log group
    base.function(cat, "kept-fn", change={"skipDestroy": True}, violates=["destroyability-no-skip-destroy"])
    base.log_group(
        cat,
        "kept-logs",
        f"/webstack/{base.physical('kept')}",
        change={"skipDestroy": True},
        violates=["destroyability-no-skip-destroy"],
    )
    # destroyability-cloudfront-no-retain: the distribution's own retainOnDelete property
    base.distribution(
        cat, "retained-cdn", change={"retainOnDelete": True}, violates=["destroyability-cloudfront-no-retain"]
    )
    # destroyability-kinesis-consumer-deletion: consumers would block the stream's deletion
    base.stream(
        cat,
        "consumer-stream",
        change={"enforceConsumerDeletion": False},
        violates=["destroyability-kinesis-consumer-deletion"],
    )
