"""Database: Aurora Serverless v2, its parameter group, master secret and RDS Proxy
(002-R20..R26, R49; seed 004 with an RDS-managed secret), asserted on the captured graph."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plan.capture import Graph
from program.components.database import (
    Database,
    DatabaseArgs,
    ProxySpec,
    dbuser_arn,
    password_problem,
    proxy_connection_percent,
)
from program.components.firewall import Firewall, FirewallArgs
from program.scope import Scope
from unit.conftest import capture_fn

SCOPE = Scope("dev", "123456789012", "ap-southeast-1")
KEY = "arn:aws:kms:ap-southeast-1:123456789012:key/data"


def db_graph(proxy: bool = True, **changes: Any) -> Graph:
    def program() -> None:
        def group(name: str) -> Firewall:
            return Firewall(name, FirewallArgs(purpose=name, scope=SCOPE, description=name, vpc_id="vpc-1"))

        values: dict[str, Any] = {
            "purpose": "media",
            "scope": SCOPE,
            "subnet_ids": ["subnet-a", "subnet-b", "subnet-c"],
            "availability_zones": ["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"],
            "security_group": group("db"),
            "kms_key_arn": KEY,
            "proxy": ProxySpec(security_group=group("proxy")) if proxy else None,
            **changes,
        }
        Database("db", DatabaseArgs(**values))

    return capture_fn(program, {"aws:region": "ap-southeast-1"})


def test_002_R24_proxy_percentage_of_the_pinned_max_connections() -> None:
    assert proxy_connection_percent(100, 200) == 50
    assert proxy_connection_percent(100, 100) == 100
    with pytest.raises(ValueError, match="not a whole percentage"):
        proxy_connection_percent(100, 300)
    with pytest.raises(ValueError, match="1 to max_connections"):
        proxy_connection_percent(201, 200)


def test_002_R25_dbuser_arn_takes_the_proxy_resource_id() -> None:
    arn = dbuser_arn(SCOPE, "arn:aws:rds:ap-southeast-1:123456789012:db-proxy:prx-0123abcd", "app")
    assert arn == "arn:aws:rds-db:ap-southeast-1:123456789012:dbuser:prx-0123abcd/app"
    with pytest.raises(ValueError, match="not an RDS Proxy ARN"):
        dbuser_arn(SCOPE, "arn:aws:rds:ap-southeast-1:123456789012:cluster:x", "app")


def test_002_R49_password_problems_never_echo_the_password() -> None:
    assert password_problem("abcdefgh") is None
    assert password_problem("abc") == "it has 3 characters; Aurora takes 8 to 128"
    assert password_problem("abcdefg@h") == "use printable ASCII without spaces, /, ', \" or @"
    assert password_problem("abcdefg\th") == "use printable ASCII without spaces, /, ', \" or @"


def test_004_one_writer_one_reader_with_an_rds_managed_rotated_secret() -> None:
    graph = db_graph(readers=1)
    cluster = graph.one("aws:rds/cluster:Cluster")
    assert cluster.inputs["manageMasterUserPassword"] is True
    assert cluster.inputs["masterUserSecretKmsKeyId"] == KEY
    assert "masterPassword" not in cluster.inputs
    assert graph.by_type("aws:secretsmanager/secret:Secret") == []
    instances = graph.by_type("aws:rds/clusterInstance:ClusterInstance")
    assert sorted(i.inputs["identifier"] for i in instances) == ["media-reader-1-dev", "media-writer-dev"]
    assert {i.inputs["availabilityZone"] for i in instances} == {"ap-southeast-1a", "ap-southeast-1b"}


def test_002_R20_R22_R23_config_password_secret_proxy_and_parameter_group() -> None:
    graph = db_graph(password="correct-horse-1")
    cluster = graph.one("aws:rds/cluster:Cluster")
    assert "manageMasterUserPassword" not in cluster.inputs
    assert cluster.inputs["dbClusterParameterGroupName"] == "media-db-dev"
    assert cluster.inputs["dbSubnetGroupName"] == "media-db-dev"
    secret = graph.one("aws:secretsmanager/secret:Secret")
    assert secret.inputs["recoveryWindowInDays"] == 0 and secret.inputs["kmsKeyId"] == KEY
    proxy = graph.one("aws:rds/proxy:Proxy")
    assert proxy.inputs["auths"][0]["secretArn"] == secret.outputs["arn"]
    assert proxy.inputs["vpcSubnetIds"] == ["subnet-a", "subnet-b", "subnet-c"]
    trust = json.loads(graph.one("aws:iam/role:Role").inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "rds.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    pool = graph.one("aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup").inputs["connectionPoolConfig"]
    assert (pool["maxConnectionsPercent"], pool["maxIdleConnectionsPercent"]) == (50, 25)
    target = graph.one("aws:rds/proxyTarget:ProxyTarget")
    assert target.inputs["targetGroupName"] == "default"


def test_without_a_proxy_there_is_no_connect_grant() -> None:
    graph = db_graph(proxy=False, readers=0)
    assert graph.by_type("aws:rds/proxy:Proxy") == []
    assert len(graph.by_type("aws:rds/clusterInstance:ClusterInstance")) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"readers": 16}, "0 to 15"),
        ({"max_connections": 150}, "not a whole percentage"),
        ({"min_acu": 4.0, "max_acu": 2.0}, "min_acu <= max_acu"),
    ],
)
def test_bad_database_args_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(Exception, match=message):
        db_graph(**changes)
