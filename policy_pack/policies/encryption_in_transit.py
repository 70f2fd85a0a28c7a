"""Encryption in transit family (mandatory): every hop that can be plain HTTP is forced onto TLS.

- S3 buckets, SNS topics and SQS queues: a resource policy denies every action of the service
  (for SNS at least sns:Publish, as cdk-nag SNS3 asks) to every principal when
  ``aws:SecureTransport`` is false (one shared recogniser, :func:`denies_insecure_transport`).
  SNS and SQS already refuse plain HTTP on an encrypted topic or queue (their SSE docs: "all
  requests ... must use HTTPS and Signature Version 4"), and cdk-nag SNS3 exempts KMS topics; the
  deny is required anyway, so the guarantee does not hang on the encryption setting.
  Buckets need an ``aws.s3.BucketPolicy`` (the inline ``policy`` argument of ``s3.Bucket`` is
  deprecated in v7 and not accepted); topics and queues take a TopicPolicy/QueuePolicy or their
  own ``policy``. Which policy belongs to which resource is decided from property dependencies
  (known in preview); the document itself is read, so one built from unknown ARNs makes the rule
  "can't run during preview" for that resource (after every known finding is reported). A
  document built from names the program already knows is decided in preview too.
- CloudFront: every cache behaviour redirects to or requires HTTPS. With a custom certificate
  (ACM or IAM) the viewer security policy is TLSv1.2_2021 or newer. With the default
  ``*.cloudfront.net`` certificate CloudFront fixes the minimum at TLSv1 and ignores
  ``minimumProtocolVersion``; POLICIES.md asks TLSv1.2_2021 only "when a certificate is
  configured", so that case passes (cdk-nag CFR4 and checkov CKV_AWS_174 fail it).
- CloudFront to custom origins: ``https-only``, except ``http-only`` to a hostname AWS assigns that
  no certificate of ours can name (a load balancer's ``*.elb.amazonaws.com``, an EC2 public DNS
  name): CloudFront would reject its certificate (REQUIREMENTS deviation #30). ``match-viewer``
  passes when no behaviour routed to the origin allows plain HTTP viewers. Origins (and VPC
  origins) never allow SSLv3, TLSv1 or TLSv1.1.
- ALB listeners: HTTPS/TLS with a TLS 1.2+ security policy; HTTP only to redirect to HTTPS (or to
  answer with a fixed response). An HTTP listener or listener rule that forwards is a violation
  unless the policy config says ``allowPlainHttpListeners: true``: the catalog and media
  blueprints need a certificate (config ``certificateArn``) or that setting (deviation #30).
- RDS Proxy: ``requireTls`` true.

No rule is needed for API Gateway REST APIs: execute-api endpoints serve HTTPS only (there is no
HTTP listener to forbid). A custom ``apigateway.DomainName`` would need securityPolicy TLS_1_2;
none is built (no domain is in scope). DynamoDB, Kinesis and Secrets Manager are reached
through the AWS SDKs over HTTPS only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._base import MANDATORY, Anchors, as_list, of_type, resource_policy, stack_policy
from ._relations import BUCKETS, DISTRIBUTION, QUEUE, decide_each, dig, is_set, referrers, state_of
from .iam import is_everyone, parse_document, statements

TOPIC = "aws:sns/topic:Topic"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LISTENER_RULES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
RDS_PROXY = "aws:rds/proxy:Proxy"

HTTPS_VIEWER_POLICIES = ("redirect-to-https", "https-only")
DEPRECATED_ORIGIN_PROTOCOLS = ("SSLv3", "TLSv1", "TLSv1.1")
# TLS 1.2 or 1.3 minimum: ELBSecurityPolicy-TLS13-1-2-2021-06 (and its Res/Ext/FIPS/PQ variants),
# TLS13-1-3-*, TLS-1-2-* and FS-1-2-*. TLS13-1-0/1-1 and the 2016-08 default accept older TLS.
MODERN_SSL_POLICY = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)")
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-2016-08"
VIEWER_TLS_VERSION = re.compile(r"^TLSv1\.(\d+)_(\d{4})$")
# Hostnames AWS assigns that no certificate of ours can name: ALB/CLB (name.region.elb...),
# NLB (name.elb.region...), EC2 public DNS (compute / compute-1 in us-east-1).
NO_CERTIFICATE_HOST = re.compile(
    r"(\.elb\.amazonaws\.com|\.elb\.[a-z0-9-]+\.amazonaws\.com|\.compute(-1)?\.amazonaws\.com)$"
)
ALLOW_PLAIN_HTTP = {
    "allowPlainHttpListeners": {
        "type": "boolean",
        "default": False,
        "description": "accept HTTP listeners (and rules) that forward, for a stack with no certificate "
        "(REQUIREMENTS deviation #30)",
    }
}


# -- a TLS-only resource policy ---------------------------------------------------------------


def _values(value: Any) -> list[Any]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def denies_insecure_transport(statement: Mapping[str, Any], service: str, action: str = "*") -> bool:
    """Whether ``statement`` denies ``<service>:<action>`` to everyone over a non-TLS request.

    That is: Effect Deny; Principal "*" (or AWS "*"); an Action (alone or in a list) of "*",
    "<service>:*" or "<service>:<action>"; and a Condition that is only Bool (or BoolIfExists)
    aws:SecureTransport "false" (the string or the boolean). Any further condition narrows the
    deny, so it does not count.
    """
    if statement.get("Effect") != "Deny" or not is_everyone(statement.get("Principal")):
        return False
    actions = {str(name).lower() for name in as_list(statement.get("Action"))}
    if not actions & {"*", f"{service}:*", f"{service}:{action}".lower()}:
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping) or len(condition) != 1:
        return False
    ((operator, clauses),) = condition.items()
    if str(operator).lower() not in ("bool", "boolifexists"):
        return False
    if not isinstance(clauses, Mapping) or len(clauses) != 1:
        return False
    ((key, value),) = clauses.items()
    return str(key).lower() == "aws:securetransport" and any(
        str(v).lower() == "false" for v in _values(value)
    )


def covers_bucket_and_objects(statement: Mapping[str, Any]) -> bool:
    """The statement's Resource names the bucket and its objects (`arn:...:b` and `arn:...:b/*`).

    A bucket policy may only name its own bucket, so naming both kinds covers every request.
    """
    resources = [str(r) for r in as_list(statement.get("Resource"))]
    if "*" in resources:
        return True
    paths = [resource.split(":::", 1)[-1] for resource in resources]
    return any("/" not in path for path in paths) and any(path.endswith("/*") for path in paths)


@dataclass(frozen=True)
class TlsOnly:
    """Where a service keeps the resource policy that must deny non-TLS requests."""

    service: str  # the action prefix: s3, sns, sqs
    owners: tuple[str, ...]  # the resources that need the deny
    attachment: str  # the policy resource type
    link: str  # the attachment's property that references its owner
    attachment_class: str  # how the program writes it, for messages
    inline: bool  # whether the owner's own `policy` counts when nothing is attached
    action: str = "*"  # the action the deny must cover at least
    covers: Callable[[Mapping[str, Any]], bool] = lambda statement: True
    scope: str = ""  # what `covers` asks, for messages

    @property
    def denied(self) -> str:
        return f"{self.service}:{self.action}"

    def statement_hint(self) -> str:
        return (
            f'{{"Effect": "Deny", "Principal": "*", "Action": "{self.service}:*", "Resource": ..., '
            '"Condition": {"Bool": {"aws:SecureTransport": "false"}}}'
        )


S3_TLS = TlsOnly(
    "s3",
    BUCKETS,
    "aws:s3/bucketPolicy:BucketPolicy",
    "bucket",
    "aws.s3.BucketPolicy",
    inline=False,
    covers=covers_bucket_and_objects,
    scope=" on the bucket ARN and <bucket ARN>/*",
)
# Publishing is the topic's data path: a deny of sns:Publish suffices, as for cdk-nag SNS3.
SNS_TLS = TlsOnly(
    "sns",
    (TOPIC,),
    "aws:sns/topicPolicy:TopicPolicy",
    "arn",
    "aws.sns.TopicPolicy",
    inline=True,
    action="Publish",
)
SQS_TLS = TlsOnly(
    "sqs", (QUEUE,), "aws:sqs/queuePolicy:QueuePolicy", "queueUrl", "aws.sqs.QueuePolicy", inline=True
)


def _requires_tls(document: Any, target: TlsOnly) -> bool:
    try:
        parsed = parse_document(document)
    except ValueError:
        return False  # not a JSON object: it cannot hold the deny
    return any(
        denies_insecure_transport(statement, target.service, target.action) and target.covers(statement)
        for _, statement in statements(parsed)
    )


def tls_only_findings(resources: Sequence[PolicyResource], target: TlsOnly) -> Iterator[tuple[str, str]]:
    attached = referrers(resources, [target.attachment], target.link)

    def decide(owner: PolicyResource) -> Iterator[tuple[str, str]]:
        sources = attached.get(owner.urn, [])
        documents = [source.props.get("policy") for source in sources]
        if not sources and target.inline:
            documents = [owner.props.get("policy")]
        documents = [document for document in documents if document]
        if not documents:
            alternative = " or policy" if target.inline else ""
            yield (
                owner.urn,
                f"has no {target.attachment_class}{alternative}, so it accepts requests without TLS. "
                f"Attach one with the statement {target.statement_hint()}.",
            )
        elif not any(_requires_tls(document, target) for document in documents):
            yield (
                owner.urn,
                f"has a policy that does not deny {target.denied} to Principal * when "
                f'aws:SecureTransport is "false"{target.scope}. Add the statement {target.statement_hint()}.',
            )

    return decide_each(of_type(resources, *target.owners), decide)


# -- CloudFront -------------------------------------------------------------------------------


def _behaviors(props: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(label, behaviour) for the default and every ordered cache behaviour."""
    return [("defaultCacheBehavior", props.get("defaultCacheBehavior"))] + [
        (f"orderedCacheBehaviors[{index}]", behavior)
        for index, behavior in enumerate(as_list(props.get("orderedCacheBehaviors")))
    ]


def modern_viewer_tls(version: Any) -> bool:
    """TLSv1.2_2021 or newer (TLSv1.2_2025, TLSv1.3_2025...); SSLv3, TLSv1, TLSv1_2016... are not."""
    match = VIEWER_TLS_VERSION.match(str(version))
    if match is None:
        return False
    minor, year = int(match.group(1)), int(match.group(2))
    return minor > 2 or (minor == 2 and year >= 2021)


def _check_viewer(args: ResourceValidationArgs) -> Iterator[str]:
    for where, behavior in _behaviors(args.props):
        policy = dig(behavior, "viewerProtocolPolicy")
        if policy not in HTTPS_VIEWER_POLICIES:
            yield (
                f"{where}.viewerProtocolPolicy is {state_of(policy)}: set it to 'redirect-to-https' (or "
                "'https-only') so viewers get content only over TLS."
            )
    certificate = args.props.get("viewerCertificate")
    if is_set(certificate, "acmCertificateArn") or is_set(certificate, "iamCertificateId"):
        version = dig(certificate, "minimumProtocolVersion")
        if not modern_viewer_tls(version):
            yield (
                f"viewerCertificate.minimumProtocolVersion is {state_of(version)} (absent means TLSv1) "
                "with a custom certificate: set it to 'TLSv1.2_2021' or newer."
            )


def cannot_carry_certificate(domain: Any) -> bool:
    """An AWS-assigned hostname that no certificate of ours can name (deviation #30)."""
    return bool(NO_CERTIFICATE_HOST.search(str(domain).lower().rstrip(".")))


def _deprecated(where: str, protocols: Any) -> Iterator[str]:
    found = [str(p) for p in as_list(protocols) if str(p) in DEPRECATED_ORIGIN_PROTOCOLS]
    if found:
        yield f"{where} allows {', '.join(found)}: list only 'TLSv1.2'."


def _check_origins(args: ResourceValidationArgs) -> Iterator[str]:
    if args.resource_type == VPC_ORIGIN:
        # The endpoint is a load balancer or instance ARN, reached by its AWS hostname: only the
        # protocol versions are ours to choose.
        items = dig(args.props, "vpcOriginEndpointConfig", "originSslProtocols", "items")
        yield from _deprecated("vpcOriginEndpointConfig.originSslProtocols.items", items)
        return
    behaviors = _behaviors(args.props)
    for index, origin in enumerate(as_list(args.props.get("origins"))):
        config = dig(origin, "customOriginConfig")
        if not isinstance(config, Mapping):
            continue  # S3 (OAC) and VPC origins: no protocol policy here
        where = f"origins[{index}].customOriginConfig"
        policy = dig(config, "originProtocolPolicy")
        if policy == "http-only":
            domain = dig(origin, "domainName")
            if not cannot_carry_certificate(domain):
                yield (
                    f"{where}.originProtocolPolicy is 'http-only' for {domain}, which can serve HTTPS: "
                    "set it to 'https-only'."
                )
        elif policy == "match-viewer":
            origin_id = dig(origin, "originId")
            plain = [
                where_b
                for where_b, behavior in behaviors
                if dig(behavior, "targetOriginId") == origin_id
                and dig(behavior, "viewerProtocolPolicy") not in HTTPS_VIEWER_POLICIES
            ]
            if plain:
                yield (
                    f"{where}.originProtocolPolicy is 'match-viewer' and {', '.join(plain)} let viewers "
                    "in over HTTP, so CloudFront fetches over HTTP too: set it to 'https-only'."
                )
        elif policy != "https-only":
            yield f"{where}.originProtocolPolicy is {state_of(policy)}: set it to 'https-only'."
        yield from _deprecated(f"{where}.originSslProtocols", dig(config, "originSslProtocols"))


# -- load balancers ---------------------------------------------------------------------------


def plain_http_actions(actions: Any, label: str) -> list[str]:
    """What each action does over plain HTTP that it should not: forward, or redirect elsewhere
    than HTTPS (a redirect without a protocol keeps HTTP). Fixed responses carry no app data."""
    problems = []
    for index, action in enumerate(as_list(actions)):
        kind = dig(action, "type")
        if kind == "forward":
            problems.append(f"{label}[{index}] forwards")
        elif kind == "redirect":
            protocol = dig(action, "redirect", "protocol")
            if protocol != "HTTPS":
                problems.append(f"{label}[{index}] redirects to protocol {protocol or '#{protocol}'}")
    return problems


def _protocol(props: Mapping[str, Any]) -> Any:
    return props.get("protocol") or "HTTP"  # the provider's default for an ALB listener


def _allows_plain_http(args: ResourceValidationArgs | StackValidationArgs) -> bool:
    return bool((args.get_config() or {}).get("allowPlainHttpListeners"))


def _check_listener(args: ResourceValidationArgs) -> Iterator[str]:
    protocol = _protocol(args.props)
    if protocol in ("HTTPS", "TLS"):
        ssl_policy = args.props.get("sslPolicy")
        if not ssl_policy or not MODERN_SSL_POLICY.match(str(ssl_policy)):
            yield (
                f"sslPolicy is {state_of(ssl_policy)} (absent means {DEFAULT_SSL_POLICY}, which accepts "
                "TLS 1.0): set sslPolicy to 'ELBSecurityPolicy-TLS13-1-2-2021-06' (or another TLS 1.2+ "
                "policy)."
            )
        return
    if protocol != "HTTP" or _allows_plain_http(args):
        return  # TCP/UDP pass through: the load balancer terminates no TLS
    problems = plain_http_actions(args.props.get("defaultActions"), "defaultActions")
    if problems:
        yield (
            f"is a plain HTTP listener and {', '.join(problems)}: make it HTTPS (certificateArn, "
            "sslPolicy TLS 1.2+) and turn this one into a redirect to HTTPS (redirect.protocol "
            "'HTTPS', statusCode 'HTTP_301'), or set allowPlainHttpListeners in this policy's config "
            "for a stack with no certificate (deviation #30)."
        )


def _check_listener_rules(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    if _allows_plain_http(args):
        return iter(())

    def decide(rule: PolicyResource) -> Iterator[tuple[str, str]]:
        listeners = [
            dep for dep in rule.property_dependencies.get("listenerArn", []) if dep.resource_type in LISTENERS
        ]
        plain = [listener for listener in listeners if _protocol(listener.props) == "HTTP"]
        if not plain:
            return
        problems = plain_http_actions(rule.props.get("actions"), "actions")
        if problems:
            yield (
                rule.urn,
                f"is a rule of the plain HTTP listener {plain[0].name} and {', '.join(problems)}: attach "
                "it to the HTTPS listener, or set allowPlainHttpListeners in this policy's config for a "
                "stack with no certificate (deviation #30).",
            )

    return decide_each(of_type(args.resources, *LISTENER_RULES), decide)


def _check_rds_proxy(args: ResourceValidationArgs) -> Iterator[str]:
    require_tls = args.props.get("requireTls")
    if require_tls is not True:
        yield (
            f"requireTls is {state_of(require_tls)} (absent means false): set requireTls to true so "
            "clients must connect over TLS."
        )


# -- policies ---------------------------------------------------------------------------------

s3 = stack_policy(
    "encryption-in-transit-s3",
    "Every S3 bucket has a BucketPolicy that denies s3:* to everyone when aws:SecureTransport is false.",
    lambda args: tls_only_findings(args.resources, S3_TLS),
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Attach an aws.s3.BucketPolicy with a Deny of s3:* for Principal * on the bucket and its "
    'objects, Condition {"Bool": {"aws:SecureTransport": "false"}}.',
    anchors=Anchors(cdk_nag=("AwsSolutions-S10", "NIST.800.53.R5-S3BucketSSLRequestsOnly"), fsbp=("S3.5",)),
)

sns = stack_policy(
    "encryption-in-transit-sns",
    "Every SNS topic's policy denies sns:Publish (or sns:*) to everyone when aws:SecureTransport is false.",
    lambda args: tls_only_findings(args.resources, SNS_TLS),
    level=MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Attach an aws.sns.TopicPolicy (or set the topic's policy) with a Deny of sns:* for "
    'Principal *, Condition {"Bool": {"aws:SecureTransport": "false"}}.',
    anchors=Anchors(cdk_nag=("AwsSolutions-SNS3",)),
)

sqs = stack_policy(
    "encryption-in-transit-sqs",
    "Every SQS queue's policy denies sqs:* to everyone when aws:SecureTransport is false.",
    lambda args: tls_only_findings(args.resources, SQS_TLS),
    level=MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Attach an aws.sqs.QueuePolicy (or set the queue's policy) with a Deny of sqs:* for "
    'Principal *, Condition {"Bool": {"aws:SecureTransport": "false"}}.',
    anchors=Anchors(cdk_nag=("AwsSolutions-SQS4",)),
)

cloudfront_viewer = resource_policy(
    "encryption-in-transit-cloudfront-viewer",
    "CloudFront cache behaviours redirect to or require HTTPS, and a custom certificate uses "
    "TLSv1.2_2021 or newer.",
    _check_viewer,
    types=[DISTRIBUTION],
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Set every viewerProtocolPolicy to redirect-to-https (or https-only); with an ACM or IAM "
    "certificate set viewerCertificate.minimumProtocolVersion to TLSv1.2_2021.",
    anchors=Anchors(
        cdk_nag=("AwsSolutions-CFR4",), checkov=("CKV_AWS_34", "CKV_AWS_174"), fsbp=("CloudFront.3",)
    ),
)

cloudfront_origins = resource_policy(
    "encryption-in-transit-cloudfront-origins",
    "CloudFront reaches custom origins over HTTPS (HTTP only to AWS hostnames that cannot carry our "
    "certificate) and never with SSLv3, TLSv1 or TLSv1.1.",
    _check_origins,
    types=[DISTRIBUTION, VPC_ORIGIN],
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Set originProtocolPolicy to https-only and originSslProtocols to ['TLSv1.2'].",
    anchors=Anchors(cdk_nag=("AwsSolutions-CFR5",), fsbp=("CloudFront.9", "CloudFront.10")),
)

alb_listeners = resource_policy(
    "encryption-in-transit-alb-listeners",
    "Load balancer listeners are HTTPS/TLS with a TLS 1.2+ security policy, or HTTP that only redirects "
    "to HTTPS (HTTP that forwards only with allowPlainHttpListeners).",
    _check_listener,
    types=list(LISTENERS),
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Use protocol HTTPS with certificateArn and sslPolicy ELBSecurityPolicy-TLS13-1-2-2021-06; "
    "make port 80 a redirect to HTTPS.",
    anchors=Anchors(
        cdk_nag=("NIST.800.53.R5-ALBHttpToHttpsRedirection",),
        checkov=("CKV_AWS_2", "CKV_AWS_103"),
        fsbp=("ELB.1",),
    ),
    config=ALLOW_PLAIN_HTTP,
)

alb_listener_rules = stack_policy(
    "encryption-in-transit-alb-listener-rules",
    "Listener rules on a plain HTTP listener do not forward (only with allowPlainHttpListeners).",
    _check_listener_rules,
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Attach forwarding rules to the HTTPS listener; keep the HTTP listener a redirect.",
    anchors=Anchors(
        cdk_nag=("NIST.800.53.R5-ALBHttpToHttpsRedirection",), checkov=("CKV_AWS_2",), fsbp=("ELB.1",)
    ),
    config=ALLOW_PLAIN_HTTP,
)

rds_proxy = resource_policy(
    "encryption-in-transit-rds-proxy",
    "RDS proxies require TLS from clients (requireTls).",
    _check_rds_proxy,
    types=[RDS_PROXY],
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Set requireTls to true.",
    anchors=Anchors(fsbp=("RDS.43",)),
)

POLICIES = [
    s3,
    sns,
    sqs,
    cloudfront_viewer,
    cloudfront_origins,
    alb_listeners,
    alb_listener_rules,
    rds_proxy,
]
