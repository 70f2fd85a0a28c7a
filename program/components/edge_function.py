"""EdgeFunction: a Lambda@Edge function (viewer-request), built where and how CloudFront accepts it.

CloudFront replicates Lambda@Edge functions from us-east-1 only, runs them on x86_64 (no arm64,
002-R7), from a zip (no container images, 002-R5), by a published version's qualified ARN, with
no environment variables and, for viewer triggers, at most 128 MB and 5 s (002-R6/R27). Its role
trusts both ``lambda.amazonaws.com`` and ``edgelambda.amazonaws.com`` (002-R29); the replicas
log to ``/aws/lambda/us-east-1.<name>`` in whichever region ran them, so the log grant names that
group in every region (the one place a region wildcard is needed).

Configuration is baked into the zip (``config.json`` beside the code, the secret from a Pulumi
secret, so the archive is a secret input). Destroy: after the distribution drops the association,
AWS deletes the replicas on its own schedule (usually within hours) and refuses ``DeleteFunction``
until then ("because it is a replicated function"); the provider retries that error until the
delete timeout, so the function gets ``delete_timeout`` (90 minutes). If replicas outlive it, the
destroy fails on this one resource and a second ``pulumi destroy`` later finishes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from program import iam_docs
from program.components.function import LAMBDAS_DIR
from program.scope import EDGE_REGION, Scope

EDGE_TRUST = ("lambda.amazonaws.com", "edgelambda.amazonaws.com")
LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
VIEWER_MAX_MEMORY_MB, VIEWER_MAX_TIMEOUT_S = 128, 5
DELETE_TIMEOUT = "90m"


@dataclass(frozen=True)
class EdgeFunctionArgs:
    purpose: str
    scope: Scope
    folder: str  # lambdas/<folder>/
    files: tuple[str, ...] = ("index.js",)
    handler: str = "index.handler"
    runtime: str = "nodejs22.x"
    # Written next to the code as config.json (values may be secret Outputs).
    config: Mapping[str, pulumi.Input[Any]] = field(default_factory=dict)
    memory_mb: int = VIEWER_MAX_MEMORY_MB
    timeout_s: int = VIEWER_MAX_TIMEOUT_S

    def __post_init__(self) -> None:
        for name in self.files:
            if not (LAMBDAS_DIR / self.folder / name).is_file():
                raise ValueError(f"EdgeFunction: no lambdas/{self.folder}/{name}")
        if self.memory_mb > VIEWER_MAX_MEMORY_MB or self.timeout_s > VIEWER_MAX_TIMEOUT_S:
            raise ValueError("EdgeFunction: viewer triggers allow at most 128 MB and 5 s")


def edge_trust_policy(account_id: str) -> dict[str, Any]:
    """Lambda and Lambda@Edge's replicator may assume the role (no SourceAccount: the replicas
    run in AWS's regional edge accounts on behalf of this one, 🔍 not verified with the condition)."""
    return {
        "Version": iam_docs.VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": list(EDGE_TRUST)},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def log_statement(account_id: str, function_name: str) -> dict[str, Any]:
    group = f"arn:aws:logs:*:{account_id}:log-group:/aws/lambda/{EDGE_REGION}.{function_name}"
    return iam_docs.statement(LOG_ACTIONS, [group, f"{group}:log-stream:*"], sid="WriteReplicaLogs")


class EdgeFunction(pulumi.ComponentResource):
    """The role, the zip (code + config.json) and the published function in us-east-1."""

    def __init__(self, name: str, args: EdgeFunctionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:edge_function:EdgeFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        physical = scope.name(args.purpose, "lambda")
        role = aws.iam.Role(
            f"{name}-role",
            name=scope.name(f"{args.purpose}-edge", "iam-role"),
            assume_role_policy=json.dumps(edge_trust_policy(scope.account_id)),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name=scope.name(f"{args.purpose}-edge", "iam-policy"),
            role=role.id,
            policy=json.dumps(iam_docs.document(log_statement(scope.account_id, physical))),
            opts=child,
        )
        folder = LAMBDAS_DIR / args.folder
        code = pulumi.Output.json_dumps(dict(args.config)).apply(
            lambda text: pulumi.AssetArchive(
                {
                    **{f: pulumi.FileAsset(str(folder / f)) for f in args.files},
                    "config.json": pulumi.StringAsset(text),
                }
            )
        )
        self.function = aws.lambda_.Function(
            name,
            name=physical,
            region=EDGE_REGION,
            role=role.arn,
            runtime=args.runtime,
            handler=args.handler,
            code=code,
            architectures=["x86_64"],
            memory_size=args.memory_mb,
            timeout=args.timeout_s,
            publish=True,  # CloudFront associates a version, never $LATEST
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[policy],
                custom_timeouts=pulumi.CustomTimeouts(delete=DELETE_TIMEOUT),
            ),
        )
        self.qualified_arn = self.function.qualified_arn
        self.name = self.function.name
        self.register_outputs({"qualified_arn": self.qualified_arn})
