"""CloudFront standard logging (v2): access logs delivered to a KMS-encrypted log group.

CloudFront is global; its vended logs are configured in us-east-1 (the delivery source, its
destination and the log group), like its web ACL. CloudWatch Logs' delivery service writes into
the group under a resource policy scoped to this account: the target's ``delivery_policy`` when
its owner shares one with WAF logging in the same region (Cdn does), else one of its own.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from program.components.log_group import encrypted_log_group
from program.components.waf import LogGroupTarget, log_delivery_policy
from program.scope import Scope


def access_log_group_name(purpose: str, scope: Scope) -> str:
    return scope.name(f"{purpose}-cloudfront", "log-group")


def cloudfront_access_logs(
    name: str,
    purpose: str,
    distribution_arn: pulumi.Input[str],
    target: LogGroupTarget,
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.LogDelivery:
    """Deliver the distribution's ACCESS_LOGS to ``<purpose>-cloudfront-<suffix>`` in target's region.

    ``opts`` must name the owning component as parent (the Cdn): these are its children.
    """
    scope = target.scope
    region = scope.region
    group = encrypted_log_group(
        f"{name}-access-logs",
        access_log_group_name(purpose, scope),
        target.kms_key_arn,
        target.retention_days,
        opts,
        region=region,
    )
    policy = target.delivery_policy or log_delivery_policy(
        f"{name}-access-logs-policy",
        scope.name(f"cloudfront-logs-{purpose}"),
        [group.arn],
        scope,
        opts,
        region=region,
    )
    source = aws.cloudwatch.LogDeliverySource(
        f"{name}-access-logs-source",
        name=scope.name(f"{purpose}-cloudfront", "log-delivery"),
        log_type="ACCESS_LOGS",
        resource_arn=distribution_arn,
        region=region,
        opts=opts,
    )
    destination = aws.cloudwatch.LogDeliveryDestination(
        f"{name}-access-logs-destination",
        name=scope.name(f"{purpose}-cloudfront-logs", "log-delivery"),
        output_format="json",
        delivery_destination_configuration=aws.cloudwatch.LogDeliveryDestinationDeliveryDestinationConfigurationArgs(
            destination_resource_arn=group.arn
        ),
        region=region,
        opts=opts,
    )
    return aws.cloudwatch.LogDelivery(
        f"{name}-access-logs-delivery",
        delivery_source_name=source.name,
        delivery_destination_arn=destination.arn,
        region=region,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[policy])),
    )
