"""The catalog API under /api: list/search titles (keyset pagination), get one, create one.

Pagination is by opaque cursor, not offset: the list is ordered by (lower(title), id) and the
cursor carries the last row's key, so a page costs the same at any depth (an index range scan,
where OFFSET reads and discards every earlier row) and concurrent inserts never shift or repeat
rows between pages. Every bad input is a 4xx with a one-line message naming the field.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import psycopg
from flask import Blueprint, Response, current_app, jsonify, request, url_for

YEAR_RANGE = (1878, 2100)
DURATION_RANGE = (1, 1000)
TITLE_MAX = 200
GENRE_MAX = 40
GENRES_MAX = 10
QUERY_MAX = 100
FIELDS = ("title", "year", "genres", "durationMinutes")
MAX_ID = 2**63 - 1

titles_api = Blueprint("titles", __name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def invalid(field: str, message: str) -> ApiError:
    return ApiError(400, "validation_error", f"{field} {message}", field)


def storable(field: str, text: str) -> str:
    """`text` unless PostgreSQL cannot store it: NUL characters and lone surrogates are a 400."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(field, "must be valid Unicode text (no lone surrogates)") from None
    if "\x00" in text:
        raise invalid(field, "must not contain NUL characters")
    return text


def _db() -> Any:
    return current_app.extensions["media_db"]


def _settings() -> Any:
    return current_app.extensions["media_settings"]


def as_json(row: tuple[Any, ...]) -> dict[str, Any]:
    return {"id": row[0], "title": row[1], "year": row[2], "genres": list(row[3]), "durationMinutes": row[4]}


def encode_cursor(sort_key: str, title_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort_key, title_id]).encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> tuple[str, int]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        decoded = None
    if (
        isinstance(decoded, list)
        and len(decoded) == 2
        and isinstance(decoded[0], str)
        and isinstance(decoded[1], int)
        and not isinstance(decoded[1], bool)
        and 1 <= decoded[1] <= MAX_ID
    ):
        return storable("cursor", decoded[0]), decoded[1]
    raise invalid("cursor", "must be a nextCursor value returned by this API")


def _int_arg(name: str, raw: str, low: int, high: int) -> int:
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid(name, f"must be an integer between {low} and {high}, got {raw!r}")
    return int(raw)


ALLOWED_LIST_ARGS = ("q", "genre", "limit", "cursor")


@titles_api.get("/titles")
def list_titles() -> Response:
    args = request.args
    unknown = sorted(set(args) - set(ALLOWED_LIST_ARGS))
    if unknown:
        raise invalid(unknown[0], f"is not a query parameter; allowed: {', '.join(ALLOWED_LIST_ARGS)}")
    settings = _settings()
    limit = settings.page_size
    if "limit" in args:
        limit = _int_arg("limit", args["limit"], 1, settings.max_page_size)
    query = storable("q", args.get("q", "").strip())
    if len(query) > QUERY_MAX:
        raise invalid("q", f"must be at most {QUERY_MAX} characters")
    genre = storable("genre", args.get("genre", "").strip().lower())
    if len(genre) > GENRE_MAX:
        raise invalid("genre", f"must be at most {GENRE_MAX} characters")
    after = decode_cursor(args["cursor"]) if args.get("cursor") else None

    params: list[Any] = []
    if query:
        # Escape LIKE's metacharacters so a search for "100%" means the literal text.
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"%{escaped}%")
    if genre:
        params.append(genre)
    if after is not None:
        params.extend(after)
    params.append(limit + 1)  # one extra row says whether another page exists
    rows = _db().query(LIST_STATEMENTS[bool(query), bool(genre), after is not None], params)
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1][5], page[-1][0]) if len(rows) > limit else None
    return jsonify({"items": [as_json(row) for row in page], "nextCursor": next_cursor, "limit": limit})


def list_statement(query: bool, genre: bool, after: bool) -> str:
    """The list query for one combination of filters (built once: eight shapes, all constant SQL)."""
    where = [
        condition
        for present, condition in (
            (query, "title ILIKE %s"),
            (genre, "genres @> ARRAY[%s]::text[]"),
            (after, "(lower(title), id) > (%s, %s)"),
        )
        if present
    ]
    return (
        "SELECT id, title, year, genres, duration_minutes, lower(title) FROM titles "
        + (f"WHERE {' AND '.join(where)} " if where else "")
        + "ORDER BY lower(title), id LIMIT %s"
    )


LIST_STATEMENTS = {
    (query, genre, after): list_statement(query, genre, after)
    for query in (False, True)
    for genre in (False, True)
    for after in (False, True)
}


@titles_api.get("/titles/<title_id>")
def get_title(title_id: str) -> Response:
    if not title_id.isdigit() or not 1 <= int(title_id) <= MAX_ID:
        raise invalid("id", f"must be a positive integer, got {title_id!r}")
    row = _db().query(
        "SELECT id, title, year, genres, duration_minutes FROM titles WHERE id = %s",
        (int(title_id),),
        one=True,
    )
    if row is None:
        raise ApiError(404, "not_found", f"title {title_id} does not exist")
    return jsonify(as_json(row))


def _bounded_int(body: dict[str, Any], field: str, low: int, high: int) -> int:
    value = body[field]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(field, f"must be an integer between {low} and {high}, got {json.dumps(value)}")
    return value


def validate_title(body: Any) -> dict[str, Any]:
    """The stored form of a create request, or ApiError naming the first bad field."""
    if not isinstance(body, dict):
        raise ApiError(400, "validation_error", "body must be a JSON object with " + ", ".join(FIELDS))
    if "id" in body:
        raise invalid("id", "is assigned by the server; leave it out")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise invalid(unknown[0], f"is not a title field; allowed: {', '.join(FIELDS)}")
    missing = [field for field in FIELDS if field not in body]
    if missing:
        raise invalid(missing[0], "is required")
    title = body["title"]
    if not isinstance(title, str) or not 1 <= len(title.strip()) <= TITLE_MAX:
        raise invalid("title", f"must be a non-empty string of at most {TITLE_MAX} characters")
    storable("title", title)
    genres = body["genres"]
    if not isinstance(genres, list) or len(genres) > GENRES_MAX:
        raise invalid("genres", f"must be a list of at most {GENRES_MAX} strings")
    cleaned: list[str] = []
    for genre in genres:
        if not isinstance(genre, str) or not 1 <= len(genre.strip()) <= GENRE_MAX:
            raise invalid("genres", f"entries must be non-empty strings of at most {GENRE_MAX} characters")
        storable("genres", genre)
        if genre.strip().lower() in cleaned:
            raise invalid("genres", f"lists {genre.strip().lower()!r} twice")
        cleaned.append(genre.strip().lower())
    return {
        "title": title.strip(),
        "year": _bounded_int(body, "year", *YEAR_RANGE),
        "genres": cleaned,
        "duration_minutes": _bounded_int(body, "durationMinutes", *DURATION_RANGE),
    }


@titles_api.post("/titles")
def create_title() -> tuple[Response, int, dict[str, str]]:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")
    try:
        body = json.loads(request.get_data(cache=False) or b"")
    except ValueError:
        raise ApiError(400, "invalid_json", "body is not valid JSON") from None
    title = validate_title(body)
    try:
        row = _db().query(
            "INSERT INTO titles (title, year, genres, duration_minutes) VALUES (%s, %s, %s, %s) "
            "RETURNING id, title, year, genres, duration_minutes",
            (title["title"], title["year"], title["genres"], title["duration_minutes"]),
            one=True,
            retry=False,
        )
    except psycopg.errors.UniqueViolation:
        raise ApiError(
            409, "conflict", f"a title {title['title']!r} from {title['year']} already exists", "title"
        ) from None
    assert row is not None
    created = as_json(row)
    return jsonify(created), 201, {"Location": url_for("titles.get_title", title_id=created["id"])}
