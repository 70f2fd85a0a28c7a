"""PrivateBucket: encrypted, versioned, private, TLS-only, destroyable (000-R2/R19, 001-R3/R14, 003-R12)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plan.capture import Graph
from program.components.bucket import LifecycleRule, PrivateBucket, PrivateBucketArgs, known_bucket_arn
from program.scope import Scope
from unit.conftest import capture_fn

SCOPE = Scope("dev", "123456789012", "us-west-2")
KEY = "arn:aws:kms:us-west-2:123456789012:key/data"
GRANT = {"Effect": "Allow", "Action": ["s3:GetObject"], "Principal": {"Service": "x.amazonaws.com"}}


def bucket_graph(**changes: Any) -> Graph:
    def program() -> None:
        PrivateBucket("data", PrivateBucketArgs(**{"purpose": "data", "scope": SCOPE, **changes}))

    return capture_fn(program)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return bucket_graph(policy_statements=[{**GRANT, "Resource": ["arn:aws:s3:::data-123456789012-dev/*"]}])


def one(graph: Graph, kind: str) -> dict[str, Any]:
    return graph.one(f"aws:s3/{kind[0].lower()}{kind[1:]}:{kind}").inputs


def test_name_is_global_and_known_before_deploy(graph: Graph) -> None:
    assert one(graph, "Bucket")["bucket"] == "data-123456789012-dev"
    assert known_bucket_arn("data", SCOPE) == "arn:aws:s3:::data-123456789012-dev"
    assert one(graph, "Bucket")["forceDestroy"] is True  # destroy empties it first


def test_000_R2_all_four_public_access_blocks_and_owner_enforced(graph: Graph) -> None:
    block = one(graph, "BucketPublicAccessBlock")
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert all(block[flag] is True for flag in flags)
    assert one(graph, "BucketOwnershipControls")["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert one(graph, "BucketVersioning")["versioningConfiguration"] == {"status": "Enabled"}


def test_000_R19_tls_deny_comes_first_then_the_owners_grants(graph: Graph) -> None:
    policy = graph.one("aws:s3/bucketPolicy:BucketPolicy")
    deny, grant = json.loads(policy.inputs["policy"])["Statement"]
    assert deny == {
        "Effect": "Deny",
        "Action": ["s3:*"],
        "Sid": "DenyInsecureTransport",
        "Principal": {"AWS": "*"},
        "Resource": ["arn:aws:s3:::data-123456789012-dev", "arn:aws:s3:::data-123456789012-dev/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert grant["Action"] == ["s3:GetObject"]
    # After the public access block: an open Principal would otherwise race it.
    assert (
        graph.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").urn
        in policy.options["dependencies"]
    )


def test_000_R19_sse_s3_by_default_and_kms_with_a_bucket_key() -> None:
    default = bucket_graph()
    rule = one(default, "BucketServerSideEncryptionConfiguration")["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert rule["bucketKeyEnabled"] is False
    kms = one(
        bucket_graph(sse_algorithm="aws:kms", kms_key_arn=KEY), "BucketServerSideEncryptionConfiguration"
    )
    assert kms["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": KEY,
    }
    assert kms["rules"][0]["bucketKeyEnabled"] is True


def test_003_R12_lifecycle_rules_and_access_logging() -> None:
    graph = bucket_graph(
        lifecycle=(LifecycleRule("data", 90, 30, "data/", ((30, "STANDARD_IA"),)),),
        access_log_bucket="logs-dev",
    )
    rule, whole_bucket = one(graph, "BucketLifecycleConfiguration")["rules"]
    # Every rule has a prefix, so one more aborts stale multipart uploads anywhere (CKV_AWS_300).
    assert whole_bucket == {
        "id": "abort-incomplete-uploads",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
    }
    assert rule["id"] == "data" and rule["status"] == "Enabled" and rule["filter"] == {"prefix": "data/"}
    assert rule["expiration"] == {"days": 90} and rule["transitions"] == [
        {"days": 30, "storageClass": "STANDARD_IA"}
    ]
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    logging = one(graph, "BucketLogging")
    assert (logging["targetBucket"], logging["targetPrefix"]) == ("logs-dev", "data-123456789012-dev/")


def test_a_whole_bucket_rule_needs_no_extra_abort_rule() -> None:
    graph = bucket_graph(lifecycle=(LifecycleRule("everything", 30),))
    (rule,) = one(graph, "BucketLifecycleConfiguration")["rules"]
    assert rule["filter"] == {"prefix": ""} and rule["abortIncompleteMultipartUpload"] == {
        "daysAfterInitiation": 7
    }


def test_000_R23_every_child_is_parented(graph: Graph) -> None:
    component = graph.one("webstack:bucket:PrivateBucket")
    children = [r for r in graph.resources if r.type.startswith("aws:s3/")]
    assert len(children) == 7 and all(r.parent == component.urn for r in children)
