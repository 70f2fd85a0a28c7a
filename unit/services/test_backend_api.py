"""The catalog API against a real PostgreSQL: create, get, list, search, paginate, validate."""

from __future__ import annotations

import json
from typing import Any

import pytest

from unit.services.helpers import title


def post(client: Any, body: Any) -> Any:
    return client.post("/api/titles", data=json.dumps(body), content_type="application/json")


def test_health_is_liveness_and_ready_reports_the_database_004_R8(client: Any) -> None:
    assert client.get("/health").get_json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready", "database": "ok", "schemaVersion": 2}


def test_create_then_get_round_trips_every_field(client: Any) -> None:
    created = post(
        client, {"title": "  Alien ", "year": 1979, "genres": ["Sci-Fi", "horror"], "durationMinutes": 117}
    )
    assert created.status_code == 201
    body = created.get_json()
    assert isinstance(body["id"], int) and body["id"] >= 1
    assert body == {
        "id": body["id"],
        "title": "Alien",
        "year": 1979,
        "genres": ["sci-fi", "horror"],
        "durationMinutes": 117,
    }
    assert created.headers["Location"] == f"/api/titles/{body['id']}"
    fetched = client.get(f"/api/titles/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.get_json() == body


def test_ids_are_server_assigned_and_distinct(client: Any) -> None:
    ids = [post(client, title(f"Film {n}")).get_json()["id"] for n in range(3)]
    assert len(set(ids)) == 3


def test_duplicate_title_and_year_is_409(client: Any) -> None:
    assert post(client, title("Heat", 1995)).status_code == 201
    again = post(client, title("heat", 1995))
    assert again.status_code == 409
    assert again.get_json() == {
        "error": "a title 'heat' from 1995 already exists",
        "code": "conflict",
        "field": "title",
    }
    assert post(client, title("Heat", 1986)).status_code == 201


def test_list_is_ordered_by_title_case_insensitively(client: Any) -> None:
    for name in ("zodiac", "Amélie", "brazil", "Casablanca"):
        post(client, title(name))
    items = client.get("/api/titles").get_json()["items"]
    assert [item["title"] for item in items] == ["Amélie", "brazil", "Casablanca", "zodiac"]


def test_search_matches_substrings_case_insensitively(client: Any) -> None:
    for name in ("The Matrix", "Matrix Reloaded", "Memento", "Casino"):
        post(client, title(name))
    found = client.get("/api/titles?q=MATRIX").get_json()
    assert [item["title"] for item in found["items"]] == ["Matrix Reloaded", "The Matrix"]
    assert client.get("/api/titles?q=nothing-like-this").get_json() == {
        "items": [],
        "nextCursor": None,
        "limit": 20,
    }


def test_search_treats_like_wildcards_literally(client: Any) -> None:
    post(client, title("100% Wolf"))
    post(client, title("1000 Days"))
    post(client, title("a_b"))
    post(client, title("axb"))
    assert [i["title"] for i in client.get("/api/titles?q=100%25").get_json()["items"]] == ["100% Wolf"]
    assert [i["title"] for i in client.get("/api/titles?q=a_b").get_json()["items"]] == ["a_b"]


def test_genre_filter(client: Any) -> None:
    post(client, title("Up", genres=["Animation", "family"]))
    post(client, title("Se7en", genres=["crime", "thriller"]))
    assert [i["title"] for i in client.get("/api/titles?genre=Animation").get_json()["items"]] == ["Up"]


def test_cursor_pagination_walks_every_row_once(client: Any) -> None:
    names = [f"Title {n:02d}" for n in range(23)]
    for name in reversed(names):
        post(client, title(name))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "/api/titles?limit=5" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(query).get_json()
        pages += 1
        assert page["limit"] == 5
        seen.extend(item["title"] for item in page["items"])
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert pages == 5
    assert seen == names


def test_pagination_is_stable_when_rows_are_inserted_between_pages(client: Any) -> None:
    for name in ("b", "d", "f", "h"):
        post(client, title(name))
    first = client.get("/api/titles?limit=2").get_json()
    assert [i["title"] for i in first["items"]] == ["b", "d"]
    post(client, title("a"))  # sorts before the cursor: must not shift the next page
    second = client.get(f"/api/titles?limit=2&cursor={first['nextCursor']}").get_json()
    assert [i["title"] for i in second["items"]] == ["f", "h"]
    assert second["nextCursor"] is None


def test_search_and_pagination_combine(client: Any) -> None:
    for n in range(7):
        post(client, title(f"Star {n}"))
        post(client, title(f"Moon {n}"))
    first = client.get("/api/titles?q=star&limit=4").get_json()
    second = client.get(f"/api/titles?q=star&limit=4&cursor={first['nextCursor']}").get_json()
    assert [i["title"] for i in first["items"] + second["items"]] == [f"Star {n}" for n in range(7)]
    assert second["nextCursor"] is None


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("limit=0", "limit", "limit must be an integer between 1 and 100, got '0'"),
        ("limit=101", "limit", "limit must be an integer between 1 and 100, got '101'"),
        ("limit=ten", "limit", "limit must be an integer between 1 and 100, got 'ten'"),
        ("limit=-1", "limit", "limit must be an integer between 1 and 100, got '-1'"),
        ("cursor=not-a-cursor", "cursor", "cursor must be a nextCursor value returned by this API"),
        ("cursor=WzEsMl0", "cursor", "cursor must be a nextCursor value returned by this API"),  # [1,2]
        ("q=" + "x" * 101, "q", "q must be at most 100 characters"),
        ("page=2", "page", "page is not a query parameter; allowed: q, genre, limit, cursor"),
        ("q=a%00b", "q", "q must not contain NUL characters"),
        ("genre=%00", "genre", "genre must not contain NUL characters"),
        ("cursor=WyJhXHUwMDAwIiwgMV0", "cursor", "cursor must not contain NUL characters"),  # ["a\u0000", 1]
        (
            "cursor=WyJhIiwgMF0",
            "cursor",
            "cursor must be a nextCursor value returned by this API",
        ),  # ["a", 0]
    ],
)
def test_bad_list_parameters_are_400(client: Any, query: str, field: str, message: str) -> None:
    response = client.get(f"/api/titles?{query}")
    assert response.status_code == 400
    assert response.get_json() == {"error": message, "code": "validation_error", "field": field}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"year": 2000, "genres": [], "durationMinutes": 90}, "title", "title is required"),
        ({**title("x"), "id": 7}, "id", "id is assigned by the server; leave it out"),
        (
            {**title("x"), "rating": 5},
            "rating",
            "rating is not a title field; allowed: title, year, genres, durationMinutes",
        ),
        (title("   "), "title", "title must be a non-empty string of at most 200 characters"),
        (title("x" * 201), "title", "title must be a non-empty string of at most 200 characters"),
        ({**title("x"), "title": 42}, "title", "title must be a non-empty string of at most 200 characters"),
        (title("x", year=1877), "year", "year must be an integer between 1878 and 2100, got 1877"),
        (title("x", year=2101), "year", "year must be an integer between 1878 and 2100, got 2101"),
        ({**title("x"), "year": "1999"}, "year", 'year must be an integer between 1878 and 2100, got "1999"'),
        ({**title("x"), "year": 1999.5}, "year", "year must be an integer between 1878 and 2100, got 1999.5"),
        ({**title("x"), "year": True}, "year", "year must be an integer between 1878 and 2100, got true"),
        ({**title("x"), "year": None}, "year", "year must be an integer between 1878 and 2100, got null"),
        (
            title("x", minutes=0),
            "durationMinutes",
            "durationMinutes must be an integer between 1 and 1000, got 0",
        ),
        (
            title("x", minutes=1001),
            "durationMinutes",
            "durationMinutes must be an integer between 1 and 1000, got 1001",
        ),
        ({**title("x"), "genres": "drama"}, "genres", "genres must be a list of at most 10 strings"),
        (
            title("x", genres=[f"g{n}" for n in range(11)]),
            "genres",
            "genres must be a list of at most 10 strings",
        ),
        (
            title("x", genres=["drama", 3]),
            "genres",
            "genres entries must be non-empty strings of at most 40 characters",
        ),
        (
            title("x", genres=[""]),
            "genres",
            "genres entries must be non-empty strings of at most 40 characters",
        ),
        (
            title("x", genres=["g" * 41]),
            "genres",
            "genres entries must be non-empty strings of at most 40 characters",
        ),
        (title("x", genres=["Drama", "drama "]), "genres", "genres lists 'drama' twice"),
        (title("a\x00b"), "title", "title must not contain NUL characters"),
        (title("x", genres=["dra\x00ma"]), "genres", "genres must not contain NUL characters"),
        (title("\ud800"), "title", "title must be valid Unicode text (no lone surrogates)"),
    ],
)
def test_bad_title_bodies_are_400_naming_the_field(
    client: Any, body: dict[str, Any], field: str, message: str
) -> None:
    response = post(client, body)
    assert response.status_code == 400
    assert response.get_json() == {"error": message, "code": "validation_error", "field": field}
    assert client.get("/api/titles").get_json()["items"] == []  # nothing was stored


@pytest.mark.parametrize("raw", ["[1, 2]", '"a title"', "null", "42"])
def test_a_body_that_is_not_an_object_is_400(client: Any, raw: str) -> None:
    response = client.post("/api/titles", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "body must be a JSON object with title, year, genres, durationMinutes",
        "code": "validation_error",
    }


def test_malformed_json_is_400(client: Any) -> None:
    response = client.post("/api/titles", data='{"title": ', content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"error": "body is not valid JSON", "code": "invalid_json"}


def test_wrong_content_type_is_415(client: Any) -> None:
    response = client.post("/api/titles", data="title=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.get_json() == {
        "error": "Content-Type must be application/json",
        "code": "unsupported_media_type",
    }


def test_oversized_body_is_413(client: Any) -> None:
    response = post(client, title("x" * 20_000))
    assert response.status_code == 413
    assert response.get_json() == {
        "error": "request body is larger than 16384 bytes",
        "code": "request_entity_too_large",
    }


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        (
            "/api/titles/abc",
            400,
            {"error": "id must be a positive integer, got 'abc'", "code": "validation_error", "field": "id"},
        ),
        (
            "/api/titles/0",
            400,
            {"error": "id must be a positive integer, got '0'", "code": "validation_error", "field": "id"},
        ),
        (
            "/api/titles/99999999999999999999",
            400,
            {
                "error": "id must be a positive integer, got '99999999999999999999'",
                "code": "validation_error",
                "field": "id",
            },
        ),
        ("/api/titles/424242", 404, {"error": "title 424242 does not exist", "code": "not_found"}),
        ("/api/nothing", 404, {"error": "no route for GET /api/nothing", "code": "not_found"}),
    ],
)
def test_get_bad_or_missing_ids(client: Any, path: str, status: int, body: dict[str, str]) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.get_json() == body


def test_wrong_method_is_405_json(client: Any) -> None:
    response = client.delete("/api/titles")
    assert response.status_code == 405
    assert response.get_json() == {
        "error": "DELETE is not allowed on /api/titles",
        "code": "method_not_allowed",
    }


def test_cors_headers_when_an_origin_is_configured_004_R18(make_app: Any, migrated_url: str) -> None:
    client = make_app(migrated_url, cors_allow_origin="https://d111.cloudfront.net").test_client()
    preflight = client.options("/api/titles", headers={"Origin": "https://d111.cloudfront.net"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://d111.cloudfront.net"
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert client.get("/api/titles").headers["Access-Control-Allow-Origin"] == "https://d111.cloudfront.net"
    assert "Access-Control-Allow-Origin" not in client.get("/health").headers
