"""CloudFront standard logging (v2): access logs delivered to a KMS-encrypted log group.

CloudFront is global; its vended logs are configured in us-east-1 (the delivery source, its
destination and the log group), like its web ACL. CloudWatch Logs' delivery service writes into
the group under a resource policy scoped to this account (the one WAF logging uses too).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from program import iam_docs, naming
from program.components.waf import WebAclLogging, log_delivery_statement


def cloudfront_access_logs(
    name: str,
    purpose: str,
    suffix: str,
    distribution_arn: pulumi.Input[str],
    target: WebAclLogging,
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.LogDelivery:
    """Deliver the distribution's ACCESS_LOGS to ``<purpose>-cloudfront-<suffix>`` in target.region."""
    region = target.region
    group = aws.cloudwatch.LogGroup(
        f"{name}-access-logs",
        name=naming.physical_name(f"{purpose}-cloudfront", suffix, "log-group"),
        retention_in_days=target.retention_days,
        kms_key_id=target.kms_key_arn,
        region=region,
        opts=opts,
    )
    policy = aws.cloudwatch.LogResourcePolicy(
        f"{name}-access-logs-policy",
        policy_name=naming.physical_name(f"cloudfront-logs-{purpose}", suffix),
        policy_document=pulumi.Output.json_dumps(
            iam_docs.document(log_delivery_statement(group.arn, region, target.account_id))
        ),
        region=region,
        opts=opts,
    )
    source = aws.cloudwatch.LogDeliverySource(
        f"{name}-access-logs-source",
        name=naming.physical_name(f"{purpose}-cloudfront", suffix, "log-delivery"),
        log_type="ACCESS_LOGS",
        resource_arn=distribution_arn,
        region=region,
        opts=opts,
    )
    destination = aws.cloudwatch.LogDeliveryDestination(
        f"{name}-access-logs-destination",
        name=naming.physical_name(f"{purpose}-cloudfront-logs", suffix, "log-delivery"),
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
