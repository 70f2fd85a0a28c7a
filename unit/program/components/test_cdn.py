"""Cdn component, asserted on the captured graph (000-R1/R2/R3/R19, 001-R2/R3/R4, 002-R16/R19/R28/R44,
004-R17/R20/R22/R23), plus its edge code run under node."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plan.capture import CapturedResource, Graph
from plan.mocks import MANAGED_CACHE_POLICIES, MANAGED_ORIGIN_REQUEST_POLICIES
from program.components import cdn_functions
from program.components.cdn import Cdn, CdnArgs, cdn_metrics
from program.components.cdn_origins import CdnOrigin, ErrorPage, oac_grants, rest_api_origin
from program.components.site import SITE_DIR
from program.scope import Scope
from unit.conftest import capture_fn

ACCOUNT = "123456789012"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
CF_FUNCTION = "aws:cloudfront/function:Function"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
BUCKET = "aws:s3/bucket:Bucket"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
SECRET = "verify-me"


def cdn_graph(preview: bool = False, **overrides: Any) -> Graph:
    def program() -> None:
        args: dict[str, Any] = {
            "scope": Scope("dev", ACCOUNT, "us-west-2"),
            "origins": [rest_api_origin("abc123def4", "us-west-2", "prod", SECRET)],
        }
        Cdn("cdn", CdnArgs(**{**args, **overrides}))

    return capture_fn(program, preview=preview)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return cdn_graph()


def distribution(graph: Graph) -> dict[str, Any]:
    return graph.one(DISTRIBUTION).inputs


def behaviors(graph: Graph) -> list[dict[str, Any]]:
    dist = distribution(graph)
    return [dist["defaultCacheBehavior"], *dist.get("orderedCacheBehaviors", [])]


def origin(graph: Graph, origin_id: str) -> dict[str, Any]:
    (found,) = [o for o in distribution(graph)["origins"] if o["originId"] == origin_id]
    return found


def behavior_for(graph: Graph, pattern: str) -> dict[str, Any]:
    (found,) = [b for b in distribution(graph)["orderedCacheBehaviors"] if b["pathPattern"] == pattern]
    return found


def function_by_arn(graph: Graph, arn: str) -> CapturedResource:
    (found,) = [f for f in graph.by_type(CF_FUNCTION) if f.outputs["arn"] == arn]
    return found


def bucket_policy(graph: Graph) -> dict[str, Any]:
    policy = graph.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"]
    return json.loads(policy)


# -- the site origin: a private bucket behind OAC -------------------------------------------------


def test_000_R1_site_origin_is_the_buckets_regional_rest_endpoint_with_oac(graph: Graph) -> None:
    site = origin(graph, "site")
    bucket = graph.one(BUCKET).outputs
    assert site["domainName"] == bucket["bucketRegionalDomainName"]
    assert "s3-website" not in site["domainName"]
    assert (
        site["originAccessControlId"]
        == graph.one("aws:cloudfront/originAccessControl:OriginAccessControl").outputs["id"]
    )
    assert "customOriginConfig" not in site and "s3OriginConfig" not in site


def test_000_R2_oac_signs_every_s3_request_with_sigv4(graph: Graph) -> None:
    oac = graph.one("aws:cloudfront/originAccessControl:OriginAccessControl").inputs
    assert oac["originAccessControlOriginType"] == "s3"
    assert oac["signingBehavior"] == "always" and oac["signingProtocol"] == "sigv4"
    assert oac["name"] == "site-oac-dev"


def test_000_R2_001_R3_bucket_policy_lets_only_this_distribution_read(graph: Graph) -> None:
    bucket = graph.one(BUCKET).outputs
    grants = [
        s
        for s in bucket_policy(graph)["Statement"]
        if s["Effect"] == "Allow" and s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}
    ]
    by_action = {action: s for s in grants for action in s["Action"]}
    assert set(by_action) == {"s3:GetObject", "s3:ListBucket"}
    assert by_action["s3:GetObject"]["Resource"] == [f"{bucket['arn']}/*"]
    assert by_action["s3:ListBucket"]["Resource"] == [bucket["arn"]]
    source_arn = graph.one(DISTRIBUTION).outputs["arn"]
    for statement in grants:
        assert statement["Condition"] == {"StringEquals": {"AWS:SourceArn": source_arn}}


def test_000_R19_bucket_policy_still_denies_non_tls(graph: Graph) -> None:
    (deny,) = [s for s in bucket_policy(graph)["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_000_R2_001_R3_bucket_blocks_public_access_and_enforces_ownership(graph: Graph) -> None:
    block = graph.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block[flag] is True
    ownership = graph.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"]["objectOwnership"] == "BucketOwnerEnforced"


def test_001_R2_no_website_configuration_anywhere(graph: Graph) -> None:
    assert not [r for r in graph.resources if "bucketWebsiteConfiguration" in r.type]
    assert "website" not in graph.one(BUCKET).inputs  # the deprecated inline form
    assert not [o for o in distribution(graph)["origins"] if "s3-website" in o["domainName"]]


def test_002_R44_site_bucket_is_encrypted_with_aes256(graph: Graph) -> None:
    sse = graph.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs
    assert sse["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"


def test_bucket_is_named_for_the_account_and_suffix(graph: Graph) -> None:
    assert graph.one(BUCKET).inputs["bucket"] == f"site-{ACCOUNT}-dev"


# -- the distribution ---------------------------------------------------------------------------


def test_001_R2_root_object_and_a_404_page_from_the_bucket(graph: Graph) -> None:
    dist = distribution(graph)
    assert dist["defaultRootObject"] == "index.html"
    (page,) = dist["customErrorResponses"]
    assert (page["errorCode"], page["responseCode"], page["responsePagePath"]) == (404, 404, "/404.html")
    assert page["errorCachingMinTtl"] <= 60
    assert "404.html" in {o.inputs["key"] for o in graph.by_type(OBJECT)}


def test_000_R3_001_R4_directory_index_is_a_cloudfront_function_not_lambda_at_edge(graph: Graph) -> None:
    default = distribution(graph)["defaultCacheBehavior"]
    (association,) = default["functionAssociations"]
    assert association["eventType"] == "viewer-request"
    function = function_by_arn(graph, association["functionArn"]).inputs
    assert function["runtime"] == "cloudfront-js-2.0" and function["publish"] is True
    assert function["code"] == cdn_functions.directory_index()
    assert all("lambdaFunctionAssociations" not in b for b in behaviors(graph))
    assert not graph.by_type("aws:lambda/function:Function")


def test_000_R3_directory_index_function_can_be_left_out() -> None:
    graph = cdn_graph(directory_index_function=False, origins=[])
    assert "functionAssociations" not in distribution(graph)["defaultCacheBehavior"]
    assert not graph.by_type(CF_FUNCTION)


def test_000_R19_every_behavior_redirects_to_https(graph: Graph) -> None:
    assert len(behaviors(graph)) == 2
    assert {b["viewerProtocolPolicy"] for b in behaviors(graph)} == {"redirect-to-https"}


def test_002_R28_every_behavior_carries_the_security_headers_policy(graph: Graph) -> None:
    policy = graph.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    assert {b["responseHeadersPolicyId"] for b in behaviors(graph)} == {policy.outputs["id"]}
    headers = policy.inputs["securityHeadersConfig"]
    assert headers["strictTransportSecurity"]["accessControlMaxAgeSec"] >= 31_536_000
    assert headers["contentTypeOptions"]["override"] is True
    assert headers["frameOptions"]["frameOption"] == "DENY"
    assert headers["referrerPolicy"]["referrerPolicy"] == "strict-origin-when-cross-origin"
    assert "default-src 'self'" in headers["contentSecurityPolicy"]["contentSecurityPolicy"]
    assert headers["xssProtection"]["protection"] is True and headers["xssProtection"]["modeBlock"] is True
    assert all(h["override"] is True for h in headers.values())


def test_002_R19_static_default_is_cached_optimized_and_compressed(graph: Graph) -> None:
    default = distribution(graph)["defaultCacheBehavior"]
    assert default["targetOriginId"] == "site"
    assert default["cachePolicyId"] == MANAGED_CACHE_POLICIES["Managed-CachingOptimized"]
    assert default["compress"] is True
    assert "originRequestPolicyId" not in default  # S3 must see its own Host header
    assert set(default["allowedMethods"]) == {"GET", "HEAD", "OPTIONS"}


def test_distribution_settings(graph: Graph) -> None:
    dist = distribution(graph)
    assert dist["priceClass"] == "PriceClass_100"
    assert dist["httpVersion"] == "http2and3" and dist["isIpv6Enabled"] is True
    assert dist["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    assert dist["restrictions"]["geoRestriction"]["restrictionType"] == "none"


def test_distribution_is_destroyable_without_waiting_for_the_edge(graph: Graph) -> None:
    dist = graph.one(DISTRIBUTION)
    assert dist.inputs["retainOnDelete"] is False and dist.options["retainOnDelete"] is False
    assert dist.options["protect"] is False
    assert dist.inputs["waitForDeployment"] is False


def test_distribution_does_not_wait_for_the_bucket(graph: Graph) -> None:
    # The cycle is broken by naming: the distribution takes the domain from the bucket's name.
    dist = graph.one(DISTRIBUTION)
    assert not [urn for urn in dist.options["dependencies"] if "s3/" in urn]
    policy = graph.one("aws:s3/bucketPolicy:BucketPolicy")
    assert dist.urn in policy.options["propertyDependencies"]["policy"]


# -- extra origins ------------------------------------------------------------------------------


def test_001_R5_api_paths_reach_the_stage_with_the_verify_header(graph: Graph) -> None:
    api = origin(graph, "api")
    assert api["domainName"] == "abc123def4.execute-api.us-west-2.amazonaws.com"
    assert api["originPath"] == "/prod"
    assert api["customHeaders"] == [{"name": "x-origin-verify", "value": SECRET}]
    config = api["customOriginConfig"]
    assert config["originProtocolPolicy"] == "https-only" and config["originSslProtocols"] == ["TLSv1.2"]
    behavior = behavior_for(graph, "/api/*")
    assert behavior["targetOriginId"] == "api"
    assert behavior["cachePolicyId"] == MANAGED_CACHE_POLICIES["Managed-CachingDisabled"]
    assert (
        behavior["originRequestPolicyId"]
        == MANAGED_ORIGIN_REQUEST_POLICIES["Managed-AllViewerExceptHostHeader"]
    )
    assert {"POST", "PATCH", "GET"} <= set(behavior["allowedMethods"])


def test_001_R5_api_behavior_strips_the_prefix_at_the_edge(graph: Graph) -> None:
    (association,) = behavior_for(graph, "/api/*")["functionAssociations"]
    function = function_by_arn(graph, association["functionArn"]).inputs
    assert association["eventType"] == "viewer-request"
    assert function["runtime"] == "cloudfront-js-2.0"
    assert function["code"] == cdn_functions.strip_prefix("/api")
    assert function["name"] == "site-api-request-dev"


def alb_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "errors").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>x</title>")
    (site / "errors" / "5xx.html").write_text("<!doctype html><title>down</title>")
    return site


def test_004_R20_R22_R23_alb_takes_the_default_and_the_bucket_serves_error_pages(tmp_path: Path) -> None:
    alb = CdnOrigin(
        id="alb",
        domain_name="media-alb-dev-123.ap-southeast-1.elb.amazonaws.com",
        path_pattern=None,
        protocol_policy="http-only",
        origin_shield_region="ap-southeast-1",
        custom_headers=(("x-origin-verify", SECRET),),
    )
    pages = [ErrorPage(code, "/errors/5xx.html", code) for code in (500, 502, 503, 504)]
    graph = cdn_graph(
        site_dir=str(alb_site(tmp_path)),
        origins=[alb],
        default_origin="alb",
        site_path_patterns=("/errors/*",),
        error_pages=pages,
        waf_rate_limit=1000,
        waf_rate_window_s=60,
    )
    dist = distribution(graph)
    assert dist["defaultCacheBehavior"]["targetOriginId"] == "alb"
    assert "defaultRootObject" not in dist
    assert behavior_for(graph, "/errors/*")["targetOriginId"] == "site"
    alb_origin = origin(graph, "alb")
    assert alb_origin["originShield"] == {"enabled": True, "originShieldRegion": "ap-southeast-1"}
    assert alb_origin["customOriginConfig"]["originProtocolPolicy"] == "http-only"
    assert {p["errorCode"] for p in dist["customErrorResponses"]} == {500, 502, 503, 504}
    rate = next(r for r in graph.one(WEB_ACL).inputs["rules"] if "rateBasedStatement" in r["statement"])
    rate = rate["statement"]["rateBasedStatement"]
    assert (rate["limit"], rate["evaluationWindowSec"]) == (1000, 60)  # 004-R17


def test_002_R16_alb_api_origin_over_http_without_a_certificate() -> None:
    alb = CdnOrigin(
        id="alb", domain_name="catalog-alb-dev.us-east-1.elb.amazonaws.com", path_pattern="/api/*",
        protocol_policy="http-only",
    )  # fmt: skip
    graph = cdn_graph(origins=[alb])
    assert origin(graph, "alb")["customOriginConfig"]["originProtocolPolicy"] == "http-only"
    behavior = behavior_for(graph, "/api/*")
    assert behavior["cachePolicyId"] == MANAGED_CACHE_POLICIES["Managed-CachingDisabled"]
    assert "functionAssociations" not in behavior


def test_custom_domain_gets_tls_1_2_and_sni() -> None:
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    dist = distribution(cdn_graph(acm_certificate_arn=cert, aliases=("www.example.com",)))
    assert dist["aliases"] == ["www.example.com"]
    assert dist["viewerCertificate"] == {
        "acmCertificateArn": cert,
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    }


# -- WAF ----------------------------------------------------------------------------------------


def test_waf_is_cloudfront_scope_in_us_east_1_and_attached_by_arn(graph: Graph) -> None:
    acl = graph.one(WEB_ACL)
    assert acl.inputs["scope"] == "CLOUDFRONT" and acl.inputs["region"] == "us-east-1"
    assert acl.inputs["name"] == "site-edge-dev"
    assert "defaultAction" in acl.inputs and "allow" in acl.inputs["defaultAction"]
    assert distribution(graph)["webAclId"] == acl.outputs["arn"]
    assert acl.outputs["arn"].startswith("arn:aws:wafv2:us-east-1:")


def test_waf_runs_a_rate_limit_then_aws_managed_groups(graph: Graph) -> None:
    rules = sorted(graph.one(WEB_ACL).inputs["rules"], key=lambda r: r["priority"])
    groups = [r["statement"]["managedRuleGroupStatement"] for r in rules[1:]]
    assert [(g["vendorName"], g["name"]) for g in groups] == [
        ("AWS", "AWSManagedRulesCommonRuleSet"),
        ("AWS", "AWSManagedRulesKnownBadInputsRuleSet"),
    ]
    assert all(r["overrideAction"] == {"none": {}} for r in rules[1:])
    rate = rules[0]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"] == {
        "limit": 2000,
        "evaluationWindowSec": 300,
        "aggregateKeyType": "IP",
    }
    assert len({r["priority"] for r in rules}) == 3
    assert all(r["visibilityConfig"]["cloudwatchMetricsEnabled"] is True for r in rules)


def test_waf_is_a_web_acl_component_keeping_its_name(graph: Graph) -> None:
    component = graph.one("webstack:waf:WebAcl", "cdn-waf")
    assert component.parent == graph.one("webstack:cdn:Cdn").urn
    (acl,) = graph.children(component.urn)
    assert (acl.type, acl.name) == (WEB_ACL, "cdn-waf")


# -- site objects -------------------------------------------------------------------------------


def test_every_site_file_is_uploaded_with_its_type_and_hash(graph: Graph) -> None:
    objects = {o.inputs["key"]: o.inputs for o in graph.by_type(OBJECT)}
    assert set(objects) == {"index.html", "404.html", "css/site.css"}
    assert objects["index.html"]["contentType"] == "text/html; charset=utf-8"
    assert objects["css/site.css"]["contentType"] == "text/css; charset=utf-8"
    for key, inputs in objects.items():
        data = (SITE_DIR / key).read_bytes()
        assert inputs["sourceHash"] == hashlib.md5(data, usedforsecurity=False).hexdigest()
        assert inputs["source"]["path"] == str(SITE_DIR / key)
        assert inputs["bucket"] == graph.one(BUCKET).outputs["bucket"]


# -- names, outputs, preview --------------------------------------------------------------------


def test_every_physical_name_ends_with_the_suffix(graph: Graph) -> None:
    nameable = (
        BUCKET,
        CF_FUNCTION,
        WEB_ACL,
        "aws:cloudfront/originAccessControl:OriginAccessControl",
        "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
    )
    names = [r.inputs.get("name") or r.inputs["bucket"] for r in graph.resources if r.type in nameable]
    assert len(names) == 6 and all(name.endswith("-dev") for name in names)


def test_metrics_are_cloudfront_global() -> None:
    metrics = cdn_metrics("site", "E123")
    assert [m.metric_name for m in metrics] == ["Requests", "4xxErrorRate", "5xxErrorRate"]
    assert all(m.namespace == "AWS/CloudFront" for m in metrics)
    assert all(m.dimensions == {"DistributionId": "E123", "Region": "Global"} for m in metrics)


def test_oac_grants_are_conditioned_on_the_distribution() -> None:
    grants = oac_grants("arn:aws:s3:::b", "arn:aws:cloudfront::1:distribution/E1")
    assert all(g["Condition"]["StringEquals"]["AWS:SourceArn"].endswith("/E1") for g in grants)
    assert all(g["Principal"] == {"Service": "cloudfront.amazonaws.com"} for g in grants)


def test_preview_builds_the_same_resources() -> None:
    preview = cdn_graph(preview=True)
    full = cdn_graph()
    assert sorted((r.type, r.name) for r in preview.resources) == sorted(
        (r.type, r.name) for r in full.resources
    )


# -- argument validation ------------------------------------------------------------------------


def args(**overrides: Any) -> CdnArgs:
    return CdnArgs(**{"scope": Scope("dev", ACCOUNT, "us-west-2"), **overrides})


def api(**overrides: Any) -> CdnOrigin:
    return CdnOrigin(**{"id": "api", "domain_name": "x.example.com", "path_pattern": "/api/*", **overrides})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"origins": [api(), api()]}, "unique"),
        ({"origins": [api(path_pattern=None)]}, "needs a path_pattern"),
        ({"default_origin": "nope"}, "default_origin"),
        ({"site_path_patterns": ("/api/*",), "origins": [api()]}, "path patterns must be unique"),
        ({"error_pages": [ErrorPage(404, "/missing.html", 404)]}, "not in"),
        ({"price_class": "PriceClass_Cheap"}, "price_class"),
        ({"waf_rate_window_s": 30}, "WAF rate"),
        ({"waf_rate_limit": 5}, "WAF rate"),
        ({"aliases": ("www.example.com",)}, "acm_certificate_arn"),
    ],
)
def test_args_are_validated(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        args(**overrides)


def test_site_dir_needs_an_index(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no index\.html"):
        args(site_dir=str(tmp_path))


def test_error_page_must_come_from_the_bucket(tmp_path: Path) -> None:
    alb = api(id="alb", path_pattern=None)
    page = ErrorPage(502, "/errors/5xx.html", 502)
    with pytest.raises(ValueError, match="no behaviour routes it"):
        args(site_dir=str(alb_site(tmp_path)), origins=[alb], default_origin="alb", error_pages=[page])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id": "site"}, "origin id"),
        ({"id": "API"}, "origin id"),
        ({"domain_name": "https://x.example.com"}, "host name"),
        ({"path_pattern": "api/*"}, "start with '/'"),
        ({"origin_path": "/prod/"}, "origin_path"),
        ({"custom_headers": (("x origin", "v"),)}, "header name"),
        ({"viewer_request_code": "function main(e) { return e.request; }"}, "handler"),
    ],
)
def test_origins_are_validated(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        api(**overrides)


# -- the edge code itself -----------------------------------------------------------------------


def js_sources() -> Iterator[Path]:
    return iter(sorted(cdn_functions.FUNCTIONS_DIR.glob("*.js")))


@pytest.mark.parametrize("source", list(js_sources()), ids=lambda p: p.name)
def test_function_sources_define_a_handler(source: Path) -> None:
    code = source.read_text()
    assert "function handler(event)" in code
    assert code.count("{") == code.count("}") and code.count("(") == code.count(")")
    assert "require(" not in code and "import " not in code  # nothing the runtime would refuse


def test_prefix_is_quoted_into_the_code() -> None:
    assert 'var PREFIX = "/api";' in cdn_functions.strip_prefix("/api")
    with pytest.raises(ValueError, match="prefix"):
        cdn_functions.strip_prefix("/api/")
    with pytest.raises(ValueError, match="prefix"):
        cdn_functions.strip_prefix("/a'pi")
    with pytest.raises(ValueError, match="no slot"):
        cdn_functions.load("directory_index.js", prefix="/api")


NODE = shutil.which("node")
# Runs handler(event) in a fresh V8 context, as CloudFront does: no require, no process.
HARNESS = """
const vm = require('vm');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const handler = vm.runInNewContext(input.code + '\\n;handler', {});
const out = input.uris.map((uri) => {
  const request = {method: 'GET', uri: uri, querystring: {a: {value: '1'}}, headers: {}, cookies: {}};
  const result = handler({version: '1.0', context: {eventType: 'viewer-request'}, viewer: {ip: '1.2.3.4'},
                          request: request});
  return {uri: result.uri, querystring: result.querystring};
});
process.stdout.write(JSON.stringify(out));
"""


def run_edge(code: str, uris: list[str]) -> list[dict[str, Any]]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", HARNESS],
        input=json.dumps({"code": code, "uris": uris}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed: the edge code is not executed")


@needs_node
def test_001_R2_directory_index_rewrites_directories_only(graph: Graph) -> None:
    code = function_by_arn(graph, distribution(graph)["defaultCacheBehavior"]["functionAssociations"][0][
        "functionArn"
    ]).inputs["code"]  # fmt: skip
    cases = {
        "/": "/index.html",
        "/docs/": "/docs/index.html",
        "/docs": "/docs/index.html",
        "/v1.2/guide": "/v1.2/guide/index.html",
        "/css/site.css": "/css/site.css",
        "/404.html": "/404.html",
    }
    results = run_edge(code, list(cases))
    assert [r["uri"] for r in results] == list(cases.values())
    assert all(r["querystring"] == {"a": {"value": "1"}} for r in results)


@needs_node
def test_001_R5_api_function_strips_the_prefix(graph: Graph) -> None:
    (association,) = behavior_for(graph, "/api/*")["functionAssociations"]
    code = function_by_arn(graph, association["functionArn"]).inputs["code"]
    cases = {
        "/api/items/1": "/items/1",
        "/api/items": "/items",
        "/api/": "/",
        "/api": "/",
        "/apix/items": "/apix/items",
        "/other/api/x": "/other/api/x",
    }
    assert [r["uri"] for r in run_edge(code, list(cases))] == list(cases.values())


def test_cloudfront_metrics_are_graphed_from_us_east_1() -> None:
    from program.components.cdn import cdn_metrics
    from program.components.monitoring import dashboard_body

    body = dashboard_body(cdn_metrics("site", "E123"), [], "us-west-2")
    regions = {w["properties"]["region"] for w in body["widgets"] if w["type"] == "metric"}
    assert regions == {"us-east-1"}
