"""Public access family (advisory): nothing reaches a data store or a task from the internet directly.

Buckets block public access on all four flags and keep ACLs disabled; CloudFront reads S3 through
origin access control (OAC), never a legacy origin access identity (OAI), and never from a website
endpoint (001-R2), and attaches a response headers policy to every cache behaviour so the public
site's responses carry security headers (checkov CKV2_AWS_32); databases and ECS tasks get no
public IP.

FSBP S3.1 is the account-level Block Public Access setting: no per-bucket policy can trace to it,
so the bucket rule cites S3.8 (its bucket-level counterpart).
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from ._base import ADVISORY, Anchors, as_list, of_type, resource_policy, stack_policy
from ._relations import BUCKETS, DISTRIBUTION, ECS_SERVICE, dig, is_set, referrers

ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCESS_BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
OWNERSHIP_CONTROLS = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_ACLS = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
WEBSITE_CONFIGURATIONS = (
    "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration",
    "aws:s3/bucketWebsiteConfigurationV2:BucketWebsiteConfigurationV2",
)
ORIGIN_ACCESS_IDENTITY = "aws:cloudfront/originAccessIdentity:OriginAccessIdentity"
DB_INSTANCES = ("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance")
OAC_HINT = (
    "an aws.cloudfront.OriginAccessControl (originAccessControlOriginType s3, signingBehavior always, "
    "signingProtocol sigv4)"
)


def _check_access_block(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    blocks = referrers(args.resources, [ACCESS_BLOCK], "bucket")
    for bucket in of_type(args.resources, *BUCKETS):
        if bucket.urn not in blocks:
            yield (
                bucket.urn,
                "has no BucketPublicAccessBlock. Add one with blockPublicAcls, blockPublicPolicy, "
                "ignorePublicAcls and restrictPublicBuckets set to true.",
            )
            continue
        for block in blocks[bucket.urn]:
            # The provider defaults each flag to false.
            off = [flag for flag in ACCESS_BLOCK_FLAGS if block.props.get(flag) is not True]
            if off:
                yield (
                    block.urn,
                    f"leaves {', '.join(off)} off (absent means false) on {bucket.name}: set all four "
                    "flags to true.",
                )


def _check_ownership(args: ResourceValidationArgs) -> Iterator[str]:
    # A bucket without BucketOwnershipControls is BucketOwnerEnforced: the default for every bucket
    # created since April 2023 (S3 User Guide, "Controlling ownership of objects and disabling ACLs").
    if args.resource_type in BUCKET_ACLS:
        yield (
            "sets an ACL on the bucket, which only works with ACLs enabled. Delete the BucketAcl and "
            "grant access with the bucket policy; keep objectOwnership BucketOwnerEnforced."
        )
        return
    ownership = dig(args.props, "rule", "objectOwnership")
    if ownership != "BucketOwnerEnforced":
        yield (
            f"rule.objectOwnership is {ownership!r}, which keeps ACLs enabled. Set it to "
            "'BucketOwnerEnforced' (required for CloudFront OAC, 000-R2)."
        )


def _check_oac(args: ResourceValidationArgs) -> Iterator[str]:
    if args.resource_type == ORIGIN_ACCESS_IDENTITY:
        yield f"is a legacy origin access identity (OAI). Replace it with {OAC_HINT}."
        return
    for index, origin in enumerate(as_list(args.props.get("origins"))):
        if is_set(origin, "s3OriginConfig", "originAccessIdentity"):
            yield (
                f"origins[{index}] reads S3 through a legacy origin access identity "
                "(s3OriginConfig.originAccessIdentity). Remove it and set originAccessControlId to "
                f"{OAC_HINT}."
            )
        elif not (is_set(origin, "customOriginConfig") or is_set(origin, "vpcOriginConfig")) and not is_set(
            origin, "originAccessControlId"
        ):
            yield (
                f"origins[{index}] is an S3 origin without originAccessControlId, so the bucket must be "
                f"readable by anyone. Set originAccessControlId to {OAC_HINT}."
            )


def _check_response_headers(args: ResourceValidationArgs) -> Iterator[str]:
    behaviours = [("defaultCacheBehavior", args.props.get("defaultCacheBehavior"))] + [
        (f"orderedCacheBehaviors[{index}]", behaviour)
        for index, behaviour in enumerate(as_list(args.props.get("orderedCacheBehaviors")))
    ]
    for where, behaviour in behaviours:
        if behaviour is not None and not is_set(behaviour, "responseHeadersPolicyId"):
            yield (
                f"{where} sends responses without a response headers policy, so browsers get no "
                "Strict-Transport-Security, X-Content-Type-Options or frame options from CloudFront. "
                "Set responseHeadersPolicyId to a cloudfront.ResponseHeadersPolicy with "
                "securityHeadersConfig (or the managed SecurityHeadersPolicy, "
                "67f7725c-6f97-4210-82d7-5512b31e9d03)."
            )


def _check_website(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    blocked = referrers(args.resources, [ACCESS_BLOCK], "bucket")
    for website_urn, configs in referrers(args.resources, WEBSITE_CONFIGURATIONS, "bucket").items():
        if website_urn in blocked:
            for config in configs:
                yield (
                    config.urn,
                    "configures static website hosting on a bucket that blocks public access: the website "
                    "endpoint cannot serve it, and a website endpoint cannot sit behind OAC (001-R2). Remove "
                    "the BucketWebsiteConfiguration; serve the REST endpoint through CloudFront with OAC, "
                    "defaultRootObject and customErrorResponses.",
                )


def _check_database(args: ResourceValidationArgs) -> Iterator[str]:
    # Absent: the provider defaults publiclyAccessible to false.
    if args.props.get("publiclyAccessible") is True:
        yield (
            "publiclyAccessible is true: the database gets a public DNS name and IP. Set it to false and "
            "reach it from the VPC (through RDS Proxy or the application's security group)."
        )


def _check_task_ip(args: ResourceValidationArgs) -> Iterator[str]:
    # Absent: assignPublicIp defaults to false.
    if dig(args.props, "networkConfiguration", "assignPublicIp") is True:
        yield (
            "networkConfiguration.assignPublicIp is true: each task gets a public IP. Set it to false, run "
            "tasks in private subnets and reach registries and AWS APIs through NAT or VPC endpoints."
        )


s3_block = stack_policy(
    "public-access-s3-block",
    "Every S3 bucket has a BucketPublicAccessBlock with all four flags true.",
    _check_access_block,
    level=ADVISORY,
    severity=Severity.HIGH,
    remediation="Add aws.s3.BucketPublicAccessBlock(bucket=..., all four block/ignore/restrict flags True).",
    anchors=Anchors(
        cdk_nag=("AwsSolutions-S2",),
        checkov=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"),
        fsbp=("S3.8",),
    ),
)

s3_ownership = resource_policy(
    "public-access-s3-ownership",
    "S3 ACLs stay disabled: BucketOwnershipControls are BucketOwnerEnforced (the default when absent) "
    "and no BucketAcl is set.",
    _check_ownership,
    types=[OWNERSHIP_CONTROLS, *BUCKET_ACLS],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set BucketOwnershipControls rule.objectOwnership='BucketOwnerEnforced'; delete BucketAcls.",
    anchors=Anchors(checkov=("CKV2_AWS_65",), fsbp=("S3.12",)),
)

cloudfront_oac = resource_policy(
    "public-access-cloudfront-oac",
    "CloudFront S3 origins use origin access control (originAccessControlId), not a legacy origin "
    "access identity.",
    _check_oac,
    types=[DISTRIBUTION, ORIGIN_ACCESS_IDENTITY],
    level=ADVISORY,
    severity=Severity.HIGH,
    remediation="Create a cloudfront.OriginAccessControl and set each S3 origin's originAccessControlId.",
    anchors=Anchors(cdk_nag=("AwsSolutions-CFR7",), checkov=("CKV2_AWS_46",), fsbp=("CloudFront.13",)),
)

s3_website = stack_policy(
    "public-access-s3-website-hosting",
    "No bucket both blocks public access and carries a website configuration (001-R2: a website "
    "endpoint needs public read and cannot use OAC).",
    _check_website,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Drop the BucketWebsiteConfiguration; serve the REST endpoint through OAC instead.",
    anchors=Anchors(cdk_nag=("AwsSolutions-CFR7",), note="001-R2"),
)

database_public = resource_policy(
    "public-access-rds",
    "RDS instances and Aurora cluster instances are not publicly accessible.",
    _check_database,
    types=DB_INSTANCES,
    level=ADVISORY,
    severity=Severity.CRITICAL,
    remediation="Set publiclyAccessible=False and place the database in private subnets.",
    anchors=Anchors(checkov=("CKV_AWS_17",), fsbp=("RDS.2",)),
)

ecs_public_ip = resource_policy(
    "public-access-ecs-public-ip",
    "ECS services do not assign public IPs to their tasks.",
    _check_task_ip,
    types=[ECS_SERVICE],
    level=ADVISORY,
    severity=Severity.HIGH,
    remediation="Set networkConfiguration.assignPublicIp=False; run tasks in private subnets.",
    anchors=Anchors(checkov=("CKV_AWS_333",), fsbp=("ECS.2",)),
)

cloudfront_response_headers = resource_policy(
    "public-access-cloudfront-response-headers",
    "Every CloudFront cache behaviour attaches a response headers policy (security headers for the "
    "browsers of the public site).",
    _check_response_headers,
    types=[DISTRIBUTION],
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Create a cloudfront.ResponseHeadersPolicy with securityHeadersConfig (HSTS, nosniff, "
    "frame options, referrer policy) and set responseHeadersPolicyId on every cache behaviour.",
    anchors=Anchors(checkov=("CKV2_AWS_32",)),
)

POLICIES = [
    s3_block,
    s3_ownership,
    cloudfront_oac,
    s3_website,
    database_public,
    ecs_public_ip,
    cloudfront_response_headers,
]
