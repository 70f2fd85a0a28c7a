"""Helpers the best-practice families share.

- Relations between resources, decided from property dependencies, which are known in preview:
  which resources reference a resource through a property ("the BucketVersioning whose `bucket` was
  computed from this bucket"), and the resources of a type that nothing references that way.
- Presence checks that hold in preview: an ARN or id that another resource computes is unknown
  until the update, but that it is set is already known. An unknown object on the way still raises
  (its content cannot be known), so a rule never passes silently on a value it could not see.
- ECS container definitions, which arrive as one JSON string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from ._base import as_list, of_type, parse_json, referenced

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
TARGET_GROUPS = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
REST_STAGE = "aws:apigateway/stage:Stage"
HTTP_STAGE = "aws:apigatewayv2/stage:Stage"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
FUNCTION = "aws:lambda/function:Function"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
QUEUE = "aws:sqs/queue:Queue"
VPC = "aws:ec2/vpc:Vpc"
ECS_SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
LOG_DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
DB_PROXY = "aws:rds/proxy:Proxy"
DB_CLUSTER = "aws:rds/cluster:Cluster"
DB_INSTANCE = "aws:rds/instance:Instance"
CACHE_BEHAVIOURS = ("defaultCacheBehavior", "orderedCacheBehaviors")


def edge_functions(resources: Iterable[PolicyResource]) -> dict[str, list[PolicyResource]]:
    """Lambda functions a CloudFront cache behaviour associates (Lambda@Edge), each with the
    distributions that associate it (decided through property dependencies: known in preview)."""
    edge: dict[str, list[PolicyResource]] = {}
    for distribution in of_type(resources, DISTRIBUTION):
        for prop in CACHE_BEHAVIOURS:
            for dep in distribution.property_dependencies.get(prop, []):
                if dep.resource_type == FUNCTION and distribution not in edge.get(dep.urn, []):
                    edge.setdefault(dep.urn, []).append(distribution)
    return edge


def referrers(
    resources: Iterable[PolicyResource], types: Iterable[str], prop: str
) -> dict[str, list[PolicyResource]]:
    """For each URN, the resources of ``types`` whose ``prop`` was computed from it."""
    found: dict[str, list[PolicyResource]] = {}
    for resource in of_type(resources, *types):
        for urn in referenced(resource, prop):
            found.setdefault(urn, []).append(resource)
    return found


def unreferenced(
    resources: Sequence[PolicyResource],
    targets: Iterable[str],
    by: Iterable[str],
    prop: str,
    accept: Callable[[PolicyResource], bool] | None = None,
) -> Iterator[PolicyResource]:
    """Resources of type ``targets`` that no resource of type ``by`` (that ``accept``s) references
    through ``prop``: "every bucket has a BucketLifecycleConfiguration"."""
    found = referrers(resources, by, prop)
    for target in of_type(resources, *targets):
        if not any(accept is None or accept(r) for r in found.get(target.urn, [])):
            yield target


def dependencies(resource: PolicyResource, prop: str, *types: str) -> list[PolicyResource]:
    """The resources of ``types`` that ``resource.prop`` was computed from."""
    return [dep for dep in resource.property_dependencies.get(prop, []) if dep.resource_type in types]


def has_key(node: Any, key: str) -> bool:
    # Iterating a proxied mapping reads no value; `key in node` would (and raise when unknown).
    return isinstance(node, Mapping) and any(k == key for k in node)


def dig(node: Any, *path: str) -> Any:
    """The value at ``path`` (None where a step is absent); an unknown value on the way raises."""
    for key in path:
        if not has_key(node, key):
            return None
        node = node[key]
    return node


def is_set(node: Any, *path: str) -> bool:
    """Whether the value at ``path`` is present and not empty.

    An unknown final value counts as set: in preview an ARN or id computed by another resource is
    unknown, but it will hold that ARN. An unknown object before the last step raises.
    """
    for index, key in enumerate(path):
        if not has_key(node, key):
            return False
        try:
            node = node[key]
        except UnknownValueError:
            if index == len(path) - 1:
                return True
            raise
    if node is None:
        return False
    return len(node) > 0 if isinstance(node, (str, Sequence, Mapping)) else True


def containers(props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(name, definition) for each container of an ECS task definition; `containerDefinitions`
    is a JSON string (a list of containers), or already a list."""
    parsed = parse_json(props.get("containerDefinitions"))
    return [
        (str(container.get("name") or f"#{index}"), container)
        for index, container in enumerate(as_list(parsed))
        if isinstance(container, Mapping)
    ]


T = TypeVar("T")
R = TypeVar("R")


def decide_each(items: Iterable[T], decide: Callable[[T], Iterable[R]]) -> Iterator[R]:
    """Every finding that known values allow, then the first unknown value (if any) raised.

    In a stack rule, an unknown value read while deciding one resource would end the whole rule
    and hide the findings on the resources after it. Each item is decided on its own; the first
    unknown is re-raised at the end, which the SDK reports as its advisory "can't run during
    preview" note, so nothing passes silently.
    """
    unknown: UnknownValueError | None = None
    for item in items:
        try:
            yield from decide(item)
        except UnknownValueError as error:
            unknown = unknown or error
    if unknown is not None:
        raise unknown


def state_of(value: Any) -> str:
    """A property value for a message: its repr, or "not set"."""
    return "not set" if value is None else repr(value)
