"""Realistic computed outputs and data-source answers for the offline plan.

Stock mocks echo inputs back, so `bucket.arn` or `function.invoke_arn` come out None and
`Output.concat` fails. These mocks answer the way AWS would shape the values (ARNs, ids with their
prefixes, endpoints, prefix lists), deterministically, so a plan is stable run to run. In preview
mode they return inputs only: every computed output stays unknown, as in `pulumi preview`.

The account id is a documentation placeholder; nothing here is a real resource.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

# CloudFront managed policies have fixed, documented ids.
MANAGED_CACHE_POLICIES = {
    "Managed-CachingOptimized": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    "Managed-CachingDisabled": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
}
MANAGED_ORIGIN_REQUEST_POLICIES = {
    "Managed-AllViewerExceptHostHeader": "b689b0a8-53d0-40ab-baf2-68738e2966ac",
    "Managed-CORS-S3Origin": "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
}

# Property that holds the physical name, where it is not `name`.
NAME_PROPERTY = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:rds/cluster:Cluster": "clusterIdentifier",
    "aws:rds/clusterInstance:ClusterInstance": "identifier",
}
# Types whose physical name AWS generates (no name argument): they get a prefixed id instead.
EC2_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/route:Route": "r-rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/networkAcl:NetworkAcl": "acl",
    "aws:ec2/networkAclRule:NetworkAclRule": "nacl",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
}


@dataclass
class _Ctx:
    type: str
    name: str
    inputs: dict[str, Any]
    region: str
    digest: str

    @property
    def physical(self) -> str:
        prop = NAME_PROPERTY.get(self.type, "name")
        value = self.inputs.get(prop)
        # Pulumi auto-naming: logical name plus a random suffix (here: a stable digest).
        return value if isinstance(value, str) and value else f"{self.name}-{self.digest[:7]}"

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{ACCOUNT_ID if account else ''}:{resource}"


def _bucket(c: _Ctx) -> dict[str, Any]:
    b = c.physical
    return {
        "id": b,
        "bucket": b,
        "arn": c.arn("s3", b, region=False, account=False),
        "bucketDomainName": f"{b}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{b}.s3.{c.region}.amazonaws.com",
        "region": c.region,
        "hostedZoneId": "Z3BJ6K6RIION7M",
    }


def _function(c: _Ctx) -> dict[str, Any]:
    arn = c.arn("lambda", f"function:{c.physical}")
    invoke = f"arn:aws:apigateway:{c.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    version = "1" if c.inputs.get("publish") else "$LATEST"
    qualified = f"{arn}:{version}"
    return {
        "id": c.physical,
        "name": c.physical,
        "arn": arn,
        "invokeArn": invoke,
        "qualifiedArn": qualified,
        "qualifiedInvokeArn": invoke.replace(arn, qualified),
        "version": version,
    }


def _vpc(c: _Ctx) -> dict[str, Any]:
    vid = f"vpc-{c.digest[:17]}"
    return {
        "id": vid,
        "arn": c.arn("ec2", f"vpc/{vid}"),
        "defaultSecurityGroupId": f"sg-{c.digest[1:18]}",
        "defaultNetworkAclId": f"acl-{c.digest[2:19]}",
        "defaultRouteTableId": f"rtb-{c.digest[3:20]}",
        "mainRouteTableId": f"rtb-{c.digest[3:20]}",
        "ownerId": ACCOUNT_ID,
    }


def _vpc_endpoint(c: _Ctx) -> dict[str, Any]:
    vid = f"vpce-{c.digest[:17]}"
    service = str(c.inputs.get("serviceName", ""))
    out: dict[str, Any] = {"id": vid, "arn": c.arn("ec2", f"vpc-endpoint/{vid}"), "state": "available"}
    if c.inputs.get("vpcEndpointType", "Gateway") == "Gateway":
        out["prefixListId"] = f"pl-{c.digest[:8]}"
    else:
        out["dnsEntries"] = [{"dnsName": f"{vid}.{service.split('.')[-1]}.{c.region}.vpce.amazonaws.com"}]
        out["networkInterfaceIds"] = [f"eni-{c.digest[:17]}"]
    return out


def _rest_api(c: _Ctx) -> dict[str, Any]:
    api = c.digest[:10]
    return {
        "id": api,
        "rootResourceId": c.digest[10:20],
        "arn": f"arn:aws:apigateway:{c.region}::/restapis/{api}",
        "executionArn": c.arn("execute-api", api),
    }


def _stage(c: _Ctx) -> dict[str, Any]:
    api, stage = c.inputs.get("restApi", "api"), c.inputs.get("stageName", "stage")
    return {
        "id": f"ags-{api}-{stage}",
        "arn": f"arn:aws:apigateway:{c.region}::/restapis/{api}/stages/{stage}",
        "invokeUrl": f"https://{api}.execute-api.{c.region}.amazonaws.com/{stage}",
        "executionArn": c.arn("execute-api", f"{api}/{stage}"),
    }


def _distribution(c: _Ctx) -> dict[str, Any]:
    did = "E" + c.digest[:13].upper()
    return {
        "id": did,
        "arn": c.arn("cloudfront", f"distribution/{did}", region=False),
        "domainName": f"d{c.digest[:13]}.cloudfront.net",
        "hostedZoneId": "Z2FDTNDATAQYW2",
        "status": "Deployed",
        "etag": c.digest[:14].upper(),
    }


def _web_acl(c: _Ctx) -> dict[str, Any]:
    scope = "global" if c.inputs.get("scope") == "CLOUDFRONT" else "regional"
    wid = c.digest[:8] + "-" + c.digest[8:12] + "-" + c.digest[12:16] + "-" + c.digest[16:20]
    return {"id": wid, "arn": c.arn("wafv2", f"{scope}/webacl/{c.physical}/{wid}"), "capacity": 700}


def _kms_key(c: _Ctx) -> dict[str, Any]:
    kid = "-".join((c.digest[:8], c.digest[8:12], c.digest[12:16], c.digest[16:20], c.digest[20:32]))
    return {"id": kid, "keyId": kid, "arn": c.arn("kms", f"key/{kid}")}


def _queue(c: _Ctx) -> dict[str, Any]:
    url = f"https://sqs.{c.region}.amazonaws.com/{ACCOUNT_ID}/{c.physical}"
    return {"id": url, "url": url, "name": c.physical, "arn": c.arn("sqs", c.physical)}


def _lb(kind: str, ids: int = 1, arn_prefix: str = "") -> Callable[[_Ctx], dict[str, Any]]:
    """ELB ARNs: a load balancer or target group has one id after its name, a listener two (its
    balancer's and its own), a listener rule three. A load balancer's ARN says `loadbalancer/`
    before what its arnSuffix (the CloudWatch dimension) holds: `app/NAME/ID`."""

    def outputs(c: _Ctx) -> dict[str, Any]:
        tail = "/".join(c.digest[16 * i : 16 * (i + 1)] for i in range(ids))
        suffix = f"{kind}/{c.physical}/{tail}"
        arn = c.arn("elasticloadbalancing", arn_prefix + suffix)
        out = {"id": arn, "arn": arn, "arnSuffix": suffix, "name": c.physical}
        if kind == "app":
            out["dnsName"] = f"{c.physical}-{c.digest[:9]}.{c.region}.elb.amazonaws.com"
            out["zoneId"] = "Z35SXDOTRQ7X7K"
        return out

    return outputs


def _rds_cluster(c: _Ctx) -> dict[str, Any]:
    host = f"{c.physical}.cluster-{c.digest[:12]}.{c.region}.rds.amazonaws.com"
    return {
        "id": c.physical,
        "arn": c.arn("rds", f"cluster:{c.physical}"),
        "endpoint": host,
        "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
        "clusterResourceId": f"cluster-{c.digest[:26].upper()}",
        "port": 5432,
        # With an RDS-managed master password, RDS creates the secret and names it (rds!cluster-...).
        **(
            {
                "masterUserSecrets": [
                    {
                        "secretArn": c.arn(
                            "secretsmanager", f"secret:rds!cluster-{c.digest[:8]}-{c.digest[8:12]}-AbCdEf"
                        ),
                        "secretStatus": "active",
                    }
                ]
            }
            if c.inputs.get("manageMasterUserPassword")
            else {}
        ),
    }


def _proxy(c: _Ctx) -> dict[str, Any]:
    return {
        "id": c.physical,
        "arn": c.arn("rds", f"db-proxy:prx-{c.digest[:17]}"),
        "endpoint": f"{c.physical}.proxy-{c.digest[:12]}.{c.region}.rds.amazonaws.com",
    }


def _named(service: str, pattern: str, id_is_arn: bool = False) -> Callable[[_Ctx], dict[str, Any]]:
    """Outputs for types whose ARN is a pattern over the physical name."""

    def outputs(c: _Ctx) -> dict[str, Any]:
        arn = c.arn(service, pattern.format(name=c.physical, digest=c.digest))
        return {"id": arn if id_is_arn else c.physical, "name": c.physical, "arn": arn}

    return outputs


OUTPUTS: dict[str, Callable[[_Ctx], dict[str, Any]]] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:lambda/function:Function": _function,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:apigateway/restApi:RestApi": _rest_api,
    "aws:apigateway/stage:Stage": _stage,
    "aws:cloudfront/distribution:Distribution": _distribution,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:kms/key:Key": _kms_key,
    "aws:sqs/queue:Queue": _queue,
    "aws:lb/loadBalancer:LoadBalancer": _lb("app", arn_prefix="loadbalancer/"),
    "aws:lb/targetGroup:TargetGroup": _lb("targetgroup"),
    "aws:lb/listener:Listener": _lb("listener/app", 2),
    "aws:lb/listenerRule:ListenerRule": _lb("listener-rule/app", 3),
    "aws:rds/cluster:Cluster": _rds_cluster,
    "aws:rds/proxy:Proxy": _proxy,
    "aws:iam/role:Role": lambda c: {
        **_named("iam", "role/{name}")(c),
        "arn": c.arn("iam", f"role/{c.physical}", region=False),
        "uniqueId": "AROA" + c.digest[:17].upper(),
    },
    "aws:iam/policy:Policy": lambda c: {
        **_named("iam", "")(c),
        "arn": c.arn("iam", f"policy/{c.physical}", region=False),
    },
    "aws:dynamodb/table:Table": lambda c: {
        **_named("dynamodb", "table/{name}")(c),
        "streamArn": c.arn("dynamodb", f"table/{c.physical}/stream/2026-01-01T00:00:00.000"),
    },
    "aws:kinesis/stream:Stream": _named("kinesis", "stream/{name}"),
    # A consumer's id is its ARN: <stream arn>/consumer/<name>:<creation epoch>.
    "aws:kinesis/streamConsumer:StreamConsumer": lambda c: dict.fromkeys(
        ("id", "arn"), f"{c.inputs.get('streamArn')}/consumer/{c.physical}:1767225600"
    ),
    "aws:sns/topic:Topic": _named("sns", "{name}", id_is_arn=True),
    "aws:cloudwatch/logGroup:LogGroup": _named("logs", "log-group:{name}"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _named("cloudwatch", "alarm:{name}"),
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": _named("logs", "delivery-source:{name}"),
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": _named(
        "logs", "delivery-destination:{name}"
    ),
    "aws:secretsmanager/secret:Secret": _named("secretsmanager", "secret:{name}-AbCdEf", id_is_arn=True),
    "aws:ecs/cluster:Cluster": _named("ecs", "cluster/{name}", id_is_arn=True),
    "aws:ecr/repository:Repository": lambda c: {
        **_named("ecr", "repository/{name}")(c),
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{c.region}.amazonaws.com/{c.physical}",
        "registryId": ACCOUNT_ID,
    },
    "aws:cloudfront/function:Function": lambda c: {
        **_named("cloudfront", "function/{name}")(c),
        "arn": c.arn("cloudfront", f"function/{c.physical}", region=False),
        "etag": c.digest[:14].upper(),
    },
    # The distribution reads these ids: an OAC id is like a distribution's, a policy id is a UUID.
    "aws:cloudfront/originAccessControl:OriginAccessControl": lambda c: {
        "id": "E" + c.digest[14:27].upper(),
        "etag": c.digest[:14].upper(),
    },
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": lambda c: {
        "id": "-".join((c.digest[:8], c.digest[8:12], c.digest[12:16], c.digest[16:20], c.digest[20:32])),
        "etag": c.digest[:14].upper(),
    },
    # A generated secret: stable per logical name, so plans do not churn.
    "random:index/randomPassword:RandomPassword": lambda c: {
        "id": "none",
        "result": hashlib.sha256(f"secret::{c.name}".encode()).hexdigest()[: int(c.inputs.get("length", 32))],
    },
    "aws:lambda/alias:Alias": lambda c: {
        "id": f"{c.inputs.get('functionName', '')}:{c.physical}",
        "arn": f"{c.inputs.get('functionName', '')}:{c.physical}",
    },
}


class OfflineMocks(Mocks):
    """Answers the SDK's resource registrations and invokes the way AWS would shape them."""

    def __init__(self, config: dict[str, str], preview: bool = False) -> None:
        self.config = config
        self.preview = preview
        self.warnings: list[str] = []
        self._provider_regions: dict[str, str] = {}

    # -- providers -------------------------------------------------------------------------------
    def provider_config(self, package: str) -> dict[str, Any]:
        """Inputs of a default provider: the stack's `<package>:*` config, as the engine passes it."""
        prefix = f"{package}:"
        return {key[len(prefix) :]: value for key, value in self.config.items() if key.startswith(prefix)}

    @staticmethod
    def provider_id(name: str) -> str:
        digest = hashlib.sha256(name.encode()).hexdigest()
        return "-".join((digest[:8], digest[8:12], digest[12:16], digest[16:20], digest[20:32]))

    def _region(self, provider_ref: str | None, inputs: dict[str, Any]) -> str:
        explicit = inputs.get("region")
        if isinstance(explicit, str) and explicit:
            return explicit
        # Provider references are "<urn>::<id>".
        provider_id = (provider_ref or "").rsplit("::", 1)[-1]
        if provider_id in self._provider_regions:
            return self._provider_regions[provider_id]
        return self.config.get("aws:region", DEFAULT_REGION)

    # -- Mocks -------------------------------------------------------------------------------------
    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        digest = hashlib.sha256(f"{args.typ}::{args.name}".encode()).hexdigest()
        if args.typ.startswith("pulumi:providers:"):
            provider_id = self.provider_id(args.name)
            if isinstance(inputs.get("region"), str):
                self._provider_regions[provider_id] = inputs["region"]
            return provider_id, inputs
        if args.typ == "pulumi:pulumi:StackReference":
            # Another stack's outputs live in its state, which the offline plan cannot read: none
            # are known, so a required output fails the program by name (exit 2), as it would on
            # `pulumi up` against a stack that lacks it.
            stack_name = str(inputs.get("name") or args.name)
            self.warnings.append(f"StackReference {stack_name}: the offline plan cannot read its outputs")
            return stack_name, {"name": stack_name, "outputs": {}, "secretOutputNames": []}
        if self.preview:
            # `pulumi preview` of a create: inputs known, id and computed outputs unknown.
            return "", inputs
        region = self._region(args.provider, inputs)
        ctx = _Ctx(args.typ, args.name, inputs, region, digest)
        build = OUTPUTS.get(args.typ)
        if build is not None:
            outputs = build(ctx)
        elif args.typ in EC2_ID_PREFIX:
            rid = f"{EC2_ID_PREFIX[args.typ]}-{digest[:17]}"
            outputs = {"id": rid, "arn": ctx.arn("ec2", f"{args.typ.split(':')[-1].lower()}/{rid}")}
        else:
            outputs = {
                "id": f"{ctx.physical}",
                "arn": ctx.arn(args.typ.split(":")[1].split("/")[0], ctx.physical),
            }
        if args.typ in NAME_PROPERTY or "name" in inputs or args.typ in OUTPUTS:
            outputs.setdefault(NAME_PROPERTY.get(args.typ, "name"), ctx.physical)
        resource_id = outputs.pop("id")
        return resource_id, {**inputs, **outputs}

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        region = self._region(args.provider, args.args)
        answer = INVOKES.get(args.token)
        if answer is None:
            self.warnings.append(f"invoke {args.token} has no offline answer; it returned nothing")
            return {}, []
        return answer(region, args.args), []


def _availability_zones(region: str, _args: dict[str, Any]) -> dict[str, Any]:
    letters = "abcd" if region != "ap-southeast-1" else "abc"
    return {
        "id": region,
        "names": [f"{region}{letter}" for letter in letters],
        "zoneIds": [f"{region[:3]}{region.split('-')[-1]}-az{index + 1}" for index in range(len(letters))],
        "state": "available",
    }


INVOKES: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": lambda region, _a: {
        "id": ACCOUNT_ID,
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline-plan",
        "userId": "AIDAOFFLINEPLAN",
    },
    "aws:index/getRegion:getRegion": lambda region, _a: {
        "id": region,
        "region": region,
        "name": region,
        "endpoint": f"ec2.{region}.amazonaws.com",
        "description": region,
    },
    "aws:index/getPartition:getPartition": lambda region, _a: {
        "id": "aws",
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
    },
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": lambda region, a: {
        "id": "pl-" + hashlib.sha256(str(a.get("name")).encode()).hexdigest()[:8],
        "name": a.get("name"),
        "maxEntries": 55,
    },
    # Lambda's default "Concurrent executions" quota (Lambda guide, "Lambda quotas": 1,000).
    "aws:servicequotas/getServiceQuota:getServiceQuota": lambda region, a: {
        "id": f"{a.get('serviceCode')}/{a.get('quotaCode')}",
        "serviceCode": a.get("serviceCode"),
        "quotaCode": a.get("quotaCode"),
        "value": 1000.0,
        "defaultValue": 1000.0,
    },
    "aws:cloudfront/getCachePolicy:getCachePolicy": lambda region, a: {
        "id": MANAGED_CACHE_POLICIES.get(str(a.get("name")), ""),
        "name": a.get("name"),
    },
    "aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy": lambda region, a: {
        "id": MANAGED_ORIGIN_REQUEST_POLICIES.get(str(a.get("name")), ""),
        "name": a.get("name"),
    },
}
