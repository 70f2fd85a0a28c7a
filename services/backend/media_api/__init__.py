"""The media catalog backend (seed 004): the Flask app factory and its error contract.

`create_app()` wires settings (SSM Parameter Store with env fallback), database credentials (the
RDS-managed secret or DATABASE_URL), the connection pool and the `/api` routes. Every error leaves
as one-line JSON: 4xx for bad input, 503 (with Retry-After) while the database is unreachable.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from media_api.config import Settings, load_settings
from media_api.db import Database, DatabaseUnavailableError
from media_api.titles import ApiError, titles_api

log = logging.getLogger("media_api")

# Request bodies are small JSON documents; anything bigger is refused with 413 before parsing.
MAX_BODY_BYTES = 16 * 1024


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    body: dict[str, Any] = {"error": message, "code": code}
    if field is not None:
        body["field"] = field
    response = jsonify(body)
    response.status_code = status
    return response


def create_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]
    db = database or Database.from_settings(settings)
    db.open()
    app.extensions["media_db"] = db
    app.extensions["media_settings"] = settings
    app.register_blueprint(titles_api, url_prefix="/api")

    @app.get("/health")
    def health() -> Response:
        # Liveness only: the ALB/ECS check must not kill every task when the database blips.
        return jsonify({"status": "ok"})

    @app.get("/health/ready")
    def ready() -> Response | tuple[Response, int]:
        try:
            version = db.schema_version()
        except DatabaseUnavailableError as exc:
            return jsonify({"status": "unavailable", "database": "unavailable", "detail": str(exc)}), 503
        if version is None:
            return jsonify({"status": "unavailable", "database": "ok", "schemaVersion": None}), 503
        return jsonify({"status": "ready", "database": "ok", "schemaVersion": version})

    @app.after_request
    def cors(response: Response) -> Response:
        origin = settings.cors_allow_origin
        if origin and request.path.startswith("/api"):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Headers"] = "Content-Type, X-Api-Key"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Max-Age"] = "600"
            if origin != "*":
                response.headers["Vary"] = "Origin"
        return response

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.errorhandler(DatabaseUnavailableError)
    def database_down(exc: DatabaseUnavailableError) -> Response:
        log.warning("database unavailable: %s", exc)
        response = error_response(503, "database_unavailable", "the database is unavailable; retry shortly")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        message = {
            404: f"no route for {request.method} {request.path}",
            405: f"{request.method} is not allowed on {request.path}",
            413: f"request body is larger than {MAX_BODY_BYTES} bytes",
        }.get(status, exc.description or exc.name)
        return error_response(status, code, message)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "internal error")

    return app
