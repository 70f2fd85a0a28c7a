"""Probes of a deployed catalog-api stack (seed 002): each checks one fact and says what it saw.

Plain functions over explicit URLs, keys and boto3 clients, retried with ``probes.eventually``
(CloudFront rolls out for minutes after deploy), so the self-tests can point them at stand-ins.
"""

from __future__ import annotations

import uuid
from typing import Any

import requests

from integration.probes import DEFAULT_BUDGET_S, HTTP_TIMEOUT_S, ProbeError, eventually

DB_PORT = 5432


def _json(response: requests.Response) -> dict[str, Any]:
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def site_and_error_page(session: requests.Session, cdn_url: str, budget_s: float = DEFAULT_BUDGET_S) -> None:
    """The CDN serves the site and its error page from S3 (002-R15, R17)."""
    base = cdn_url.rstrip("/")

    def check() -> None:
        for path in ("/", "/errors/5xx.html"):
            response = session.get(base + path, timeout=HTTP_TIMEOUT_S)
            if response.status_code != 200 or "<html" not in response.text.lower():
                raise ProbeError(
                    f"GET {base}{path} -> {response.status_code}, body starts {response.text[:60]!r}"
                )

    eventually(check, f"{base} serves the site and /errors/5xx.html", budget_s)


def products_listed(
    session: requests.Session, base_url: str, budget_s: float = DEFAULT_BUDGET_S, **headers: str
) -> None:
    """``GET /api/products`` answers a JSON page (through CloudFront -> ALB, or API Gateway)."""
    url = base_url.rstrip("/") + "/api/products?limit=5"

    def check() -> None:
        response = session.get(url, headers=headers, timeout=HTTP_TIMEOUT_S)
        body = _json(response)
        if response.status_code != 200 or not isinstance(body.get("items"), list):
            raise ProbeError(f"GET {url} -> {response.status_code} {response.text[:120]!r}")

    eventually(check, f"{url} lists products", budget_s)


def alb_refuses_without_origin_header(
    session: requests.Session, alb_url: str, budget_s: float = DEFAULT_BUDGET_S
) -> None:
    """Straight to the ALB, without CloudFront's origin-verify header: 403 (or no route at all)."""
    url = alb_url.rstrip("/") + "/api/products"

    def check() -> None:
        try:
            response = session.get(url, timeout=HTTP_TIMEOUT_S)
        except requests.ConnectionError:
            return  # the security group admits only CloudFront's prefix list: refused earlier still
        if response.status_code != 403:
            raise ProbeError(f"GET {url} without the origin header -> {response.status_code} (expected 403)")

    eventually(check, f"{url} refuses requests without the origin header", budget_s)


def api_key_required(
    session: requests.Session, api_url: str, api_key: str, budget_s: float = DEFAULT_BUDGET_S
) -> None:
    """API Gateway: no key -> 403; the plan's key -> 200 (002-R31)."""
    url = api_url.rstrip("/") + "/api/products"

    def check() -> None:
        without = session.get(url, timeout=HTTP_TIMEOUT_S)
        if without.status_code != 403:
            raise ProbeError(f"GET {url} without x-api-key -> {without.status_code} (expected 403)")
        keyed = session.get(url, headers={"x-api-key": api_key}, timeout=HTTP_TIMEOUT_S)
        if keyed.status_code != 200:
            raise ProbeError(f"GET {url} with the key -> {keyed.status_code} {keyed.text[:120]!r}")

    eventually(check, f"{url} needs an API key", budget_s)


def reservation_round_trip(
    session: requests.Session, api_url: str, api_key: str, budget_s: float = DEFAULT_BUDGET_S
) -> str:
    """Restock a probe SKU, reserve 1 with an Idempotency-Key, replay it: one reservation, stock - 1."""
    base, headers = api_url.rstrip("/"), {"x-api-key": api_key}
    sku = f"PROBE-{uuid.uuid4().hex[:12]}"
    product = f"{base}/api/products/{sku}"

    def restock() -> None:
        response = session.put(
            product, json={"name": "probe", "price": 1.5, "stock": 3}, headers=headers, timeout=HTTP_TIMEOUT_S
        )
        if response.status_code not in (200, 201):
            raise ProbeError(f"PUT {product} -> {response.status_code} {response.text[:120]!r}")

    eventually(restock, f"{product} is created", budget_s)
    key = uuid.uuid4().hex
    reserve_headers = {**headers, "Idempotency-Key": key}

    def reserve() -> dict[str, Any]:
        response = session.post(
            f"{product}/reservations", json={"quantity": 1}, headers=reserve_headers, timeout=HTTP_TIMEOUT_S
        )
        body = _json(response)
        if response.status_code != 201 or "reservationId" not in body:
            raise ProbeError(f"POST {product}/reservations -> {response.status_code} {response.text[:120]!r}")
        return body

    first = eventually(reserve, f"a reservation of {sku}", budget_s)
    replay = reserve()
    if replay["reservationId"] != first["reservationId"]:
        raise ProbeError(
            f"the replay of key {key} reserved again: {first['reservationId']} then {replay['reservationId']}"
        )

    def stock() -> None:
        response = session.get(product, headers=headers, timeout=HTTP_TIMEOUT_S)
        body = _json(response)
        if response.status_code != 200 or body.get("stock") != 2:
            raise ProbeError(
                f"GET {product} -> {response.status_code} stock {body.get('stock')!r} (expected 2)"
            )

    eventually(stock, f"{sku} has 2 left after one reservation and its replay", budget_s)
    return str(first["reservationId"])


def database_only_through_proxy(ec2: Any, db_group: str, proxy_group: str, function_group: str) -> None:
    """The cluster's group admits 5432 from the proxy's group only; the proxy's from the function's."""

    def admitted(group: str) -> list[tuple[int, int, tuple[str, ...], int]]:
        (found,) = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
        return [
            (
                rule.get("FromPort", -1),
                rule.get("ToPort", -1),
                tuple(pair["GroupId"] for pair in rule.get("UserIdGroupPairs", [])),
                len(rule.get("IpRanges", []))
                + len(rule.get("Ipv6Ranges", []))
                + len(rule.get("PrefixListIds", [])),
            )
            for rule in found.get("IpPermissions", [])
        ]

    for group, source, name in ((db_group, proxy_group, "cluster"), (proxy_group, function_group, "proxy")):
        rules = admitted(group)
        if rules != [(DB_PORT, DB_PORT, (source,), 0)]:
            raise ProbeError(f"the {name} group {group} admits {rules}; expected only 5432 from {source}")
