"""PipelineTable: the pipeline's DynamoDB table of aggregates and dedup markers (003-R8..R11).

Provisioned capacity (the seed's 5000 RCU/WCU by default; a stack may lower it), the
``source-minute-index`` GSI with capacity of its own (in provisioned mode a GSI has its own
throughput), TTL on ``expiresAt`` (markers expire; aggregates when the stage sets it), SSE, PITR,
no deletion protection (003-R27). The key layout is the stage code's (lambdas/pipeline/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from program.alarms import AlarmSpec, MetricRef
from program.components.tables import index_key_schema
from program.scope import Scope

INDEX_NAME = "source-minute-index"
TTL_ATTRIBUTE = "expiresAt"
# CreateTable with a GSI and 5000 units can take minutes; the provider's 30 min is a ceiling (003-R18).
TIMEOUTS = pulumi.CustomTimeouts(create="20m", update="60m", delete="20m")


@dataclass(frozen=True)
class PipelineTableArgs:
    scope: Scope
    purpose: str = "aggregates"
    read_capacity: int = 5000
    write_capacity: int = 5000
    index_read_capacity: int = 1000
    index_write_capacity: int = 1000

    def __post_init__(self) -> None:
        for label in ("read_capacity", "write_capacity", "index_read_capacity", "index_write_capacity"):
            value = getattr(self, label)
            if not 1 <= value <= 40_000:
                raise ValueError(f"{label} {value}: give 1 to 40000 (the default per-table quota)")


def table_name(purpose: str, scope: Scope) -> str:
    return scope.name(purpose, "dynamodb")


class PipelineTable(pulumi.ComponentResource):
    """The aggregates table and its GSI."""

    def __init__(self, name: str, args: PipelineTableArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:pipeline_table:PipelineTable", name, None, opts)
        self.table = aws.dynamodb.Table(
            name,
            name=table_name(args.purpose, args.scope),
            billing_mode="PROVISIONED",
            read_capacity=args.read_capacity,
            write_capacity=args.write_capacity,
            hash_key="pk",
            range_key="sk",
            attributes=[
                aws.dynamodb.TableAttributeArgs(name=attribute, type="S")
                for attribute in ("pk", "sk", "source", "minute")
            ],
            global_secondary_indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name=INDEX_NAME,
                    key_schemas=index_key_schema("source", "minute"),
                    projection_type="ALL",
                    read_capacity=args.index_read_capacity,
                    write_capacity=args.index_write_capacity,
                )
            ],
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=TTL_ATTRIBUTE, enabled=True),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            deletion_protection_enabled=False,
            opts=pulumi.ResourceOptions(parent=self, custom_timeouts=TIMEOUTS),
        )
        self.name = self.table.name
        self.arn = self.table.arn
        dims = {"TableName": self.table.name}
        self.metrics: list[MetricRef] = [
            MetricRef("table consumed WCU", "AWS/DynamoDB", "ConsumedWriteCapacityUnits", dims),
            MetricRef("table consumed RCU", "AWS/DynamoDB", "ConsumedReadCapacityUnits", dims),
            MetricRef("table throttled requests", "AWS/DynamoDB", "ThrottledRequests", dims),
        ]
        self.alarms: list[AlarmSpec] = [
            AlarmSpec(
                f"{args.purpose}-write-throttles",
                "DynamoDB throttled writes to the aggregates table",
                "AWS/DynamoDB",
                "WriteThrottleEvents",
                dims,
                1,
            )
        ]
        self.register_outputs({"name": self.name, "arn": self.arn})
