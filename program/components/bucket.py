"""PrivateBucket: an S3 bucket no one reaches but through its policy, and that destroy removes.

Server-side encryption, versioning, Block Public Access (all four), BucketOwnerEnforced, a
lifecycle, and a bucket policy that denies any request not made over TLS plus whatever grants the
owner adds (for example CloudFront's OAC read). ``force_destroy`` lets destroy empty it first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from program import arns, iam_docs
from program.components import renamed_from
from program.scope import Scope


@dataclass(frozen=True)
class LifecycleRule:
    """Expire objects (all, or under a prefix) and old versions after a number of days."""

    id: str
    expire_days: int | None = None
    noncurrent_days: int = 30
    prefix: str = ""
    transitions: Sequence[tuple[int, str]] = ()  # (days, storage class)


@dataclass(frozen=True)
class PrivateBucketArgs:
    purpose: str
    scope: Scope
    # AES256 where a service cannot use KMS (ALB logs; OAC without a key-policy cycle: 002-R41/R44).
    sse_algorithm: Literal["AES256", "aws:kms"] = "AES256"
    kms_key_arn: pulumi.Input[str] | None = None
    lifecycle: Sequence[LifecycleRule] = (LifecycleRule("noncurrent-versions"),)
    # Extra statements for the bucket policy, built by the owner (may hold Outputs).
    policy_statements: Sequence[dict[str, Any]] = field(default_factory=tuple)
    # Where S3 writes this bucket's server access logs (a log bucket, same region and account).
    access_log_bucket: pulumi.Input[str] | None = None


def access_log_delivery_statement(log_bucket_arn: str, account_id: str) -> dict[str, Any]:
    """S3's log delivery may write server access logs of this account's buckets (S3 docs: with
    BucketOwnerEnforced the grant is a bucket policy, not an ACL)."""
    return iam_docs.statement(
        ["s3:PutObject"],
        [f"{log_bucket_arn}/*"],
        sid="S3ServerAccessLogs",
        principal={"Service": "logging.s3.amazonaws.com"},
        # Only for buckets of this account (the confused-deputy guard of the S3 docs).
        conditions={"StringEquals": {"aws:SourceAccount": account_id}},
    )


def tls_only_statement(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Deny every request that is not over TLS (cdk-nag S10, FSBP S3.5)."""
    return iam_docs.deny_insecure_transport(["s3:*"], [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")])


def known_bucket_arn(purpose: str, scope: Scope) -> str:
    """The ARN the bucket of ``purpose`` will have: callers grant on it before it exists."""
    return arns.s3_bucket(scope.bucket_name(purpose))


class PrivateBucket(pulumi.ComponentResource):
    """A private, encrypted, versioned bucket with a TLS-only policy."""

    def __init__(self, name: str, args: PrivateBucketArgs, opts: pulumi.ResourceOptions | None = None):
        # The type this component had before issue 8: a live stack keeps its resources (no replace).
        super().__init__(
            "webstack:bucket:PrivateBucket", name, None, renamed_from("webstack:storage:PrivateBucket", opts)
        )
        child = pulumi.ResourceOptions(parent=self)
        bucket_name = args.scope.bucket_name(args.purpose)
        # Known before deploy, so the bucket policy is too (and the pack can judge it in preview).
        self.known_arn = arns.s3_bucket(bucket_name)
        self.bucket = aws.s3.Bucket(
            name,
            bucket=bucket_name,
            force_destroy=True,
            opts=child,
        )
        bucket_id = self.bucket.id
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse",
            bucket=bucket_id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm=args.sse_algorithm, kms_master_key_id=args.kms_key_arn
                    ),
                    bucket_key_enabled=args.sse_algorithm == "aws:kms",
                )
            ],
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=lifecycle_rules(args.lifecycle),
            opts=child,
        )
        # After the public access block: a policy with an open Principal (the TLS deny) would
        # otherwise race it.
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket_id,
            policy=pulumi.Output.json_dumps(
                iam_docs.document(tls_only_statement(self.known_arn), *args.policy_statements)
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access_block]),
        )
        if args.access_log_bucket is not None:
            aws.s3.BucketLogging(
                f"{name}-access-logs",
                bucket=bucket_id,
                target_bucket=args.access_log_bucket,
                target_prefix=f"{bucket_name}/",
                opts=child,
            )
        self.arn = self.bucket.arn
        self.name = self.bucket.bucket
        self.regional_domain_name = self.bucket.bucket_regional_domain_name
        self.register_outputs({"name": self.name, "arn": self.arn})


ABORT_UPLOADS_DAYS = 7
WHOLE_BUCKET_ABORT = "abort-incomplete-uploads"


def lifecycle_rules(rules: Sequence[LifecycleRule]) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """The bucket's rules; when every rule has a prefix, one more aborts stale uploads anywhere.

    Each rule aborts incomplete multipart uploads under its own prefix; an upload abandoned under
    any other key would stay stored and billed (CKV_AWS_300 asks for the whole bucket).
    """
    built = [_lifecycle_rule(rule) for rule in rules]
    if all(rule.prefix for rule in rules):
        built.append(
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id=WHOLE_BUCKET_ABORT,
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                abort_incomplete_multipart_upload=_abort_uploads(),
            )
        )
    return built


def _abort_uploads() -> aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs:
    return aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
        days_after_initiation=ABORT_UPLOADS_DAYS
    )


def _lifecycle_rule(rule: LifecycleRule) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=rule.id,
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=rule.prefix),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=rule.expire_days)
        if rule.expire_days
        else None,
        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=rule.noncurrent_days
        ),
        abort_incomplete_multipart_upload=_abort_uploads(),
        transitions=[
            aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=days, storage_class=storage_class)
            for days, storage_class in rule.transitions
        ]
        or None,
    )
