"""Mocked outputs shaped as AWS shapes them, where an IAM document or a policy reads them."""

from __future__ import annotations

import re

import pulumi_aws as aws

from unit.conftest import capture_fn

ELB = r"arn:aws:elasticloadbalancing:us-west-2:123456789012"


def test_elb_arns_have_the_segments_aws_gives_them() -> None:
    def program() -> None:
        lb = aws.lb.LoadBalancer("alb", name="alb-dev")
        listener = aws.lb.Listener("http", load_balancer_arn=lb.arn, port=80, default_actions=[])
        aws.lb.ListenerRule("rule", listener_arn=listener.arn, priority=1, actions=[], conditions=[])

    graph = capture_fn(program)
    outputs = {r.name: r.outputs for r in graph.resources if r.type.startswith("aws:lb/")}
    arns = {name: out["arn"] for name, out in outputs.items()}
    assert re.fullmatch(ELB + r":loadbalancer/app/alb-dev/[0-9a-f]{16}", arns["alb"])
    # The CloudWatch dimension drops the `loadbalancer/` segment; the ARN's tail is exactly it.
    assert re.fullmatch(r"app/alb-dev/[0-9a-f]{16}", outputs["alb"]["arnSuffix"])
    assert arns["alb"].endswith(":loadbalancer/" + outputs["alb"]["arnSuffix"])
    assert re.fullmatch(ELB + r":listener/app/[^/]+/[0-9a-f]{16}/[0-9a-f]{16}", arns["http"])
    assert re.fullmatch(
        ELB + r":listener-rule/app/[^/]+/[0-9a-f]{16}/[0-9a-f]{16}/[0-9a-f]{16}", arns["rule"]
    )


def test_an_rds_managed_master_password_has_its_secret() -> None:
    def program() -> None:
        aws.rds.Cluster(
            "managed",
            cluster_identifier="db-dev",
            engine="aurora-postgresql",
            manage_master_user_password=True,
        )
        aws.rds.Cluster(
            "given", cluster_identifier="db2-dev", engine="aurora-postgresql", master_password="x"
        )

    graph = capture_fn(program)
    managed = graph.one("aws:rds/cluster:Cluster", "managed").outputs["masterUserSecrets"]
    assert re.fullmatch(
        r"arn:aws:secretsmanager:us-west-2:123456789012:secret:rds!cluster-[0-9a-f]{8}-[0-9a-f]{4}-\w{6}",
        managed[0]["secretArn"],
    )
    assert "masterUserSecrets" not in graph.one("aws:rds/cluster:Cluster", "given").outputs
