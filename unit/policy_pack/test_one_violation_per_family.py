"""A throwaway project with exactly one violation of each mandatory family (and one retained
resource): through the wire, the pack reports exactly one mandatory diagnostic per violation,
from the right policy, on the right resource. Everything else in the program is compliant.
"""

from __future__ import annotations

from pathlib import Path

from plan.capture import capture
from plan.gate import analyze
from plan.project import load_stack
from unit.conftest import REPO_ROOT
from unit.plan.projects import write_project

PROGRAM = """
import json

import pulumi
import pulumi_aws as aws

KEY = "arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
# A compliant bucket from plain pulumi_aws resources (no program component): SSE under the key,
# and a bucket policy that denies every request without TLS.
bucket = aws.s3.Bucket("data", bucket="data-dev", force_destroy=True)
aws.s3.BucketServerSideEncryptionConfiguration(
    "data-sse",
    bucket=bucket.id,
    rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        apply_server_side_encryption_by_default=(
            aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=KEY
            )
        ),
    )],
)
aws.s3.BucketPolicy(
    "data-tls",
    bucket=bucket.id,
    policy=bucket.arn.apply(lambda arn: json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn, arn + "/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    })),
)
role = aws.iam.Role(
    "runner",
    name="runner-dev",
    assume_role_policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole"}],
    }),
)
# IAM: a wildcard action.
aws.iam.RolePolicy(
    "runner-policy",
    name="runner-dev",
    role=role.id,
    policy=bucket.arn.apply(lambda arn: json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": [arn, arn + "/*"]}],
    })),
)
# Encryption at rest: an unencrypted stream.
aws.kinesis.Stream("events", name="events-dev", shard_count=1, enforce_consumer_deletion=True)
# Encryption in transit: a queue with no TLS-only policy.
aws.sqs.Queue("jobs", name="jobs-dev", sqs_managed_sse_enabled=True)
# Naming: a log group without the suffix.
aws.cloudwatch.LogGroup("app", name="/app/logs", retention_in_days=30, kms_key_id=KEY)
# Destroyability: deletion protection on a table.
aws.dynamodb.Table(
    "items",
    name="items-dev",
    billing_mode="PAY_PER_REQUEST",
    hash_key="id",
    attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")],
    server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
    deletion_protection_enabled=True,
)
# The plan's own check: a retained resource.
aws.cloudwatch.LogGroup(
    "audit",
    name="audit-dev",
    retention_in_days=30,
    kms_key_id=KEY,
    opts=pulumi.ResourceOptions(retain_on_delete=True),
)
"""

EXPECTED = {
    ("iam-no-wildcard-actions", "aws:iam/rolePolicy:RolePolicy::runner-policy"),
    ("encryption-at-rest-kinesis", "aws:kinesis/stream:Stream::events"),
    ("encryption-in-transit-sqs", "aws:sqs/queue:Queue::jobs"),
    ("naming-suffix", "aws:cloudwatch/logGroup:LogGroup::app"),
    ("destroyability-no-deletion-protection", "aws:dynamodb/table:Table::items"),
    ("no-retain-on-delete", "aws:cloudwatch/logGroup:LogGroup::audit"),
}


def test_exactly_one_mandatory_diagnostic_per_violation(tmp_path: Path) -> None:
    project = write_project(tmp_path, PROGRAM, "aws:region: us-west-2\nwebstack:environmentSuffix: dev")
    spec = load_stack(project, "dev")
    verdict = analyze(capture(spec), spec, REPO_ROOT / "policy_pack")
    found = [(d.policyName, d.urn.split("::", 2)[-1].split("$")[-1]) for d in verdict.mandatory]
    assert sorted(found) == sorted(EXPECTED)
    assert {d.policyPackName for d in verdict.mandatory} == {"webstack-guardrails", "offline-plan"}
