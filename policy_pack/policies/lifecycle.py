"""Versioning and lifecycle family (advisory): objects and images keep history, and history expires.

Every bucket has versioning Enabled (002-R42) and a lifecycle configuration (002-R43) with an
enabled rule that aborts incomplete multipart uploads for the whole bucket (checkov CKV_AWS_300:
a rule filtered to a prefix leaves abandoned uploads elsewhere billed forever); ECR
repositories scan on push, keep tags immutable and expire old images with a lifecycle policy
(004-R27). Buckets and repositories are matched to their configuration resources through property
dependencies (`bucket`, `repository`), so the rules hold in preview.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._base import ADVISORY, Anchors, as_list, of_type, resource_policy, stack_policy
from ._relations import BUCKETS, ECR_REPOSITORY, decide_each, dig, has_key, is_set, referrers, unreferenced

VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
BUCKET_LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
ECR_LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"


def _check_versioning(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    versioning = referrers(args.resources, VERSIONING, "bucket")
    for bucket in of_type(args.resources, *BUCKETS):
        configs = versioning.get(bucket.urn, [])
        statuses = [dig(c.props, "versioningConfiguration", "status") for c in configs]
        if "Enabled" not in statuses:
            found = f"versioning status is {statuses[0]!r}" if statuses else "has no BucketVersioning"
            yield (
                bucket.urn,
                f"{found}. Add s3.BucketVersioning(bucket=..., versioning_configuration.status='Enabled') "
                "and forceDestroy so destroy can delete every version (002-R42).",
            )


def rule_scope(rule: Mapping[str, Any]) -> str | None:
    """The prefix a lifecycle rule is limited to: None for the whole bucket, else a description.

    The whole bucket is a rule with no filter, an empty filter, or a filter (or the deprecated
    rule-level ``prefix``) whose only condition is the empty prefix. Tags and object sizes narrow
    a rule too (AWS refuses them next to abortIncompleteMultipartUpload, but a rule may carry them).
    """
    conditions = []
    legacy = rule.get("prefix") if has_key(rule, "prefix") else None
    if legacy:
        conditions.append(f"prefix {legacy!r}")
    node = rule.get("filter") if has_key(rule, "filter") else None
    for key in ("and", "tag", "objectSizeGreaterThan", "objectSizeLessThan"):
        if is_set(node, key):
            conditions.append(key)
    prefix = dig(node, "prefix")
    if prefix:
        conditions.append(f"prefix {prefix!r}")
    return ", ".join(conditions) or None


def _aborts_uploads(rule: Mapping[str, Any]) -> bool:
    return rule.get("status") == "Enabled" and is_set(
        rule, "abortIncompleteMultipartUpload", "daysAfterInitiation"
    )


def _check_bucket_lifecycle(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for bucket in unreferenced(args.resources, BUCKETS, BUCKET_LIFECYCLE, "bucket"):
        yield (
            bucket.urn,
            "has no BucketLifecycleConfiguration, so old versions and incomplete uploads pile up. Add one "
            "with noncurrentVersionExpiration and abortIncompleteMultipartUpload; expire current objects "
            "only on log and artifact buckets (002-R43).",
        )
    configured = referrers(args.resources, BUCKET_LIFECYCLE, "bucket")

    def decide(bucket: PolicyResource) -> Iterator[tuple[str, str]]:
        rules = [r for c in configured.get(bucket.urn, []) for r in as_list(c.props.get("rules"))]
        if not rules:
            return
        aborting = [r for r in rules if _aborts_uploads(r)]
        if any(rule_scope(r) is None for r in aborting):
            return
        scopes = "; ".join(sorted({str(rule_scope(r)) for r in aborting}))
        found = (
            f"aborts incomplete multipart uploads only under {scopes}"
            if aborting
            else ("has a lifecycle configuration that never aborts incomplete multipart uploads")
        )
        yield (
            bucket.urn,
            f"{found}, so uploads abandoned elsewhere stay stored and billed. Add an enabled rule with "
            "filter {} (the whole bucket) and abortIncompleteMultipartUpload.daysAfterInitiation 7 "
            "(CKV_AWS_300, 002-R43).",
        )

    yield from decide_each(of_type(args.resources, *BUCKETS), decide)


def _check_scan_on_push(args: ResourceValidationArgs) -> Iterator[str]:
    # Absent: scanOnPush is false.
    if dig(args.props, "imageScanningConfiguration", "scanOnPush") is not True:
        yield "does not scan images on push. Set imageScanningConfiguration.scanOnPush=true."


def _check_immutable_tags(args: ResourceValidationArgs) -> Iterator[str]:
    # Absent: imageTagMutability is MUTABLE.
    mutability = args.props.get("imageTagMutability") or "MUTABLE"
    if mutability != "IMMUTABLE":
        yield (
            f"imageTagMutability is {mutability}: a pushed tag can be overwritten. Set it to IMMUTABLE and "
            "push unique tags (a commit SHA, never 'latest'; 004-R27)."
        )


def _check_ecr_lifecycle(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for repository in unreferenced(args.resources, [ECR_REPOSITORY], [ECR_LIFECYCLE_POLICY], "repository"):
        yield (
            repository.urn,
            "has no lifecycle policy, so images accumulate. Add ecr.LifecyclePolicy(repository=repo.name) "
            "expiring images beyond the last 10 (countType imageCountMoreThan, 004-R27).",
        )


s3_versioning = stack_policy(
    "lifecycle-s3-versioning",
    "Every S3 bucket has a BucketVersioning with status Enabled.",
    _check_versioning,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Add s3.BucketVersioning(bucket=..., versioning_configuration={'status': 'Enabled'}).",
    anchors=Anchors(
        cdk_nag=("NIST.800.53.R5-S3BucketVersioningEnabled",), checkov=("CKV_AWS_21",), fsbp=("S3.14",)
    ),
)

s3_lifecycle = stack_policy(
    "lifecycle-s3-lifecycle-rules",
    "Every S3 bucket has a BucketLifecycleConfiguration with an enabled rule that aborts incomplete "
    "multipart uploads for the whole bucket.",
    _check_bucket_lifecycle,
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Add s3.BucketLifecycleConfiguration with noncurrent-version expiration and a whole-bucket "
    "rule (filter {}) with abortIncompleteMultipartUpload.daysAfterInitiation.",
    anchors=Anchors(checkov=("CKV2_AWS_61", "CKV_AWS_300"), fsbp=("S3.13",)),
)

ecr_scan_on_push = resource_policy(
    "lifecycle-ecr-scan-on-push",
    "ECR repositories scan images on push.",
    _check_scan_on_push,
    types=[ECR_REPOSITORY],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set imageScanningConfiguration=RepositoryImageScanningConfigurationArgs(scan_on_push=True).",
    anchors=Anchors(checkov=("CKV_AWS_163",), fsbp=("ECR.1",)),
)

ecr_immutable_tags = resource_policy(
    "lifecycle-ecr-immutable-tags",
    "ECR repositories keep image tags immutable.",
    _check_immutable_tags,
    types=[ECR_REPOSITORY],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set imageTagMutability='IMMUTABLE'.",
    anchors=Anchors(checkov=("CKV_AWS_51",), fsbp=("ECR.2",)),
)

ecr_lifecycle_policy = stack_policy(
    "lifecycle-ecr-lifecycle-policy",
    "Every ECR repository has a lifecycle policy.",
    _check_ecr_lifecycle,
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Add ecr.LifecyclePolicy(repository=repo.name, policy=<keep the last 10 images>).",
    anchors=Anchors(fsbp=("ECR.3",)),
)

POLICIES = [s3_versioning, s3_lifecycle, ecr_scan_on_push, ecr_immutable_tags, ecr_lifecycle_policy]
