"""Encryption in transit: per policy a compliant baseline, one-field mutations, defaults and preview."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, PolicyResource

from policy_pack.policies import encryption_in_transit as transit
from unit.policy_pack import baselines as base
from unit.policy_pack.conftest import UNKNOWN, resource, run_resource, run_stack

BUCKET = base.BUCKET
BUCKET_POLICY = base.BUCKET_POLICY
TOPIC = base.TOPIC
TOPIC_POLICY = base.TOPIC_POLICY
QUEUE = base.QUEUE
QUEUE_POLICY = base.QUEUE_POLICY
DISTRIBUTION = base.DISTRIBUTION
VPC_ORIGIN = base.VPC_ORIGIN
LISTENER = base.LISTENER
LISTENER_RULE = base.LISTENER_RULE
PROXY = base.DB_PROXY
BUCKET_ARN = "arn:aws:s3:::assets-dev"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/1f0c2d3e-aaaa-bbbb-cccc-123456789012"
ALB_DNS = "catalog-dev-1234567890.us-east-1.elb.amazonaws.com"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def tls_deny(
    action: Any = "s3:*", resource_: Any = (BUCKET_ARN, f"{BUCKET_ARN}/*"), **extra: Any
) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": action,
        "Resource": list(resource_) if isinstance(resource_, tuple) else resource_,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        **extra,
    }


OAC_READ = {
    "Effect": "Allow",
    "Principal": {"Service": "cloudfront.amazonaws.com"},
    "Action": "s3:GetObject",
    "Resource": f"{BUCKET_ARN}/*",
    "Condition": {"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E1"}},
}


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    props = {**base, **changes}
    return {key: value for key, value in props.items() if value is not None}


@pytest.mark.parametrize("policy", transit.POLICIES, ids=lambda p: p.name)
def test_every_policy_is_mandatory_named_and_anchored(policy: Any) -> None:
    assert policy.name.startswith("encryption-in-transit-")
    assert policy.enforcement_level == EnforcementLevel.MANDATORY
    assert policy.description.endswith(".") and policy.remediation_steps and policy.tags


# -- the shared SecureTransport recogniser ----------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"Principal": "*"},
        {"Principal": {"AWS": ["arn:aws:iam::123456789012:root", "*"]}},
        {"Action": "*"},
        {"Action": ["s3:GetObject", "S3:*"]},
        {"Condition": {"Bool": {"aws:SecureTransport": False}}},
        {"Condition": {"Bool": {"aws:securetransport": ["false"]}}},
        {"Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}},
    ],
)
def test_secure_transport_deny_is_recognised_in_its_spellings(changes: dict[str, Any]) -> None:
    assert transit.denies_insecure_transport({**tls_deny(), **changes}, "s3")


@pytest.mark.parametrize(
    "changes",
    [
        {"Effect": "Allow"},
        {"Principal": {"Service": "cloudfront.amazonaws.com"}},
        {"Principal": {"AWS": "arn:aws:iam::123456789012:root"}},
        {"Action": "s3:GetObject"},
        {"Action": "sqs:*"},
        {"Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Condition": {"Bool": {"aws:SecureTransport": "false", "aws:ViaAWSService": "false"}}},
        {
            "Condition": {
                "Bool": {"aws:SecureTransport": "false"},
                "StringEquals": {"aws:PrincipalAccount": "123456789012"},
            }
        },
        {"Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}},
        {"Condition": None},
    ],
)
def test_narrower_or_different_statements_are_not_a_tls_deny(changes: dict[str, Any]) -> None:
    assert not transit.denies_insecure_transport({**tls_deny(), **changes}, "s3")


def test_sns_deny_may_name_publish_only() -> None:
    publish = tls_deny(["sns:Publish", "sns:Subscribe"], "arn:aws:sns:us-west-2:123456789012:alerts-dev")
    assert transit.denies_insecure_transport(publish, "sns", "Publish")
    assert not transit.denies_insecure_transport(publish, "sqs")
    assert not transit.denies_insecure_transport(tls_deny("sns:Subscribe"), "sns", "Publish")


@pytest.mark.parametrize(
    ("resources", "covered"),
    [
        ([BUCKET_ARN, f"{BUCKET_ARN}/*"], True),
        ("*", True),
        ([f"{BUCKET_ARN}/*"], False),
        ([BUCKET_ARN], False),
    ],
)
def test_bucket_deny_must_cover_bucket_and_objects(resources: Any, covered: bool) -> None:
    assert transit.covers_bucket_and_objects({"Resource": resources}) is covered


# -- S3 (stack) -------------------------------------------------------------------------------


def bucket(name: str = "assets", **props: Any) -> PolicyResource:
    return resource(BUCKET, {"bucket": f"{name}-dev", **props}, name=name)


def bucket_policy(target: PolicyResource, document: Any) -> PolicyResource:
    return resource(
        BUCKET_POLICY,
        {"bucket": target.name, "policy": document},
        name=f"{target.name}-policy",
        deps={"bucket": [target]},
    )


@pytest.mark.parametrize("encode", [json.dumps, copy.deepcopy], ids=["json-string", "dict"])
def test_000_R2_bucket_with_tls_only_policy_passes(encode: Any) -> None:
    assets = bucket()
    assert run_stack(transit.s3, [assets, bucket_policy(assets, encode(doc(OAC_READ, tls_deny())))]).ok


def test_000_R19_bucket_without_bucket_policy_is_flagged_even_with_an_inline_policy() -> None:
    # The inline `policy` of s3.Bucket is deprecated in v7 and computed: only a BucketPolicy counts.
    assets = bucket(policy=json.dumps(doc(tls_deny())))
    outcome = run_stack(transit.s3, [assets])
    assert outcome.urns == [assets.urn]
    assert "has no aws.s3.BucketPolicy," in outcome.messages[0]


@pytest.mark.parametrize(
    ("statement", "extra"),
    [
        (OAC_READ, ""),
        (tls_deny(resource_=f"{BUCKET_ARN}/*"), "on the bucket ARN and <bucket ARN>/*"),
        (tls_deny("s3:GetObject"), ""),
    ],
)
def test_bucket_policy_without_a_full_tls_deny_is_flagged(statement: dict[str, Any], extra: str) -> None:
    assets = bucket()
    outcome = run_stack(transit.s3, [assets, bucket_policy(assets, json.dumps(doc(statement)))])
    (message,) = outcome.messages
    assert 'does not deny s3:* to Principal * when aws:SecureTransport is "false"' in message
    assert extra in message
    assert outcome.urns == [assets.urn]


def test_malformed_policy_is_a_finding_not_a_crash() -> None:
    assets = bucket()
    assert len(run_stack(transit.s3, [assets, bucket_policy(assets, "not json")]).messages) == 1
    assert len(run_stack(transit.s3, [assets, bucket_policy(assets, "[]")]).messages) == 1


def test_bucket_policy_is_matched_by_dependency_and_its_unknown_document_is_unknown() -> None:
    assets, logs = bucket("assets"), bucket("logs")
    policy = resource(BUCKET_POLICY, {"bucket": UNKNOWN, "policy": UNKNOWN}, deps={"bucket": [assets]})
    outcome = run_stack(transit.s3, [assets, policy, logs])
    # The known finding (logs has no policy) is reported; assets cannot be decided in preview.
    assert outcome.urns == [logs.urn] and outcome.unknown


def test_a_policy_for_another_bucket_does_not_count() -> None:
    assets, logs = bucket("assets"), bucket("logs")
    outcome = run_stack(transit.s3, [assets, logs, bucket_policy(assets, doc(tls_deny()))])
    assert outcome.urns == [logs.urn]


# -- SNS and SQS (stack) ----------------------------------------------------------------------

TOPIC_ARN = "arn:aws:sns:us-west-2:123456789012:alerts-dev"
QUEUE_ARN = "arn:aws:sqs:us-west-2:123456789012:dlq-dev"


def test_000_R18_topic_with_a_topic_policy_deny_passes() -> None:
    topic = resource(TOPIC, {"name": "alerts-dev", "kmsMasterKeyId": UNKNOWN}, name="alerts")
    deny = tls_deny(["sns:Publish", "sns:Subscribe"], TOPIC_ARN)
    attached = resource(
        TOPIC_POLICY, {"arn": UNKNOWN, "policy": json.dumps(doc(deny))}, deps={"arn": [topic]}
    )
    assert run_stack(transit.sns, [topic, attached]).ok


def test_topic_inline_policy_counts_and_its_absence_is_flagged() -> None:
    inline = resource(
        TOPIC, {"name": "a-dev", "policy": json.dumps(doc(tls_deny("sns:*", TOPIC_ARN)))}, name="a"
    )
    bare = resource(TOPIC, {"name": "b-dev"}, name="b")
    outcome = run_stack(transit.sns, [inline, bare])
    assert outcome.urns == [bare.urn]
    assert "has no aws.sns.TopicPolicy or policy" in outcome.messages[0]


def test_topic_policy_denying_only_subscribe_is_flagged() -> None:
    topic = resource(TOPIC, {"name": "alerts-dev"}, name="alerts")
    attached = resource(
        TOPIC_POLICY, {"policy": doc(tls_deny("sns:Subscribe", TOPIC_ARN))}, deps={"arn": [topic]}
    )
    (message,) = run_stack(transit.sns, [topic, attached]).messages
    assert "does not deny sns:Publish" in message


def test_topic_without_topic_policy_and_computed_inline_policy_is_unknown_in_preview() -> None:
    assert run_stack(transit.sns, [resource(TOPIC, {"name": "alerts-dev", "policy": UNKNOWN})]).unknown


def test_queue_with_queue_policy_deny_passes_and_without_is_flagged() -> None:
    queue = resource(QUEUE, {"name": "dlq-dev", "sqsManagedSseEnabled": True}, name="dlq")
    attached = resource(
        QUEUE_POLICY,
        {"queueUrl": UNKNOWN, "policy": doc(tls_deny("sqs:*", QUEUE_ARN))},
        deps={"queueUrl": [queue]},
    )
    assert run_stack(transit.sqs, [queue, attached]).ok
    (message,) = run_stack(transit.sqs, [queue]).messages
    assert "has no aws.sqs.QueuePolicy or policy" in message


def test_queue_policy_must_deny_all_sqs_actions() -> None:
    queue = resource(QUEUE, {"name": "dlq-dev"}, name="dlq")
    narrow = resource(
        QUEUE_POLICY, {"policy": doc(tls_deny("sqs:SendMessage", QUEUE_ARN))}, deps={"queueUrl": [queue]}
    )
    (message,) = run_stack(transit.sqs, [queue, narrow]).messages
    assert "does not deny sqs:*" in message


# -- CloudFront viewer ------------------------------------------------------------------------

DISTRIBUTION_BASE: dict[str, Any] = {
    "enabled": True,
    "defaultRootObject": "index.html",
    "origins": [
        {
            "originId": "site",
            "domainName": "assets-dev.s3.us-west-2.amazonaws.com",
            "originAccessControlId": "E2",
        },
        {
            "originId": "api",
            "domainName": ALB_DNS,
            "customOriginConfig": {
                "httpPort": 80,
                "httpsPort": 443,
                "originProtocolPolicy": "http-only",
                "originSslProtocols": ["TLSv1.2"],
            },
        },
    ],
    "defaultCacheBehavior": {"targetOriginId": "site", "viewerProtocolPolicy": "redirect-to-https"},
    "orderedCacheBehaviors": [
        {"pathPattern": "/api/*", "targetOriginId": "api", "viewerProtocolPolicy": "https-only"}
    ],
    "viewerCertificate": {"cloudfrontDefaultCertificate": True},
}


def distribution(**changes: Any) -> dict[str, Any]:
    props = copy.deepcopy(DISTRIBUTION_BASE)
    props.update(changes)
    return props


def test_000_R1_distribution_baseline_passes_both_cloudfront_policies() -> None:
    assert run_resource(transit.cloudfront_viewer, DISTRIBUTION, distribution()).ok
    assert run_resource(transit.cloudfront_origins, DISTRIBUTION, distribution()).ok


@pytest.mark.parametrize("policy", ["allow-all", None])
def test_000_R19_default_behaviour_allowing_http_is_flagged(policy: Any) -> None:
    props = distribution(defaultCacheBehavior=with_({"targetOriginId": "site"}, viewerProtocolPolicy=policy))
    (message,) = run_resource(transit.cloudfront_viewer, DISTRIBUTION, props).messages
    assert message.startswith("defaultCacheBehavior.viewerProtocolPolicy is")
    assert "'redirect-to-https'" in message


def test_each_ordered_behaviour_allowing_http_is_one_finding() -> None:
    behaviors = [
        {"pathPattern": "/api/*", "targetOriginId": "api", "viewerProtocolPolicy": "allow-all"},
        {"pathPattern": "/img/*", "targetOriginId": "site", "viewerProtocolPolicy": "redirect-to-https"},
        {"pathPattern": "/old/*", "targetOriginId": "site", "viewerProtocolPolicy": "allow-all"},
    ]
    messages = run_resource(
        transit.cloudfront_viewer, DISTRIBUTION, distribution(orderedCacheBehaviors=behaviors)
    ).messages
    assert [m.split(".")[0] for m in messages] == ["orderedCacheBehaviors[0]", "orderedCacheBehaviors[2]"]


@pytest.mark.parametrize(
    ("certificate", "flagged"),
    [
        (
            {
                "acmCertificateArn": CERTIFICATE,
                "sslSupportMethod": "sni-only",
                "minimumProtocolVersion": "TLSv1.2_2021",
            },
            False,
        ),
        ({"acmCertificateArn": CERTIFICATE, "minimumProtocolVersion": "TLSv1.2_2025"}, False),
        ({"acmCertificateArn": UNKNOWN, "minimumProtocolVersion": "TLSv1.3_2025"}, False),
        ({"acmCertificateArn": CERTIFICATE, "minimumProtocolVersion": "TLSv1.2_2019"}, True),
        ({"acmCertificateArn": CERTIFICATE, "minimumProtocolVersion": "TLSv1.1_2016"}, True),
        ({"acmCertificateArn": UNKNOWN}, True),
        ({"iamCertificateId": "ASCAEXAMPLE", "minimumProtocolVersion": "TLSv1"}, True),
        # The default certificate: CloudFront fixes TLSv1; POLICIES.md asks TLS 1.2 only with a certificate.
        ({"cloudfrontDefaultCertificate": True, "minimumProtocolVersion": "TLSv1"}, False),
    ],
)
def test_custom_certificate_needs_tls12_2021_or_newer(certificate: dict[str, Any], flagged: bool) -> None:
    outcome = run_resource(
        transit.cloudfront_viewer, DISTRIBUTION, distribution(viewerCertificate=certificate)
    )
    assert len(outcome.messages) == int(flagged) and not outcome.unknown
    if flagged:
        assert "set it to 'TLSv1.2_2021' or newer" in outcome.messages[0]


def test_modern_viewer_tls_parses_versions() -> None:
    assert [
        transit.modern_viewer_tls(v) for v in ("TLSv1.2_2021", "TLSv1.2_2018", "SSLv3", None, "TLSv1_2016")
    ] == [
        True,
        False,
        False,
        False,
        False,
    ]


def test_viewer_policy_unknown_in_preview() -> None:
    props = distribution(defaultCacheBehavior={"targetOriginId": "site", "viewerProtocolPolicy": UNKNOWN})
    assert run_resource(transit.cloudfront_viewer, DISTRIBUTION, props).unknown
    props = distribution(
        defaultCacheBehavior={"targetOriginId": UNKNOWN, "viewerProtocolPolicy": "allow-all"},
        webAclId=UNKNOWN,
    )
    outcome = run_resource(transit.cloudfront_viewer, DISTRIBUTION, props)
    assert outcome.messages and not outcome.unknown


# -- CloudFront origins -----------------------------------------------------------------------


def api_origin(**config: Any) -> dict[str, Any]:
    props = distribution()
    origin = props["origins"][1]
    domain = config.pop("domainName", None)
    if domain is not None:
        origin["domainName"] = domain
    origin["customOriginConfig"] = with_(origin["customOriginConfig"], **config)
    return props


@pytest.mark.parametrize(
    "domain",
    [
        ALB_DNS,
        "internal-catalog-dev-123.us-east-1.elb.amazonaws.com",
        "media-nlb-0123456789abcdef.elb.us-east-1.amazonaws.com",
        "ec2-203-0-113-25.compute-1.amazonaws.com",
        "CATALOG-DEV-1234567890.US-EAST-1.ELB.AMAZONAWS.COM.",
    ],
)
def test_002_R16_http_only_to_an_aws_hostname_without_our_certificate_passes(domain: str) -> None:
    assert run_resource(transit.cloudfront_origins, DISTRIBUTION, api_origin(domainName=domain)).ok


@pytest.mark.parametrize(
    "domain",
    ["api.example.com", "abc123.execute-api.us-east-1.amazonaws.com", "abc.lambda-url.us-east-1.on.aws"],
)
def test_http_only_to_an_origin_that_can_serve_https_is_flagged(domain: str) -> None:
    (message,) = run_resource(
        transit.cloudfront_origins, DISTRIBUTION, api_origin(domainName=domain)
    ).messages
    assert message.startswith("origins[1].customOriginConfig.originProtocolPolicy is 'http-only'")
    assert "set it to 'https-only'" in message


def test_http_only_origin_with_unknown_domain_is_unknown_in_preview() -> None:
    assert run_resource(transit.cloudfront_origins, DISTRIBUTION, api_origin(domainName=UNKNOWN)).unknown
    assert run_resource(
        transit.cloudfront_origins,
        DISTRIBUTION,
        api_origin(domainName=UNKNOWN, originProtocolPolicy="https-only"),
    ).ok


def test_match_viewer_passes_only_when_no_behaviour_to_the_origin_allows_http() -> None:
    props = api_origin(originProtocolPolicy="match-viewer", domainName="api.example.com")
    assert run_resource(transit.cloudfront_origins, DISTRIBUTION, props).ok
    props["orderedCacheBehaviors"][0]["viewerProtocolPolicy"] = "allow-all"
    (message,) = run_resource(transit.cloudfront_origins, DISTRIBUTION, props).messages
    assert "'match-viewer' and orderedCacheBehaviors[0] let viewers in over HTTP" in message


@pytest.mark.parametrize(
    ("protocols", "found"),
    [(["TLSv1.2", "TLSv1.1"], "TLSv1.1"), (["SSLv3", "TLSv1", "TLSv1.2"], "SSLv3, TLSv1")],
)
def test_deprecated_origin_ssl_protocols_are_flagged(protocols: list[str], found: str) -> None:
    props = api_origin(
        originProtocolPolicy="https-only", domainName="api.example.com", originSslProtocols=protocols
    )
    (message,) = run_resource(transit.cloudfront_origins, DISTRIBUTION, props).messages
    assert message == f"origins[1].customOriginConfig.originSslProtocols allows {found}: list only 'TLSv1.2'."


def test_vpc_origin_protocols() -> None:
    config = {
        "arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/internal/abc",
        "name": "catalog-dev",
        "httpPort": 80,
        "httpsPort": 443,
        "originProtocolPolicy": "http-only",
        "originSslProtocols": {"items": ["TLSv1.2"], "quantity": 1},
    }
    assert run_resource(transit.cloudfront_origins, VPC_ORIGIN, {"vpcOriginEndpointConfig": config}).ok
    old = {**config, "originSslProtocols": {"items": ["TLSv1", "TLSv1.2"], "quantity": 2}}
    (message,) = run_resource(
        transit.cloudfront_origins, VPC_ORIGIN, {"vpcOriginEndpointConfig": old}
    ).messages
    assert "allows TLSv1:" in message


# -- ALB listeners ----------------------------------------------------------------------------

HTTPS_LISTENER = {
    "port": 443,
    "protocol": "HTTPS",
    "certificateArn": CERTIFICATE,
    "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "defaultActions": [{"type": "forward", "targetGroupArn": UNKNOWN}],
}
REDIRECT = {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
HTTP_REDIRECT_LISTENER = {"port": 80, "protocol": "HTTP", "defaultActions": [REDIRECT]}


@pytest.mark.parametrize(
    "ssl_policy",
    [
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
        "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    ],
)
@pytest.mark.parametrize("kind", ["aws:lb/listener:Listener", "aws:alb/listener:Listener"])
def test_https_listener_with_tls12_policy_passes(ssl_policy: str, kind: str) -> None:
    assert run_resource(transit.alb_listeners, kind, with_(HTTPS_LISTENER, sslPolicy=ssl_policy)).ok


@pytest.mark.parametrize(
    "ssl_policy",
    [
        None,
        "ELBSecurityPolicy-2016-08",
        "ELBSecurityPolicy-TLS13-1-1-2021-06",
        "ELBSecurityPolicy-TLS13-1-0-2021-06",
    ],
)
def test_https_listener_with_an_old_or_default_policy_is_flagged(ssl_policy: Any) -> None:
    (message,) = run_resource(
        transit.alb_listeners, LISTENER, with_(HTTPS_LISTENER, sslPolicy=ssl_policy)
    ).messages
    assert "absent means ELBSecurityPolicy-2016-08" in message
    assert "'ELBSecurityPolicy-TLS13-1-2-2021-06'" in message


def test_tls_listener_needs_a_modern_policy_and_tcp_passes_through() -> None:
    assert run_resource(
        transit.alb_listeners, LISTENER, with_(HTTPS_LISTENER, protocol="TLS", sslPolicy=None)
    ).messages
    assert run_resource(
        transit.alb_listeners, LISTENER, with_(HTTPS_LISTENER, protocol="TCP", sslPolicy=None)
    ).ok


@pytest.mark.parametrize(
    "actions",
    [
        [REDIRECT],
        [{"type": "fixed-response", "fixedResponse": {"contentType": "text/plain", "statusCode": "404"}}],
    ],
)
def test_http_listener_that_only_redirects_or_answers_passes(actions: list[dict[str, Any]]) -> None:
    assert run_resource(
        transit.alb_listeners, LISTENER, with_(HTTP_REDIRECT_LISTENER, defaultActions=actions)
    ).ok


@pytest.mark.parametrize(
    ("actions", "problem"),
    [
        ([{"type": "forward", "targetGroupArn": UNKNOWN}], "defaultActions[0] forwards"),
        (
            [{"type": "redirect", "redirect": {"host": "example.com"}}],
            "defaultActions[0] redirects to protocol #{protocol}",
        ),
        ([{"type": "redirect", "redirect": {"protocol": "HTTP"}}], "redirects to protocol HTTP"),
    ],
)
def test_002_R14_http_listener_that_forwards_is_flagged_unless_allowed(actions: Any, problem: str) -> None:
    props = with_(HTTP_REDIRECT_LISTENER, defaultActions=actions)
    (message,) = run_resource(transit.alb_listeners, LISTENER, props).messages
    assert message.startswith("is a plain HTTP listener and ") and problem in message
    allowed = run_resource(transit.alb_listeners, LISTENER, props, config={"allowPlainHttpListeners": True})
    assert allowed.ok


def test_listener_protocol_defaults_to_http() -> None:
    props = with_(
        HTTP_REDIRECT_LISTENER, protocol=None, defaultActions=[{"type": "forward", "targetGroupArn": "tg"}]
    )
    assert len(run_resource(transit.alb_listeners, LISTENER, props).messages) == 1


def test_listener_protocol_unknown_in_preview() -> None:
    assert run_resource(transit.alb_listeners, LISTENER, with_(HTTPS_LISTENER, protocol=UNKNOWN)).unknown
    outcome = run_resource(
        transit.alb_listeners, LISTENER, with_(HTTPS_LISTENER, certificateArn=UNKNOWN, sslPolicy=None)
    )
    assert outcome.messages and not outcome.unknown


def listener(name: str, props: dict[str, Any]) -> PolicyResource:
    return resource(LISTENER, props, name=name)


def rule(on: PolicyResource, actions: list[dict[str, Any]], name: str = "api-rule") -> PolicyResource:
    props = {"listenerArn": UNKNOWN, "priority": 10, "actions": actions}
    return resource(LISTENER_RULE, props, name=name, deps={"listenerArn": [on]})


def test_forwarding_rule_on_the_http_listener_is_flagged_and_on_https_passes() -> None:
    http, https = listener("http", HTTP_REDIRECT_LISTENER), listener("https", HTTPS_LISTENER)
    forward = [{"type": "forward", "targetGroupArn": "tg"}]
    assert run_stack(transit.alb_listener_rules, [http, https, rule(https, forward)]).ok
    misplaced = rule(http, forward, name="misplaced")
    outcome = run_stack(transit.alb_listener_rules, [http, https, misplaced])
    assert outcome.urns == [misplaced.urn]
    assert "is a rule of the plain HTTP listener http and actions[0] forwards" in outcome.messages[0]
    assert run_stack(
        transit.alb_listener_rules, [http, misplaced], config={"allowPlainHttpListeners": True}
    ).ok


def test_redirecting_rule_on_the_http_listener_passes() -> None:
    http = listener("http", HTTP_REDIRECT_LISTENER)
    assert run_stack(transit.alb_listener_rules, [http, rule(http, [REDIRECT])]).ok


# -- RDS Proxy --------------------------------------------------------------------------------

PROXY_BASE = {"name": "catalog-dev", "engineFamily": "POSTGRESQL", "requireTls": True, "roleArn": UNKNOWN}


def test_002_R23_proxy_requires_tls() -> None:
    assert run_resource(transit.rds_proxy, PROXY, PROXY_BASE).ok
    for value, shown in ((None, "not set"), (False, "False")):
        (message,) = run_resource(transit.rds_proxy, PROXY, with_(PROXY_BASE, requireTls=value)).messages
        assert f"requireTls is {shown}" in message
    assert run_resource(transit.rds_proxy, PROXY, with_(PROXY_BASE, requireTls=UNKNOWN)).unknown


# -- over the wire: this family's cases in the one graph the real pack judges ---------------


def wire_cases(cat: base.Catalog) -> None:
    """This family's violators and controls in the graph the real pack judges over the wire
    (test_every_policy_over_the_wire.py): each a shared baseline with one thing changed."""
    # encryption-in-transit-s3: the bucket policy grants CloudFront but denies no plain HTTP
    name = base.physical("plain-http")
    reads = base.document(base.service_allow("cloudfront", "s3:GetObject", f"{base.s3_arn(name)}/*"))
    urns = base.bucket(cat, "plain-http", companions={"tls": {"policy": reads}})
    cat.expect("encryption-in-transit-s3", urns["bucket"], "has a policy that does not deny s3:*")
    # encryption-in-transit-sns: the topic policy lets EventBridge publish, denies no plain HTTP
    open_topic = base.topic(
        cat,
        "open-topic",
        topic_policy=base.document(
            base.service_allow("events", "sns:Publish", base.arn("sns", base.physical("open-topic")))
        ),
    )
    cat.expect("encryption-in-transit-sns", open_topic, "has a policy that does not deny sns:Publish")
    # encryption-in-transit-sqs: the queue policy lets SNS send, denies no plain HTTP
    open_queue = base.queue(
        cat,
        "open-queue",
        queue_policy=base.document(
            base.service_allow("sns", "sqs:SendMessage", base.arn("sqs", base.physical("open-queue")))
        ),
    )
    cat.expect("encryption-in-transit-sqs", open_queue, "has a policy that does not deny sqs:*")
    # encryption-in-transit-cloudfront-viewer: the default behaviour allows plain HTTP viewers
    base.distribution(
        cat,
        "http-viewer",
        change={"defaultCacheBehavior.viewerProtocolPolicy": "allow-all"},
        violates=["encryption-in-transit-cloudfront-viewer"],
    )
    # encryption-in-transit-cloudfront-origins: http-only to a hostname that can serve HTTPS
    base.distribution(
        cat,
        "http-origin",
        change={
            "origins.1.domainName": "api.example.com",
            "origins.1.customOriginConfig.originProtocolPolicy": "http-only",
        },
        violates=["encryption-in-transit-cloudfront-origins"],
    )
    # Load balancer "web" (compliant) with its HTTPS and redirecting HTTP listeners.
    base.load_balancer(cat, "web")
    web_lb = base.urn_of(base.LOAD_BALANCER, "web")
    lb_arn = base.arn("elasticloadbalancing", f"loadbalancer/app/{base.physical('web')}/0123456789abcdef")
    forward = [{"type": "forward", "targetGroupArn": base.TARGET_GROUP_ARN}]
    https = {
        "loadBalancerArn": lb_arn,
        "port": 443,
        "protocol": "HTTPS",
        "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "certificateArn": base.CERTIFICATE_ARN,
        "defaultActions": forward,
    }
    on_lb = {"loadBalancerArn": [web_lb]}
    https_urn = cat.add(base.LISTENER, "web-https", https, deps=on_lb, outputs={"arn": f"{lb_arn}/https"})
    redirect = {
        "type": "redirect",
        "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
    }
    http = {"loadBalancerArn": lb_arn, "port": 80, "protocol": "HTTP", "defaultActions": [redirect]}
    http_urn = cat.add(base.LISTENER, "web-http", http, deps=on_lb, outputs={"arn": f"{lb_arn}/http"})
    # encryption-in-transit-alb-listeners: an HTTPS listener whose policy accepts TLS 1.0
    cat.add(
        base.LISTENER,
        "web-legacy-tls",
        {**https, "port": 8443, "sslPolicy": "ELBSecurityPolicy-2016-08"},
        deps=on_lb,
        violates=["encryption-in-transit-alb-listeners"],
    )
    api_path = [{"pathPattern": {"values": ["/api/*"]}}]
    # control: a forwarding rule on the HTTPS listener
    cat.add(
        base.LISTENER_RULE,
        "api-over-https",
        {"listenerArn": f"{lb_arn}/https", "priority": 10, "actions": forward, "conditions": api_path},
        deps={"listenerArn": [https_urn]},
    )
    # encryption-in-transit-alb-listener-rules: a forwarding rule on the plain HTTP listener
    rule = cat.add(
        base.LISTENER_RULE,
        "api-over-http",
        {"listenerArn": f"{lb_arn}/http", "priority": 10, "actions": forward, "conditions": api_path},
        deps={"listenerArn": [http_urn]},
    )
    cat.expect(
        "encryption-in-transit-alb-listener-rules", rule, "is a rule of the plain HTTP listener web-http"
    )
    # encryption-in-transit-rds-proxy: requireTls false
    base.db_proxy(
        cat, "catalog-proxy", change={"requireTls": False}, violates=["encryption-in-transit-rds-proxy"]
    )
