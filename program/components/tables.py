"""KeyValueTable: an on-demand DynamoDB table with TTL, PITR, SSE and optional GSIs (002-R30).

PAY_PER_REQUEST (GSIs on on-demand tables need no capacity), point-in-time recovery, server-side
encryption (a CMK when given, else the AWS managed key), no deletion protection (002-R47), and a
TTL attribute: DynamoDB deletes expired items eventually, so readers still check it themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from program import arns
from program.scope import Scope

AttributeType = Literal["S", "N", "B"]
GsiKey = aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass(frozen=True)
class KeyValueTableArgs:
    purpose: str
    scope: Scope
    hash_key: str
    # Every key attribute of the table and its indexes, with its type.
    attributes: Mapping[str, AttributeType]
    ttl_attribute: str | None = None
    indexes: Sequence[Index] = field(default_factory=tuple)
    kms_key_arn: pulumi.Input[str] | None = None

    def __post_init__(self) -> None:
        keys = {self.hash_key, *(i.hash_key for i in self.indexes)}
        keys |= {i.range_key for i in self.indexes if i.range_key}
        if keys != set(self.attributes):
            raise ValueError(
                f"KeyValueTable {self.purpose}: attributes must be exactly the key attributes {sorted(keys)}"
            )


def index_key_schema(hash_key: str, range_key: str | None = None) -> list[GsiKey]:
    """A GSI's `key_schema` blocks: the provider deprecated the GSI's own hash_key/range_key for these."""
    keys = [(hash_key, "HASH"), *([(range_key, "RANGE")] if range_key else [])]
    return [GsiKey(attribute_name=name, key_type=key_type) for name, key_type in keys]


class KeyValueTable(pulumi.ComponentResource):
    def __init__(self, name: str, args: KeyValueTableArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:tables:KeyValueTable", name, None, opts)
        physical = args.scope.name(args.purpose, "dynamodb")
        self.table = aws.dynamodb.Table(
            name,
            name=physical,
            billing_mode="PAY_PER_REQUEST",
            hash_key=args.hash_key,
            attributes=[aws.dynamodb.TableAttributeArgs(name=n, type=t) for n, t in args.attributes.items()],
            global_secondary_indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name=index.name,
                    key_schemas=index_key_schema(index.hash_key, index.range_key),
                    projection_type=index.projection,
                )
                for index in args.indexes
            ]
            or None,
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=args.ttl_attribute, enabled=True)
            if args.ttl_attribute
            else None,
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
                enabled=True, kms_key_arn=args.kms_key_arn
            ),
            deletion_protection_enabled=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = self.table.name
        self.arn = self.table.arn
        # Known before deploy (built from the name), so grants on it are judged in preview.
        self.known_arn = arns.dynamodb_table(args.scope.region, args.scope.account_id, physical)
        self.register_outputs({"name": self.name})
