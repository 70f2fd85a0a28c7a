"""A stand-in for a deployed catalog-api stack, on this machine only (127.0.0.1).

One HTTP server plays the three doors of the stack: CloudFront (``/`` and ``/errors/*`` from
sites/catalog, ``/api/*`` to the catalog), the ALB (``/alb/...``: 403 JSON unless the origin header
is present) and API Gateway (``/apigw/...``: 403 JSON without the API key). The catalog behind them
is a small in-memory model of the service's contract (products, reservations with
Idempotency-Key). ``behaviour`` switches each door to a broken state so the probes can be seen
to notice.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SITE = Path(__file__).resolve().parents[2] / "sites" / "catalog"
ORIGIN_HEADER, ORIGIN_SECRET, API_KEY = "x-origin-verify", "origin-secret", "partner-key"


@dataclass
class Behaviour:
    alb_open: bool = False  # the ALB forwards without the origin header
    api_keyless: bool = False  # API Gateway serves without a key
    double_reserve: bool = False  # a replayed Idempotency-Key reserves again
    error_page_missing: bool = False


class Catalog:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.products: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, dict[str, Any]] = {}

    def handle(
        self, method: str, path: str, body: dict[str, Any], headers: Any, behaviour: Behaviour
    ) -> tuple[int, dict[str, Any]]:
        parts = path.split("?")[0].strip("/").split("/")
        with self.lock:
            if parts == ["api", "products"] and method == "GET":
                return 200, {
                    "items": sorted(self.products.values(), key=lambda p: p["sku"]),
                    "nextCursor": None,
                }
            if len(parts) == 3 and parts[:2] == ["api", "products"]:
                sku = parts[2]
                if method == "PUT":
                    created = sku not in self.products
                    self.products[sku] = {
                        "sku": sku,
                        "name": body["name"],
                        "price": body["price"],
                        "stock": body["stock"],
                    }
                    return (201 if created else 200), self.products[sku]
                if method == "GET":
                    return (
                        (200, self.products[sku]) if sku in self.products else (404, {"error": "unknown sku"})
                    )
            if len(parts) == 4 and parts[3] == "reservations" and method == "POST":
                sku, key = parts[2], headers.get("Idempotency-Key")
                if key in self.keys and not behaviour.double_reserve:
                    return 201, self.keys[key]
                product = self.products.get(sku)
                if product is None:
                    return 404, {"error": "unknown sku"}
                if product["stock"] < body["quantity"]:
                    return 409, {"error": "insufficient stock"}
                product["stock"] -= body["quantity"]
                result = {"reservationId": str(uuid.uuid4()), "sku": sku, "remaining": product["stock"]}
                if key:
                    self.keys[key] = result
                return 201, result
        return 404, {"error": "no such route"}


class StandIn:
    def __init__(self) -> None:
        self.behaviour = Behaviour()
        self.catalog = Catalog()

    @contextmanager
    def running(self) -> Iterator[dict[str, str]]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, body: dict[str, Any]) -> None:
                self._send(status, json.dumps(body).encode(), "application/json")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                behaviour = stand_in.behaviour
                if self.path.startswith("/alb/"):
                    if self.headers.get(ORIGIN_HEADER) != ORIGIN_SECRET and not behaviour.alb_open:
                        return self._json(403, {"error": "forbidden"})
                    return self._json(
                        *stand_in.catalog.handle(method, self.path[4:], body, self.headers, behaviour)
                    )
                if self.path.startswith("/apigw/"):
                    if self.headers.get("x-api-key") != API_KEY and not behaviour.api_keyless:
                        return self._json(403, {"message": "Forbidden"})
                    return self._json(
                        *stand_in.catalog.handle(method, self.path[6:], body, self.headers, behaviour)
                    )
                if self.path.startswith("/api/"):
                    return self._json(
                        *stand_in.catalog.handle(method, self.path, body, self.headers, behaviour)
                    )
                name = "index.html" if self.path == "/" else self.path.lstrip("/")
                file = SITE / name
                if (name.startswith("errors/") and behaviour.error_page_missing) or not file.is_file():
                    return self._send(404, b"<Error>NoSuchKey</Error>", "application/xml")
                return self._send(200, file.read_bytes(), "text/html")

            def do_GET(self) -> None:
                self._serve("GET")

            def do_PUT(self) -> None:
                self._serve("PUT")

            def do_POST(self) -> None:
                self._serve("POST")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield {
                "cloudfrontUrl": base,
                "albUrl": f"{base}/alb",
                "apiUrl": f"{base}/apigw",
                "apiKeyValue": API_KEY,
            }
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
