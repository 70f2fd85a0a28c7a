"""Network: the VPC every blueprint runs in.

Public and private subnets over 2 or 3 AZs, an internet gateway, NAT per AZ, one NAT or none,
a route table per private subnet (so gateway endpoints reach every AZ), S3/DynamoDB gateway
endpoints, interface endpoints behind their own security group, flow logs to an encrypted log
group, the default security group stripped of all rules, and optional coarse network ACLs.

``endpoint_placement`` puts a Lambda tier in such a VPC whose only way out is its VPC endpoints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pulumi
import pulumi_aws as aws

from program import arns, iam_docs
from program.cidrs import NatMode
from program.components import firewall
from program.components.function import VpcPlacement
from program.components.log_group import encrypted_log_group
from program.scope import Scope

ANYWHERE = "0.0.0.0/0"
HTTPS = 443
EPHEMERAL_PORTS = (1024, 65535)
FLOW_LOG_ACTIONS = ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")


@dataclass(frozen=True)
class NetworkArgs:
    scope: Scope
    cidr: str
    availability_zones: Sequence[str]
    public_subnet_cidrs: Sequence[str]
    private_subnet_cidrs: Sequence[str]
    nat_gateways: NatMode
    flow_log_kms_key_arn: pulumi.Input[str]
    gateway_endpoints: Sequence[str] = ("s3", "dynamodb")
    interface_endpoints: Sequence[str] = ()
    flow_log_retention_days: int = 30
    network_acls: bool = False

    def __post_init__(self) -> None:
        count = len(self.availability_zones)
        if count < 2 or len(set(self.availability_zones)) != count:
            raise ValueError(f"Network needs 2 or more distinct AZs, got {list(self.availability_zones)}")
        if len(self.public_subnet_cidrs) != count or len(self.private_subnet_cidrs) != count:
            raise ValueError("Network needs one public and one private subnet CIDR per AZ")


@dataclass
class _Tier:
    subnets: list[aws.ec2.Subnet] = field(default_factory=list)
    route_tables: list[aws.ec2.RouteTable] = field(default_factory=list)


class Network(pulumi.ComponentResource):
    """A VPC with public/private tiers, NAT, VPC endpoints and flow logs."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:network:Network", name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=self._tags("vpc"),
            opts=self._child,
        )
        # Adopting the default security group with no rules removes AWS's allow-all rules.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=self.vpc.id, ingress=[], egress=[], opts=self._child
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags=self._tags("igw"), opts=self._child
        )
        self.public = self._public_tier(igw)
        self.private = self._private_tier(self._nat_gateways(igw))

        self.gateway_endpoints = {
            service: aws.ec2.VpcEndpoint(
                f"{name}-{service}-gateway",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.scope.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=[rt.id for rt in self.private.route_tables],
                tags=self._tags(f"{service}-gateway"),
                opts=self._child,
            )
            for service in args.gateway_endpoints
        }
        self.endpoint_security_group = self._endpoint_security_group()
        self.endpoint_security_group_id = self.endpoint_security_group.id
        self.interface_endpoints = {
            service: aws.ec2.VpcEndpoint(
                f"{name}-{service}-endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.scope.region}.{service}",
                vpc_endpoint_type="Interface",
                subnet_ids=[s.id for s in self.private.subnets],
                security_group_ids=[self.endpoint_security_group.id],
                private_dns_enabled=True,
                tags=self._tags(f"{service}-endpoint"),
                opts=self._child,
            )
            for service in args.interface_endpoints
        }
        self._flow_logs()
        if args.network_acls:
            self._network_acls()

        self.vpc_id = self.vpc.id
        self.default_security_group_id = self.vpc.default_security_group_id
        self.public_subnet_ids = [s.id for s in self.public.subnets]
        self.private_subnet_ids = [s.id for s in self.private.subnets]
        self.private_route_table_ids = [rt.id for rt in self.private.route_tables]
        self.prefix_list_ids = {svc: ep.prefix_list_id for svc, ep in self.gateway_endpoints.items()}
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
            }
        )

    def _tags(self, purpose: str) -> dict[str, str]:
        return {"Name": self._args.scope.name(purpose)}

    def _subnet(self, tier: str, index: int, cidr: str) -> aws.ec2.Subnet:
        return aws.ec2.Subnet(
            f"{self._name}-{tier}-{index}",
            vpc_id=self.vpc.id,
            cidr_block=cidr,
            availability_zone=self._args.availability_zones[index],
            # No subnet hands out public IPs (FSBP EC2.15); NAT gateways use Elastic IPs.
            map_public_ip_on_launch=False,
            tags={**self._tags(f"{tier}-{index}"), "Tier": tier},
            opts=self._child,
        )

    def _route_table(self, tier: str, index: int | None = None) -> aws.ec2.RouteTable:
        label = tier if index is None else f"{tier}-{index}"
        return aws.ec2.RouteTable(
            f"{self._name}-{label}-rt", vpc_id=self.vpc.id, tags=self._tags(f"{label}-rt"), opts=self._child
        )

    def _associate(self, subnet: aws.ec2.Subnet, table: aws.ec2.RouteTable, label: str) -> None:
        aws.ec2.RouteTableAssociation(
            f"{self._name}-{label}-rta", subnet_id=subnet.id, route_table_id=table.id, opts=self._child
        )

    def _public_tier(self, igw: aws.ec2.InternetGateway) -> _Tier:
        tier = _Tier()
        table = self._route_table("public")
        aws.ec2.Route(
            f"{self._name}-public-internet",
            route_table_id=table.id,
            destination_cidr_block=ANYWHERE,
            gateway_id=igw.id,
            opts=self._child,
        )
        tier.route_tables.append(table)
        for index, cidr in enumerate(self._args.public_subnet_cidrs):
            subnet = self._subnet("public", index, cidr)
            self._associate(subnet, table, f"public-{index}")
            tier.subnets.append(subnet)
        return tier

    def _nat_gateways(self, igw: aws.ec2.InternetGateway) -> list[aws.ec2.NatGateway]:
        count = {"per-az": len(self.public.subnets), "single": 1, "none": 0}[self._args.nat_gateways]
        # The provider docs for aws_eip and aws_nat_gateway: an EIP or public NAT may need the VPC's
        # internet gateway to exist first, so depend on it explicitly (and delete before it).
        after_igw = pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(depends_on=[igw]))
        gateways = []
        for index in range(count):
            eip = aws.ec2.Eip(
                f"{self._name}-nat-{index}-eip",
                domain="vpc",
                tags=self._tags(f"nat-{index}"),
                opts=after_igw,
            )
            gateways.append(
                aws.ec2.NatGateway(
                    f"{self._name}-nat-{index}",
                    allocation_id=eip.id,
                    subnet_id=self.public.subnets[index].id,
                    connectivity_type="public",
                    tags=self._tags(f"nat-{index}"),
                    opts=after_igw,
                )
            )
        return gateways

    def _private_tier(self, nats: list[aws.ec2.NatGateway]) -> _Tier:
        tier = _Tier()
        for index, cidr in enumerate(self._args.private_subnet_cidrs):
            subnet = self._subnet("private", index, cidr)
            table = self._route_table("private", index)
            if nats:
                # Each AZ leaves through its own NAT when there is one per AZ (no cross-AZ hop).
                aws.ec2.Route(
                    f"{self._name}-private-{index}-nat",
                    route_table_id=table.id,
                    destination_cidr_block=ANYWHERE,
                    nat_gateway_id=nats[index % len(nats)].id,
                    opts=self._child,
                )
            self._associate(subnet, table, f"private-{index}")
            tier.subnets.append(subnet)
            tier.route_tables.append(table)
        return tier

    def _endpoint_security_group(self) -> aws.ec2.SecurityGroup:
        group = firewall.security_group(
            f"{self._name}-endpoints-sg",
            self._args.scope.name("vpc-endpoints", "security-group"),
            "Interface VPC endpoints: HTTPS from inside the VPC only",
            self.vpc.id,
            self._child,
        )
        firewall.ingress(
            f"{self._name}-endpoints-https",
            group.id,
            firewall.Rule(firewall.Peer.cidr(self._args.cidr), HTTPS, "HTTPS from the VPC"),
            self._child,
        )
        return group

    def _flow_logs(self) -> None:
        args, scope = self._args, self._args.scope
        group_name = scope.name("vpc-flow-logs", "log-group")
        group_arn = arns.log_group(scope.region, scope.account_id, group_name)
        log_group = encrypted_log_group(
            f"{self._name}-flow-logs",
            group_name,
            args.flow_log_kms_key_arn,
            args.flow_log_retention_days,
            self._child,
        )
        role = aws.iam.Role(
            f"{self._name}-flow-logs-role",
            name=scope.name("vpc-flow-logs", "iam-role"),
            assume_role_policy=pulumi.Output.json_dumps(
                iam_docs.assume_role_policy(
                    "vpc-flow-logs.amazonaws.com",
                    scope.account_id,
                    source_arn=arns.ec2(scope.region, scope.account_id, "vpc-flow-log", "*"),
                )
            ),
            opts=self._child,
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-flow-logs-policy",
            name=scope.name("vpc-flow-logs", "iam-policy"),
            role=role.id,
            policy=pulumi.Output.json_dumps(
                iam_docs.document(
                    iam_docs.statement(
                        FLOW_LOG_ACTIONS,
                        [group_arn, f"{group_arn}:log-stream:*"],
                        sid="WriteFlowLogs",
                    )
                )
            ),
            opts=self._child,
        )
        aws.ec2.FlowLog(
            f"{self._name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=self._tags("flow-log"),
            # The role's policy must exist before the service first writes with the role.
            opts=pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(depends_on=[policy])),
        )

    def _network_acls(self) -> None:
        """Coarse stateless rules per tier; return traffic needs the ephemeral ports both ways."""
        low, high = EPHEMERAL_PORTS
        tiers = {
            # Public: web ports from anywhere, and everything from the VPC (traffic for the NATs).
            "public": (
                self.public,
                [
                    (100, "tcp", ANYWHERE, HTTPS, HTTPS),
                    (110, "tcp", ANYWHERE, 80, 80),
                    (120, "-1", self._args.cidr, 0, 0),
                ],
            ),
            "private": (self.private, [(100, "-1", self._args.cidr, 0, 0)]),
        }
        for label, (tier, ingress) in tiers.items():
            acl = aws.ec2.NetworkAcl(
                f"{self._name}-{label}-acl",
                vpc_id=self.vpc.id,
                subnet_ids=[s.id for s in tier.subnets],
                tags=self._tags(f"{label}-acl"),
                opts=self._child,
            )
            rules = [(False, *rule) for rule in ingress]
            rules += [(False, 200, "tcp", ANYWHERE, low, high), (True, 100, "-1", ANYWHERE, 0, 0)]
            for egress, number, protocol, cidr, from_port, to_port in rules:
                aws.ec2.NetworkAclRule(
                    f"{self._name}-{label}-acl-{'out' if egress else 'in'}-{number}",
                    network_acl_id=acl.id,
                    rule_number=number,
                    egress=egress,
                    protocol=protocol,
                    rule_action="allow",
                    cidr_block=cidr,
                    from_port=from_port,
                    to_port=to_port,
                    opts=self._child,
                )


class EndpointNetwork(Protocol):
    """What a Lambda placement needs of a VPC: a Network's, or another stack's outputs."""

    @property
    def vpc_id(self) -> pulumi.Input[str]: ...
    @property
    def private_subnet_ids(self) -> Sequence[pulumi.Input[str]]: ...
    @property
    def endpoint_security_group_id(self) -> pulumi.Input[str]: ...
    @property
    def prefix_list_ids(self) -> Mapping[str, pulumi.Input[str]]: ...


def endpoint_placement(
    tier: str,
    network: EndpointNetwork,
    gateways: Sequence[str],
    scope: Scope,
    opts: pulumi.ResourceOptions,
) -> VpcPlacement:
    """A Lambda tier's own group ``<tier>-fn-sg`` (no ingress, 000-R15) in the private subnets, with
    HTTPS out only to the interface endpoints and to the named gateway endpoints (000-R16)."""
    group = firewall.Firewall(
        f"{tier}-fn-sg",
        firewall.FirewallArgs(
            purpose=f"{tier}-fn",
            scope=scope,
            description=f"Lambda {tier}: no ingress; HTTPS to the VPC endpoints only",
            vpc_id=network.vpc_id,
        ),
        opts=opts,
    )
    peers = [firewall.Peer.group("endpoints", network.endpoint_security_group_id)]
    peers += [firewall.Peer.prefix_list(gateway, network.prefix_list_ids[gateway]) for gateway in gateways]
    return VpcPlacement(
        vpc_id=network.vpc_id,
        subnet_ids=network.private_subnet_ids,
        security_group=group,
        egress=[firewall.Rule(peer, HTTPS, "HTTPS to a VPC endpoint") for peer in peers],
    )
