"""Mutation tests: inject one violation into a real blueprint graph; the gate must catch it.

For every mandatory family and every built blueprint, each mutant changes one field (or drops one
resource) of the captured graph, runs the real pack over the Analyzer protocol, and expects a
mandatory diagnostic from the right policy on the mutated resource. The kill rate is printed.
The pack is started once per session (conftest.py ``running_packs``) and judges every mutant of
every blueprint, so a blueprint adds its capture and its analyses, not a pack start per mutant.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from plan.capture import CapturedResource, Graph
from plan.gate import load_policy_config
from plan.project import stack_policy_config
from policy_pack.policies import registry
from unit.conftest import REPO_ROOT, built_stacks, stack_spec
from unit.policy_pack.conftest import RunningPacks


@dataclass(frozen=True)
class Mutant:
    family: str
    description: str
    policy: str
    mutate: Callable[[Graph], str]  # changes the graph in place; returns the URN it broke


def _first(
    graph: Graph, type_token: str, where: Callable[[CapturedResource], bool] = lambda r: True
) -> CapturedResource:
    return next(r for r in graph.resources if r.type == type_token and where(r))


def _set(resource: CapturedResource, key: str, value: Any) -> None:
    for props in (resource.inputs, resource.outputs):
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value


def _wildcard_action(graph: Graph) -> str:
    policy = _first(graph, "aws:iam/rolePolicy:RolePolicy")
    document = json.loads(policy.inputs["policy"])
    statement = document["Statement"][0]
    statement["Action"] = [
        *([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]),
        "*",
    ]
    _set(policy, "policy", json.dumps(document))
    return policy.urn


def _drop_bucket_encryption(graph: Graph) -> str:
    config = _first(
        graph, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    graph.resources.remove(config)
    return config.options["propertyDependencies"]["bucket"][0]


def _plain_stream(graph: Graph) -> str:
    stream = _first(graph, "aws:kinesis/stream:Stream")
    _set(stream, "encryptionType", "NONE")
    _set(stream, "kmsKeyId", None)
    return stream.urn


def _log_group_without_key(graph: Graph) -> str:
    group = _first(graph, "aws:cloudwatch/logGroup:LogGroup")
    _set(group, "kmsKeyId", None)
    return group.urn


def _bucket_policy_without_tls_deny(graph: Graph) -> str:
    policy = _first(graph, "aws:s3/bucketPolicy:BucketPolicy")
    document = json.loads(policy.inputs["policy"])
    document["Statement"] = [s for s in document["Statement"] if s.get("Effect") != "Deny"] or [
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": "x",
        }
    ]
    _set(policy, "policy", json.dumps(document))
    return policy.options["propertyDependencies"]["bucket"][0]


def _cdn_allows_http(graph: Graph) -> str:
    distribution = _first(graph, "aws:cloudfront/distribution:Distribution")
    behaviour = dict(distribution.inputs["defaultCacheBehavior"], viewerProtocolPolicy="allow-all")
    _set(distribution, "defaultCacheBehavior", behaviour)
    return distribution.urn


def _function_without_suffix(graph: Graph) -> str:
    function = _first(graph, "aws:lambda/function:Function")
    _set(function, "name", function.inputs["name"].rsplit("-", 1)[0])
    return function.urn


def _log_group_without_suffix(graph: Graph) -> str:
    group = _first(graph, "aws:cloudwatch/logGroup:LogGroup")
    _set(group, "name", group.inputs["name"].rsplit("-", 1)[0])
    return group.urn


def _plain_cluster(graph: Graph) -> str:
    cluster = _first(graph, "aws:rds/cluster:Cluster")
    _set(cluster, "storageEncrypted", False)
    _set(cluster, "kmsKeyId", None)
    return cluster.urn


def _protected_cluster(graph: Graph) -> str:
    cluster = _first(graph, "aws:rds/cluster:Cluster")
    _set(cluster, "deletionProtection", True)
    return cluster.urn


def _auto_named_queue(graph: Graph) -> str:
    queue = _first(graph, "aws:sqs/queue:Queue")
    _set(queue, "name", None)
    return queue.urn


def _protected(graph: Graph) -> str:
    table = _first(graph, "aws:dynamodb/table:Table")
    table.options["protect"] = True
    return table.urn


def _deletion_protection(graph: Graph) -> str:
    table = _first(graph, "aws:dynamodb/table:Table")
    _set(table, "deletionProtectionEnabled", True)
    return table.urn


def _retained(graph: Graph) -> str:
    bucket = _first(graph, "aws:s3/bucket:Bucket")
    bucket.options["retainOnDelete"] = True
    return bucket.urn


def _bucket_not_force_destroyed(graph: Graph) -> str:
    bucket = _first(graph, "aws:s3/bucket:Bucket")
    _set(bucket, "forceDestroy", None)
    return bucket.urn


MUTANTS = [
    Mutant("iam", "a wildcard action in a role policy", "iam-no-wildcard-actions", _wildcard_action),
    Mutant(
        "encryption at rest",
        "a bucket loses its SSE configuration",
        "encryption-at-rest-s3",
        _drop_bucket_encryption,
    ),
    Mutant("encryption at rest", "the stream is unencrypted", "encryption-at-rest-kinesis", _plain_stream),
    Mutant(
        "encryption at rest",
        "a log group loses its key",
        "encryption-at-rest-log-groups",
        _log_group_without_key,
    ),
    Mutant(
        "encryption in transit",
        "a bucket policy loses its TLS deny",
        "encryption-in-transit-s3",
        _bucket_policy_without_tls_deny,
    ),
    Mutant(
        "encryption in transit",
        "CloudFront allows HTTP",
        "encryption-in-transit-cloudfront-viewer",
        _cdn_allows_http,
    ),
    Mutant("naming", "a function name without the suffix", "naming-suffix", _function_without_suffix),
    Mutant("naming", "a queue left to auto-naming", "naming-suffix", _auto_named_queue),
    Mutant("naming", "a log group name without the suffix", "naming-suffix", _log_group_without_suffix),
    Mutant("encryption at rest", "the Aurora cluster unencrypted", "encryption-at-rest-rds", _plain_cluster),
    Mutant(
        "destroyability",
        "deletion protection on the Aurora cluster",
        "destroyability-no-deletion-protection",
        _protected_cluster,
    ),
    Mutant("destroyability", "protect=True on the table", "destroyability-no-protect", _protected),
    Mutant(
        "destroyability",
        "deletion protection on the table",
        "destroyability-no-deletion-protection",
        _deletion_protection,
    ),
    Mutant("destroyability", "retain_on_delete=True on a bucket", "no-retain-on-delete", _retained),
    Mutant(
        "destroyability",
        "a bucket without force_destroy",
        "destroyability-force-delete",
        _bucket_not_force_destroyed,
    ),
]


def only(policy: str, stack_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Policy config that leaves ``policy`` (and the plan's own retainOnDelete check) on and
    switches every other policy off, as a user's policy config can: a mutant is judged by the rule
    it must trip, over the same protocol, without paying for the other 80-odd rules each time. The
    stack's own settings for that policy (Pulumi.<stack>.policy.json) still apply."""
    config: dict[str, Any] = {p.name: "disabled" for p in registry.POLICIES if p.name != policy}
    if stack_config and policy in stack_config:
        config[policy] = stack_config[policy]
    return config


def stack_config(stack: str) -> dict[str, Any]:
    """The stack's own policy config, as the plan and the lifecycle use it."""
    return load_policy_config(stack_policy_config(REPO_ROOT, stack))


@pytest.mark.parametrize("stack", built_stacks())
def test_every_mandatory_family_catches_its_mutants(
    stack: str,
    running_packs: RunningPacks,
    captured: Callable[[str], Graph],
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec, original, own = stack_spec(stack), captured(stack), stack_config(stack)
    assert running_packs.analyze(original, spec, own).mandatory == [], "the unmutated blueprint must pass"
    survivors, applied = [], []
    for mutant in MUTANTS:
        graph = copy.deepcopy(original)
        try:
            urn = mutant.mutate(graph)
        except StopIteration:  # the blueprint has no resource of the mutant's type (no CloudFront)
            continue
        applied.append(mutant)
        caught = [
            d
            for d in running_packs.analyze(graph, spec, only(mutant.policy, own)).mandatory
            if d.policyName == mutant.policy and d.urn == urn
        ]
        if not caught:
            survivors.append(f"{mutant.family}: {mutant.description} ({mutant.policy} on {urn})")
    killed = len(applied) - len(survivors)
    with capsys.disabled():
        print(f"\n{stack}: mutation kill rate {killed}/{len(applied)} across 5 mandatory families")
    assert survivors == []
    # Every mandatory family is tried on every blueprint, whatever its resource types.
    assert {m.family for m in applied} == {m.family for m in MUTANTS}
    assert {m.family for m in MUTANTS} == {
        "iam",
        "encryption at rest",
        "encryption in transit",
        "naming",
        "destroyability",
    }
