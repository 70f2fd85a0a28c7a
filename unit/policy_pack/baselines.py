"""Compliant baselines of every resource type the pack judges, in the engine's wire form, and the
one graph (:class:`Catalog`) in which each family's test declares its wire cases.

Props are what the engine sends over the Analyzer protocol: camelCase names, policy documents and
ECS container definitions as JSON strings, numbers as numbers. Relations between resources are
property dependencies (``options["propertyDependencies"]``), as a program's captured graph holds
them; stack policies match resources only through those. Type tokens are written here once, as
AWS spells them; nothing here depends on the program's components.

Each violator is a compliant baseline (the helpers below) with ONE field changed, or one companion
resource dropped or changed, so a policy's finding can be traced to the one thing that draws it.
Each family's test module declares its violators and controls in a ``wire_cases(cat)`` function
next to its in-process cases; ``test_every_policy_over_the_wire.py`` builds one graph from
:func:`shared` and every family's ``wire_cases`` and runs the real pack over it.
:attr:`Catalog.expected` maps every policy to the URNs built to violate it; the baselines, and the
controls that pass only through a relation (an SSE configuration, a dead-letter queue, a web ACL
association...), must draw nothing. The ``*_props`` functions give the same baselines to the
in-process tests (``run_resource``/``resource`` in conftest.py).
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from plan.capture import CapturedResource, Graph

PROJECT, STACK, SUFFIX = "webstack", "wire", "dev"
REGION, ACCOUNT = "us-west-2", "123456789012"
STACK_CONFIG = {"webstack:environmentSuffix": SUFFIX, "aws:region": REGION}

# -- type tokens --------------------------------------------------------------------------------
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
WEBSITE = "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration"
KMS_KEY = "aws:kms/key:Key"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
TABLE = "aws:dynamodb/table:Table"
STREAM = "aws:kinesis/stream:Stream"
DB_CLUSTER = "aws:rds/cluster:Cluster"
DB_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
DB_PROXY = "aws:rds/proxy:Proxy"
DB_INSTANCE = "aws:rds/instance:Instance"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
PARAMETER = "aws:ssm/parameter:Parameter"
EBS_VOLUME = "aws:ebs/volume:Volume"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
PERMISSION = "aws:lambda/permission:Permission"
FUNCTION = "aws:lambda/function:Function"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC = "aws:ec2/vpc:Vpc"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBNET = "aws:ec2/subnet:Subnet"
NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
DEFAULT_NETWORK_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
NETWORK_ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
EVENT_BUS = "aws:cloudwatch/eventBus:EventBus"
STAGE = "aws:apigateway/stage:Stage"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
REPOSITORY = "aws:ecr/repository:Repository"
ECR_LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
ECS_CLUSTER = "aws:ecs/cluster:Cluster"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ECS_SERVICE = "aws:ecs/service:Service"

DAX = "aws:dax/cluster:Cluster"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"

# -- the pulumi_aws SDK: every type token and camelCase property a rule reads exists there -----


def sdk_class(token: str) -> type:
    """The pulumi_aws resource class of a type token (``aws:lambda/function:Function``)."""
    _, module_path, class_name = token.split(":")
    module = module_path.split("/")[0]
    return getattr(  # type: ignore[no-any-return]
        importlib.import_module(f"pulumi_aws.{module}_" if module == "lambda" else f"pulumi_aws.{module}"),
        class_name,
    )


def engine_props(cls: type) -> dict[str, str]:
    """Engine (camelCase) name -> Python name, for every property the SDK class declares."""
    return {
        getattr(value.fget, "_pulumi_name", ""): python_name
        for python_name, value in vars(cls).items()
        if isinstance(value, property)
    }


def assert_sdk_input(token: str, prop: str) -> None:
    """``prop`` (camelCase) is an input of the SDK type ``token``, not only an output."""
    cls = sdk_class(token)
    assert getattr(cls, "pulumi_type", None) == token
    names = engine_props(cls)
    assert prop in names, f"{token} has no {prop}"
    assert names[prop] in inspect.signature(cls._internal_init).parameters  # type: ignore[attr-defined]


# -- names, URNs, ARNs, documents ---------------------------------------------------------------


def urn_of(type_token: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_token}::{name}"


def physical(purpose: str) -> str:
    """The name program/naming.py would build: the purpose and the stack's suffix."""
    return f"{purpose}-{SUFFIX}"


def arn(service: str, resource: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def s3_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def document(*statements: Mapping[str, Any]) -> str:
    """An IAM policy document as the engine carries it: a JSON string."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def deny_insecure_transport(action: str, resource: Any) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": action,
        "Resource": resource,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def service_allow(service: str, action: str, resource: Any) -> dict[str, Any]:
    """An Allow to an AWS service principal, narrowed to this account (no TLS deny)."""
    return {
        "Effect": "Allow",
        "Principal": {"Service": f"{service}.amazonaws.com"},
        "Action": action,
        "Resource": resource,
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
    }


def edit(props: dict[str, Any], change: Mapping[str, Any] | None) -> dict[str, Any]:
    """``props`` with ``change`` applied: a key may be a dotted path (list steps are indices);
    a value of None removes the key (the property is absent, so its AWS default applies)."""
    result = copy.deepcopy(props)
    for path, value in (change or {}).items():
        *steps, last = path.split(".")
        node: Any = result
        for step in steps:
            node = node[int(step)] if isinstance(node, list) else node[step]
        if value is None:
            node.pop(last, None)
        elif isinstance(node, list):
            node[int(last)] = copy.deepcopy(value)
        else:
            node[last] = copy.deepcopy(value)
    return result


# -- shared resources (compliant; built once, referenced by ARN and property dependency) --------

KEY_ARN = arn("kms", "key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
KEY_URN = urn_of(KMS_KEY, "data")
LOGS_BUCKET = physical("logs")
LOGS_BUCKET_URN = urn_of(BUCKET, "logs")
DLQ_ARN = arn("sqs", physical("jobs-dlq"))
DLQ_URN = urn_of(QUEUE, "jobs-dlq")
ACCESS_LOGS_ARN = arn("logs", f"log-group:/webstack/{physical('api-access')}")
ACCESS_LOGS_URN = urn_of(LOG_GROUP, "api-access")
API_ACL_ARN = arn("wafv2", f"regional/webacl/{physical('api')}/4a5b6c7d-0000-1111-2222-333344445555")
API_ACL_URN = urn_of(WEB_ACL, "api")
EDGE_ACL_ARN = arn(
    "wafv2", f"global/webacl/{physical('edge')}/9e8d7c6b-0000-1111-2222-333344445555", region="us-east-1"
)
EDGE_FUNCTION_URN = urn_of(FUNCTION, "edge-auth")
EDGE_PROVIDER_URN = urn_of("pulumi:providers:aws", "us-east-1")
EDGE_PROVIDER = f"{EDGE_PROVIDER_URN}::7d150728-0000-4a57-c6b6-2708a4ef00bf"
TASK_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{physical('app-task')}"
VPC_ID = "vpc-0a1b2c3d4e5f60001"
MAIN_VPC_URN = urn_of(VPC, "main")
PRIVATE_SUBNETS = ["subnet-0a1b2c3d4e5f60011", "subnet-0a1b2c3d4e5f60012"]
ALB_SG_ID, APP_SG_ID = "sg-0a1b2c3d4e5f60021", "sg-0a1b2c3d4e5f60022"
ALB_SG_URN, APP_SG_URN = urn_of(SECURITY_GROUP, "web-alb"), urn_of(SECURITY_GROUP, "app")
TARGET_GROUP_ARN = arn("elasticloadbalancing", f"targetgroup/{physical('app')}/0123456789abcdef")
CERTIFICATE_ARN = arn("acm", "certificate/11111111-2222-3333-4444-555555555555")


# -- the catalog --------------------------------------------------------------------------------


@dataclass
class Catalog:
    resources: list[CapturedResource] = field(default_factory=list)
    # policy name -> URNs of the resources built to violate it (each must draw that policy)
    expected: dict[str, set[str]] = field(default_factory=dict)
    # (policy, URN) -> a phrase of the message that shows the finding came through a relation
    phrases: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(
        self,
        type_token: str,
        name: str,
        props: Mapping[str, Any],
        *,
        deps: Mapping[str, Iterable[str]] | None = None,
        outputs: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
        provider: str = "",
        violates: Iterable[str] = (),
    ) -> str:
        """Register a resource; inputs are ``props``, outputs ``props`` plus computed ``outputs``;
        ``provider`` is a provider reference (``<provider URN>::<id>``), as the engine keeps it."""
        urn = urn_of(type_token, name)
        if any(resource.urn == urn for resource in self.resources):
            raise ValueError(f"duplicate resource {urn}")
        property_dependencies = {prop: list(urns) for prop, urns in (deps or {}).items()}
        all_options = {
            "protect": False,
            "retainOnDelete": False,
            "ignoreChanges": [],
            "replaceOnChanges": [],
            "customTimeouts": {},
            "deleteBeforeReplace": None,
            "additionalSecretOutputs": [],
            "deletedWith": "",
            "dependencies": sorted({u for urns in property_dependencies.values() for u in urns}),
            "propertyDependencies": property_dependencies,
            **(options or {}),
        }
        inputs = copy.deepcopy(dict(props))
        self.resources.append(
            CapturedResource(
                urn=urn,
                type=type_token,
                name=name,
                custom=True,
                parent="",
                provider=provider,
                inputs=inputs,
                outputs={**copy.deepcopy(inputs), **copy.deepcopy(dict(outputs or {}))},
                options=all_options,
            )
        )
        for policy in violates:
            self.expect(policy, urn)
        return urn

    def expect(self, policy: str, urn: str, phrase: str = "") -> None:
        self.expected.setdefault(policy, set()).add(urn)
        if phrase:
            self.phrases[(policy, urn)] = phrase

    def graph(self) -> Graph:
        known = {resource.urn for resource in self.resources}
        dangling = sorted(
            {
                urn
                for resource in self.resources
                for urn in resource.options["dependencies"]
                if urn not in known
            }
        )
        if dangling:
            raise ValueError(f"the catalog references resources it does not build: {dangling}")
        return Graph(project=PROJECT, stack=STACK, preview=False, resources=copy.deepcopy(self.resources))


# -- compliant baselines: each helper builds a resource (and its companions) that passes every
# policy; `change` edits one field, `without` drops a companion, `companions` edits one.


def bucket(
    cat: Catalog,
    purpose: str,
    *,
    change: Mapping[str, Any] | None = None,
    without: Iterable[str] = (),
    companions: Mapping[str, Mapping[str, Any]] | None = None,
    violates: Iterable[str] = (),
) -> dict[str, str]:
    """A bucket and its companions: sse, tls (BucketPolicy), block, ownership, versioning,
    lifecycle, logging. Returns their URNs by companion key."""
    name = physical(purpose)
    urns = {"bucket": cat.add(BUCKET, purpose, edit({"bucket": name, "forceDestroy": True}, change))}
    for policy in violates:
        cat.expect(policy, urns["bucket"])
    on_bucket = {"bucket": [urns["bucket"]]}
    baselines: dict[str, tuple[str, dict[str, Any], dict[str, list[str]]]] = {
        "sse": (
            BUCKET_SSE,
            {
                "bucket": name,
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": KEY_ARN,
                        },
                        "bucketKeyEnabled": True,
                    }
                ],
            },
            {**on_bucket, "rules": [KEY_URN]},
        ),
        "tls": (
            BUCKET_POLICY,
            {
                "bucket": name,
                "policy": document(deny_insecure_transport("s3:*", [s3_arn(name), f"{s3_arn(name)}/*"])),
            },
            on_bucket,
        ),
        "block": (
            ACCESS_BLOCK,
            {
                "bucket": name,
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            on_bucket,
        ),
        "ownership": (
            OWNERSHIP,
            {"bucket": name, "rule": {"objectOwnership": "BucketOwnerEnforced"}},
            on_bucket,
        ),
        "versioning": (
            VERSIONING,
            {"bucket": name, "versioningConfiguration": {"status": "Enabled"}},
            on_bucket,
        ),
        "lifecycle": (
            BUCKET_LIFECYCLE,
            {
                "bucket": name,
                "rules": [
                    {
                        "id": "tidy",
                        "status": "Enabled",
                        "filter": {},
                        "noncurrentVersionExpiration": {"noncurrentDays": 30},
                        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
                    }
                ],
            },
            on_bucket,
        ),
        "logging": (
            BUCKET_LOGGING,
            {"bucket": name, "targetBucket": LOGS_BUCKET, "targetPrefix": f"s3/{name}/"},
            {**on_bucket, "targetBucket": [LOGS_BUCKET_URN]},
        ),
    }
    for key, (type_token, props, deps) in baselines.items():
        if key not in without:
            edited = edit(props, (companions or {}).get(key))
            urns[key] = cat.add(type_token, f"{purpose}-{key}", edited, deps=deps)
    return urns


def topic(
    cat: Catalog,
    purpose: str,
    *,
    change: Mapping[str, Any] | None = None,
    topic_policy: str | None = None,
    violates: Iterable[str] = (),
) -> str:
    """An SNS topic under the data key, with a TopicPolicy that denies sns:* without TLS."""
    topic_arn = arn("sns", physical(purpose))
    props = edit({"name": physical(purpose), "kmsMasterKeyId": KEY_ARN}, change)
    deps = {"kmsMasterKeyId": [KEY_URN]} if props.get("kmsMasterKeyId") == KEY_ARN else {}
    urn = cat.add(TOPIC, purpose, props, deps=deps, outputs={"arn": topic_arn}, violates=violates)
    policy = topic_policy or document(deny_insecure_transport("sns:*", topic_arn))
    cat.add(TOPIC_POLICY, f"{purpose}-policy", {"arn": topic_arn, "policy": policy}, deps={"arn": [urn]})
    return urn


def queue(
    cat: Catalog,
    purpose: str,
    *,
    change: Mapping[str, Any] | None = None,
    queue_policy: str | None = None,
    violates: Iterable[str] = (),
) -> str:
    """An SSE-SQS queue redriven to the shared dead-letter queue, with a QueuePolicy that denies
    sqs:* without TLS."""
    queue_arn = arn("sqs", physical(purpose))
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{physical(purpose)}"
    baseline = {
        "name": physical(purpose),
        "sqsManagedSseEnabled": True,
        "visibilityTimeoutSeconds": 180,
        "messageRetentionSeconds": 345600,
        "redrivePolicy": json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 5}),
    }
    props = edit(baseline, change)
    deps = {"redrivePolicy": [DLQ_URN]} if "redrivePolicy" in props else {}
    urn = cat.add(QUEUE, purpose, props, deps=deps, outputs={"arn": queue_arn, "url": url}, violates=violates)
    policy = queue_policy or document(deny_insecure_transport("sqs:*", queue_arn))
    cat.add(QUEUE_POLICY, f"{purpose}-policy", {"queueUrl": url, "policy": policy}, deps={"queueUrl": [urn]})
    return urn


def function_props(purpose: str, change: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A regional Python Lambda function in the VPC's private subnets, traced with X-Ray, its
    environment encrypted under the data key."""
    baseline = {
        "name": physical(purpose),
        "runtime": "python3.13",
        "handler": "handler.handler",
        "role": TASK_ROLE_ARN,
        "timeout": 30,
        "memorySize": 256,
        "architectures": ["arm64"],
        "vpcConfig": {"subnetIds": PRIVATE_SUBNETS, "securityGroupIds": [APP_SG_ID]},
        # A secret-looking name that carries a reference, not the secret: no finding.
        "environment": {
            "variables": {
                "TABLE_NAME": physical("orders"),
                "DB_SECRET_ARN": arn("secretsmanager", "secret:db"),
            }
        },
        "kmsKeyArn": KEY_ARN,
        "tracingConfig": {"mode": "Active"},
        "reservedConcurrentExecutions": 10,
    }
    return edit(baseline, change)


def function(
    cat: Catalog,
    purpose: str,
    *,
    change: Mapping[str, Any] | None = None,
    provider: str = "",
    violates: Iterable[str] = (),
) -> str:
    props = function_props(purpose, change)
    return cat.add(
        FUNCTION,
        purpose,
        props,
        outputs={"arn": arn("lambda", f"function:{props['name']}")},
        provider=provider,
        violates=violates,
    )


def log_group(
    cat: Catalog,
    logical: str,
    name: str,
    *,
    change: Mapping[str, Any] | None = None,
    violates: Iterable[str] = (),
) -> str:
    props = edit({"name": name, "kmsKeyId": KEY_ARN, "retentionInDays": 30}, change)
    deps = {"kmsKeyId": [KEY_URN]} if props.get("kmsKeyId") == KEY_ARN else {}
    return cat.add(LOG_GROUP, logical, props, deps=deps, violates=violates)


def kms_key(
    cat: Catalog, logical: str, *, change: Mapping[str, Any] | None = None, violates: Iterable[str] = ()
) -> str:
    props = {"description": f"webstack {logical} key", "enableKeyRotation": True, "deletionWindowInDays": 7}
    return cat.add(KMS_KEY, logical, edit(props, change), violates=violates)


def table(
    cat: Catalog, purpose: str, *, change: Mapping[str, Any] | None = None, violates: Iterable[str] = ()
) -> str:
    baseline = {
        "name": physical(purpose),
        "billingMode": "PAY_PER_REQUEST",
        "hashKey": "pk",
        "attributes": [{"name": "pk", "type": "S"}],
        "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY_ARN},
        "pointInTimeRecovery": {"enabled": True},
        "deletionProtectionEnabled": False,
    }
    return cat.add(
        TABLE, purpose, edit(baseline, change), deps={"serverSideEncryption": [KEY_URN]}, violates=violates
    )


def stream(
    cat: Catalog, purpose: str, *, change: Mapping[str, Any] | None = None, violates: Iterable[str] = ()
) -> str:
    baseline = {
        "name": physical(purpose),
        "encryptionType": "KMS",
        "kmsKeyId": "alias/aws/kinesis",
        "enforceConsumerDeletion": True,
        "retentionPeriod": 24,
        "streamModeDetails": {"streamMode": "ON_DEMAND"},
    }
    return cat.add(STREAM, purpose, edit(baseline, change), violates=violates)


def db_cluster_props(purpose: str, change: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An encrypted Aurora PostgreSQL cluster: IAM auth, backups, destroyable without a snapshot."""
    baseline = {
        "clusterIdentifier": physical(purpose),
        "engine": "aurora-postgresql",
        "engineVersion": "16.4",
        "masterUsername": "app",
        "manageMasterUserPassword": True,
        "storageEncrypted": True,
        "kmsKeyId": KEY_ARN,
        "deletionProtection": False,
        "skipFinalSnapshot": True,
        "backupRetentionPeriod": 7,
        "preferredBackupWindow": "03:00-04:00",
        "iamDatabaseAuthenticationEnabled": True,
    }
    return edit(baseline, change)


def db_cluster(
    cat: Catalog, purpose: str, *, change: Mapping[str, Any] | None = None, violates: Iterable[str] = ()
) -> str:
    timeouts = {"customTimeouts": {"create": "60m", "delete": "90m"}}
    return cat.add(
        DB_CLUSTER,
        purpose,
        db_cluster_props(purpose, change),
        deps={"kmsKeyId": [KEY_URN]},
        options=timeouts,
        violates=violates,
    )


def db_proxy_props(purpose: str, change: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An RDS Proxy in the private subnets: TLS required, IAM auth required, the secret behind it."""
    baseline = {
        "name": physical(purpose),
        "engineFamily": "POSTGRESQL",
        "requireTls": True,
        "roleArn": TASK_ROLE_ARN,
        "vpcSubnetIds": PRIVATE_SUBNETS,
        "auths": [
            {"authScheme": "SECRETS", "iamAuth": "REQUIRED", "secretArn": arn("secretsmanager", "secret:db")}
        ],
    }
    return edit(baseline, change)


def db_proxy(
    cat: Catalog, purpose: str, *, change: Mapping[str, Any] | None = None, violates: Iterable[str] = ()
) -> str:
    return cat.add(DB_PROXY, purpose, db_proxy_props(purpose, change), violates=violates)


def network_acl_props(change: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A public subnets' NACL: HTTPS and the Linux ephemeral ports (32768-65535, return traffic)
    from anywhere; no administration port (22, 3389) lies in either range."""
    entry = {"protocol": "tcp", "action": "allow", "cidrBlock": "0.0.0.0/0"}
    baseline = {
        "vpcId": VPC_ID,
        "ingress": [
            {**entry, "ruleNo": 100, "fromPort": 443, "toPort": 443},
            {**entry, "ruleNo": 110, "fromPort": 32768, "toPort": 65535},
        ],
        "egress": [{**entry, "ruleNo": 100, "fromPort": 0, "toPort": 0, "protocol": "-1"}],
    }
    return edit(baseline, change)


def event_target_props(change: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An EventBridge rule target (a Lambda function) with a dead-letter queue and a retry policy."""
    baseline = {
        "rule": physical("nightly"),
        "arn": arn("lambda", f"function:{physical('worker')}"),
        "deadLetterConfig": {"arn": DLQ_ARN},
        "retryPolicy": {"maximumEventAgeInSeconds": 3600, "maximumRetryAttempts": 3},
    }
    return edit(baseline, change)


def secret(
    cat: Catalog,
    purpose: str,
    *,
    change: Mapping[str, Any] | None = None,
    rotation_enabled: bool = True,
    violates: Iterable[str] = (),
) -> str:
    """A secret under the data key, deleted at once on destroy, with a SecretRotation."""
    secret_arn = arn("secretsmanager", f"secret:{physical(purpose)}-AbCdEf")
    props = edit({"name": physical(purpose), "kmsKeyId": KEY_ARN, "recoveryWindowInDays": 0}, change)
    deps = {"kmsKeyId": [KEY_URN]} if props.get("kmsKeyId") == KEY_ARN else {}
    urn = cat.add(SECRET, purpose, props, deps=deps, outputs={"arn": secret_arn}, violates=violates)
    cat.add(
        SECRET_ROTATION,
        f"{purpose}-rotation",
        {
            "secretId": secret_arn,
            "rotationLambdaArn": arn("lambda", f"function:{physical('rotator')}"),
            "rotationRules": {"automaticallyAfterDays": 30},
        },
        deps={"secretId": [urn]},
        outputs={"rotationEnabled": rotation_enabled},  # a computed output: stack policies read it
    )
    return urn


def repository_props(purpose: str, change: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An ECR repository: force-deleted, immutable tags, scanned on push, under the data key."""
    baseline = {
        "name": physical(purpose),
        "forceDelete": True,
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY_ARN}],
    }
    return edit(baseline, change)


def repository(
    cat: Catalog,
    purpose: str,
    *,
    change: Mapping[str, Any] | None = None,
    lifecycle_policy: bool = True,
    violates: Iterable[str] = (),
) -> str:
    urn = cat.add(REPOSITORY, purpose, repository_props(purpose, change), violates=violates)
    if lifecycle_policy:
        rules = {
            "rules": [
                {
                    "rulePriority": 1,
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
                    "action": {"type": "expire"},
                }
            ]
        }
        cat.add(
            ECR_LIFECYCLE,
            f"{purpose}-lifecycle",
            {"repository": physical(purpose), "policy": json.dumps(rules)},
            deps={"repository": [urn]},
        )
    return urn


SECURITY_HEADERS_POLICY_ID = "67f7725c-6f97-4210-82d7-5512b31e9d03"  # the managed SecurityHeadersPolicy


def distribution_props(change: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A CloudFront distribution: S3 through OAC, the API over HTTPS, the ALB over HTTP (its AWS
    hostname cannot carry our certificate, deviation #30), a Lambda@Edge viewer-request function,
    an ACM certificate with TLSv1.2_2021, a CLOUDFRONT web ACL, standard logging, and security
    response headers on every behaviour."""

    def behaviour(origin: str, viewer: str, **extra: Any) -> dict[str, Any]:
        return {
            "targetOriginId": origin,
            "viewerProtocolPolicy": viewer,
            "allowedMethods": ["GET", "HEAD"],
            "cachedMethods": ["GET", "HEAD"],
            "cachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            "responseHeadersPolicyId": SECURITY_HEADERS_POLICY_ID,
            "compress": True,
            **extra,
        }

    def custom(policy: str) -> dict[str, Any]:
        return {
            "httpPort": 80,
            "httpsPort": 443,
            "originProtocolPolicy": policy,
            "originSslProtocols": ["TLSv1.2"],
        }

    baseline = {
        "enabled": True,
        "isIpv6Enabled": True,
        "defaultRootObject": "index.html",
        "priceClass": "PriceClass_100",
        "origins": [
            {
                "originId": "assets",
                "domainName": f"{physical('assets')}.s3.{REGION}.amazonaws.com",
                "originAccessControlId": "E2QWRUHAPOMQZL",
            },
            {
                "originId": "api",
                "domainName": f"a1b2c3d4e5.execute-api.{REGION}.amazonaws.com",
                "originPath": "/v1",
                "customOriginConfig": custom("https-only"),
            },
            {
                "originId": "web",
                "domainName": f"{physical('web')}-1234567890.{REGION}.elb.amazonaws.com",
                "customOriginConfig": custom("http-only"),
            },
        ],
        "defaultCacheBehavior": behaviour(
            "assets",
            "redirect-to-https",
            lambdaFunctionAssociations=[
                {
                    "eventType": "viewer-request",
                    "lambdaArn": arn("lambda", f"function:{physical('edge-auth')}:1", region="us-east-1"),
                    "includeBody": False,
                }
            ],
        ),
        "orderedCacheBehaviors": [
            {"pathPattern": "/api/*", **behaviour("api", "https-only")},
            {"pathPattern": "/app/*", **behaviour("web", "redirect-to-https")},
        ],
        "restrictions": {"geoRestriction": {"restrictionType": "none"}},
        "viewerCertificate": {
            "acmCertificateArn": CERTIFICATE_ARN.replace(REGION, "us-east-1"),
            "minimumProtocolVersion": "TLSv1.2_2021",
            "sslSupportMethod": "sni-only",
        },
        "webAclId": EDGE_ACL_ARN,
        "loggingConfig": {
            "bucket": f"{LOGS_BUCKET}.s3.amazonaws.com",
            "prefix": "cdn/",
            "includeCookies": False,
        },
    }
    return edit(baseline, change)


def distribution(
    cat: Catalog, logical: str, *, change: Mapping[str, Any] | None = None, violates: Iterable[str] = ()
) -> str:
    return cat.add(
        DISTRIBUTION,
        logical,
        distribution_props(change),
        deps={"defaultCacheBehavior": [EDGE_FUNCTION_URN]},
        outputs={"arn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E{logical.upper().replace('-', '')}"},
        violates=violates,
    )


def stage(
    cat: Catalog,
    purpose: str,
    *,
    change: Mapping[str, Any] | None = None,
    without: Iterable[str] = (),
    method_settings: Mapping[str, Any] | None = None,
    violates: Iterable[str] = (),
) -> str:
    """A REST API stage with access logs, MethodSettings '*/*' at INFO, and a web ACL association."""
    stage_arn = f"arn:aws:apigateway:{REGION}::/restapis/a1b2c3d4e5/stages/{purpose}"
    baseline = {
        "restApi": "a1b2c3d4e5",
        "deploymentId": "dep0123",
        "stageName": purpose,
        "xrayTracingEnabled": True,
        "accessLogSettings": {
            "destinationArn": ACCESS_LOGS_ARN,
            "format": '{"requestId":"$context.requestId"}',
        },
    }
    props = edit(baseline, change)
    deps = {"accessLogSettings": [ACCESS_LOGS_URN]} if "accessLogSettings" in props else {}
    urn = cat.add(STAGE, purpose, props, deps=deps, outputs={"arn": stage_arn}, violates=violates)
    if "method-settings" not in without:
        settings = edit(
            {
                "restApi": "a1b2c3d4e5",
                "stageName": purpose,
                "methodPath": "*/*",
                "settings": {"loggingLevel": "INFO", "metricsEnabled": True, "dataTraceEnabled": False},
            },
            method_settings,
        )
        cat.add(METHOD_SETTINGS, f"{purpose}-method-settings", settings, deps={"stageName": [urn]})
    if "waf" not in without:
        association = {"resourceArn": stage_arn, "webAclArn": API_ACL_ARN}
        deps = {"resourceArn": [urn], "webAclArn": [API_ACL_URN]}
        cat.add(WEB_ACL_ASSOCIATION, f"{purpose}-waf", association, deps=deps)
    return urn


def load_balancer(
    cat: Catalog,
    purpose: str,
    *,
    change: Mapping[str, Any] | None = None,
    without: Iterable[str] = (),
    violates: Iterable[str] = (),
) -> str:
    """An internet-facing ALB (its security group opens 80/443 only) that logs to the log bucket
    and sits behind the regional web ACL."""
    lb_arn = arn("elasticloadbalancing", f"loadbalancer/app/{physical(purpose)}/0123456789abcdef")
    baseline = {
        "name": physical(purpose),
        "loadBalancerType": "application",
        "internal": False,
        "securityGroups": [ALB_SG_ID],
        "subnets": ["subnet-0a1b2c3d4e5f60031", "subnet-0a1b2c3d4e5f60032"],
        "dropInvalidHeaderFields": True,
        "enableDeletionProtection": False,
        "accessLogs": {"enabled": True, "bucket": LOGS_BUCKET, "prefix": "alb"},
    }
    deps = {"securityGroups": [ALB_SG_URN]}
    urn = cat.add(
        LOAD_BALANCER, purpose, edit(baseline, change), deps=deps, outputs={"arn": lb_arn}, violates=violates
    )
    if "waf" not in without:
        association = {"resourceArn": lb_arn, "webAclArn": API_ACL_ARN}
        cat.add(
            WEB_ACL_ASSOCIATION,
            f"{purpose}-waf",
            association,
            deps={"resourceArn": [urn], "webAclArn": [API_ACL_URN]},
        )
    return urn


def web_acl(
    cat: Catalog,
    purpose: str,
    *,
    scope: str = "REGIONAL",
    change: Mapping[str, Any] | None = None,
    logged: bool = True,
    violates: Iterable[str] = (),
) -> str:
    """A web ACL with the AWS common rule set, logging to an aws-waf-logs- log group."""
    visibility = {"cloudwatchMetricsEnabled": True, "sampledRequestsEnabled": True, "metricName": purpose}
    baseline = {
        "name": physical(purpose),
        "scope": scope,
        "defaultAction": {"allow": {}},
        "visibilityConfig": visibility,
        "rules": [
            {
                "name": "common",
                "priority": 1,
                "overrideAction": {"none": {}},
                "statement": {
                    "managedRuleGroupStatement": {"name": "AWSManagedRulesCommonRuleSet", "vendorName": "AWS"}
                },
                "visibilityConfig": {**visibility, "metricName": f"{purpose}-common"},
            }
        ],
    }
    acl_arn = arn("wafv2", f"regional/webacl/{physical(purpose)}/0000")
    urn = cat.add(WEB_ACL, purpose, edit(baseline, change), outputs={"arn": acl_arn}, violates=violates)
    if logged:
        destination = arn("logs", f"log-group:aws-waf-logs-{physical(purpose)}")
        cat.add(
            WEB_ACL_LOGGING,
            f"{purpose}-logging",
            {"resourceArn": acl_arn, "logDestinationConfigs": [destination]},
            deps={"resourceArn": [urn]},
        )
    return urn


def vpc(cat: Catalog, purpose: str, *, without: Iterable[str] = (), violates: Iterable[str] = ()) -> str:
    """A VPC whose default security group is adopted with no rules, with a flow log."""
    props = {"cidrBlock": "10.0.0.0/16", "enableDnsHostnames": True, "enableDnsSupport": True}
    urn = cat.add(VPC, purpose, props, outputs={"id": VPC_ID}, violates=violates)
    if "default-sg" not in without:
        cat.add(
            DEFAULT_SECURITY_GROUP,
            f"{purpose}-default-sg",
            {"vpcId": VPC_ID, "ingress": [], "egress": []},
            deps={"vpcId": [urn]},
        )
    if "flow-log" not in without:
        flow_log = {
            "vpcId": VPC_ID,
            "trafficType": "ALL",
            "logDestinationType": "cloud-watch-logs",
            "logDestination": arn("logs", f"log-group:/webstack/{physical('flow-logs')}"),
            "iamRoleArn": TASK_ROLE_ARN,
        }
        deps = {"vpcId": [urn], "logDestination": [urn_of(LOG_GROUP, "flow-logs")]}
        cat.add(FLOW_LOG, f"{purpose}-flow-log", flow_log, deps=deps)
    return urn


def stream_mapping(
    cat: Catalog, logical: str, *, change: Mapping[str, Any] | None = None, violates: Iterable[str] = ()
) -> str:
    """A Kinesis event source mapping with an on-failure DLQ, bisection, capped retries and
    partial batch responses."""
    baseline = {
        "eventSourceArn": arn("kinesis", f"stream/{physical('clicks')}"),
        "functionName": arn("lambda", f"function:{physical('stream-consumer')}"),
        "startingPosition": "LATEST",
        "batchSize": 100,
        "bisectBatchOnFunctionError": True,
        "maximumRetryAttempts": 3,
        "maximumRecordAgeInSeconds": 3600,
        "functionResponseTypes": ["ReportBatchItemFailures"],
        "destinationConfig": {"onFailure": {"destinationArn": DLQ_ARN}},
    }
    props = edit(baseline, change)
    deps = {
        "eventSourceArn": [urn_of(STREAM, "clicks")],
        "functionName": [urn_of(FUNCTION, "stream-consumer")],
    }
    if "destinationConfig" in props:
        deps["destinationConfig"] = [DLQ_URN]
    return cat.add(MAPPING, logical, props, deps=deps, violates=violates)


def task_definition(
    cat: Catalog, purpose: str, *, container: Mapping[str, Any] | None = None, violates: Iterable[str] = ()
) -> str:
    """A Fargate task definition; its one container is read-only, unprivileged, logs to awslogs
    and takes its password from Secrets Manager (`secrets`, not `environment`)."""
    baseline = {
        "name": "app",
        "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{physical('app')}:3f2c1ab",
        "essential": True,
        "readonlyRootFilesystem": True,
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": f"/webstack/{physical('app')}",
                "awslogs-region": REGION,
                "awslogs-stream-prefix": "app",
            },
        },
        "environment": [{"name": "LOG_LEVEL", "value": "info"}],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": arn("secretsmanager", "secret:db")}],
    }
    props = {
        "family": physical(purpose),
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": TASK_ROLE_ARN,
        "taskRoleArn": TASK_ROLE_ARN,
        "containerDefinitions": json.dumps([edit(baseline, container)]),
    }
    return cat.add(TASK_DEFINITION, purpose, props, violates=violates)


def ecs_service(
    cat: Catalog, purpose: str, *, change: Mapping[str, Any] | None = None, violates: Iterable[str] = ()
) -> str:
    baseline = {
        "name": physical(purpose),
        "cluster": arn("ecs", f"cluster/{physical('app')}"),
        "taskDefinition": arn("ecs", f"task-definition/{physical('app')}:1"),
        "desiredCount": 2,
        "launchType": "FARGATE",
        "platformVersion": "LATEST",
        "forceDelete": True,
        "networkConfiguration": {
            "subnets": PRIVATE_SUBNETS,
            "securityGroups": [APP_SG_ID],
            "assignPublicIp": False,
        },
    }
    return cat.add(ECS_SERVICE, purpose, edit(baseline, change), violates=violates)


# -- the shared resources every family's cases reference ----------------------------------------


def shared(cat: Catalog) -> None:
    """Compliant resources the violators reference."""
    kms_key(cat, "data")
    bucket(cat, "logs", without=["logging"])  # the log target: exempt from its own access logs
    queue(cat, "jobs-dlq", change={"redrivePolicy": None})  # a DLQ: named by redrive policies
    log_group(cat, "api-access", f"/webstack/{physical('api-access')}")
    log_group(cat, "flow-logs", f"/webstack/{physical('flow-logs')}")
    web_acl(cat, "api")
    web_acl(cat, "edge", scope="CLOUDFRONT")
    # Lambda@Edge cannot run in a VPC: referenced by every distribution, so lambda-in-vpc skips it.
    # It is published (CloudFront associates version 1) and created by an us-east-1 provider.
    cat.add("pulumi:providers:aws", "us-east-1", {"region": "us-east-1"})
    function(
        cat,
        "edge-auth",
        change={
            "runtime": "nodejs22.x",
            "handler": "index.handler",
            "vpcConfig": None,
            "environment": None,
            "publish": True,
        },
        provider=EDGE_PROVIDER,
    )
    vpc(cat, "main")
    cat.add(
        SUBNET,
        "private-a",
        {
            "vpcId": VPC_ID,
            "cidrBlock": "10.0.1.0/24",
            "availabilityZone": f"{REGION}a",
            "mapPublicIpOnLaunch": False,
        },
        deps={"vpcId": [MAIN_VPC_URN]},
    )
    # The ALB's group may open 443/80 to the internet because a load balancer uses it.
    web_ingress = [
        {
            "protocol": "tcp",
            "fromPort": port,
            "toPort": port,
            "cidrBlocks": ["0.0.0.0/0"],
            "ipv6CidrBlocks": ["::/0"],
        }
        for port in (80, 443)
    ]
    cat.add(
        SECURITY_GROUP,
        "web-alb",
        {"name": physical("web-alb"), "vpcId": VPC_ID, "description": "web ALB", "ingress": web_ingress},
        deps={"vpcId": [MAIN_VPC_URN]},
    )
    app_ingress = [{"protocol": "tcp", "fromPort": 8080, "toPort": 8080, "securityGroups": [ALB_SG_ID]}]
    cat.add(
        SECURITY_GROUP,
        "app",
        {"name": physical("app"), "vpcId": VPC_ID, "description": "app tasks", "ingress": app_ingress},
        deps={"vpcId": [MAIN_VPC_URN], "ingress": [ALB_SG_URN]},
    )
    cat.add(
        TARGET_GROUP,
        "app",
        {"name": physical("app"), "port": 8080, "protocol": "HTTP", "targetType": "ip", "vpcId": VPC_ID},
        deps={"vpcId": [MAIN_VPC_URN]},
    )
