"""Provisioned concurrency of a Lambda alias, auto-scaled by Application Auto Scaling (002-R8, R40).

Lambda has no CPU metric and no instances: the closest valid reading of "scale 2 to 10 on 70 %" is
target tracking on ``LambdaProvisionedConcurrencyUtilization`` (the share of provisioned
environments in use) at 0.7, between ``min_capacity`` and ``max_capacity`` provisioned
environments. On-demand concurrency beyond them stays available (no reserved cap).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from program.scope import Scope

DIMENSION = "lambda:function:ProvisionedConcurrency"
METRIC = "LambdaProvisionedConcurrencyUtilization"


@dataclass(frozen=True)
class ConcurrencyScalingArgs:
    purpose: str
    scope: Scope
    function_name: pulumi.Input[str]
    alias_name: str
    min_capacity: int = 2
    max_capacity: int = 10
    target_utilization: float = 0.7
    scale_in_cooldown_s: int = 300
    scale_out_cooldown_s: int = 30

    def __post_init__(self) -> None:
        if not 1 <= self.min_capacity <= self.max_capacity:
            raise ValueError("ConcurrencyScaling: 1 <= min_capacity <= max_capacity")
        if not 0.1 <= self.target_utilization <= 0.9:
            raise ValueError("ConcurrencyScaling: target_utilization 0.1 to 0.9 (AWS's range)")


def resource_id(function_name: str, alias: str) -> str:
    """Application Auto Scaling's id of an alias: ``function:<name>:<alias>``."""
    return f"function:{function_name}:{alias}"


class ConcurrencyScaling(pulumi.ComponentResource):
    """A scalable target on the alias's provisioned concurrency and its target-tracking policy."""

    def __init__(self, name: str, args: ConcurrencyScalingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:concurrency_scaling:ConcurrencyScaling", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.target = aws.appautoscaling.Target(
            f"{name}-target",
            service_namespace="lambda",
            scalable_dimension=DIMENSION,
            resource_id=pulumi.Output.from_input(args.function_name).apply(
                lambda fn: resource_id(fn, args.alias_name)
            ),
            min_capacity=args.min_capacity,
            max_capacity=args.max_capacity,
            opts=child,
        )
        self.policy = aws.appautoscaling.Policy(
            f"{name}-policy",
            name=args.scope.name(f"{args.purpose}-provisioned-concurrency"),
            policy_type="TargetTrackingScaling",
            service_namespace=self.target.service_namespace,
            scalable_dimension=self.target.scalable_dimension,
            resource_id=self.target.resource_id,
            target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                target_value=args.target_utilization,
                predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type=METRIC
                ),
                scale_in_cooldown=args.scale_in_cooldown_s,
                scale_out_cooldown=args.scale_out_cooldown_s,
            ),
            opts=child,
        )
        self.register_outputs({})
