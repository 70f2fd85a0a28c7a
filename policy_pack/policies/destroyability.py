"""Destroyability family (mandatory): `pulumi destroy` removes everything, leaving nothing behind.

Every anchor tool enforces the opposite: cdk-nag AwsSolutions-RDS10, checkov CKV_AWS_139/150/293
and Security Hub FSBP RDS.7, RDS.8, ELB.6, DynamoDB.6 (and KMS.3) ask for deletion protection and
retained data. webstack inverts them on purpose: its stacks are ephemeral, one per environment
suffix, and must destroy cleanly without manual steps, orphaned resources or names reserved for
weeks. Each policy's description says which anchor rule it inverts.

An absent property means its provider default (quoted from the pulumi_aws 7.x docstrings), so the
flags whose default blocks or delays deletion (skipFinalSnapshot, forceDestroy, forceDelete,
recoveryWindowInDays, deletionWindowInDays, enforceConsumerDeletion) must be set explicitly.

The ``retainOnDelete`` resource option is not part of what CrossGuard shows a policy: the offline
plan checks it from the captured registrations (``no-retain-on-delete`` in plan/gate.py).
CloudFront's own ``retainOnDelete`` property is a different thing, checked here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from pulumi_policy import ResourceValidationArgs, Severity

from ._base import MANDATORY, Anchors, resource_policy

RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_INSTANCE = "aws:rds/instance:Instance"
INVERTED = "inverted: webstack stacks are ephemeral and must destroy cleanly"

# The deletion-protection rules of the anchor tools, which this family inverts.
DELETION_PROTECTION_ANCHORS = Anchors(
    cdk_nag=("AwsSolutions-RDS10",),
    checkov=("CKV_AWS_139", "CKV_AWS_150", "CKV_AWS_293"),
    fsbp=("RDS.7", "RDS.8", "ELB.6", "DynamoDB.6"),
    note=INVERTED,
)


def inverted(what: str) -> Anchors:
    """The family's anchors, with a note on how this policy relates to them."""
    return replace(DELETION_PROTECTION_ANCHORS, note=f"{INVERTED}; {what}")


RDS_ANCHORS = Anchors(
    cdk_nag=("AwsSolutions-RDS10",),
    checkov=("CKV_AWS_139", "CKV_AWS_293"),
    fsbp=("RDS.7", "RDS.8"),
    note=INVERTED,
)

OPPOSITE = (
    "Every anchor tool enforces the opposite (cdk-nag RDS10, checkov CKV_AWS_139/150/293, FSBP "
    "RDS.7/8, ELB.6, DynamoDB.6); webstack inverts them because its stacks are ephemeral and fully "
    "destroyable."
)

# type -> deletion-protection flag (each defaults to false per the SDK docstrings).
DELETION_PROTECTION_PROPS = {
    RDS_CLUSTER: "deletionProtection",
    RDS_INSTANCE: "deletionProtection",
    "aws:dynamodb/table:Table": "deletionProtectionEnabled",
    "aws:dynamodb/tableReplica:TableReplica": "deletionProtectionEnabled",
    "aws:cloudwatch/logGroup:LogGroup": "deletionProtectionEnabled",
    "aws:lb/loadBalancer:LoadBalancer": "enableDeletionProtection",
    "aws:alb/loadBalancer:LoadBalancer": "enableDeletionProtection",
}

# type -> flag that must be true to delete a resource that still holds content (default false).
FORCE_DELETE_PROPS = {
    # A bucket that still holds objects or object versions cannot be deleted (002-R42).
    "aws:s3/bucket:Bucket": "forceDestroy",
    "aws:s3/bucketV2:BucketV2": "forceDestroy",
    # A repository that still holds images cannot be deleted.
    "aws:ecr/repository:Repository": "forceDelete",
    # Deletes a REPLICA service without first waiting for it to drain to zero tasks (004-R32).
    "aws:ecs/service:Service": "forceDelete",
}

# Types whose `skipDestroy: true` removes the resource from state and leaves it in AWS.
SKIP_DESTROY_TYPES = (
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:lambda/function:Function",
    "aws:lambda/layerVersion:LayerVersion",
    "aws:lambda/layerVersionPermission:LayerVersionPermission",
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:rds/optionGroup:OptionGroup",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
)

KMS_KEY_TYPES = (
    "aws:kms/key:Key",
    "aws:kms/externalKey:ExternalKey",
    "aws:kms/replicaKey:ReplicaKey",
    "aws:kms/replicaExternalKey:ReplicaExternalKey",
)
KMS_MIN_DELETION_WINDOW = 7  # days; AWS accepts 7-30 and defaults to 30
SECRET_DEFAULT_RECOVERY_WINDOW = 30  # days; 0 deletes at once, 7-30 reserves the name


def _shown(value: object, default: str) -> str:
    """How a message states a flag's value; absent means the provider default."""
    return f"is not set (the provider default is {default})" if value is None else f"is {value}"


def _must_be_true(args: ResourceValidationArgs, prop: str, so: str, fix: str) -> Iterator[str]:
    """One finding unless `prop` is true: its default, false, blocks or delays deletion."""
    value = args.props.get(prop)
    if value is not True:
        yield f"{prop} {_shown(value, 'false')}, so {so}. {fix}"


def _must_stay_false(args: ResourceValidationArgs, prop: str, so: str, fix: str) -> Iterator[str]:
    """One finding when `prop` is set; absent is its provider default, false."""
    if args.props.get(prop):
        yield f"{prop} is true, so {so}. {fix}"


def _check_protect(args: ResourceValidationArgs) -> Iterator[str]:
    if args.opts.protect:
        yield (
            "the protect resource option is set, so `pulumi destroy` refuses to delete this resource. "
            "Remove protect=True from its ResourceOptions."
        )


def _check_deletion_protection(args: ResourceValidationArgs) -> Iterator[str]:
    prop = DELETION_PROTECTION_PROPS[args.resource_type]
    yield from _must_stay_false(
        args, prop, "AWS refuses to delete the resource on destroy", f"Set {prop} to false."
    )


def _check_final_snapshot(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _must_be_true(
        args,
        "skipFinalSnapshot",
        "destroy needs a final snapshot identifier and leaves a billed snapshot behind",
        "Set skipFinalSnapshot to true (skip_final_snapshot=True).",
    )


def _check_force_delete(args: ResourceValidationArgs) -> Iterator[str]:
    prop = FORCE_DELETE_PROPS[args.resource_type]
    yield from _must_be_true(
        args,
        prop,
        "destroy fails while the resource still holds content (objects, versions, images or running tasks)",
        f"Set {prop} to true.",
    )


def _check_recovery_window(args: ResourceValidationArgs) -> Iterator[str]:
    value = args.props.get("recoveryWindowInDays")
    if value is None:
        yield (
            f"recoveryWindowInDays is not set (the provider default is {SECRET_DEFAULT_RECOVERY_WINDOW} "
            "days), so destroy only schedules the deletion and the secret's name stays reserved. "
            "Set recoveryWindowInDays to 0 (recovery_window_in_days=0)."
        )
    elif value != 0:
        yield (
            f"recoveryWindowInDays is {value}, so destroy only schedules the deletion and the secret's "
            "name stays reserved that long. Set recoveryWindowInDays to 0 (recovery_window_in_days=0)."
        )


def _check_kms_window(args: ResourceValidationArgs) -> Iterator[str]:
    value = args.props.get("deletionWindowInDays")
    if value is None or value != KMS_MIN_DELETION_WINDOW:
        yield (
            f"deletionWindowInDays {_shown(value, '30 days')}; the key stays pending deletion (and billed) "
            f"that long after destroy. Set deletionWindowInDays to {KMS_MIN_DELETION_WINDOW}, the minimum "
            "AWS accepts."
        )


def _check_skip_destroy(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _must_stay_false(
        args,
        "skipDestroy",
        "destroy only forgets the resource and leaves it in AWS",
        "Remove skipDestroy (or set it to false).",
    )


def _check_cloudfront_retain(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _must_stay_false(
        args,
        "retainOnDelete",
        "destroy only disables the distribution and leaves it to be deleted by hand",
        "Remove retainOnDelete (or set it to false).",
    )


def _check_kinesis_consumers(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _must_be_true(
        args,
        "enforceConsumerDeletion",
        "destroy fails while enhanced fan-out consumers are registered on the stream",
        "Set enforceConsumerDeletion to true (enforce_consumer_deletion=True).",
    )


no_protect = resource_policy(
    "destroyability-no-protect",
    f"No resource sets the protect option, Pulumi's own deletion protection. {OPPOSITE}",
    _check_protect,
    types=None,
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Remove protect=True from the resource's ResourceOptions.",
    anchors=inverted("protect is Pulumi's deletion protection for any type"),
)

no_deletion_protection = resource_policy(
    "destroyability-no-deletion-protection",
    "RDS deletionProtection, DynamoDB and log group deletionProtectionEnabled and load balancer "
    f"enableDeletionProtection stay false. {OPPOSITE}",
    _check_deletion_protection,
    types=DELETION_PROTECTION_PROPS,
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Set the deletion protection flag to false (deletion_protection=False, "
    "deletion_protection_enabled=False, enable_deletion_protection=False).",
    anchors=DELETION_PROTECTION_ANCHORS,
)

skip_final_snapshot = resource_policy(
    "destroyability-skip-final-snapshot",
    "RDS clusters and instances set skipFinalSnapshot true (the provider default, false, blocks or "
    f"leaves a snapshot on destroy). {OPPOSITE}",
    _check_final_snapshot,
    types=[RDS_CLUSTER, RDS_INSTANCE],
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Set skip_final_snapshot=True on the rds.Cluster / rds.Instance.",
    anchors=RDS_ANCHORS,
)

force_delete = resource_policy(
    "destroyability-force-delete",
    "S3 buckets set forceDestroy, ECR repositories and ECS services set forceDelete, so destroy "
    f"succeeds while they still hold objects, images or tasks. {OPPOSITE}",
    _check_force_delete,
    types=FORCE_DELETE_PROPS,
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Set force_destroy=True on s3.Bucket, force_delete=True on ecr.Repository and ecs.Service.",
    anchors=inverted("no anchor checks forceDestroy/forceDelete; they are the content-level deletion guards"),
)

no_recovery_window = resource_policy(
    "destroyability-no-recovery-window",
    "Secrets Manager secrets set recoveryWindowInDays 0 so destroy deletes them at once and frees "
    f"the name (the default keeps it 30 days). {OPPOSITE}",
    _check_recovery_window,
    types=["aws:secretsmanager/secret:Secret"],
    level=MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set recovery_window_in_days=0 on secretsmanager.Secret.",
    anchors=inverted("no anchor checks the recovery window; it is Secrets Manager's deletion guard"),
)

kms_deletion_window = resource_policy(
    "destroyability-kms-deletion-window",
    "KMS keys set deletionWindowInDays 7, the minimum, instead of the 30-day default (FSBP KMS.3 "
    f"flags keys pending deletion). {OPPOSITE}",
    _check_kms_window,
    types=KMS_KEY_TYPES,
    level=MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set deletion_window_in_days=7 on kms.Key.",
    anchors=Anchors(fsbp=("KMS.3",), note=f"{INVERTED}; FSBP KMS.3 fails keys pending deletion"),
)

no_skip_destroy = resource_policy(
    "destroyability-no-skip-destroy",
    "Log groups, Lambda functions, layers, provisioned concurrency, ECS task definitions and RDS "
    f"parameter/option groups do not set skipDestroy, which orphans them on destroy. {OPPOSITE}",
    _check_skip_destroy,
    types=SKIP_DESTROY_TYPES,
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Remove skip_destroy=True (the default, false, deletes the resource on destroy).",
    anchors=inverted("no anchor checks skipDestroy; it keeps the resource like deletion protection"),
)

cloudfront_no_retain = resource_policy(
    "destroyability-cloudfront-no-retain",
    "CloudFront distributions do not set their retainOnDelete property, which only disables them on "
    f"destroy. {OPPOSITE}",
    _check_cloudfront_retain,
    types=["aws:cloudfront/distribution:Distribution"],
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Remove retain_on_delete=True from cloudfront.Distribution.",
    anchors=inverted("no anchor checks retainOnDelete; it keeps the distribution like deletion protection"),
)

kinesis_consumer_deletion = resource_policy(
    "destroyability-kinesis-consumer-deletion",
    "Kinesis streams set enforceConsumerDeletion true so destroy deregisters enhanced fan-out "
    f"consumers (003-R27). {OPPOSITE}",
    _check_kinesis_consumers,
    types=["aws:kinesis/stream:Stream"],
    level=MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set enforce_consumer_deletion=True on kinesis.Stream.",
    anchors=inverted("no anchor checks enforceConsumerDeletion; without it consumers block deletion"),
)

POLICIES = [
    no_protect,
    no_deletion_protection,
    skip_final_snapshot,
    force_delete,
    no_recovery_window,
    kms_deletion_window,
    no_skip_destroy,
    cloudfront_no_retain,
    kinesis_consumer_deletion,
]
