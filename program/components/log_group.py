"""The one recipe for a log group webstack creates: a chosen name, retention, a customer key.

Pre-created so destroy removes it (a service would otherwise create it, unencrypted and kept
forever), with the retention and KMS key the logging and encryption policies require.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def encrypted_log_group(
    name: str,
    group_name: pulumi.Input[str],
    kms_key_arn: pulumi.Input[str],
    retention_days: int,
    opts: pulumi.ResourceOptions,
    region: str | None = None,
) -> aws.cloudwatch.LogGroup:
    """``region``: another region than the provider's (v7 per-resource region), else None."""
    return aws.cloudwatch.LogGroup(
        name,
        name=group_name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        region=region,
        opts=opts,
    )
