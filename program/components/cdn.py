"""Cdn: the CloudFront distribution in front of a private site bucket and, optionally, other origins.

It owns the site bucket (a PrivateBucket reached only by this distribution through OAC, on its
REST endpoint: 000-R1/R2, 001-R2/R3; no website configuration, which OAC cannot use), the site's
objects, the OAC, a security-headers policy on every behaviour (002-R28), the CloudFront Functions
and a CLOUDFRONT-scope web ACL (a WebAcl, waf.py). Extra origins (an API Gateway stage, an ALB) get
their own path-pattern behaviours, with custom headers, Origin Shield and a viewer-request function
(002-R16/R19, 004-R20/R23); one of them may take the default behaviour (004: the ALB serves `/*`
and the bucket only `/errors/*`). The plain parts live beside it: origins, behaviours, error pages
and the OAC grant in cdn_origins.py, the site's objects and security headers in site.py.

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

WAF logging (``waf_logging``) and access logs (``access_logging``, edge_logs.py) go to log groups
in us-east-1, where CloudFront's ACL and vended logs live, encrypted with a key there. Not here:
CloudFront alarms (metrics live in us-east-1 only, and an alarm notifies a topic in its region).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from program import arns
from program.alarms import AlarmSpec, MetricRef
from program.components import cdn_functions
from program.components.bucket import PrivateBucket, PrivateBucketArgs, known_bucket_arn
from program.components.cdn_origins import (
    ALL_METHODS,
    CACHING_OPTIMIZED,
    DEFAULT_ERROR_PAGES,
    READ_METHODS,
    SITE_ORIGIN,
    Behavior,
    CdnOrigin,
    ErrorPage,
    custom_origin,
    error_responses,
    oac_grants,
    site_origin,
)
from program.components.edge_logs import access_log_group_name, cloudfront_access_logs
from program.components.site import DEFAULT_CSP, SITE_DIR, security_headers_policy, upload_site
from program.components.waf import (
    LogGroupTarget,
    WebAcl,
    WebAclArgs,
    check_rate,
    log_delivery_policy,
    waf_log_group_name,
)
from program.scope import EDGE_REGION, Scope

CACHED_METHODS = ("GET", "HEAD")
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")


@dataclass(frozen=True)
class CdnArgs:
    scope: Scope
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
    waf_logging: LogGroupTarget | None = None  # its region must be us-east-1
    access_logging: LogGroupTarget | None = None  # CloudFront standard logging v2, us-east-1
    # Server access logs of the site bucket go to this bucket (same region and account).
    access_log_bucket: pulumi.Input[str] | None = None
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


class Cdn(pulumi.ComponentResource):
    """A CloudFront distribution, its private site bucket and objects, edge functions and WAF."""

    def __init__(self, name: str, args: CdnArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("webstack:cdn:Cdn", name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        self._policy_ids: dict[str, str] = {}
        bucket_name = args.scope.bucket_name(args.purpose)

        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            name=self._physical("oac"),
            description=f"CloudFront reads {bucket_name}",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=self._child,
        )
        self._headers = security_headers_policy(
            name, self._physical("security-headers"), args.content_security_policy, self._child
        )
        self._waf_logging, self._access_logging = self._log_targets()
        self.web_acl = self._web_acl()
        routes = self._routes()
        default = routes[args.default_origin]
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-distribution",
            comment=f"webstack {args.purpose} ({args.scope.suffix})",
            enabled=True,
            is_ipv6_enabled=args.is_ipv6_enabled,
            http_version="http2and3",
            price_class=args.price_class,
            aliases=list(args.aliases) or None,
            # Only the bucket has an index document; an ALB default serves "/" itself.
            default_root_object="index.html" if args.default_origin == SITE_ORIGIN else None,
            origins=[site_origin(bucket_name, args.scope.region, oac.id), *map(custom_origin, args.origins)],
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
            custom_error_responses=error_responses(args.error_pages),
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
                scope=args.scope,
                # Not KMS: the key policy would need this distribution's ARN too (002-R44).
                sse_algorithm="AES256",
                policy_statements=oac_grants(
                    known_bucket_arn(args.purpose, args.scope), self.distribution.arn
                ),
                access_log_bucket=args.access_log_bucket,
            ),
            opts=self._child,
        )
        upload_site(name, self.bucket.name, Path(args.site_dir), self._child)
        if self._access_logging is not None:
            cloudfront_access_logs(
                name, args.purpose, self.distribution.arn, self._access_logging, self._child
            )

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
        return self._args.scope.name(f"{self._args.purpose}-{what}", "cloudfront-function")

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

    def _routes(self) -> dict[str, Behavior]:
        index = (
            self._function("index", cdn_functions.directory_index(), "dir/ -> dir/index.html (001-R2)")
            if self._args.directory_index_function
            else None
        )
        routes = {SITE_ORIGIN: Behavior(SITE_ORIGIN, CACHING_OPTIMIZED, None, READ_METHODS, index)}
        for origin in self._args.origins:
            function = (
                self._function(
                    f"{origin.id}-request", origin.viewer_request_code, f"{origin.id} viewer request"
                )
                if origin.viewer_request_code
                else None
            )
            routes[origin.id] = Behavior(
                origin.id,
                origin.cache_policy,
                origin.origin_request_policy,
                ALL_METHODS,
                function,
                origin.viewer_request_lambda_arn,
            )
        return routes

    def _ordered_patterns(self) -> list[tuple[str, str]]:
        site = [(pattern, SITE_ORIGIN) for pattern in self._args.site_path_patterns]
        return site + [(o.path_pattern, o.id) for o in self._args.origins if o.path_pattern]

    def _behavior(self, route: Behavior, association: type[Any]) -> dict[str, Any]:
        """Arguments every behaviour shares: HTTPS (000-R19), compression, the headers policy."""
        edge: dict[str, Any] = {}
        if route.edge_lambda_arn is not None:
            kind = (
                aws.cloudfront.DistributionDefaultCacheBehaviorLambdaFunctionAssociationArgs
                if association is aws.cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArgs
                else aws.cloudfront.DistributionOrderedCacheBehaviorLambdaFunctionAssociationArgs
            )
            # Lambda@Edge by its published version (002-R27/R29); the body stays with the origin.
            edge["lambda_function_associations"] = [
                kind(event_type="viewer-request", lambda_arn=route.edge_lambda_arn, include_body=False)
            ]
        return {
            **edge,
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

    def _web_acl(self) -> WebAcl:
        args = self._args
        return WebAcl(
            f"{self._name}-waf",
            WebAclArgs(
                purpose=f"{args.purpose}-edge",
                scope=args.scope,
                description=f"CloudFront {args.purpose}: AWS managed rules and a per-IP rate limit",
                acl_scope="CLOUDFRONT",  # in us-east-1, whatever the stack's region
                rate_limit=args.waf_rate_limit,
                rate_window_s=args.waf_rate_window_s,
                logging=self._waf_logging,
            ),
            opts=self._child,
        )

    def _log_targets(self) -> tuple[LogGroupTarget | None, LogGroupTarget | None]:
        """WAF and access logs in one region share one log-delivery resource policy (a per-region
        quota of the account); their group ARNs are known from the names before the groups exist."""
        args = self._args
        waf_logs, access_logs = args.waf_logging, args.access_logging
        if waf_logs is None or access_logs is None or waf_logs.scope != access_logs.scope:
            return waf_logs, access_logs
        scope = waf_logs.scope
        groups = [
            arns.log_group(scope.region, scope.account_id, group)
            for group in (
                waf_log_group_name(f"{args.purpose}-edge", scope),
                access_log_group_name(args.purpose, scope),
            )
        ]
        policy = log_delivery_policy(
            f"{self._name}-logs-policy",
            scope.name(f"edge-logs-{args.purpose}"),
            groups,
            scope,
            self._child,
            region=scope.region,
        )
        return replace(waf_logs, delivery_policy=policy), replace(access_logs, delivery_policy=policy)


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


def cdn_metrics(purpose: str, distribution_id: pulumi.Input[str]) -> list[MetricRef]:
    """CloudFront publishes these in us-east-1 with Region=Global; a dashboard must ask there."""
    dims = {"DistributionId": distribution_id, "Region": "Global"}
    return [
        MetricRef(f"{purpose} requests", "AWS/CloudFront", "Requests", dims, region=EDGE_REGION),
        MetricRef(f"{purpose} 4xx rate", "AWS/CloudFront", "4xxErrorRate", dims, "Average", EDGE_REGION),
        MetricRef(f"{purpose} 5xx rate", "AWS/CloudFront", "5xxErrorRate", dims, "Average", EDGE_REGION),
    ]
