"""What a Cdn routes to: its origins (the site bucket and the others), the cache behaviour each one
gets, the error pages, and the bucket-policy grant that lets only the distribution read the site.
Plain values and the arguments CloudFront takes; the Cdn component turns them into resources.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from program import iam_docs
from program.components import cdn_functions

SITE_ORIGIN = "site"
ORIGIN_VERIFY_HEADER = "x-origin-verify"
CACHING_OPTIMIZED = "Managed-CachingOptimized"
CACHING_DISABLED = "Managed-CachingDisabled"
ALL_VIEWER_EXCEPT_HOST = "Managed-AllViewerExceptHostHeader"
ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
READ_METHODS = ("GET", "HEAD", "OPTIONS")
# Matched whole (fullmatch): with ``$`` a final newline would pass.
_ID = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
_HEADER = re.compile(r"[A-Za-z0-9-]+")


@dataclass(frozen=True)
class CdnOrigin:
    """An origin besides the site bucket, and the behaviour that routes `path_pattern` to it."""

    id: str
    domain_name: pulumi.Input[str]
    path_pattern: str | None  # None only for the origin that takes the default behaviour
    origin_path: str = ""  # e.g. "/prod": prepended to every request sent to the origin
    custom_headers: Sequence[tuple[str, pulumi.Input[str]]] = ()
    # "http-only" for an ALB without a certificate (002-R16, 004-R11): *.elb.amazonaws.com
    # cannot carry an ACM certificate.
    protocol_policy: Literal["https-only", "http-only"] = "https-only"
    cache_policy: str = CACHING_DISABLED
    origin_request_policy: str | None = ALL_VIEWER_EXCEPT_HOST
    origin_shield_region: str | None = None  # 004-R23
    viewer_request_code: str | None = None  # cloudfront-js-2.0 source defining handler(event)
    # A Lambda@Edge viewer-request function's qualified (versioned) ARN (002-R27); CloudFront
    # takes either this or viewer_request_code on one behaviour's viewer-request, not both.
    viewer_request_lambda_arn: pulumi.Input[str] | None = None

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.id) or self.id == SITE_ORIGIN:
            raise ValueError(f"origin id {self.id!r}: lowercase words and hyphens, not {SITE_ORIGIN!r}")
        if isinstance(self.domain_name, str) and ("/" in self.domain_name or not self.domain_name):
            raise ValueError(f"origin {self.id}: domain_name is a host name, got {self.domain_name!r}")
        if self.path_pattern is not None and not self.path_pattern.startswith("/"):
            raise ValueError(f"origin {self.id}: path_pattern must start with '/'")
        if self.origin_path and not cdn_functions.is_path_prefix(self.origin_path):
            raise ValueError(f"origin {self.id}: origin_path like '/prod' (no trailing slash)")
        for header, _value in self.custom_headers:
            if not _HEADER.fullmatch(header):
                raise ValueError(f"origin {self.id}: bad custom header name {header!r}")
        if self.viewer_request_code is not None:
            cdn_functions.check_code(self.viewer_request_code)
            if self.viewer_request_lambda_arn is not None:
                raise ValueError(f"origin {self.id}: a viewer-request function or a Lambda@Edge, not both")


@dataclass(frozen=True)
class ErrorPage:
    """Serve `page_path` (from the site bucket) with `response_code` when an origin returns `code`."""

    code: int
    page_path: str
    response_code: int
    caching_ttl_s: int = 10  # short, so a fixed object or origin shows up quickly


# S3 answers 404 for a missing key because the OAC may also list the bucket (see oac_grants).
# 403 is left alone: the API's own 403s (and WAF blocks) must reach viewers unchanged. Error pages
# apply to every behaviour: an API 404 under /api/* also gets this page (its status is kept).
DEFAULT_ERROR_PAGES = (ErrorPage(404, "/404.html", 404),)


@dataclass(frozen=True)
class Behavior:
    """What one cache behaviour does, whichever origin it targets."""

    origin_id: str
    cache_policy: str
    origin_request_policy: str | None
    allowed_methods: Sequence[str]
    function: aws.cloudfront.Function | None
    edge_lambda_arn: pulumi.Input[str] | None = None


def site_origin(
    bucket_name: str, region: str, oac_id: pulumi.Input[str]
) -> aws.cloudfront.DistributionOriginArgs:
    # The REST endpoint (never the website endpoint: OAC cannot sign for it), built from the
    # name so the distribution need not wait for the bucket (cdn module docstring).
    return aws.cloudfront.DistributionOriginArgs(
        origin_id=SITE_ORIGIN,
        domain_name=f"{bucket_name}.s3.{region}.amazonaws.com",
        origin_access_control_id=oac_id,
    )


def oac_grants(bucket_arn: str, distribution_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
    """This distribution, and no other, may read objects (000-R2) and list keys, so a missing key
    is a 404 rather than a 403 (CloudFront OAC docs)."""
    only_this_distribution = {"StringEquals": {"AWS:SourceArn": distribution_arn}}
    principal = {"Service": "cloudfront.amazonaws.com"}
    return [
        iam_docs.statement(
            ["s3:GetObject"],
            [f"{bucket_arn}/*"],
            sid="CloudFrontReadsObjects",
            principal=principal,
            conditions=only_this_distribution,
        ),
        iam_docs.statement(
            ["s3:ListBucket"],
            [bucket_arn],
            sid="CloudFrontListsKeys",
            principal=principal,
            conditions=only_this_distribution,
        ),
    ]


def custom_origin(origin: CdnOrigin) -> aws.cloudfront.DistributionOriginArgs:
    return aws.cloudfront.DistributionOriginArgs(
        origin_id=origin.id,
        domain_name=origin.domain_name,
        origin_path=origin.origin_path or None,
        custom_headers=[
            aws.cloudfront.DistributionOriginCustomHeaderArgs(name=header, value=value)
            for header, value in origin.custom_headers
        ]
        or None,
        custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
            http_port=80,
            https_port=443,
            origin_protocol_policy=origin.protocol_policy,
            origin_ssl_protocols=["TLSv1.2"],
        ),
        origin_shield=aws.cloudfront.DistributionOriginOriginShieldArgs(
            enabled=True, origin_shield_region=origin.origin_shield_region
        )
        if origin.origin_shield_region
        else None,
    )


def rest_api_origin(
    api_id: pulumi.Input[str],
    region: str,
    stage: str,
    verify_secret: pulumi.Input[str],
    prefix: str = "/api",
) -> CdnOrigin:
    """A REST API stage behind `<prefix>/*`: caching off, the prefix stripped, the stage as origin
    path, and a secret header the API can require so only this distribution reaches it."""
    return CdnOrigin(
        id="api",
        domain_name=pulumi.Output.concat(api_id, f".execute-api.{region}.amazonaws.com"),
        path_pattern=f"{prefix}/*",
        origin_path=f"/{stage}",
        custom_headers=((ORIGIN_VERIFY_HEADER, verify_secret),),
        viewer_request_code=cdn_functions.strip_prefix(prefix),
    )


def error_responses(
    pages: Sequence[ErrorPage],
) -> list[aws.cloudfront.DistributionCustomErrorResponseArgs] | None:
    return [
        aws.cloudfront.DistributionCustomErrorResponseArgs(
            error_code=page.code,
            response_code=page.response_code,
            response_page_path=page.page_path,
            error_caching_min_ttl=page.caching_ttl_s,
        )
        for page in pages
    ] or None
