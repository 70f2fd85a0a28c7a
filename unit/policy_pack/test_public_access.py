"""Public access family: a compliant baseline per resource type, and fixtures that change one field."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, PolicyResource

from policy_pack.policies import public_access as pa
from unit.policy_pack import baselines as base
from unit.policy_pack.conftest import UNKNOWN, resource, run_resource, run_stack

BUCKET = base.BUCKET
OAC_ID = "E2QWRUHAPOMQZL"


def bucket(name: str = "assets", resource_type: str = BUCKET) -> PolicyResource:
    return resource(resource_type, {"bucket": f"{name}-dev", "forceDestroy": True}, name)


def access_block(target: PolicyResource, **flags: Any) -> PolicyResource:
    props: dict[str, Any] = {"bucket": f"{target.name}-dev"} | dict.fromkeys(pa.ACCESS_BLOCK_FLAGS, True)
    props |= flags
    return resource(pa.ACCESS_BLOCK, props, f"{target.name}-bpa", deps={"bucket": [target]})


@pytest.mark.parametrize("policy", pa.POLICIES, ids=lambda p: p.name)
def test_metadata(policy: Any) -> None:
    assert policy.name.startswith("public-access-")
    assert policy.enforcement_level == EnforcementLevel.ADVISORY
    assert policy.description and policy.remediation_steps
    assert policy.tags or policy.framework.name == "webstack"


# -- public-access-s3-block ------------------------------------------------------------------


@pytest.mark.parametrize("bucket_type", [BUCKET, "aws:s3/bucketV2:BucketV2"])
def test_000_R2_bucket_with_all_four_flags_passes(bucket_type: str) -> None:
    b = bucket(resource_type=bucket_type)
    assert run_stack(pa.s3_block, [b, access_block(b)]).ok


def test_bucket_without_access_block_is_a_finding_on_the_bucket() -> None:
    covered, bare = bucket("assets"), bucket("logs")
    outcome = run_stack(pa.s3_block, [covered, access_block(covered), bare])
    assert outcome.urns == [bare.urn]
    assert "has no BucketPublicAccessBlock" in outcome.messages[0]


@pytest.mark.parametrize("flag", pa.ACCESS_BLOCK_FLAGS)
def test_each_flag_off_is_one_finding_on_the_access_block(flag: str) -> None:
    b = bucket()
    block = access_block(b, **{flag: False})
    outcome = run_stack(pa.s3_block, [b, block])
    assert outcome.urns == [block.urn]
    assert f"leaves {flag} off" in outcome.messages[0]


def test_absent_flags_mean_false() -> None:
    b = bucket()
    block = resource(pa.ACCESS_BLOCK, {"bucket": "assets-dev"}, "bpa", deps={"bucket": [b]})
    (message,) = run_stack(pa.s3_block, [b, block]).messages
    assert "blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets off" in message


def test_unknown_flag_in_preview_is_unknown() -> None:
    b = bucket()
    assert run_stack(pa.s3_block, [b, access_block(b, blockPublicPolicy=UNKNOWN)]).unknown


def test_missing_block_is_caught_when_the_bucket_name_is_unknown() -> None:
    b = resource(BUCKET, {"bucket": UNKNOWN}, "assets")
    outcome = run_stack(pa.s3_block, [b])
    assert len(outcome.messages) == 1 and not outcome.unknown


# -- public-access-s3-ownership --------------------------------------------------------------


def ownership(value: Any) -> dict[str, Any]:
    return {"bucket": "assets-dev", "rule": {"objectOwnership": value}}


def test_bucket_owner_enforced_passes() -> None:
    assert run_resource(pa.s3_ownership, pa.OWNERSHIP_CONTROLS, ownership("BucketOwnerEnforced")).ok


@pytest.mark.parametrize("value", ["ObjectWriter", "BucketOwnerPreferred"])
def test_ownership_that_keeps_acls_is_a_finding(value: str) -> None:
    (message,) = run_resource(pa.s3_ownership, pa.OWNERSHIP_CONTROLS, ownership(value)).messages
    assert f"rule.objectOwnership is '{value}'" in message


@pytest.mark.parametrize("acl_type", pa.BUCKET_ACLS)
def test_a_bucket_acl_is_a_finding(acl_type: str) -> None:
    (message,) = run_resource(pa.s3_ownership, acl_type, {"bucket": "assets-dev", "acl": "private"}).messages
    assert "sets an ACL" in message


def test_a_bucket_without_ownership_controls_is_enforced_by_default() -> None:
    # Since April 2023 new buckets default to BucketOwnerEnforced: the bucket itself is not checked.
    assert run_resource(pa.s3_ownership, BUCKET, {"bucket": "assets-dev"}).ok


def test_unknown_ownership_in_preview_is_unknown() -> None:
    assert run_resource(pa.s3_ownership, pa.OWNERSHIP_CONTROLS, ownership(UNKNOWN)).unknown


# -- public-access-cloudfront-oac ------------------------------------------------------------


def s3_origin(**extra: Any) -> dict[str, Any]:
    return {
        "originId": "assets",
        "domainName": "assets-dev.s3.us-west-2.amazonaws.com",
        "originAccessControlId": OAC_ID,
    } | extra


ALB_ORIGIN = {
    "originId": "api",
    "domainName": "api-dev-123.us-west-2.elb.amazonaws.com",
    "customOriginConfig": {"httpPort": 80, "httpsPort": 443, "originProtocolPolicy": "http-only"},
}


def distribution(*origins: dict[str, Any]) -> dict[str, Any]:
    return {"enabled": True, "origins": list(origins), "defaultRootObject": "index.html"}


def test_000_R1_s3_origin_with_oac_and_a_custom_origin_pass() -> None:
    assert run_resource(pa.cloudfront_oac, pa.DISTRIBUTION, distribution(s3_origin(), ALB_ORIGIN)).ok


def test_s3_origin_without_oac_is_a_finding() -> None:
    origin = s3_origin()
    del origin["originAccessControlId"]
    outcome = run_resource(pa.cloudfront_oac, pa.DISTRIBUTION, distribution(ALB_ORIGIN, origin))
    assert len(outcome.messages) == 1
    assert "origins[1] is an S3 origin without originAccessControlId" in outcome.messages[0]


def test_empty_oac_id_is_a_finding() -> None:
    props = distribution(s3_origin(originAccessControlId=""))
    assert len(run_resource(pa.cloudfront_oac, pa.DISTRIBUTION, props).messages) == 1


def test_legacy_origin_access_identity_in_the_origin_is_a_finding() -> None:
    origin = s3_origin(s3OriginConfig={"originAccessIdentity": "origin-access-identity/cloudfront/E1"})
    del origin["originAccessControlId"]
    (message,) = run_resource(pa.cloudfront_oac, pa.DISTRIBUTION, distribution(origin)).messages
    assert "legacy origin access identity (s3OriginConfig.originAccessIdentity)" in message


def test_an_origin_access_identity_resource_is_a_finding() -> None:
    outcome = run_resource(pa.cloudfront_oac, pa.ORIGIN_ACCESS_IDENTITY, {"comment": "legacy"})
    assert len(outcome.messages) == 1 and "legacy origin access identity (OAI)" in outcome.messages[0]


def test_vpc_origin_is_not_an_s3_origin() -> None:
    origin = {"originId": "alb", "domainName": "internal-alb", "vpcOriginConfig": {"vpcOriginId": "vo-1"}}
    assert run_resource(pa.cloudfront_oac, pa.DISTRIBUTION, distribution(origin)).ok


def test_oac_id_unknown_in_preview_counts_as_set() -> None:
    # The id comes from the OriginAccessControl resource: unknown in preview, but set.
    props = distribution(s3_origin(originAccessControlId=UNKNOWN))
    assert run_resource(pa.cloudfront_oac, pa.DISTRIBUTION, props).ok


def test_unknown_origins_in_preview_are_unknown() -> None:
    assert run_resource(pa.cloudfront_oac, pa.DISTRIBUTION, {"origins": UNKNOWN}).unknown


def test_missing_oac_is_caught_when_the_domain_name_is_unknown() -> None:
    origin = s3_origin(domainName=UNKNOWN)
    del origin["originAccessControlId"]
    outcome = run_resource(pa.cloudfront_oac, pa.DISTRIBUTION, distribution(origin))
    assert len(outcome.messages) == 1 and not outcome.unknown


# -- public-access-s3-website-hosting --------------------------------------------------------


def website(target: PolicyResource) -> PolicyResource:
    props = {"bucket": f"{target.name}-dev", "indexDocument": {"suffix": "index.html"}}
    return resource(pa.WEBSITE_CONFIGURATIONS[0], props, f"{target.name}-site", deps={"bucket": [target]})


def test_001_R2_website_configuration_on_a_blocked_bucket_is_a_finding() -> None:
    b = bucket()
    site = website(b)
    outcome = run_stack(pa.s3_website, [b, access_block(b), site])
    assert outcome.urns == [site.urn]
    assert "cannot sit behind OAC (001-R2)" in outcome.messages[0]


def test_blocked_bucket_without_website_passes() -> None:
    b = bucket()
    assert run_stack(pa.s3_website, [b, access_block(b)]).ok


def test_website_on_an_unblocked_bucket_is_left_to_the_block_rule() -> None:
    b = bucket()
    assert run_stack(pa.s3_website, [b, website(b)]).ok
    assert run_stack(pa.s3_block, [b, website(b)]).urns == [b.urn]


# -- public-access-rds -----------------------------------------------------------------------


@pytest.mark.parametrize("db_type", pa.DB_INSTANCES)
def test_publicly_accessible_database_is_a_finding(db_type: str) -> None:
    baseline = {"identifier": "catalog-dev-1", "instanceClass": "db.serverless", "publiclyAccessible": False}
    assert run_resource(pa.database_public, db_type, baseline).ok
    (message,) = run_resource(pa.database_public, db_type, baseline | {"publiclyAccessible": True}).messages
    assert "publiclyAccessible is true" in message


def test_database_without_publicly_accessible_defaults_to_private() -> None:
    assert run_resource(pa.database_public, pa.DB_INSTANCES[1], {"identifier": "catalog-dev-1"}).ok


def test_unknown_publicly_accessible_in_preview_is_unknown() -> None:
    props = {"publiclyAccessible": UNKNOWN}
    assert run_resource(pa.database_public, pa.DB_INSTANCES[0], props).unknown


# -- public-access-ecs-public-ip -------------------------------------------------------------


def service(assign: Any = False) -> dict[str, Any]:
    network = {"subnets": ["subnet-1", "subnet-2"], "securityGroups": ["sg-1"], "assignPublicIp": assign}
    return {"name": "web-dev", "launchType": "FARGATE", "networkConfiguration": network}


def test_service_without_public_ip_passes() -> None:
    assert run_resource(pa.ecs_public_ip, pa.ECS_SERVICE, service()).ok
    assert run_resource(pa.ecs_public_ip, pa.ECS_SERVICE, {"name": "web-dev"}).ok


def test_service_assigning_public_ips_is_a_finding() -> None:
    (message,) = run_resource(pa.ecs_public_ip, pa.ECS_SERVICE, service(True)).messages
    assert "assignPublicIp is true" in message


def test_unknown_assign_public_ip_in_preview_is_unknown() -> None:
    assert run_resource(pa.ecs_public_ip, pa.ECS_SERVICE, service(UNKNOWN)).unknown


def test_public_ip_is_caught_when_the_subnets_are_unknown() -> None:
    props = service(True)
    props["networkConfiguration"]["subnets"] = [UNKNOWN, UNKNOWN]
    outcome = run_resource(pa.ecs_public_ip, pa.ECS_SERVICE, props)
    assert len(outcome.messages) == 1 and not outcome.unknown


def test_exemption_skips_a_resource_with_its_reason() -> None:
    config = {"exemptions": [{"resource": "legacy-*", "reason": "legacy service, moved to private in Q3"}]}
    outcome = run_resource(pa.ecs_public_ip, pa.ECS_SERVICE, service(True), name="legacy-web", config=config)
    assert outcome.not_applicable == "exempted: legacy service, moved to private in Q3"


# -- public-access-cloudfront-response-headers (CKV2_AWS_32) --------------------------------

DISTRIBUTION_TYPE = base.DISTRIBUTION


def test_distribution_with_security_headers_on_every_behaviour_passes() -> None:
    props = base.distribution_props()
    assert run_resource(pa.cloudfront_response_headers, DISTRIBUTION_TYPE, props).ok


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("defaultCacheBehavior.responseHeadersPolicyId", "defaultCacheBehavior"),
        ("orderedCacheBehaviors.1.responseHeadersPolicyId", "orderedCacheBehaviors[1]"),
    ],
)
def test_a_behaviour_without_a_response_headers_policy_is_a_finding(path: str, where: str) -> None:
    props = base.distribution_props({path: None})
    (message,) = run_resource(pa.cloudfront_response_headers, DISTRIBUTION_TYPE, props).messages
    assert message.startswith(where + " ") and "responseHeadersPolicyId" in message


def test_policy_id_unknown_in_preview_counts_as_set() -> None:
    props = base.distribution_props({"defaultCacheBehavior.responseHeadersPolicyId": UNKNOWN})
    assert run_resource(pa.cloudfront_response_headers, DISTRIBUTION_TYPE, props).ok


def test_unknown_ordered_behaviours_in_preview_are_unknown() -> None:
    props = base.distribution_props({"orderedCacheBehaviors": UNKNOWN})
    assert run_resource(pa.cloudfront_response_headers, DISTRIBUTION_TYPE, props).unknown


# -- over the wire: this family's cases in the one graph the real pack judges ---------------


def wire_cases(cat: base.Catalog) -> None:
    """This family's violators and controls in the graph the real pack judges over the wire
    (test_every_policy_over_the_wire.py): each a shared baseline with one thing changed."""
    # public-access-s3-block: restrictPublicBuckets off (reported on the access block)
    urns = base.bucket(cat, "half-blocked", companions={"block": {"restrictPublicBuckets": False}})
    cat.expect("public-access-s3-block", urns["block"], "leaves restrictPublicBuckets off")
    # public-access-s3-ownership: ObjectWriter keeps ACLs enabled
    urns = base.bucket(cat, "acl-enabled", companions={"ownership": {"rule.objectOwnership": "ObjectWriter"}})
    cat.expect("public-access-s3-ownership", urns["ownership"])
    # public-access-cloudfront-oac: the S3 origin reads through a legacy OAI
    base.distribution(
        cat,
        "oai",
        change={
            "origins.0.originAccessControlId": None,
            "origins.0.s3OriginConfig": {
                "originAccessIdentity": "origin-access-identity/cloudfront/E1OAIEXAMPLE"
            },
        },
        violates=["public-access-cloudfront-oac"],
    )
    # public-access-s3-website-hosting: website hosting on a bucket that blocks public access
    urns = base.bucket(cat, "website")
    website = cat.add(
        base.WEBSITE,
        "website-config",
        {"bucket": base.physical("website"), "indexDocument": {"suffix": "index.html"}},
        deps={"bucket": [urns["bucket"]]},
    )
    cat.expect("public-access-s3-website-hosting", website, "configures static website hosting")
    # public-access-rds: a publicly accessible Aurora instance
    cat.add(
        base.DB_CLUSTER_INSTANCE,
        "public-db-1",
        {
            "identifier": base.physical("public-db-1"),
            "clusterIdentifier": base.physical("catalog"),
            "instanceClass": "db.serverless",
            "engine": "aurora-postgresql",
            "publiclyAccessible": True,
        },
        violates=["public-access-rds"],
    )
    # public-access-ecs-public-ip: tasks get public IPs
    base.ecs_service(
        cat,
        "public-ip",
        change={"networkConfiguration.assignPublicIp": True},
        violates=["public-access-ecs-public-ip"],
    )
    # public-access-cloudfront-response-headers: the /app/* behaviour sends no security headers
    base.distribution(
        cat,
        "no-headers",
        change={"orderedCacheBehaviors.1.responseHeadersPolicyId": None},
        violates=["public-access-cloudfront-response-headers"],
    )
