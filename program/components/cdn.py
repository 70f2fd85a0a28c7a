"""Cdn: the CloudFront distribution in front of a private site bucket and, optionally, other origins.

It owns the site bucket (a PrivateBucket reached only by this distribution through OAC, on its
REST endpoint: 000-R1/R2, 001-R2/R3; no website configuration, which OAC cannot use), the site's
objects, the OAC, a security-headers policy on every behaviour (002-R28), the CloudFront Functions
and a CLOUDFRONT-scope web ACL (a WebAcl, waf.py). Extra origins (an API Gateway stage, an ALB) get
their own path-pattern behaviours, with custom headers, Origin Shield and a viewer-request function
(002-R16/R19, 004-R20/R23); one of them may take the default behaviour (004: the ALB serves `/*`
and the bucket only `/errors/*`).

Edge code is CloudFront Functions (cloudfront-js-2.0), not Lambda@Edge (000-R3, 001-R4): an edge
Lambda must live in us-east-1, run on x86_64 with a published version and no environment, and its
replicas block `destroy` for hours ("because it is a replicated function"). A CloudFront Function
is global, costs no replicas and is deleted with the stack.

The cycle: the distribution needs the bucket's domain and the bucket policy needs the distribution
ARN (the OAC grant's AWS:SourceArn). A bucket has exactly one policy, so the grant cannot be a
second BucketPolicy. The bucket name is a plain string known up front, so its regional REST domain
is too: the distribution is created first from that domain, and the PrivateBucket second with the
grant naming `distribution.arn`. CloudFront checks the form of an S3 origin domain, not that the
bucket exists yet (🔍 not verified against AWS), so no ordering is needed between the two.

Not here: WAF logging. WebAcl can log, but a CLOUDFRONT ACL's `aws-waf-logs-` group must be in
us-east-1 and our log groups must be KMS-encrypted, so it would need a second CMK in us-east-1.
CloudFront alarms (metrics live in us-east-1 only) need an AlarmSpec with a region.
"""

from __future__ import annotations

import fnmatch
import hashlib
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from program import iam_docs, naming
from program.alarms import AlarmSpec, MetricRef
from program.components import cdn_functions
from program.components.bucket import PrivateBucket, PrivateBucketArgs
from program.components.waf import WebAcl, WebAclArgs, check_rate

SITE_DIR = Path(__file__).resolve().parents[2] / "site"
SITE_ORIGIN = "site"
# CloudFront's WAF, certificates and metrics live in us-east-1 whatever the stack's region.
EDGE_REGION = "us-east-1"
ORIGIN_VERIFY_HEADER = "x-origin-verify"
CACHING_OPTIMIZED = "Managed-CachingOptimized"
CACHING_DISABLED = "Managed-CachingDisabled"
ALL_VIEWER_EXCEPT_HOST = "Managed-AllViewerExceptHostHeader"
ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
READ_METHODS = ("GET", "HEAD", "OPTIONS")
CACHED_METHODS = ("GET", "HEAD")
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
# Objects are not invalidated on deploy (that is an API call, not a resource), so a short max-age
# makes a redeploy visible within minutes.
SITE_CACHE_CONTROL = "public, max-age=300"
# The static site loads nothing from another origin; the API is same-origin under /api/.
DEFAULT_CSP = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "upgrade-insecure-requests",
    )
)
_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_HEADER = re.compile(r"^[A-Za-z0-9-]+$")
# Python's built-in table only (no /etc/mime.types), so a file's type is the same on every machine.
_MIME = mimetypes.MimeTypes()
_MIME.add_type("font/woff2", ".woff2")
_MIME.add_type("image/webp", ".webp")


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

    def __post_init__(self) -> None:
        if not _ID.match(self.id) or self.id == SITE_ORIGIN:
            raise ValueError(f"origin id {self.id!r}: lowercase words and hyphens, not {SITE_ORIGIN!r}")
        if isinstance(self.domain_name, str) and ("/" in self.domain_name or not self.domain_name):
            raise ValueError(f"origin {self.id}: domain_name is a host name, got {self.domain_name!r}")
        if self.path_pattern is not None and not self.path_pattern.startswith("/"):
            raise ValueError(f"origin {self.id}: path_pattern must start with '/'")
        if self.origin_path and not cdn_functions.is_path_prefix(self.origin_path):
            raise ValueError(f"origin {self.id}: origin_path like '/prod' (no trailing slash)")
        for header, _value in self.custom_headers:
            if not _HEADER.match(header):
                raise ValueError(f"origin {self.id}: bad custom header name {header!r}")
        if self.viewer_request_code is not None:
            cdn_functions.check_code(self.viewer_request_code)


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
class CdnArgs:
    suffix: str
    account_id: str
    region: str
    purpose: str = "site"
    site_dir: str = str(SITE_DIR)
    origins: Sequence[CdnOrigin] = ()
    default_origin: str = SITE_ORIGIN
    # Paths the bucket serves when another origin has the default behaviour (004: "/errors/*").
    site_path_patterns: Sequence[str] = ()
    error_pages: Sequence[ErrorPage] = DEFAULT_ERROR_PAGES
    directory_index_function: bool = True  # 001-R2 closest valid; 000-R3/001-R4 edge function
    price_class: str = "PriceClass_100"
    is_ipv6_enabled: bool = True
    content_security_policy: str = DEFAULT_CSP
    waf_rate_limit: int = 2000  # requests per IP per window
    waf_rate_window_s: int = 300
    # A custom domain: the certificate must be in us-east-1.
    acm_certificate_arn: pulumi.Input[str] | None = None
    aliases: Sequence[str] = ()

    def __post_init__(self) -> None:
        site = Path(self.site_dir)
        if not (site / "index.html").is_file():
            raise ValueError(f"Cdn site_dir {self.site_dir!r}: no index.html")
        ids = [origin.id for origin in self.origins]
        if len(set(ids)) != len(ids):
            raise ValueError(f"Cdn origin ids must be unique, got {ids}")
        if self.default_origin not in (SITE_ORIGIN, *ids):
            raise ValueError(
                f"Cdn default_origin {self.default_origin!r} is not {SITE_ORIGIN!r} or an origin"
            )
        for origin in self.origins:
            if origin.path_pattern is None and origin.id != self.default_origin:
                raise ValueError(f"Cdn origin {origin.id}: needs a path_pattern (it is not the default)")
        patterns = [*self.site_path_patterns, *(o.path_pattern for o in self.origins if o.path_pattern)]
        if len(set(patterns)) != len(patterns):
            raise ValueError(f"Cdn path patterns must be unique, got {patterns}")
        for page in self.error_pages:
            if not (site / page.page_path.lstrip("/")).is_file():
                raise ValueError(f"Cdn error page {page.page_path}: not in {self.site_dir}")
            if not self._site_serves(page.page_path):
                raise ValueError(f"Cdn error page {page.page_path}: no behaviour routes it to the bucket")
        if self.price_class not in PRICE_CLASSES:
            raise ValueError(f"Cdn price_class {self.price_class!r}: one of {PRICE_CLASSES}")
        check_rate(self.waf_rate_limit, self.waf_rate_window_s)
        if self.aliases and self.acm_certificate_arn is None:
            raise ValueError("Cdn aliases need an acm_certificate_arn (in us-east-1)")

    def _site_serves(self, path: str) -> bool:
        return self.default_origin == SITE_ORIGIN or any(
            fnmatch.fnmatchcase(path, pattern) for pattern in self.site_path_patterns
        )


@dataclass(frozen=True)
class _Route:
    """What one cache behaviour does, whichever origin it targets."""

    origin_id: str
    cache_policy: str
    origin_request_policy: str | None
    allowed_methods: Sequence[str]
    function: aws.cloudfront.Function | None


class Cdn(pulumi.ComponentResource):
    """A CloudFront distribution, its private site bucket and objects, edge functions and WAF."""

    def __init__(self, name: str, args: CdnArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:cdn:Cdn", name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        self._policy_ids: dict[str, str] = {}
        bucket_name = naming.physical_name(args.purpose, args.suffix, "s3-bucket", account_id=args.account_id)

        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            name=self._physical("oac"),
            description=f"CloudFront reads {bucket_name}",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=self._child,
        )
        self._headers = self._security_headers()
        self.web_acl = self._web_acl()
        routes = self._routes()
        default = routes[args.default_origin]
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-distribution",
            comment=f"webstack {args.purpose} ({args.suffix})",
            enabled=True,
            is_ipv6_enabled=args.is_ipv6_enabled,
            http_version="http2and3",
            price_class=args.price_class,
            aliases=list(args.aliases) or None,
            # Only the bucket has an index document; an ALB default serves "/" itself.
            default_root_object="index.html" if args.default_origin == SITE_ORIGIN else None,
            origins=[self._site_origin(bucket_name, oac), *map(_custom_origin, args.origins)],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                **self._behavior(
                    default, aws.cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArgs
                )
            ),
            ordered_cache_behaviors=[
                aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
                    path_pattern=pattern,
                    **self._behavior(
                        routes[origin_id],
                        aws.cloudfront.DistributionOrderedCacheBehaviorFunctionAssociationArgs,
                    ),
                )
                for pattern, origin_id in self._ordered_patterns()
            ]
            or None,
            custom_error_responses=[
                aws.cloudfront.DistributionCustomErrorResponseArgs(
                    error_code=page.code,
                    response_code=page.response_code,
                    response_page_path=page.page_path,
                    error_caching_min_ttl=page.caching_ttl_s,
                )
                for page in args.error_pages
            ]
            or None,
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                    restriction_type="none"
                )
            ),
            viewer_certificate=_viewer_certificate(args.acm_certificate_arn),
            web_acl_id=self.web_acl.arn,  # WAFv2 attaches to CloudFront by ARN, not by association
            retain_on_delete=False,
            # Create/update return once CloudFront accepts the config instead of after the edge
            # rollout (often 5-15 min); the integration probes retry until the site answers.
            wait_for_deployment=False,
            opts=self._child,
        )
        self.bucket = PrivateBucket(
            f"{name}-bucket",
            PrivateBucketArgs(
                purpose=args.purpose,
                suffix=args.suffix,
                account_id=args.account_id,
                # Not KMS: the key policy would need this distribution's ARN too (002-R44).
                sse_algorithm="AES256",
                policy_statements=oac_grants(f"arn:aws:s3:::{bucket_name}", self.distribution.arn),
            ),
            opts=self._child,
        )
        self._upload_site()

        self.distribution_id = self.distribution.id
        self.arn = self.distribution.arn
        self.domain_name = self.distribution.domain_name
        self.url = pulumi.Output.concat("https://", self.distribution.domain_name)
        self.bucket_name = self.bucket.name
        self.web_acl_arn = self.web_acl.arn
        # CloudFront alarms must live in us-east-1 (with a topic there): AlarmSpec has no region yet.
        self.alarms: list[AlarmSpec] = []
        self.metrics: list[MetricRef] = cdn_metrics(args.purpose, self.distribution.id)
        self.register_outputs(
            {"url": self.url, "distribution_id": self.distribution_id, "bucket_name": self.bucket_name}
        )

    def _physical(self, what: str) -> str:
        # OAC, response-headers-policy and function names: all within 64 chars of [A-Za-z0-9_-].
        return naming.physical_name(f"{self._args.purpose}-{what}", self._args.suffix, "cloudfront-function")

    def _policy_id(self, name: str, kind: Literal["cache", "origin-request"]) -> str:
        """The id of an AWS managed policy, looked up by name (the ids are not ours to hard-code)."""
        if name not in self._policy_ids:
            invoke = pulumi.InvokeOptions(parent=self)
            found = (
                aws.cloudfront.get_cache_policy(name=name, opts=invoke).id
                if kind == "cache"
                else aws.cloudfront.get_origin_request_policy(name=name, opts=invoke).id
            )
            if not found:
                raise ValueError(f"Cdn: no CloudFront {kind} policy named {name!r}")
            self._policy_ids[name] = found
        return self._policy_ids[name]

    def _function(self, what: str, code: str, comment: str) -> aws.cloudfront.Function:
        return aws.cloudfront.Function(
            f"{self._name}-{what}",
            name=self._physical(what),
            runtime="cloudfront-js-2.0",
            comment=comment,
            code=code,
            publish=True,  # associations run the LIVE stage
            opts=self._child,
        )

    def _routes(self) -> dict[str, _Route]:
        index = (
            self._function("index", cdn_functions.directory_index(), "dir/ -> dir/index.html (001-R2)")
            if self._args.directory_index_function
            else None
        )
        routes = {SITE_ORIGIN: _Route(SITE_ORIGIN, CACHING_OPTIMIZED, None, READ_METHODS, index)}
        for origin in self._args.origins:
            function = (
                self._function(
                    f"{origin.id}-request", origin.viewer_request_code, f"{origin.id} viewer request"
                )
                if origin.viewer_request_code
                else None
            )
            routes[origin.id] = _Route(
                origin.id, origin.cache_policy, origin.origin_request_policy, ALL_METHODS, function
            )
        return routes

    def _ordered_patterns(self) -> list[tuple[str, str]]:
        site = [(pattern, SITE_ORIGIN) for pattern in self._args.site_path_patterns]
        return site + [(o.path_pattern, o.id) for o in self._args.origins if o.path_pattern]

    def _behavior(self, route: _Route, association: type[Any]) -> dict[str, Any]:
        """Arguments every behaviour shares: HTTPS (000-R19), compression, the headers policy."""
        return {
            "target_origin_id": route.origin_id,
            "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": list(route.allowed_methods),
            "cached_methods": list(CACHED_METHODS),
            "compress": True,
            "cache_policy_id": self._policy_id(route.cache_policy, "cache"),
            "origin_request_policy_id": self._policy_id(route.origin_request_policy, "origin-request")
            if route.origin_request_policy
            else None,
            "response_headers_policy_id": self._headers.id,  # 002-R28
            "function_associations": [
                association(event_type="viewer-request", function_arn=route.function.arn)
            ]
            if route.function
            else None,
        }

    def _site_origin(
        self, bucket_name: str, oac: aws.cloudfront.OriginAccessControl
    ) -> aws.cloudfront.DistributionOriginArgs:
        # The REST endpoint (never the website endpoint: OAC cannot sign for it), built from the
        # name so the distribution need not wait for the bucket (module docstring).
        return aws.cloudfront.DistributionOriginArgs(
            origin_id=SITE_ORIGIN,
            domain_name=f"{bucket_name}.s3.{self._args.region}.amazonaws.com",
            origin_access_control_id=oac.id,
        )

    def _security_headers(self) -> aws.cloudfront.ResponseHeadersPolicy:
        sec = aws.cloudfront
        return sec.ResponseHeadersPolicy(
            f"{self._name}-security-headers",
            name=self._physical("security-headers"),
            comment="HSTS, CSP, nosniff, frame DENY, referrer policy (002-R28)",
            security_headers_config=sec.ResponseHeadersPolicySecurityHeadersConfigArgs(
                strict_transport_security=sec.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
                    access_control_max_age_sec=63_072_000,
                    include_subdomains=True,
                    preload=False,
                    override=True,
                ),
                content_type_options=sec.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(
                    override=True
                ),
                frame_options=sec.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                    frame_option="DENY", override=True
                ),
                referrer_policy=sec.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
                    referrer_policy="strict-origin-when-cross-origin", override=True
                ),
                content_security_policy=sec.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs(
                    content_security_policy=self._args.content_security_policy, override=True
                ),
                xss_protection=sec.ResponseHeadersPolicySecurityHeadersConfigXssProtectionArgs(
                    protection=True, mode_block=True, override=True
                ),
            ),
            opts=self._child,
        )

    def _web_acl(self) -> WebAcl:
        args = self._args
        return WebAcl(
            f"{self._name}-waf",
            WebAclArgs(
                purpose=f"{args.purpose}-edge",
                suffix=args.suffix,
                description=f"CloudFront {args.purpose}: AWS managed rules and a per-IP rate limit",
                scope="CLOUDFRONT",  # in us-east-1, whatever the stack's region
                rate_limit=args.waf_rate_limit,
                rate_window_s=args.waf_rate_window_s,
            ),
            opts=self._child,
        )

    def _upload_site(self) -> None:
        for key, path in site_files(Path(self._args.site_dir)):
            aws.s3.BucketObjectv2(
                f"{self._name}-object-{key}",
                bucket=self.bucket.name,
                key=key,
                source=pulumi.FileAsset(str(path)),
                content_type=content_type(path),
                cache_control=SITE_CACHE_CONTROL,
                # source_hash, not etag: it redeploys on change whatever the bucket's encryption.
                source_hash=hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest(),
                opts=self._child,
            )


def _custom_origin(origin: CdnOrigin) -> aws.cloudfront.DistributionOriginArgs:
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


def _viewer_certificate(
    certificate_arn: pulumi.Input[str] | None,
) -> aws.cloudfront.DistributionViewerCertificateArgs:
    if certificate_arn is None:
        # The *.cloudfront.net certificate: its minimum protocol is CloudFront's to fix, not ours.
        return aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True)
    return aws.cloudfront.DistributionViewerCertificateArgs(
        acm_certificate_arn=certificate_arn,
        ssl_support_method="sni-only",
        minimum_protocol_version="TLSv1.2_2021",
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


def site_files(site_dir: Path) -> list[tuple[str, Path]]:
    """(object key, file) for every file under `site_dir`, hidden files and folders left out."""
    found = []
    for path in sorted(site_dir.rglob("*")):
        relative = path.relative_to(site_dir)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            found.append((relative.as_posix(), path))
    return found


def content_type(path: Path) -> str:
    kind = _MIME.guess_type(path.name)[0] or "application/octet-stream"
    textual = kind.startswith("text/") or kind in ("application/json", "image/svg+xml")
    return f"{kind}; charset=utf-8" if textual else kind


def cdn_metrics(purpose: str, distribution_id: pulumi.Input[str]) -> list[MetricRef]:
    """CloudFront publishes these in us-east-1 with Region=Global; a dashboard must ask there."""
    dims = {"DistributionId": distribution_id, "Region": "Global"}
    return [
        MetricRef(f"{purpose} requests", "AWS/CloudFront", "Requests", dims, region=EDGE_REGION),
        MetricRef(f"{purpose} 4xx rate", "AWS/CloudFront", "4xxErrorRate", dims, "Average", EDGE_REGION),
        MetricRef(f"{purpose} 5xx rate", "AWS/CloudFront", "5xxErrorRate", dims, "Average", EDGE_REGION),
    ]
