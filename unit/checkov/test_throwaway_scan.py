"""A Pulumi project that is not this repo converts with `python -m plan dev --tfplan` and scans with
checkov the same way (issue 13 acceptance), and checkov's connection-based checks see the links the
program's property dependencies make: a bucket and its public-access block, a distribution and its
web ACL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from unit.checkov.scan import checkov_bin, run_checkov
from unit.conftest import REPO_ROOT
from unit.plan.projects import write_project

PROGRAM = """
import json
import pulumi
import pulumi_aws as aws

guarded = aws.s3.Bucket("guarded")
aws.s3.BucketPublicAccessBlock(
    "guarded-pab", bucket=guarded.id, block_public_acls=True, block_public_policy=True,
    ignore_public_acls=True, restrict_public_buckets=True,
)
bare = aws.s3.Bucket("bare")

def managed(name, priority):
    return aws.wafv2.WebAclRuleArgs(
        name=name, priority=priority,
        override_action=aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),
        statement=aws.wafv2.WebAclRuleStatementArgs(
            managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                vendor_name="AWS", name=name)),
        visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(
            cloudwatch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True),
    )

acl = aws.wafv2.WebAcl(
    "edge", scope="CLOUDFRONT",
    default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
    rules=[managed("AWSManagedRulesKnownBadInputsRuleSet", 1), managed("AWSManagedRulesAnonymousIpList", 2)],
    visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name="edge", sampled_requests_enabled=True),
)
aws.cloudfront.Distribution(
    "site", enabled=True, web_acl_id=acl.arn,
    origins=[aws.cloudfront.DistributionOriginArgs(
        domain_name=guarded.bucket_regional_domain_name, origin_id="s3")],
    default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
        target_origin_id="s3", viewer_protocol_policy="redirect-to-https",
        allowed_methods=["GET", "HEAD"], cached_methods=["GET", "HEAD"],
        cache_policy_id="658327ea-f89d-4fab-a63d-7e88639e58f6"),
    restrictions=aws.cloudfront.DistributionRestrictionsArgs(
        geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")),
    viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True),
)
role = aws.iam.Role("fn", assume_role_policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}]}))
aws.lambda_.Function(
    "fn", role=role.arn, runtime="python3.13", handler="index.handler",
    code=pulumi.AssetArchive({"index.py": pulumi.StringAsset("def handler(e, c):\\n    return 1\\n")}),
)
"""


PLAN = [sys.executable, "-m", "plan", "dev"]


def test_a_project_that_is_not_this_repo_converts_and_scans(tmp_path: Path) -> None:
    checkov_bin()
    project = write_project(tmp_path / "proj", PROGRAM)
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "plan",
            "dev",
            "--project-dir",
            str(project),
            "--no-policy",
            "--no-tree",
            "--tfplan",
            str(out),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "(7 resources as Terraform creates" in proc.stdout
    plan = json.loads(out.read_text())
    assert sorted(r["address"] for r in plan["resource_changes"]) == [
        "aws_cloudfront_distribution.site",
        "aws_iam_role.fn",
        "aws_lambda_function.fn",
        "aws_s3_bucket.bare",
        "aws_s3_bucket.guarded",
        "aws_s3_bucket_public_access_block.guarded-pab",
        "aws_wafv2_web_acl.edge",
    ]

    scan = run_checkov(out)
    assert scan.summary["parsing_errors"] == 0
    assert scan.summary["resource_count"] == 7
    # Connection checks: only the bucket with a linked public-access block passes.
    assert scan.results("CKV2_AWS_6", "aws_s3_bucket.guarded") == (False, True)
    assert scan.results("CKV2_AWS_6", "aws_s3_bucket.bare") == (True, False)
    # The distribution reaches its web ACL through the reference, and the ACL's rules are read.
    assert scan.results("CKV2_AWS_47", "aws_cloudfront_distribution.site") == (False, True)
    assert scan.results("CKV_AWS_68", "aws_cloudfront_distribution.site") == (False, True)


def test_preview_export_scans_with_unknowns(tmp_path: Path) -> None:
    """--preview: computed values are after_unknown, and the links still reach checkov."""
    checkov_bin()
    project = write_project(tmp_path / "proj", PROGRAM)
    out = tmp_path / "preview.json"
    proc = subprocess.run(
        [*PLAN, "--project-dir", str(project), "--preview", "--no-policy", "--no-tree", "--tfplan", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    changes = {r["address"]: r["change"] for r in json.loads(out.read_text())["resource_changes"]}
    distribution = changes["aws_cloudfront_distribution.site"]
    assert "web_acl_id" not in distribution["after"]
    assert distribution["after_unknown"]["web_acl_id"] is True
    scan = run_checkov(out)
    assert scan.summary["parsing_errors"] == 0
    assert scan.summary["resource_count"] == 7
    assert scan.results("CKV2_AWS_6", "aws_s3_bucket.guarded") == (False, True)
    assert scan.results("CKV2_AWS_6", "aws_s3_bucket.bare") == (True, False)
    assert scan.results("CKV2_AWS_47", "aws_cloudfront_distribution.site") == (False, True)
