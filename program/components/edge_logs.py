"""CloudFront standard logging (v2): access logs delivered to a KMS-encrypted log group.

CloudFront is global; its vended logs are configured in us-east-1 (the delivery source, its
destination and the log group), like its web ACL. CloudWatch Logs' delivery service writes into
the group under a resource policy scoped to this account (the one WAF logging uses too).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from program import iam_docs
from program.components.log_group import encrypted_log_group
from program.components.waf import LogGroupTarget, log_delivery_statement


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
        scope.name(f"{purpose}-cloudfront", "log-group"),
        target.kms_key_arn,
        target.retention_days,
        opts,
        region=region,
    )
    policy = aws.cloudwatch.LogResourcePolicy(
        f"{name}-access-logs-policy",
        policy_name=scope.name(f"cloudfront-logs-{purpose}"),
        policy_document=pulumi.Output.json_dumps(iam_docs.document(log_delivery_statement(group.arn, scope))),
        region=region,
        opts=opts,
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
