"""A stand-in media-platform stack for the media probes' self-tests.

AWS control planes are moto's server (ECS with its ``MOTO_ECS_SERVICE_RUNNING`` task count, ELBv2
target health, ECR with a pushed image and its scan, Secrets Manager with a rotation schedule);
the data plane is one HTTP server on 127.0.0.1 playing CloudFront (``/``, ``/api/titles``) and the
API Gateway stage (``/v1/api/titles``: key check, key-less CORS preflight, the WAF's marked 429
after ``ip_limit`` requests). ``behaviour`` switches each fact off for the 'broken' cases.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3

REGION = "ap-southeast-1"
API_KEY = "stand-in-key-0123456789"
LISTENER_RULE = (
    "arn:aws:elasticloadbalancing:ap-southeast-1:123456789012:"
    "listener-rule/app/media-alb-dev/50dc6c495c0c9188/f2f7dc8efc522ab2"
)
INFRASTRUCTURE_ROLE = "arn:aws:iam::123456789012:role/media-ecs-infra-iam-role-dev"
PAGE = '<!doctype html><html><head><title>Media</title></head><body><div id="root"></div></body></html>'


@dataclass
class Behaviour:
    frontend_up: bool = True
    api_cached: bool = False
    key_required: bool = True
    preflight_cors: bool = True
    waf_limit: int | None = 30  # the stand-in's per-IP budget (the real one is 1000 a minute)
    waf_marks_429: bool = True
    usage_plan_every: int | None = None  # every Nth request throttled by the usage plan (unmarked 429)


class MediaStandIn:
    def __init__(self, moto_url: str) -> None:
        self.moto_url = moto_url
        self.behaviour = Behaviour()
        self.requests = 0
        self._lock = threading.Lock()
        self._seeded = 0  # a distinct name for every repository seeded

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.moto_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def reset(self) -> None:
        self.behaviour = Behaviour()
        with self._lock:
            self.requests = 0

    def seed(self, running: int, live: str = "blue") -> dict[str, Any]:
        """The control-plane side; ``running`` is the task count moto reports per service, and the
        tasks are registered in the ``live`` group of each service's blue/green pair."""
        ec2, elbv2, ecs = self.client("ec2"), self.client("elbv2"), self.client("ecs")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.100.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName=f"tasks-{running}", Description="tasks", VpcId=vpc)[
            "GroupId"
        ]
        cluster = f"media-{running}-{live}"
        ecs.create_cluster(clusterName=cluster)
        services, task_definitions = [], []
        for index, service in enumerate(("backend", "frontend")):
            groups = {
                colour: elbv2.create_target_group(
                    Name=f"media-{service}-{colour}-{running}-{live}"[:32],
                    Protocol="HTTP",
                    Port=8000,
                    VpcId=vpc,
                    TargetType="ip",
                )["TargetGroups"][0]["TargetGroupArn"]
                for colour in ("blue", "green")
            }
            elbv2.register_targets(
                TargetGroupArn=groups[live],
                Targets=[{"Id": f"10.0.100.{10 * index + n}", "Port": 8000} for n in range(running)],
            )
            task_definition = ecs.register_task_definition(
                family=f"media-{service}",
                containerDefinitions=[{"name": service, "image": "img", "memory": 512}],
                networkMode="awsvpc",
                requiresCompatibilities=["FARGATE"],
                cpu="256",
                memory="512",
            )["taskDefinition"]["taskDefinitionArn"]
            task_definitions.append(task_definition)
            name = f"media-{service}-dev"
            ecs.create_service(
                cluster=cluster,
                serviceName=name,
                taskDefinition=task_definition,
                desiredCount=2,
                launchType="FARGATE",
                networkConfiguration={
                    "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}
                },
                loadBalancers=[
                    {
                        "targetGroupArn": groups["blue"],
                        "containerName": service,
                        "containerPort": 8000,
                        "advancedConfiguration": {
                            "alternateTargetGroupArn": groups["green"],
                            "productionListenerRule": f"{LISTENER_RULE}/{index + 10}",
                            "roleArn": INFRASTRUCTURE_ROLE,
                        },
                    }
                ],
            )
            services.append(name)
        return {
            "clusterName": cluster,
            "serviceNames": services,
            "desiredCount": 2,
            "taskDefinitionArns": task_definitions,
        }

    def seed_images(self, scanned: bool, immutable: bool = True) -> list[str]:
        ecr = self.client("ecr")
        names = []
        self._seeded += 1
        for service in ("backend", "frontend"):
            name = f"media-{service}-{self._seeded}"
            ecr.create_repository(
                repositoryName=name,
                imageScanningConfiguration={"scanOnPush": True},
                imageTagMutability="IMMUTABLE" if immutable else "MUTABLE",
            )
            manifest = {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {
                    "digest": "sha256:" + "a" * 64,
                    "size": 1,
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                },
                "layers": [],
            }
            ecr.put_image(
                repositoryName=name, imageManifest=json.dumps(manifest), imageTag="c-0123456789abcdef0123"
            )
            if scanned:
                digest = ecr.describe_images(repositoryName=name)["imageDetails"][0]["imageDigest"]
                ecr.start_image_scan(repositoryName=name, imageId={"imageDigest": digest})
            names.append(name)
        return names

    def seed_secret(self, rotation_days: int | None) -> str:
        secrets = self.client("secretsmanager")
        self._seeded += 1
        arn: str = secrets.create_secret(
            Name=f"rds!cluster-media-{self._seeded}",
            SecretString=json.dumps({"username": "u", "password": "p"}),
        )["ARN"]
        if rotation_days is not None:
            secrets.rotate_secret(
                SecretId=arn, RotationRules={"AutomaticallyAfterDays": rotation_days}, RotateImmediately=False
            )
        return arn

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
                data = body.encode()
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_OPTIONS(self) -> None:
                behaviour = stand_in.behaviour
                if not self.path.startswith("/v1/api/"):
                    return self._send(404, '{"error":"no such route"}')
                if not behaviour.preflight_cors:
                    return self._send(403, '{"error":"Forbidden"}')  # a keyed OPTIONS: the bug 004-R18 avoids
                self._send(
                    200,
                    "",
                    {
                        "Access-Control-Allow-Origin": self.headers.get("Origin", "*"),
                        "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
                        "Access-Control-Allow-Headers": "Content-Type,X-Api-Key",
                    },
                )

            def do_GET(self) -> None:
                behaviour = stand_in.behaviour
                titles = json.dumps({"items": [{"id": 1, "title": "Alien"}], "nextCursor": None, "limit": 5})
                json_type = {"Content-Type": "application/json"}
                if self.path.startswith("/v1/api/"):
                    with stand_in._lock:
                        stand_in.requests += 1
                        count = stand_in.requests
                    if behaviour.waf_limit is not None and count > behaviour.waf_limit:
                        mark = {"x-amzn-waf-rate-limit": "per-ip"} if behaviour.waf_marks_429 else {}
                        return self._send(429, '{"message":"Too Many Requests"}', {**json_type, **mark})
                    every = behaviour.usage_plan_every
                    if every is not None and count % every == 0:  # the usage plan's per-key throttle
                        return self._send(429, '{"message":"Too Many Requests"}', json_type)
                    if behaviour.key_required and self.headers.get("x-api-key") != API_KEY:
                        return self._send(403, '{"message":"Forbidden"}', json_type)
                    return self._send(200, titles, json_type)
                if self.path.startswith("/api/titles"):
                    cache = {
                        "X-Cache": "Hit from cloudfront" if behaviour.api_cached else "Miss from cloudfront"
                    }
                    return self._send(200, titles, {**json_type, **cache})
                if self.path == "/" and behaviour.frontend_up:
                    return self._send(200, PAGE, {"Content-Type": "text/html"})
                self._send(502, "<html>502 Bad Gateway</html>", {"Content-Type": "text/html"})

        return Handler

    @contextmanager
    def running(self) -> Iterator[dict[str, str]]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            base = f"http://127.0.0.1:{server.server_port}"
            yield {"cloudfrontUrl": base, "apiEndpoint": f"{base}/v1", "apiKeyValue": API_KEY}
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
