"""Database: an Aurora PostgreSQL Serverless v2 cluster, its instances and (optionally) an RDS Proxy.

The cluster (``engine_mode="provisioned"`` + ``db.serverless`` instances, 002-R20) lives in the
private subnets (a subnet group of those only, 002-R22), encrypted with the owner's CMK, with IAM
database authentication, backups kept ``backup_retention_days``, no deletion protection and no
final snapshot, so ``destroy`` removes it (002-R47). Its cluster parameter group forces TLS
(``rds.force_ssl``) and pins ``max_connections``, which an instance-level parameter group pins
too (Aurora PostgreSQL reads it per instance). One writer and ``readers`` readers, each in its
own AZ (round robin over the AZs given), the readers on promotion tier 1 so a failover promotes one
of them and they scale with the writer (002-R21).

The master password comes from the owner (a secret config value, 002-R49) and is stored, with the
user name, in a Secrets Manager secret under the same CMK, which the proxy reads (SECRETS auth
scheme, IAM auth REQUIRED, 002-R23/R25); or, with ``password=None``, RDS manages and rotates the
master secret itself (``manage_master_user_password``, seed 004), and the proxy reads that one.

RDS Proxy (002-R23..R26): IAM auth and TLS required, in the private subnets with its own group, a
role that may read exactly that secret and decrypt with exactly that key (through Secrets Manager
only). The proxy caps connections only as a percentage of the database's ``max_connections``
(002-R24); :func:`proxy_connection_percent` turns "about N connections" into that percentage of
the pinned value. A ``READ_ONLY`` proxy endpoint serves the readers. Callers connect as
``db_user`` with an IAM token: :meth:`Database.connect_statement` is the ``rds-db:connect`` grant on
the proxy's ``dbuser`` ARN (the proxy's ``prx-`` resource id, 002-R25).

Security groups are the owner's Firewalls: the blueprint writes the chain (function -> proxy :5432
-> cluster :5432, 002-R9) with ``firewall.connect``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from program import iam_docs
from program.alarms import AlarmSpec, MetricRef
from program.components.firewall import Firewall
from program.scope import Scope

PORT = 5432
ENGINE = "aurora-postgresql"
# The engine version and its parameter-group family go together.
ENGINE_VERSION = "16.6"
PARAMETER_FAMILY = "aurora-postgresql16"
SECRET_READ_ACTIONS = ("secretsmanager:GetSecretValue",)
KEY_DECRYPT_ACTIONS = ("kms:Decrypt",)
CONNECT_ACTIONS = ("rds-db:connect",)
# Aurora's master password: 8-128 printable ASCII, not / ' " @ or space (CreateDBCluster).
PASSWORD_FORBIDDEN = frozenset("/'\"@ ")


def password_problem(password: str) -> str | None:
    """Why Aurora would refuse ``password`` as a master password (never echoing it), or None."""
    if not 8 <= len(password) <= 128:
        return f"it has {len(password)} characters; Aurora takes 8 to 128"
    if any(not 33 <= ord(ch) <= 126 or ch in PASSWORD_FORBIDDEN for ch in password):
        return "use printable ASCII without spaces, /, ', \" or @"
    return None


def proxy_connection_percent(connections: int, max_connections: int) -> int:
    """The proxy's ``max_connections_percent`` that gives ``connections`` of ``max_connections``."""
    if not 1 <= connections <= max_connections:
        raise ValueError(f"proxy connections {connections}: 1 to max_connections ({max_connections})")
    percent, remainder = divmod(connections * 100, max_connections)
    if remainder:
        raise ValueError(
            f"proxy connections {connections} is not a whole percentage of max_connections {max_connections}"
        )
    return percent


@dataclass(frozen=True)
class ProxySpec:
    security_group: Firewall
    connections: int = 100  # 002-R24: "limit concurrent database connections to 100"
    idle_client_timeout_s: int = 1800
    borrow_timeout_s: int = 120


@dataclass(frozen=True)
class DatabaseArgs:
    purpose: str
    scope: Scope
    subnet_ids: Sequence[pulumi.Input[str]]
    availability_zones: Sequence[str]
    security_group: Firewall
    kms_key_arn: pulumi.Input[str]
    database_name: str = "app"
    master_username: str = "app_admin"
    # A secret Output (config), or None: RDS manages and rotates the master secret itself.
    password: pulumi.Input[str] | None = None
    readers: int = 2
    min_acu: float = 0.5
    max_acu: float = 16.0
    max_connections: int = 200
    backup_retention_days: int = 7
    proxy: ProxySpec | None = None
    engine_version: str = ENGINE_VERSION
    parameter_family: str = PARAMETER_FAMILY

    def __post_init__(self) -> None:
        if len(self.subnet_ids) < 2 or len(self.availability_zones) < 2:
            raise ValueError("Database needs subnets in 2 or more AZs (the subnet group requires it)")
        if not 0 <= self.readers <= 15:
            raise ValueError(f"readers {self.readers}: Aurora takes 0 to 15 replicas")
        if not 0 <= self.min_acu <= self.max_acu <= 256 or self.max_acu < 1:
            raise ValueError("Serverless v2 capacity: 0 <= min_acu <= max_acu <= 256, max_acu >= 1")
        if not 1 <= self.backup_retention_days <= 35:
            raise ValueError("backup_retention_days: 1 to 35")
        if not 10 <= self.max_connections <= 262_143:
            raise ValueError("max_connections: 10 to 262143")
        if self.proxy is not None:
            proxy_connection_percent(self.proxy.connections, self.max_connections)
        if not self.database_name.isidentifier() or not self.master_username.isidentifier():
            raise ValueError("database_name and master_username: letters, digits and _")

    @property
    def instance_count(self) -> int:
        return 1 + self.readers


class Database(pulumi.ComponentResource):
    """Aurora PostgreSQL Serverless v2 (1 writer + readers), its secret, and optionally RDS Proxy."""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:database:Database", name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        scope = args.scope
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=scope.name(f"{args.purpose}-db", "rds"),
            description=f"Private subnets of the {args.purpose} database",
            subnet_ids=list(args.subnet_ids),
            opts=self._child,
        )
        parameters = aws.rds.ClusterParameterGroup(
            f"{name}-parameters",
            name=scope.name(f"{args.purpose}-db", "rds"),
            family=args.parameter_family,
            description=f"{args.purpose}: TLS only, max_connections pinned for the proxy's share",
            parameters=[
                aws.rds.ClusterParameterGroupParameterArgs(name="rds.force_ssl", value="1"),
                # Static: applies at creation (and after a reboot when changed).
                aws.rds.ClusterParameterGroupParameterArgs(
                    name="max_connections", value=str(args.max_connections), apply_method="pending-reboot"
                ),
            ],
            opts=self._child,
        )
        # Aurora PostgreSQL reads max_connections from the instance-level parameter group (Aurora
        # docs, "Maximum connections to an Aurora PostgreSQL DB instance"): pinned there too.
        self._instance_parameters = aws.rds.ParameterGroup(
            f"{name}-instance-parameters",
            name=scope.name(f"{args.purpose}-db-instance", "rds"),
            family=args.parameter_family,
            description=f"{args.purpose}: max_connections pinned for the proxy's share",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(
                    name="max_connections", value=str(args.max_connections), apply_method="pending-reboot"
                )
            ],
            opts=self._child,
        )
        managed = args.password is None
        self.cluster = aws.rds.Cluster(
            f"{name}-cluster",
            cluster_identifier=scope.name(args.purpose, "rds"),
            engine=ENGINE,
            engine_mode="provisioned",
            engine_version=args.engine_version,
            database_name=args.database_name,
            master_username=args.master_username,
            master_password=args.password,
            manage_master_user_password=True if managed else None,
            master_user_secret_kms_key_id=args.kms_key_arn if managed else None,
            serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
                min_capacity=args.min_acu, max_capacity=args.max_acu
            ),
            db_subnet_group_name=subnet_group.name,
            db_cluster_parameter_group_name=parameters.name,
            vpc_security_group_ids=[args.security_group.id],
            port=PORT,
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            iam_database_authentication_enabled=True,
            backup_retention_period=args.backup_retention_days,
            preferred_backup_window="03:00-04:00",
            copy_tags_to_snapshot=True,
            deletion_protection=False,
            skip_final_snapshot=True,
            apply_immediately=True,
            opts=self._child,
        )
        self.instances: list[aws.rds.ClusterInstance] = []
        for index in range(args.instance_count):
            self.instances.append(self._instance(index))
        self.secret_arn = self._master_secret() if not managed else self._managed_secret_arn()

        # What a schema migration must wait for: every instance, and the proxy's target.
        self.ready: list[pulumi.Resource] = list(self.instances)
        self.proxy: aws.rds.Proxy | None = None
        self.proxy_endpoint: pulumi.Output[str] | None = None
        self.proxy_reader_endpoint: pulumi.Output[str] | None = None
        if args.proxy is not None:
            self._proxy(args.proxy)

        self.cluster_identifier = self.cluster.cluster_identifier
        self.endpoint = self.cluster.endpoint
        self.reader_endpoint = self.cluster.reader_endpoint
        self.alarms: list[AlarmSpec] = [
            AlarmSpec(
                f"{args.purpose}-db-connections",
                f"Aurora connections near the pinned max_connections ({args.max_connections})",
                "AWS/RDS",
                "DatabaseConnections",
                {"DBClusterIdentifier": self.cluster.cluster_identifier},
                threshold=int(args.max_connections * 0.8),
                statistic="Maximum",
            ),
            AlarmSpec(
                f"{args.purpose}-db-cpu",
                "Aurora CPU high (Serverless v2 scales ACUs; sustained 80% means max_acu is too low)",
                "AWS/RDS",
                "CPUUtilization",
                {"DBClusterIdentifier": self.cluster.cluster_identifier},
                threshold=80,
                statistic="Average",
            ),
        ]
        self.metrics: list[MetricRef] = [
            MetricRef(
                f"{args.purpose} DB connections",
                "AWS/RDS",
                "DatabaseConnections",
                {"DBClusterIdentifier": self.cluster.cluster_identifier},
                "Maximum",
            ),
            MetricRef(
                f"{args.purpose} DB capacity (ACU)",
                "AWS/RDS",
                "ServerlessDatabaseCapacity",
                {"DBClusterIdentifier": self.cluster.cluster_identifier},
                "Maximum",
            ),
        ]
        if self.proxy is not None:
            self._proxy_observability()
        self.register_outputs({"endpoint": self.endpoint, "proxy_endpoint": self.proxy_endpoint})

    def _instance(self, index: int) -> aws.rds.ClusterInstance:
        args = self._args
        role = "writer" if index == 0 else f"reader-{index}"
        return aws.rds.ClusterInstance(
            f"{self._name}-{role}",
            identifier=args.scope.name(f"{args.purpose}-{role}", "rds"),
            cluster_identifier=self.cluster.id,
            instance_class="db.serverless",
            engine=aws.rds.EngineType.AURORA_POSTGRESQL,
            engine_version=self.cluster.engine_version,
            db_subnet_group_name=self.cluster.db_subnet_group_name,
            db_parameter_group_name=self._instance_parameters.name,
            availability_zone=args.availability_zones[index % len(args.availability_zones)],
            # The first instance created becomes the writer; readers on tier 1 scale with it and
            # are the failover candidates (tiers 0-1 follow the writer's capacity).
            promotion_tier=0 if index == 0 else 1,
            publicly_accessible=False,
            auto_minor_version_upgrade=True,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=args.kms_key_arn,
            apply_immediately=True,
            # The writer first: whichever instance AWS creates first is the writer.
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.instances[:1]),
        )

    def _master_secret(self) -> pulumi.Output[str]:
        args = self._args
        secret = aws.secretsmanager.Secret(
            f"{self._name}-master",
            name=args.scope.name(f"{args.purpose}-db-master", "secret"),
            description=f"{args.purpose} database master user (read by the RDS Proxy)",
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=0,
            opts=self._child,
        )
        aws.secretsmanager.SecretVersion(
            f"{self._name}-master-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.json_dumps(
                {"username": args.master_username, "password": args.password}
            ).apply(_as_secret),  # type: ignore[arg-type]  # mypy infers Never through Input[U]
            opts=self._child,
        )
        return secret.arn

    def _managed_secret_arn(self) -> pulumi.Output[str]:
        return self.cluster.master_user_secrets.apply(_first_secret_arn)

    def _proxy(self, spec: ProxySpec) -> None:
        args, scope = self._args, self._args.scope
        proxy_name = scope.name(f"{args.purpose}-proxy", "rds-proxy")
        role = aws.iam.Role(
            f"{self._name}-proxy-role",
            name=scope.name(f"{args.purpose}-db-proxy", "iam-role"),
            assume_role_policy=json.dumps(iam_docs.assume_role_policy("rds.amazonaws.com", scope.account_id)),
            opts=self._child,
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-proxy-policy",
            name=scope.name(f"{args.purpose}-db-proxy", "iam-policy"),
            role=role.id,
            policy=pulumi.Output.json_dumps(iam_docs.document(*proxy_statements(args, self.secret_arn))),
            opts=self._child,
        )
        self.proxy = aws.rds.Proxy(
            f"{self._name}-proxy",
            name=proxy_name,
            engine_family="POSTGRESQL",
            role_arn=role.arn,
            vpc_subnet_ids=list(args.subnet_ids),
            vpc_security_group_ids=[spec.security_group.id],
            require_tls=True,
            idle_client_timeout=spec.idle_client_timeout_s,
            debug_logging=False,  # it would log SQL text
            auths=[
                aws.rds.ProxyAuthArgs(
                    auth_scheme="SECRETS",
                    secret_arn=self.secret_arn,
                    iam_auth="REQUIRED",
                    client_password_auth_type="POSTGRES_SCRAM_SHA_256",
                    description="IAM tokens from clients; the proxy logs in with the master secret",
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        aws.rds.ProxyDefaultTargetGroup(
            f"{self._name}-proxy-pool",
            db_proxy_name=self.proxy.name,
            connection_pool_config=aws.rds.ProxyDefaultTargetGroupConnectionPoolConfigArgs(
                # 002-R24: the share of the pinned max_connections that is `connections`.
                max_connections_percent=proxy_connection_percent(spec.connections, args.max_connections),
                max_idle_connections_percent=proxy_connection_percent(spec.connections, args.max_connections)
                // 2,
                connection_borrow_timeout=spec.borrow_timeout_s,
            ),
            opts=self._child,
        )
        target = aws.rds.ProxyTarget(
            f"{self._name}-proxy-target",
            db_proxy_name=self.proxy.name,
            target_group_name="default",
            db_cluster_identifier=self.cluster.cluster_identifier,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.instances),
        )
        self.ready.append(target)
        reader = aws.rds.ProxyEndpoint(
            f"{self._name}-proxy-reader",
            db_proxy_name=self.proxy.name,
            db_proxy_endpoint_name=scope.name(f"{args.purpose}-proxy-ro", "rds-proxy"),
            vpc_subnet_ids=list(args.subnet_ids),
            vpc_security_group_ids=[spec.security_group.id],
            target_role="READ_ONLY",
            opts=self._child,
        )
        self.proxy_endpoint = self.proxy.endpoint
        self.proxy_reader_endpoint = reader.endpoint
        self.proxy_arn = self.proxy.arn

    def _proxy_observability(self) -> None:
        assert self.proxy is not None
        purpose, dims = self._args.purpose, {"ProxyName": self.proxy.name}
        self.alarms.append(
            AlarmSpec(
                f"{purpose}-proxy-connections",
                "RDS Proxy database connections near its share of max_connections",
                "AWS/RDS",
                "DatabaseConnections",
                dims,
                threshold=int(self._args.proxy.connections * 0.9) if self._args.proxy else 90,
                statistic="Maximum",
            )
        )
        self.metrics += [
            MetricRef(f"{purpose} proxy client connections", "AWS/RDS", "ClientConnections", dims, "Maximum"),
            MetricRef(f"{purpose} proxy DB connections", "AWS/RDS", "DatabaseConnections", dims, "Maximum"),
        ]

    def connect_statement(self, db_user: str) -> dict[str, Any]:
        """``rds-db:connect`` as ``db_user`` through this proxy only (002-R25)."""
        if self.proxy is None:
            raise ValueError("connect_statement needs a proxy (the grant names the proxy's resource id)")
        scope = self._args.scope
        return iam_docs.statement(
            CONNECT_ACTIONS,
            [self.proxy.arn.apply(lambda arn: dbuser_arn(scope, arn, db_user))],
            sid="ConnectThroughProxy",
        )


def _as_secret(text: str) -> pulumi.Output[str]:
    secret: pulumi.Output[str] = pulumi.Output.secret(text)
    return secret


def _first_secret_arn(secrets: Sequence[aws.rds.outputs.ClusterMasterUserSecret] | None) -> str:
    return (secrets[0].secret_arn or "") if secrets else ""


def dbuser_arn(scope: Scope, proxy_arn: str, db_user: str) -> str:
    """``arn:aws:rds-db:<region>:<account>:dbuser:<prx-id>/<user>``; the id ends the proxy's ARN."""
    resource_id = proxy_arn.rsplit(":", 1)[-1]
    if not resource_id.startswith("prx-"):
        raise ValueError(f"not an RDS Proxy ARN: {proxy_arn!r}")
    return f"arn:aws:rds-db:{scope.region}:{scope.account_id}:dbuser:{resource_id}/{db_user}"


def proxy_statements(args: DatabaseArgs, secret_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
    """The proxy reads its one secret and decrypts it with its one key, through Secrets Manager."""
    region = args.scope.region
    return [
        iam_docs.statement(SECRET_READ_ACTIONS, [secret_arn], sid="ReadMasterSecret"),
        iam_docs.statement(
            KEY_DECRYPT_ACTIONS,
            [args.kms_key_arn],
            sid="DecryptMasterSecret",
            conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
        ),
    ]
