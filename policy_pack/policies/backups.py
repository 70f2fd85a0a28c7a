"""Backups family (advisory): data stores keep restorable history.

DynamoDB tables turn on point-in-time recovery; RDS instances and Aurora clusters keep automated
backups for at least `minimumRetentionDays` (policy config, default 1; 004-R15 asks for 7).
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs, Severity

from ._base import ADVISORY, Anchors, resource_policy
from ._relations import dig

TABLE = "aws:dynamodb/table:Table"
DATABASES = ("aws:rds/cluster:Cluster", "aws:rds/instance:Instance")
# CreateDBCluster and CreateDBInstance both default BackupRetentionPeriod to 1 day (RDS API reference).
RDS_DEFAULT_RETENTION_DAYS = 1


def _check_pitr(args: ResourceValidationArgs) -> Iterator[str]:
    # Absent: point-in-time recovery is off.
    if dig(args.props, "pointInTimeRecovery", "enabled") is not True:
        yield "has no point-in-time recovery. Set pointInTimeRecovery.enabled=true."


def _check_retention(args: ResourceValidationArgs) -> Iterator[str]:
    minimum = int((args.get_config() or {}).get("minimumRetentionDays", 1))
    configured = args.props.get("backupRetentionPeriod")
    days = RDS_DEFAULT_RETENTION_DAYS if configured is None else int(configured)
    if days < minimum:
        source = f"is {days}" if configured is not None else f"is absent (AWS default {days})"
        what = "turns automated backups off" if days == 0 else f"is below the {minimum}-day minimum"
        yield (
            f"backupRetentionPeriod {source}, which {what}. Set backupRetentionPeriod to at least "
            f"{max(minimum, 1)} (004-R15 uses 7) and a preferredBackupWindow."
        )


dynamodb_pitr = resource_policy(
    "backups-dynamodb-pitr",
    "DynamoDB tables have point-in-time recovery enabled.",
    _check_pitr,
    types=[TABLE],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set pointInTimeRecovery=TablePointInTimeRecoveryArgs(enabled=True).",
    anchors=Anchors(cdk_nag=("AwsSolutions-DDB3",), checkov=("CKV_AWS_28",), fsbp=("DynamoDB.2",)),
)

rds_retention = resource_policy(
    "backups-rds-retention",
    "RDS instances and Aurora clusters keep automated backups for at least minimumRetentionDays "
    "(absent means the AWS default of 1 day).",
    _check_retention,
    types=DATABASES,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set backupRetentionPeriod (7 for production data, 004-R15).",
    anchors=Anchors(checkov=("CKV_AWS_133",), fsbp=("RDS.11",)),
    config={
        "minimumRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "default": 1,
            "description": "the fewest days of automated backups a database may keep",
        }
    },
)

POLICIES = [dynamodb_pitr, rds_retention]
