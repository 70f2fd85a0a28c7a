"""ContainerService's plain parts: Fargate sizes, argument checks, the container (004-R6/R8/R28)."""

from __future__ import annotations

from typing import Any

import pytest

from program.components.container_service import (
    BlueGreen,
    ContainerServiceArgs,
    LoadBalancerGrant,
    container_definitions,
    execution_statements,
    fargate_size_problem,
    infrastructure_statements,
)
from program.scope import Scope


@pytest.mark.parametrize(
    ("cpu", "memory"), [(256, 512), (256, 2048), (512, 4096), (1024, 8192), (2048, 16384), (4096, 30720)]
)
def test_004_R6_valid_fargate_pairs(cpu: int, memory: int) -> None:
    assert fargate_size_problem(cpu, memory) is None


@pytest.mark.parametrize(
    ("cpu", "memory", "says"),
    [
        (256, 4096, "does not go with cpu 256"),
        (512, 512, "allowed 1024-4096"),
        (1024, 1536, "does not go with"),
        (300, 512, "not a Fargate size"),
        (8192, 18000, "allowed 16384-61440"),
    ],
)
def test_004_R6_invalid_fargate_pairs_say_why(cpu: int, memory: int, says: str) -> None:
    problem = fargate_size_problem(cpu, memory)
    assert problem is not None and says in problem


def args(**overrides: Any) -> ContainerServiceArgs:
    values: dict[str, Any] = {
        "purpose": "media-backend",
        "scope": Scope("dev", "123456789012", "ap-southeast-1"),
        "cluster": object(),
        "image_uri": "123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/media-backend-dev:c-1",
        "repository_arn": "arn:aws:ecr:ap-southeast-1:123456789012:repository/media-backend-dev",
        "container_port": 8000,
        "health_command": ("python", "-c", "probe"),
        "user": "10001:10001",
        "subnet_ids": ["subnet-a"],
        "security_group": object(),
        "log_kms_key_arn": "arn:aws:kms:ap-southeast-1:123456789012:key/1",
        "blue_green": BlueGreen("tg-blue", "tg-green", "rule-prod", "rule-test"),
        "environment": {"PORT": "8000", "A": "1"},
        "writable_paths": ("/tmp",),
        **overrides,
    }
    return ContainerServiceArgs(**values)


@pytest.mark.parametrize(
    ("override", "says"),
    [
        ({"cpu": 256, "memory": 4096}, "does not go with"),
        ({"user": "0:0"}, "non-root"),
        ({"user": "app"}, "non-root"),
        ({"min_tasks": 11, "max_tasks": 10}, "min_tasks"),
        ({"scale_in_cpu": 80.0}, "scale_in_cpu < scale_out_cpu"),
        ({"health_interval_s": 2}, "5-300"),
        ({"health_command": ()}, "health command"),
        ({"writable_paths": ("tmp",)}, "absolute"),
        ({"container_port": 0}, "1-65535"),
    ],
)
def test_bad_service_args_are_refused(override: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        args(**override)


def test_004_R6_R8_container_definition() -> None:
    (container,) = container_definitions(args(), "media-backend-ecs-dev", "ap-southeast-1")
    assert container["user"] == "10001:10001" and container["readonlyRootFilesystem"] is True
    assert container["privileged"] is False and container["essential"] is True
    assert container["environment"] == [{"name": "A", "value": "1"}, {"name": "PORT", "value": "8000"}]
    assert container["mountPoints"] == [{"sourceVolume": "scratch0", "containerPath": "/tmp"}]
    assert container["healthCheck"] == {
        "command": ["CMD", "python", "-c", "probe"],
        "interval": 30,
        "timeout": 5,
        "retries": 3,
        "startPeriod": 20,
    }
    assert container["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "media-backend-ecs-dev",
            "awslogs-region": "ap-southeast-1",
            "awslogs-stream-prefix": "media-backend",
        },
    }


def test_004_R28_execution_role_statements() -> None:
    statements = {s["Sid"]: s for s in execution_statements("arn:repo", "arn:group")}
    assert statements["EcrToken"] == {
        "Effect": "Allow",
        "Action": ["ecr:GetAuthorizationToken"],
        "Sid": "EcrToken",
        "Resource": ["*"],
    }
    assert statements["PullOwnImage"]["Resource"] == ["arn:repo"]
    assert statements["PullOwnImage"]["Action"] == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]


def test_004_R7_infrastructure_statements_name_the_given_resources() -> None:
    grant = LoadBalancerGrant(["tg-1", "tg-2"], ["listener-1"], ["rule-1"])
    statements = {s["Sid"]: s for s in infrastructure_statements(grant)}
    assert statements["SwapTargets"]["Resource"] == ["tg-1", "tg-2"]
    assert statements["ModifyListeners"]["Action"] == ["elasticloadbalancing:ModifyListener"]
    assert statements["ShiftRuleWeights"] == {
        "Effect": "Allow",
        "Action": ["elasticloadbalancing:ModifyRule"],
        "Sid": "ShiftRuleWeights",
        "Resource": ["rule-1"],
    }
