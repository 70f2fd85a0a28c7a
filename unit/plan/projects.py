"""Throwaway Pulumi projects and policy packs written into a temp dir for the plan's tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

VIOLATIONS_PROGRAM = """
import json
import pulumi
import pulumi_aws as aws

bucket = aws.s3.Bucket("site", bucket="site-dev", opts=pulumi.ResourceOptions(retain_on_delete=True))
role = aws.iam.Role("runner", assume_role_policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}))
aws.iam.RolePolicy("everything", role=role.id, policy=bucket.arn.apply(lambda arn: json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": arn}],
})))
pulumi.export("bucket", bucket.bucket)
"""


def write_project(root: Path, program: str, stack_config: str = "aws:region: us-west-2") -> Path:
    """A project named `throwaway` with stack `dev`, its program in prog/__main__.py."""
    (root / "prog").mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text("name: throwaway\nruntime: python\nmain: prog/\n")
    (root / "Pulumi.dev.yaml").write_text("config:\n" + textwrap.indent(stack_config, "  ") + "\n")
    (root / "prog" / "__main__.py").write_text(textwrap.dedent(program))
    return root


def write_pack(root: Path, main: str) -> Path:
    """A policy pack whose __main__.py is ``main``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (root / "__main__.py").write_text(textwrap.dedent(main))
    return root


# Six resources per unit, a mix of the types the blueprints use, with cross-references: the plan's
# scale test and its benchmark (bench/plan_bench.py) both generate their programs from it.
GENERATED_PROGRAM = """
import json
import pulumi
import pulumi_aws as aws

for i in range({units}):
    bucket = aws.s3.Bucket(f"bucket-{{i}}", bucket=f"bucket-{{i}}-bench", force_destroy=True)
    aws.s3.BucketServerSideEncryptionConfiguration(f"sse-{{i}}", bucket=bucket.id, rules=[{{
        "apply_server_side_encryption_by_default": {{"sse_algorithm": "AES256"}}}}])
    aws.s3.BucketPublicAccessBlock(f"bpa-{{i}}", bucket=bucket.id, block_public_acls=True,
        block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)
    role = aws.iam.Role(f"role-{{i}}", name=f"role-{{i}}-bench", assume_role_policy=json.dumps({{
        "Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {{"Service": "lambda.amazonaws.com"}}}}]}}))
    aws.iam.RolePolicy(f"policy-{{i}}", role=role.id, policy=pulumi.Output.json_dumps({{
        "Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": ["s3:GetObject"],
        "Resource": [pulumi.Output.concat(bucket.arn, "/*")]}}]}}))
    aws.sqs.Queue(f"queue-{{i}}", name=f"queue-{{i}}-bench", sqs_managed_sse_enabled=True)
"""


def write_generated(root: Path, resources: int) -> Path:
    """A project (stack `dev`) of about ``resources`` resources (six per unit, plus the provider)."""
    return write_project(root, GENERATED_PROGRAM.format(units=max(1, round(resources / 6))))
