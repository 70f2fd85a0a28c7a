"""What every blueprint starts from: its regional provider, the account, the AZs, the logs key; and
the functions key for blueprints with Lambda functions."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from program import naming
from program.components.kms import ServiceKey, ServiceKeyArgs, log_groups_grant
from program.config import ConfigError, StackConfig
from program.scope import Scope


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
    logs_key = ServiceKey(
        "logs",
        ServiceKeyArgs(
            purpose="logs",
            scope=Scope(config.environment_suffix, account_id, config.region),
            description=f"CloudWatch Logs of webstack {config.blueprint} ({config.environment_suffix})",
            grants=(log_groups_grant(Scope(config.environment_suffix, account_id, config.region)),),
        ),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
    return Platform(config, provider, account_id, tuple(sorted(zones)[: config.az_count]), logs_key)


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
