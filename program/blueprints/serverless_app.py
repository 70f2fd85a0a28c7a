"""serverless-app (seeds 000 and 001): CDN, serverless API, stream processing, monitoring.

Built so far: the network (000-R13/R14/R22, 000-R6/R11 gateway endpoints, 001-R10 the Kinesis
interface endpoint). The CDN, API, streaming and monitoring components follow.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from program.blueprints.common import platform
from program.components.network import Network, NetworkArgs
from program.config import StackConfig

# The backend writes to Kinesis through the SDK; with egress limited to endpoints (000-R16) it
# needs the kinesis-streams interface endpoint (001-R10).
INTERFACE_ENDPOINTS = ("kinesis-streams",)


def build(config: StackConfig) -> Mapping[str, pulumi.Input[object]]:
    base = platform(config)
    network = Network(
        "network",
        NetworkArgs(
            suffix=config.environment_suffix,
            account_id=base.account_id,
            region=config.region,
            cidr=config.vpc_cidr,
            availability_zones=base.availability_zones,
            public_subnet_cidrs=config.public_subnet_cidrs,
            private_subnet_cidrs=config.private_subnet_cidrs,
            nat_gateways=config.nat_gateways,
            flow_log_kms_key_arn=base.logs_key.arn,
            interface_endpoints=INTERFACE_ENDPOINTS,
        ),
        opts=base.opts,
    )
    return {
        "vpcId": network.vpc_id,
        "publicSubnetIds": network.public_subnet_ids,
        "privateSubnetIds": network.private_subnet_ids,
    }
