"""The pack's registry, pinned: every policy, its level, and the metadata reviewers rely on.

A policy added, removed or re-levelled must change this table in the same commit.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from pulumi_policy import EnforcementLevel, StackValidationPolicy

from policy_pack.policies import registry
from unit.conftest import REPO_ROOT

PINNED = {
    "iam-no-wildcard-actions": "mandatory",
    "iam-no-wildcard-resources": "mandatory",
    "iam-no-wildcard-principals": "mandatory",
    "iam-no-aws-managed-policies": "mandatory",
    "encryption-at-rest-s3": "mandatory",
    "encryption-at-rest-dynamodb": "mandatory",
    "encryption-at-rest-kinesis": "mandatory",
    "encryption-at-rest-sqs": "mandatory",
    "encryption-at-rest-sns": "mandatory",
    "encryption-at-rest-sns-alarm-key": "mandatory",
    "encryption-at-rest-rds": "mandatory",
    "encryption-at-rest-log-groups": "mandatory",
    "encryption-at-rest-lambda-environment": "advisory",
    "encryption-at-rest-secrets-manager": "advisory",
    "encryption-at-rest-ecr": "advisory",
    "encryption-at-rest-ssm-secure-string": "mandatory",
    "encryption-at-rest-kms-rotation": "mandatory",
    "encryption-at-rest-ebs": "mandatory",
    "encryption-in-transit-s3": "mandatory",
    "encryption-in-transit-sns": "mandatory",
    "encryption-in-transit-sqs": "mandatory",
    "encryption-in-transit-cloudfront-viewer": "mandatory",
    "encryption-in-transit-cloudfront-origins": "mandatory",
    "encryption-in-transit-alb-listeners": "mandatory",
    "encryption-in-transit-alb-listener-rules": "mandatory",
    "encryption-in-transit-rds-proxy": "mandatory",
    "naming-suffix": "mandatory",
    "destroyability-no-protect": "mandatory",
    "destroyability-no-deletion-protection": "mandatory",
    "destroyability-skip-final-snapshot": "mandatory",
    "destroyability-force-delete": "mandatory",
    "destroyability-no-recovery-window": "mandatory",
    "destroyability-kms-deletion-window": "mandatory",
    "destroyability-no-skip-destroy": "mandatory",
    "destroyability-cloudfront-no-retain": "mandatory",
    "destroyability-kinesis-consumer-deletion": "mandatory",
    "public-access-s3-block": "advisory",
    "public-access-s3-ownership": "advisory",
    "public-access-cloudfront-oac": "advisory",
    "public-access-s3-website-hosting": "advisory",
    "public-access-rds": "advisory",
    "public-access-ecs-public-ip": "advisory",
    "public-access-cloudfront-response-headers": "advisory",
    "network-exposure-no-open-ingress": "advisory",
    "network-exposure-default-sg-closed": "advisory",
    "network-exposure-lambda-in-vpc": "advisory",
    "network-exposure-subnet-no-public-ip": "advisory",
    "network-exposure-nacl-admin-ports": "advisory",
    "network-exposure-alb-drop-invalid-headers": "advisory",
    "logging-lambda-tracing": "advisory",
    "logging-api-stage-tracing": "advisory",
    "logging-api-stage-access-logs": "advisory",
    "logging-api-execution-logs": "advisory",
    "logging-alb-access-logs": "advisory",
    "logging-vpc-flow-logs": "advisory",
    "logging-log-group-retention": "advisory",
    "logging-waf-web-acl": "advisory",
    "logging-cloudfront": "advisory",
    "logging-s3-access-logs": "advisory",
    "logging-ecs-container-insights": "advisory",
    "logging-ecs-container-logs": "advisory",
    "waf-cloudfront": "advisory",
    "waf-api-stage": "advisory",
    "waf-alb": "advisory",
    "waf-managed-rule-group": "advisory",
    "backups-dynamodb-pitr": "advisory",
    "backups-rds-retention": "advisory",
    "lifecycle-s3-versioning": "advisory",
    "lifecycle-s3-lifecycle-rules": "advisory",
    "lifecycle-ecr-scan-on-push": "advisory",
    "lifecycle-ecr-immutable-tags": "advisory",
    "lifecycle-ecr-lifecycle-policy": "advisory",
    "async-failures-esm-on-failure-destination": "advisory",
    "async-failures-esm-bisect-batch": "advisory",
    "async-failures-esm-retry-limit": "advisory",
    "async-failures-esm-partial-batch-response": "advisory",
    "async-failures-sqs-redrive": "advisory",
    "async-failures-sqs-visibility-timeout": "advisory",
    "async-failures-eventbridge-target": "advisory",
    "secrets-rotation": "advisory",
    "secrets-no-plaintext-env": "advisory",
    "secrets-rds-iam-auth": "advisory",
    "runtime-supported-lambda-runtime": "advisory",
    "runtime-fargate-platform-latest": "advisory",
    "runtime-ecs-readonly-root": "advisory",
    "runtime-ecs-non-privileged": "advisory",
    "runtime-lambda-tg-no-stickiness": "advisory",
    "runtime-lambda-edge": "advisory",
    "runtime-lambda-reserved-concurrency": "advisory",
}
ANCHOR_TAG = re.compile(r"^(cdk-nag|checkov|fsbp):\S+$")


def test_the_registry_is_pinned() -> None:
    assert {p.name: p.enforcement_level.value for p in registry.POLICIES} == PINNED


def test_mandatory_families_are_mandatory_and_best_practice_is_advisory_by_default() -> None:
    # Secrets Manager and ECR always encrypt at rest: their rules advise on a customer key.
    # So does Lambda for environment variables.
    advisory_by_design = {
        "encryption-at-rest-secrets-manager",
        "encryption-at-rest-ecr",
        "encryption-at-rest-lambda-environment",
    }
    for family in registry.MANDATORY_FAMILIES:
        for policy in family.POLICIES:
            expected = (
                EnforcementLevel.ADVISORY if policy.name in advisory_by_design else EnforcementLevel.MANDATORY
            )
            assert policy.enforcement_level == expected, policy.name
    for family in registry.BEST_PRACTICE_FAMILIES:
        assert all(p.enforcement_level == EnforcementLevel.ADVISORY for p in family.POLICIES)


@pytest.mark.parametrize("policy", registry.POLICIES, ids=lambda p: p.name)
def test_every_policy_carries_its_metadata(policy: StackValidationPolicy) -> None:
    family = next(
        f for f in (*registry.MANDATORY_FAMILIES, *registry.BEST_PRACTICE_FAMILIES) if policy in f.POLICIES
    )
    # One hop from a policy to its family: the name starts with the module's name, hyphenated.
    module = family.__name__.rsplit(".", 1)[-1]
    assert policy.name.startswith(module.replace("_", "-") + "-"), (policy.name, module)
    assert policy.description.strip() and policy.remediation_steps and policy.severity is not None
    assert policy.framework is not None and policy.framework.name and policy.framework.reference
    anchors = [tag for tag in policy.tags or [] if ANCHOR_TAG.match(tag)]
    # Naming has no counterpart in any tool: its anchor is webstack's own note.
    assert anchors or policy.framework.name == "webstack", f"{policy.name} names no anchor rule"
    assert "exemptions" in (policy.config_schema.properties if policy.config_schema else {})


def test_policy_names_are_unique_and_not_the_plans_own() -> None:
    names = [p.name for p in registry.POLICIES]
    assert len(names) == len(set(names))
    assert "no-retain-on-delete" not in names


def test_the_pack_entry_point_imports_nothing_that_prints() -> None:
    # The engine reads the pack's port from stdout: importing the policies must print nothing.
    code = "import sys; sys.path.insert(0, 'policy_pack'); import policies.registry"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout == ""
    main = (REPO_ROOT / "policy_pack" / "__main__.py").read_text().splitlines()
    assert len([line for line in main if line.strip()]) == 3
