"""What every blueprint starts from: its regional provider, the account, the AZs, the logs key; and
the setup blueprints share after it: the functions key, the VPC, the tier security groups, the
data key, the ALB access-logs bucket, the CloudFront logs key in us-east-1, and the ALB
certificate config keys.

Each helper names its resources itself (``network``, ``data``, ``logs``, ``<purpose>-sg``,
``edge-logs``): those names are the stacks' URNs, so a blueprint calling it keeps its resources.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from program import config, naming
from program.components.bucket import (
    LifecycleRule,
    PrivateBucket,
    PrivateBucketArgs,
    access_log_delivery_statement,
    known_bucket_arn,
)
from program.components.data_key import DataKey, DataKeyArgs
from program.components.firewall import Firewall, FirewallArgs
from program.components.kms import ServiceKey, ServiceKeyArgs, log_groups_grant
from program.components.load_balancer import access_log_statement
from program.components.network import Network, NetworkArgs
from program.config import NAMESPACE, ConfigError, Key, StackConfig, fail
from program.scope import EDGE_REGION, Scope


@dataclass(frozen=True)
class Platform:
    config: StackConfig
    provider: aws.Provider
    account_id: str
    availability_zones: tuple[str, ...]
    logs_key: ServiceKey

    @property
    def opts(self) -> pulumi.ResourceOptions:
        """Options for a top-level component: every child uses the regional provider."""
        return pulumi.ResourceOptions(providers=[self.provider])

    @property
    def scope(self) -> Scope:
        """The stack's suffix, account and region, as every component's Args carries them."""
        return Scope(self.config.environment_suffix, self.account_id, self.config.region)


def platform(config: StackConfig) -> Platform:
    provider = aws.Provider(
        "aws",
        region=config.region,
        # Tags go on the provider once, not on each resource (003-R21).
        default_tags=aws.ProviderDefaultTagsArgs(
            tags=naming.default_tags(
                project=config.project, environment=config.environment_suffix, blueprint=config.blueprint
            )
        ),
        # The SDK's adaptive retry mode backs off and rate-limits on throttling (003-R16).
        retry_mode="adaptive",
        max_retries=10,
    )
    invoke = pulumi.InvokeOptions(provider=provider)
    account_id = aws.get_caller_identity(opts=invoke).account_id
    zones = aws.get_availability_zones(state="available", opts=invoke).names
    if len(zones) < config.az_count:
        raise ConfigError(
            f"webstack:azCount: {config.az_count} is not allowed; {config.region} has "
            f"{len(zones)} available AZs"
        )
    scope = Scope(config.environment_suffix, account_id, config.region)
    logs_key = _logs_key(
        "logs",
        scope,
        f"CloudWatch Logs of webstack {config.blueprint} ({config.environment_suffix})",
        pulumi.ResourceOptions(providers=[provider]),
    )
    return Platform(config, provider, account_id, tuple(sorted(zones)[: config.az_count]), logs_key)


def _logs_key(
    purpose: str, scope: Scope, description: str, opts: pulumi.ResourceOptions, region: str | None = None
) -> ServiceKey:
    """A key CloudWatch Logs may encrypt the log groups of ``scope`` with (its region's service)."""
    return ServiceKey(
        purpose,
        ServiceKeyArgs(
            purpose=purpose,
            scope=scope,
            description=description,
            grants=(log_groups_grant(scope),),
            region=region,
        ),
        opts=opts,
    )


def functions_key(base: Platform, scope: Scope) -> ServiceKey:
    """The Lambda functions' environment-variable key (CKV_AWS_173): each function's role may
    decrypt with it (function.py), through the key policy's delegation to IAM."""
    return ServiceKey(
        "functions",
        ServiceKeyArgs(
            purpose="functions",
            scope=scope,
            description=f"Lambda environment variables of webstack {base.config.blueprint} ({scope.suffix})",
        ),
        opts=base.opts,
    )


def network(
    base: Platform,
    *,
    gateway_endpoints: Sequence[str] = NetworkArgs.gateway_endpoints,
    interface_endpoints: Sequence[str] = NetworkArgs.interface_endpoints,
) -> Network:
    """The stack's VPC as its config lays it out (CIDRs, NAT mode) over the platform's AZs, its flow
    logs under the logs key; the endpoints default to the component's."""
    stack = base.config
    return Network(
        "network",
        NetworkArgs(
            scope=base.scope,
            cidr=stack.vpc_cidr,
            availability_zones=base.availability_zones,
            public_subnet_cidrs=stack.public_subnet_cidrs,
            private_subnet_cidrs=stack.private_subnet_cidrs,
            nat_gateways=stack.nat_gateways,
            flow_log_kms_key_arn=base.logs_key.arn,
            gateway_endpoints=gateway_endpoints,
            interface_endpoints=interface_endpoints,
        ),
        opts=base.opts,
    )


def tier_groups(base: Platform, network: Network) -> Callable[[str, str], Firewall]:
    """``tier(purpose, description)``: one tier's security group (``<purpose>-sg``) in the VPC.

    The groups are made up front and their ids passed to each tier, so ``connect`` can draw the
    hops between tiers before the tiers exist (the three-tier seam, STYLE.md)."""

    def tier(purpose: str, description: str) -> Firewall:
        return Firewall(
            f"{purpose}-sg",
            FirewallArgs(purpose=purpose, scope=base.scope, description=description, vpc_id=network.vpc_id),
            opts=base.opts,
        )

    return tier


def data_key(base: Platform, purpose: str, description: str) -> DataKey:
    """The key of an Aurora cluster, its secret and the stack's ECR repositories."""
    return DataKey(
        "data",
        DataKeyArgs(
            purpose=purpose,
            scope=base.scope,
            description=description,
            services=("ecr", "rds", "secretsmanager"),
        ),
        opts=base.opts,
    )


def access_logs_bucket(base: Platform, purpose: str, expire_days: int) -> PrivateBucket:
    """The bucket ALB and S3 access logs go to (``alb/`` for the ALB), expiring after ``expire_days``.

    SSE-S3, not KMS: ALB access logs cannot go to an SSE-KMS bucket (002-R41)."""
    scope = base.scope
    return PrivateBucket(
        "logs",
        PrivateBucketArgs(
            purpose=purpose,
            scope=scope,
            sse_algorithm="AES256",
            lifecycle=(LifecycleRule("expire-logs", expire_days=expire_days),),
            policy_statements=[
                access_log_statement(known_bucket_arn(purpose, scope), "alb", scope.account_id, scope.region),
                access_log_delivery_statement(known_bucket_arn(purpose, scope), scope.account_id),
            ],
        ),
        opts=base.opts,
    )


def server_access_logs_bucket(base: Platform, expire_days: int) -> PrivateBucket:
    """The ``access-logs`` bucket that S3 server access logs of every other bucket go to (a log
    bucket does not log itself), expiring after ``expire_days``."""
    scope = base.scope
    return PrivateBucket(
        "access-logs",
        PrivateBucketArgs(
            purpose="access-logs",
            scope=scope,
            lifecycle=(LifecycleRule("expire-logs", expire_days=expire_days),),
            policy_statements=[
                access_log_delivery_statement(known_bucket_arn("access-logs", scope), scope.account_id)
            ],
        ),
        opts=base.opts,
    )


def after_policy(logs: PrivateBucket) -> pulumi.Output[str]:
    """The bucket's name, resolved only once its policy exists: ELB checks it may write the logs
    when they are enabled, so the ALB's ``access_log_bucket`` must wait for the policy."""
    return pulumi.Output.all(logs.name, logs.policy.id).apply(lambda pair: str(pair[0]))


def edge_logs_key(base: Platform) -> ServiceKey:
    """The key of the logs kept in EDGE_REGION: CloudFront's web ACL lives there, so its logs do."""
    edge = base.scope.at(EDGE_REGION)
    description = f"Logs of webstack {base.config.blueprint} ({edge.suffix}) kept in {EDGE_REGION}"
    return _logs_key("edge-logs", edge, description, base.opts, region=EDGE_REGION)


# The region's API Gateway CloudWatch role setting has one owner per region (api_account.py): every
# blueprint with a REST stage takes this key; the pipeline's throwaway copies set it false.
API_GATEWAY_ACCOUNT_KEY = Key(
    "manageApiGatewayAccount",
    False,
    "true or false: whether this stack owns the region's API Gateway CloudWatch role setting",
    "true",
)


def manages_api_gateway_account(values: Mapping[str, str]) -> bool:
    return config.boolean(values, API_GATEWAY_ACCOUNT_KEY.name, True)


CERTIFICATE_KEYS = (
    Key(
        "certificateArn", False, "an ACM certificate ARN in the stack's region for the ALB", "none (HTTP:80)"
    ),
    Key(
        "albDomainName", False, "the certificate's DNS name pointing at the ALB (with certificateArn)", "none"
    ),
)
CERTIFICATE_ARN = re.compile(r"^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def alb_certificate(
    values: Mapping[str, str], example_domain: str, reaches: str
) -> tuple[str | None, str | None]:
    """``webstack:certificateArn`` and ``webstack:albDomainName``: both or neither (HTTP:80).

    ``reaches`` says who reaches the ALB by the certificate's name, e.g. "CloudFront reaches"."""
    certificate = values.get(f"{NAMESPACE}:certificateArn")
    if certificate is not None and not CERTIFICATE_ARN.match(certificate):
        raise fail("certificateArn", certificate, "give an ACM certificate ARN")
    domain = values.get(f"{NAMESPACE}:albDomainName")
    if domain is not None and not HOSTNAME.match(domain):
        raise fail("albDomainName", domain, f"give a lowercase DNS name such as {example_domain}")
    if (certificate is None) != (domain is None):
        raise ConfigError(
            f"{NAMESPACE}:certificateArn/{NAMESPACE}:albDomainName: set both ({reaches} the ALB by the "
            "certificate's name over HTTPS) or neither (HTTP:80)"
        )
    return certificate, domain
