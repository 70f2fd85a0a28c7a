"""ContainerCluster and ContainerService: ECS on Fargate, blue/green behind an ALB, auto-scaled.

ContainerCluster: the ECS cluster with Container Insights (task counts, CPU and memory per
service, 004-R5/R29) and the ECS infrastructure role native blue/green uses to move listener rules
between target groups (trusts ecs.amazonaws.com for this account; an inline policy with the ALB
actions of the AWS managed ``AmazonECSInfrastructureRolePolicyForLoadBalancers``, narrowed to the
stack's own target groups, listeners and rules, 004-R7/R28). Application Auto Scaling and
ECS use their service-linked roles, which AWS creates and which a stack must not delete.

ContainerService, per service (004-R6..R8, R25..R28, R30):

- a task definition: awsvpc, FARGATE, a valid Fargate CPU/memory pair (:func:`fargate_size_problem`),
  ARM64, one container as a numeric non-root user with a read-only root filesystem and writable
  scratch volumes where the app writes (``/tmp``), ``awslogs`` to its own 30-day KMS log group,
  and the container health check (the Dockerfile's HEALTHCHECK, which ECS ignores);
- an execution role that may pull from its ECR repository and write its log group, nothing else;
- a task role with exactly the statements the app's own calls need (given by the blueprint);
- the service in the private subnets without public IPs, deployment controller ECS with the
  **BLUE_GREEN** strategy: the load balancer entry names the production target group, the
  alternate (green) one, the production and test listener rules and the infrastructure role;
  the deployment circuit breaker rolls back; ``force_delete`` so destroy does not wait for tasks
  to drain (004-R32); ``desired_count`` is ignored after creation (auto scaling owns it);
- scaling between ``min_tasks`` and ``max_tasks``: target tracking on average CPU at
  ``scale_out_cpu`` with scale-in disabled, and a step policy (-1 task) on a CPU <
  ``scale_in_cpu`` alarm, each with its cooldown (004-R25/R26: one target-tracking policy has one
  target, so "out above 70, in below 30" needs the pair).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from program import arns, iam_docs
from program.alarms import AlarmSpec, MetricRef
from program.components.firewall import Firewall
from program.components.log_group import encrypted_log_group
from program.scope import Scope

# What the AWS managed AmazonECSInfrastructureRolePolicyForLoadBalancers grants for ALBs (AWS
# Managed Policy Reference), narrowed here from every target group and listener to this stack's.
ELB_READ_ACTIONS = (
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
)
ELB_TARGET_ACTIONS = ("elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets")
ELB_LISTENER_ACTIONS = ("elasticloadbalancing:ModifyListener",)
ELB_RULE_ACTIONS = ("elasticloadbalancing:ModifyRule",)
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
ECR_TOKEN_ACTIONS = ("ecr:GetAuthorizationToken",)  # account-wide: it takes no resource
LOG_WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
# Fargate task sizes (ECS developer guide, "Task CPU and memory"): CPU units -> memory MiB range, step.
FARGATE_SIZES: dict[int, tuple[int, int, int]] = {
    256: (512, 2048, 512),  # 512, 1024, 2048 (step below checked specially)
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}


def fargate_size_problem(cpu: int, memory: int) -> str | None:
    """Why Fargate would refuse ``cpu`` units with ``memory`` MiB, or None."""
    if cpu not in FARGATE_SIZES:
        return f"cpu {cpu} is not a Fargate size; one of {sorted(FARGATE_SIZES)}"
    low, high, step = FARGATE_SIZES[cpu]
    allowed = [512, 1024, 2048] if cpu == 256 else list(range(low, high + 1, step))
    if memory not in allowed:
        return f"memory {memory} MiB does not go with cpu {cpu}; allowed {allowed[0]}-{allowed[-1]} MiB"
    return None


@dataclass(frozen=True)
class LoadBalancerGrant:
    """The ALB resources ECS blue/green may change: target groups, listeners, listener rules."""

    target_group_arns: Sequence[pulumi.Input[str]]
    listener_arns: Sequence[pulumi.Input[str]]
    rule_arns: Sequence[pulumi.Input[str]]


def infrastructure_statements(grant: LoadBalancerGrant) -> list[dict[str, Any]]:
    """The infrastructure role's grants (004-R7/R28): reads are account-wide (ELB's Describe* take
    no resource), every change names this stack's target groups, listeners and rules."""
    return [
        iam_docs.statement(ELB_READ_ACTIONS, ["*"], sid="ElbRead"),
        iam_docs.statement(ELB_TARGET_ACTIONS, list(grant.target_group_arns), sid="SwapTargets"),
        iam_docs.statement(ELB_LISTENER_ACTIONS, list(grant.listener_arns), sid="ModifyListeners"),
        iam_docs.statement(ELB_RULE_ACTIONS, list(grant.rule_arns), sid="ShiftRuleWeights"),
    ]


@dataclass(frozen=True)
class ContainerClusterArgs:
    purpose: str
    scope: Scope
    load_balancer: LoadBalancerGrant


class ContainerCluster(pulumi.ComponentResource):
    """The ECS cluster (Container Insights on) and the blue/green infrastructure role."""

    def __init__(self, name: str, args: ContainerClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:container_service:ContainerCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=scope.name(args.purpose, "ecs"),
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            opts=child,
        )
        self.infrastructure_role = aws.iam.Role(
            f"{name}-infrastructure-role",
            name=scope.name(f"{args.purpose}-ecs-infra", "iam-role"),
            description="ECS blue/green: moves listener rules between the blue and green target groups",
            # AWS's trust policy for this role has no condition (ECS docs, "Amazon ECS infrastructure
            # IAM role for load balancers"), and nothing says ECS sends aws:SourceAccount when it
            # assumes it: with the guard an unmet condition would fail every deployment.
            assume_role_policy=json.dumps(iam_docs.assume_role_policy("ecs.amazonaws.com", None)),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-infrastructure-policy",
            name=scope.name(f"{args.purpose}-ecs-infra", "iam-policy"),
            role=self.infrastructure_role.id,
            policy=pulumi.Output.json_dumps(
                iam_docs.document(*infrastructure_statements(args.load_balancer))
            ),
            opts=child,
        )
        # A blue/green service must not be created before its role may act.
        self.ready: list[pulumi.Resource] = [policy]
        self.name = self.cluster.name
        self.arn = self.cluster.arn
        self.infrastructure_role_arn = self.infrastructure_role.arn
        self.register_outputs({"name": self.name, "arn": self.arn})


@dataclass(frozen=True)
class BlueGreen:
    """The ALB side of a native ECS blue/green deployment (004-R7)."""

    target_group_arn: pulumi.Input[str]  # production (blue) at creation
    alternate_target_group_arn: pulumi.Input[str]  # green
    production_listener_rule_arn: pulumi.Input[str]
    test_listener_rule_arn: pulumi.Input[str] | None = None
    bake_time_minutes: int = 5


@dataclass(frozen=True)
class ContainerServiceArgs:
    purpose: str
    scope: Scope
    cluster: ContainerCluster
    image_uri: pulumi.Input[str]
    repository_arn: pulumi.Input[str]
    container_port: int
    # The Dockerfile's HEALTHCHECK command, as ECS's CMD form (ECS ignores HEALTHCHECK).
    health_command: Sequence[str]
    user: str  # "uid:gid", numeric: ECS and the pack can see it is not root
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group: Firewall
    log_kms_key_arn: pulumi.Input[str]
    blue_green: BlueGreen
    cpu: int = 256
    memory: int = 512
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    writable_paths: Sequence[str] = ()  # scratch volumes under a read-only root filesystem
    task_statements: Sequence[Mapping[str, Any]] = ()  # the app's own calls
    min_tasks: int = 2
    max_tasks: int = 10
    scale_out_cpu: float = 70.0
    scale_in_cpu: float = 30.0
    scale_out_cooldown_s: int = 60
    scale_in_cooldown_s: int = 300
    health_check_grace_s: int = 60
    health_interval_s: int = 30  # 004-R8
    log_retention_days: int = 30  # 004-R30

    def __post_init__(self) -> None:
        problem = fargate_size_problem(self.cpu, self.memory)
        if problem:
            raise ValueError(f"ContainerService {self.purpose}: {problem}")
        if not 1 <= self.container_port <= 65535:
            raise ValueError(f"ContainerService {self.purpose}: container_port 1-65535")
        uid, _, gid = self.user.partition(":")
        if not uid.isdigit() or int(uid) == 0 or (gid and not gid.isdigit()):
            raise ValueError(
                f"ContainerService {self.purpose}: user {self.user!r} must be a numeric non-root uid"
            )
        if not 1 <= self.min_tasks <= self.max_tasks:
            raise ValueError(f"ContainerService {self.purpose}: 1 <= min_tasks <= max_tasks")
        if not 0 < self.scale_in_cpu < self.scale_out_cpu <= 100:
            raise ValueError(f"ContainerService {self.purpose}: 0 < scale_in_cpu < scale_out_cpu <= 100")
        if not 5 <= self.health_interval_s <= 300:
            raise ValueError("health_interval_s: ECS allows 5-300 s")
        if not self.health_command:
            raise ValueError(f"ContainerService {self.purpose}: give the container's health command")
        if any(not path.startswith("/") for path in self.writable_paths):
            raise ValueError("writable_paths are absolute container paths")

    @property
    def container_name(self) -> str:
        return self.purpose


def container_definitions(
    args: ContainerServiceArgs, log_group: pulumi.Input[str], region: str
) -> list[dict[str, Any]]:
    """The one container of the task (plain data; ``Output.json_dumps`` resolves the inputs)."""
    volumes = [(f"scratch{index}", path) for index, path in enumerate(args.writable_paths)]
    return [
        {
            "name": args.container_name,
            "image": args.image_uri,
            "essential": True,
            "user": args.user,
            "readonlyRootFilesystem": True,
            "privileged": False,
            "portMappings": [{"containerPort": args.container_port, "protocol": "tcp"}],
            "environment": [{"name": key, "value": value} for key, value in sorted(args.environment.items())],
            "mountPoints": [{"sourceVolume": volume, "containerPath": path} for volume, path in volumes],
            "linuxParameters": {"initProcessEnabled": True},
            "healthCheck": {
                "command": ["CMD", *args.health_command],
                "interval": args.health_interval_s,
                "timeout": 5,
                "retries": 3,
                "startPeriod": 20,
            },
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": args.container_name,
                },
            },
        }
    ]


def execution_statements(repository_arn: pulumi.Input[str], log_group_arn: str) -> list[dict[str, Any]]:
    """Pull from one repository, write one log group (004-R28)."""
    return [
        iam_docs.statement(ECR_TOKEN_ACTIONS, ["*"], sid="EcrToken"),
        iam_docs.statement(ECR_PULL_ACTIONS, [repository_arn], sid="PullOwnImage"),
        iam_docs.statement(LOG_WRITE_ACTIONS, [f"{log_group_arn}:*"], sid="WriteOwnLogs"),
    ]


def resource_id(cluster_name: pulumi.Input[str], service_name: pulumi.Input[str]) -> pulumi.Output[str]:
    """Application Auto Scaling's id of an ECS service: ``service/<cluster>/<service>``."""
    return pulumi.Output.concat("service/", cluster_name, "/", service_name)


class ContainerService(pulumi.ComponentResource):
    """One Fargate service: task definition, roles, log group, blue/green service, scaling."""

    def __init__(self, name: str, args: ContainerServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:container_service:ContainerService", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        group_name = scope.name(f"{args.purpose}-ecs", "log-group")
        self.log_group = encrypted_log_group(
            f"{name}-logs", group_name, args.log_kms_key_arn, args.log_retention_days, child
        )
        log_group_arn = arns.log_group(scope.region, scope.account_id, group_name)
        self.execution_role = self._role(
            "execution",
            "pulls its image, writes its logs",
            execution_statements(args.repository_arn, log_group_arn),
        )
        self.task_role = self._role(
            "task", "the app's own AWS calls", [dict(statement) for statement in args.task_statements]
        )
        self.task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=scope.name(args.purpose, "ecs"),
            cpu=str(args.cpu),
            memory=str(args.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture="ARM64"
            ),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            volumes=[
                aws.ecs.TaskDefinitionVolumeArgs(name=f"scratch{index}")
                for index in range(len(args.writable_paths))
            ]
            or None,
            container_definitions=pulumi.Output.json_dumps(
                container_definitions(args, group_name, scope.region)
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group]),
        )
        blue_green = args.blue_green
        self.service = aws.ecs.Service(
            f"{name}-service",
            name=scope.name(args.purpose, "ecs"),
            cluster=args.cluster.arn,
            task_definition=self.task_definition.arn,
            desired_count=args.min_tasks,
            launch_type="FARGATE",
            platform_version="LATEST",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(args.subnet_ids),
                security_groups=[args.security_group.id],
                assign_public_ip=False,
            ),
            deployment_controller=aws.ecs.ServiceDeploymentControllerArgs(type="ECS"),
            deployment_configuration=aws.ecs.ServiceDeploymentConfigurationArgs(
                strategy="BLUE_GREEN",
                bake_time_in_minutes=str(blue_green.bake_time_minutes),  # the SDK types it as a string
            ),
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
                enable=True, rollback=True
            ),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=blue_green.target_group_arn,
                    container_name=args.container_name,
                    container_port=args.container_port,
                    advanced_configuration=aws.ecs.ServiceLoadBalancerAdvancedConfigurationArgs(
                        alternate_target_group_arn=blue_green.alternate_target_group_arn,
                        production_listener_rule=blue_green.production_listener_rule_arn,
                        test_listener_rule=blue_green.test_listener_rule_arn,
                        role_arn=args.cluster.infrastructure_role_arn,
                    ),
                )
            ],
            health_check_grace_period_seconds=args.health_check_grace_s,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            enable_execute_command=False,
            force_delete=True,  # 004-R32
            wait_for_steady_state=False,
            # Auto scaling owns the count after creation (004-R25).
            opts=pulumi.ResourceOptions(
                parent=self, ignore_changes=["desiredCount"], depends_on=args.cluster.ready
            ),
        )
        self._scaling()
        self.name = self.service.name
        dims = {"ClusterName": args.cluster.name, "ServiceName": self.service.name}
        self.alarms: list[AlarmSpec] = [
            AlarmSpec(
                f"{args.purpose}-ecs-cpu-high",
                f"{args.purpose}: CPU above 90% at the task ceiling ({args.max_tasks})",
                "AWS/ECS",
                "CPUUtilization",
                dims,
                threshold=90,
                statistic="Average",
            ),
            AlarmSpec(
                f"{args.purpose}-ecs-tasks-low",
                f"{args.purpose}: fewer running tasks than the minimum ({args.min_tasks})",
                "ECS/ContainerInsights",
                "RunningTaskCount",
                dims,
                threshold=args.min_tasks,
                statistic="Minimum",
                comparison="LessThanThreshold",
            ),
        ]
        self.metrics: list[MetricRef] = [
            MetricRef(
                f"{args.purpose} running tasks", "ECS/ContainerInsights", "RunningTaskCount", dims, "Average"
            ),
            MetricRef(f"{args.purpose} CPU", "AWS/ECS", "CPUUtilization", dims, "Average"),
            MetricRef(f"{args.purpose} memory", "AWS/ECS", "MemoryUtilization", dims, "Average"),
        ]
        self.register_outputs({"name": self.name, "log_group": self.log_group.name})

    def _role(self, kind: str, what: str, statements: list[dict[str, Any]]) -> aws.iam.Role:
        args, scope = self._args, self._args.scope
        role = aws.iam.Role(
            f"{self._name}-{kind}-role",
            name=scope.name(f"{args.purpose}-ecs-{kind}", "iam-role"),
            description=f"{args.purpose} ECS {kind} role: {what}",
            assume_role_policy=json.dumps(
                iam_docs.assume_role_policy("ecs-tasks.amazonaws.com", scope.account_id)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if statements:
            aws.iam.RolePolicy(
                f"{self._name}-{kind}-policy",
                name=scope.name(f"{args.purpose}-ecs-{kind}", "iam-policy"),
                role=role.id,
                policy=pulumi.Output.json_dumps(iam_docs.document(*statements)),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return role

    def _scaling(self) -> None:
        args, scope, child = self._args, self._args.scope, pulumi.ResourceOptions(parent=self)
        target = aws.appautoscaling.Target(
            f"{self._name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=resource_id(args.cluster.name, self.service.name),
            min_capacity=args.min_tasks,
            max_capacity=args.max_tasks,
            opts=child,
        )
        self.scaling_target = target
        self.cpu_policy = aws.appautoscaling.Policy(
            f"{self._name}-cpu-target",
            name=scope.name(f"{args.purpose}-cpu-target"),
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="ECSServiceAverageCPUUtilization"
                ),
                target_value=args.scale_out_cpu,
                # Scale-in is the step policy's, below scale_in_cpu (004-R26).
                disable_scale_in=True,
                scale_out_cooldown=args.scale_out_cooldown_s,
                scale_in_cooldown=args.scale_in_cooldown_s,
            ),
            opts=child,
        )
        self.scale_in_policy = aws.appautoscaling.Policy(
            f"{self._name}-cpu-scale-in",
            name=scope.name(f"{args.purpose}-cpu-scale-in"),
            policy_type="StepScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            step_scaling_policy_configuration=aws.appautoscaling.PolicyStepScalingPolicyConfigurationArgs(
                adjustment_type="ChangeInCapacity",
                cooldown=args.scale_in_cooldown_s,
                metric_aggregation_type="Average",
                step_adjustments=[
                    aws.appautoscaling.PolicyStepScalingPolicyConfigurationStepAdjustmentArgs(
                        metric_interval_upper_bound="0", scaling_adjustment=-1
                    )
                ],
            ),
            opts=child,
        )
        aws.cloudwatch.MetricAlarm(
            f"{self._name}-cpu-low",
            name=scope.name(f"{args.purpose}-cpu-low", "alarm"),
            alarm_description=f"{args.purpose}: CPU under {args.scale_in_cpu:g}% for 5 min: one task less",
            namespace="AWS/ECS",
            metric_name="CPUUtilization",
            dimensions={"ClusterName": args.cluster.name, "ServiceName": self.service.name},
            statistic="Average",
            period=60,
            evaluation_periods=5,
            datapoints_to_alarm=5,
            threshold=args.scale_in_cpu,
            comparison_operator="LessThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self.scale_in_policy.arn],
            opts=child,
        )
