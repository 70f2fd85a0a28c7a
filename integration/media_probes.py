"""Probes of a live media-platform stack (seed 004), in the style of probes.py.

Each probe checks one fact over explicit endpoints and boto3 clients and says what it saw when the
fact is false; facts AWS makes true eventually are retried with ``probes.eventually``. The rate
probe is bounded (at most ``max_requests`` requests, to the stack's own API endpoint only) and
stops at the first answer that shows the WAF's marked 429.

``check_stack(outputs, session, clients)`` runs them all from the stack outputs
(``pulumi stack output --json``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests

from integration.probes import DEFAULT_BUDGET_S, HTTP_TIMEOUT_S, ProbeError, eventually

WAF_MARK = ("x-amzn-waf-rate-limit", "per-ip")  # program/components/linked_api.py


def frontend_through_cdn(session: requests.Session, url: str, budget_s: float = DEFAULT_BUDGET_S) -> None:
    """CloudFront serves the React app's page from the frontend service (004-R20)."""

    def check() -> None:
        response = session.get(url, timeout=HTTP_TIMEOUT_S)
        body = response.text.lower()
        if response.status_code != 200 or "<html" not in body or 'id="root"' not in body:
            raise ProbeError(f"GET {url} -> {response.status_code}, body starts {response.text[:80]!r}")

    eventually(check, f"{url} serves the frontend", budget_s)


def _titles(response: requests.Response, url: str) -> list[Any]:
    try:
        body = response.json()
    except ValueError as error:
        raise ProbeError(f"GET {url} -> {response.status_code}, not JSON: {response.text[:80]!r}") from error
    items = body.get("items") if isinstance(body, dict) else None
    if response.status_code != 200 or not isinstance(items, list):
        raise ProbeError(f"GET {url} -> {response.status_code} {str(body)[:120]}")
    return items


def titles_through_cdn(session: requests.Session, base_url: str, budget_s: float = DEFAULT_BUDGET_S) -> None:
    """``/api/titles`` through CloudFront reaches the backend and is never cached (004-R10/R21)."""
    url = f"{base_url.rstrip('/')}/api/titles?limit=5"

    def check() -> None:
        response = session.get(url, timeout=HTTP_TIMEOUT_S)
        _titles(response, url)
        if response.headers.get("X-Cache", "").lower().startswith("hit"):
            raise ProbeError(f"GET {url} was answered from CloudFront's cache: {response.headers['X-Cache']}")

    eventually(check, f"{url} answers the titles", budget_s)


def titles_through_api(
    session: requests.Session, endpoint: str, api_key: str, budget_s: float = DEFAULT_BUDGET_S
) -> None:
    """``/api/titles`` through API Gateway with a key; without one, 403 JSON (004-R16/R19)."""
    url = f"{endpoint.rstrip('/')}/api/titles?limit=5"

    def check() -> None:
        _titles(session.get(url, headers={"x-api-key": api_key}, timeout=HTTP_TIMEOUT_S), url)

    eventually(check, f"{url} answers the titles with the API key", budget_s)
    keyless = session.get(url, timeout=HTTP_TIMEOUT_S)
    if keyless.status_code != 403:
        raise ProbeError(f"GET {url} without a key -> {keyless.status_code}, expected 403")


def preflight_without_key(session: requests.Session, endpoint: str, origin: str) -> None:
    """A browser's CORS preflight (no key) is answered with the site's origin (004-R18)."""
    url = f"{endpoint.rstrip('/')}/api/titles"
    response = session.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-api-key",
        },
        timeout=HTTP_TIMEOUT_S,
    )
    allowed = response.headers.get("Access-Control-Allow-Origin")
    if response.status_code != 200 or allowed not in (origin, "*"):
        raise ProbeError(f"OPTIONS {url} -> {response.status_code}, Access-Control-Allow-Origin {allowed!r}")
    if "x-api-key" not in response.headers.get("Access-Control-Allow-Headers", "").lower():
        raise ProbeError(f"OPTIONS {url}: x-api-key is not an allowed header")


def waf_limits_per_ip(
    session: requests.Session, endpoint: str, api_key: str, limit: int = 1000, max_requests: int = 2500
) -> int:
    """Past ``limit`` requests a minute from this client, the WAF answers its marked 429 (004-R17).

    Returns how many requests it took. The usage plan's own per-key 429s (no WAF mark) and
    ordinary answers are counted and passed over; only the stack's own endpoint is called. WAF
    counts every request in the window (the other probes' too) and is approximate, so a block
    after 90 % of the budget still counts as the limit working; one earlier means it is too strict.
    """
    url = f"{endpoint.rstrip('/')}/api/titles?limit=1"
    header, value = WAF_MARK
    for sent in range(1, max_requests + 1):
        response = session.get(url, headers={"x-api-key": api_key}, timeout=HTTP_TIMEOUT_S)
        if response.status_code == 429 and response.headers.get(header) == value:
            if sent < limit * 0.9:
                raise ProbeError(f"the WAF blocked request {sent}, within the budget of {limit} a minute")
            return sent
    raise ProbeError(f"{max_requests} requests to {url} and no 429 from the WAF (limit {limit} a minute)")


def services_at_desired_count(
    ecs: Any,
    elbv2: Any,
    cluster: str,
    services: Sequence[str],
    desired: int,
    task_definitions: Sequence[str] = (),
) -> None:
    """Both services run at least ``desired`` tasks, their primary deployment's rollout is done, each
    runs the task definition the stack deployed (``task_definitions``, in the order of ``services``:
    after a failed deployment the circuit breaker rolls back to the previous one), and at least
    ``desired`` targets are healthy in their blue/green pair of target groups (004-R6/R7/R8/R25).

    The pair, not the production group alone: native blue/green moves traffic by the listener rule's
    weights and leaves the service's ``targetGroupArn`` as it was created, so after a deployment the
    tasks may be registered in the alternate group (DEVIATIONS 004-R7)."""
    found = ecs.describe_services(cluster=cluster, services=list(services))
    problems = [f"{failure['arn']}: {failure['reason']}" for failure in found.get("failures", [])]
    deployed = dict(zip(services, task_definitions, strict=False))
    for service in found["services"]:
        name = service["serviceName"]
        if name in deployed and service["taskDefinition"] != deployed[name]:
            running = service["taskDefinition"]
            problems.append(f"{name}: runs {running}, the stack deployed {deployed[name]} (rolled back?)")
        if service["status"] != "ACTIVE" or service["runningCount"] < desired:
            problems.append(
                f"{name}: {service['status']}, {service['runningCount']} running (want {desired})"
            )
        primary = [d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"]
        rollout = primary[0].get("rolloutState") if primary else None
        if rollout != "COMPLETED":
            problems.append(f"{name}: primary deployment rollout is {rollout} (want COMPLETED)")
        for balancer in service.get("loadBalancers", []):
            groups = [balancer["targetGroupArn"]]
            alternate = balancer.get("advancedConfiguration", {}).get("alternateTargetGroupArn")
            if alternate:
                groups.append(alternate)
            states = [
                target["TargetHealth"]["State"]
                for group in groups
                for target in elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
            ]
            healthy = states.count("healthy")
            if healthy < desired:
                problems.append(f"{name}: {healthy} healthy targets of {states} (want {desired})")
    if problems:
        raise ProbeError("; ".join(problems))


def images_scanned(ecr: Any, repositories: Sequence[str]) -> None:
    """Each repository scans on push, and its newest image has a finished scan (004-R27)."""
    problems = []
    for repository in ecr.describe_repositories(repositoryNames=list(repositories))["repositories"]:
        name = repository["repositoryName"]
        if not repository.get("imageScanningConfiguration", {}).get("scanOnPush"):
            problems.append(f"{name}: scan on push is off")
        if repository.get("imageTagMutability") != "IMMUTABLE":
            problems.append(f"{name}: tags are {repository.get('imageTagMutability')}")
        images = ecr.describe_images(repositoryName=name)["imageDetails"]
        if not images:
            problems.append(f"{name}: no image")
            continue
        newest = max(images, key=lambda image: image["imagePushedAt"])
        try:
            scan = ecr.describe_image_scan_findings(
                repositoryName=name, imageId={"imageDigest": newest["imageDigest"]}
            )
        except ecr.exceptions.ScanNotFoundException:
            problems.append(f"{name}: newest image was never scanned")
            continue
        status = scan.get("imageScanStatus", {}).get("status")
        if status != "COMPLETE":
            problems.append(f"{name}: newest image scan is {status}")
    if problems:
        raise ProbeError("; ".join(problems))


def secret_rotation_scheduled(secretsmanager: Any, secret_arn: str, days: int = 7) -> None:
    """The RDS-managed master secret rotates on its schedule (004-R13/R14)."""
    secret = secretsmanager.describe_secret(SecretId=secret_arn)
    rules = secret.get("RotationRules", {})
    if not secret.get("RotationEnabled") or rules.get("AutomaticallyAfterDays") != days:
        raise ProbeError(
            f"secret {secret_arn}: rotation {secret.get('RotationEnabled')}, rules {rules} "
            f"(want every {days} days)"
        )
    if secret.get("OwningService") not in (None, "rds"):
        raise ProbeError(f"secret {secret_arn} is owned by {secret['OwningService']}, expected rds")


def _list(value: Any) -> list[str]:
    """List outputs arrive as JSON strings in flat-outputs.json, as lists from ``--json``."""
    return list(json.loads(value)) if isinstance(value, str) else list(value)


def check_stack(
    outputs: Mapping[str, Any],
    session: requests.Session,
    clients: Callable[[str], Any],
    budget_s: float = DEFAULT_BUDGET_S,
    rate_limit: bool = True,
) -> None:
    """Every probe, from the stack outputs; ``clients(service)`` returns a boto3 client."""
    frontend_through_cdn(session, outputs["cloudfrontUrl"], budget_s)
    titles_through_cdn(session, outputs["cloudfrontUrl"], budget_s)
    titles_through_api(session, outputs["apiEndpoint"], outputs["apiKeyValue"], budget_s)
    preflight_without_key(session, outputs["apiEndpoint"], outputs["cloudfrontUrl"])
    services_at_desired_count(
        clients("ecs"),
        clients("elbv2"),
        outputs["clusterName"],
        _list(outputs["serviceNames"]),
        int(outputs["desiredCount"]),
        _list(outputs["taskDefinitionArns"]),
    )
    images_scanned(clients("ecr"), outputs["repositoryNames"])
    secret_rotation_scheduled(clients("secretsmanager"), outputs["dbSecretArn"])
    if rate_limit:
        waf_limits_per_ip(session, outputs["apiEndpoint"], outputs["apiKeyValue"])
