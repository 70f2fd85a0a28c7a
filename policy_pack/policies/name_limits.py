"""AWS name limits per kind of resource: one table for the naming guardrail and the program.

The policy pack checks names against it; program/naming.py builds names that fit it. Pure data,
importable without pulumi-policy (the program's runtime does not install it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NameRule:
    """What AWS accepts for one kind of name."""

    max_length: int
    allowed: re.Pattern[str]
    min_length: int = 1


_LOWER = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
_ALNUM_HYPHEN = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$")
_LAMBDA = re.compile(r"^[A-Za-z0-9_-]+$")
_IAM = re.compile(r"^[\w+=,.@-]+$")
_RDS = re.compile(r"^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$")
_DOTTED = re.compile(r"^[A-Za-z0-9_.-]+$")
_LOG_GROUP = re.compile(r"^[A-Za-z0-9_./#-]+$")
_ECR = re.compile(r"^[a-z0-9]+([._/-][a-z0-9]+)*$")

# Limits from each service's API reference (CreateBucket, CreateLoadBalancer, CreateFunction,
# CreateRole, CreateDBCluster, CreateQueue, CreateTable, CreateStream, ...).
RULES: dict[str, NameRule] = {
    "s3-bucket": NameRule(63, _LOWER, min_length=3),
    "alb": NameRule(32, _ALNUM_HYPHEN),
    "target-group": NameRule(32, _ALNUM_HYPHEN),
    "lambda": NameRule(64, _LAMBDA),
    "iam-role": NameRule(64, _IAM),
    "iam-policy": NameRule(128, _IAM),
    "rds": NameRule(63, _RDS),
    "rds-proxy": NameRule(60, _RDS),
    "sqs": NameRule(80, _LAMBDA),
    "sns": NameRule(256, _LAMBDA),
    "dynamodb": NameRule(255, _DOTTED, min_length=3),
    "kinesis": NameRule(128, _DOTTED),
    "log-group": NameRule(512, _LOG_GROUP),
    "security-group": NameRule(255, _DOTTED),
    "ecr": NameRule(256, _ECR, min_length=2),
    "ecs": NameRule(255, _LAMBDA),
    "secret": NameRule(512, _LOG_GROUP),
    "cloudfront-function": NameRule(64, _LAMBDA),
    "waf": NameRule(128, _LAMBDA),
    "api": NameRule(128, _DOTTED),
    "alarm": NameRule(255, _DOTTED),
    "dashboard": NameRule(255, _LAMBDA),
    "generic": NameRule(255, _DOTTED),
    "kms-alias": NameRule(256, re.compile(r"^alias/(?!aws/)[A-Za-z0-9/_-]+$"), min_length=7),
    # AWS caps the whole parameter ARN at 1011 characters; the ARN prefix takes about 50.
    "ssm-parameter": NameRule(960, re.compile(r"^[A-Za-z0-9_./-]+$")),
    "event-rule": NameRule(64, re.compile(r"^[A-Za-z0-9._-]+$")),
    # CreateEventBus: 1-256 of [/\.\-_A-Za-z0-9]; "default" is the account's own bus.
    "event-bus": NameRule(256, re.compile(r"^[A-Za-z0-9/._-]+$")),
    "log-delivery": NameRule(60, re.compile(r"^[A-Za-z0-9_-]+$")),
}
