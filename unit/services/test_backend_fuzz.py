"""Property tests: no input, however odd, gets a 5xx from the API (bad input is 4xx JSON, never 500)."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Text PostgreSQL cannot store (NUL, lone surrogates) and oversized text, mixed into every string.
odd_text = st.text(max_size=30) | st.sampled_from(["a\x00b", "\x00", "\ud800", "x" * 300, "%_\\"])
# A URL cannot carry a lone surrogate (a client percent-encodes UTF-8), so query strings get NUL only.
query_text = st.text(max_size=30) | st.sampled_from(["a\x00b", "\x00", "x" * 300, "%_\\"])
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | odd_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
valid_title = st.fixed_dictionaries(
    {
        "title": st.text(min_size=1, max_size=60),
        "year": st.integers(min_value=1878, max_value=2100),
        "genres": st.lists(st.text(min_size=1, max_size=12), max_size=3),
        "durationMinutes": st.integers(min_value=1, max_value=1000),
    }
)
field_values = {
    "title": odd_text | json_values,
    "year": st.integers(min_value=1800, max_value=2200) | json_values,
    "genres": st.lists(odd_text, min_size=1, max_size=12) | json_values,
    "durationMinutes": st.integers(min_value=-5, max_value=1100) | json_values,
    "id": json_values,
}
# Mostly a valid body with one field replaced, so the odd value reaches the checks behind the others.
one_bad_field = st.sampled_from(sorted(field_values)).flatmap(
    lambda field: st.builds(lambda body, value: {**body, field: value}, valid_title, field_values[field])
)


@FUZZ
@given(body=one_bad_field | valid_title | json_values)
def test_any_create_body_is_201_400_or_409_never_5xx(client: Any, body: Any) -> None:
    response = client.post("/api/titles", data=json.dumps(body), content_type="application/json")
    assert response.status_code in (201, 400, 409), response.get_data(as_text=True)
    if response.status_code != 201:
        assert set(response.get_json()) <= {"error", "code", "field"}


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@FUZZ
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            "q": st.text(max_size=120) | query_text,
            "genre": st.text(max_size=45) | query_text,
            "limit": query_text | st.integers(min_value=-5, max_value=200).map(str),
            "cursor": query_text | st.tuples(odd_text, st.integers()).map(lambda t: cursor_of(list(t))),
        },
    )
)
def test_any_list_query_is_200_or_400_never_5xx(client: Any, params: dict[str, str]) -> None:
    response = client.get("/api/titles", query_string=params)
    assert response.status_code in (200, 400), response.get_data(as_text=True)


@FUZZ
@given(title_id=st.text(min_size=1, max_size=25).filter(lambda s: "/" not in s and s not in (".", "..")))
def test_any_title_id_is_200_400_or_404_never_5xx(client: Any, title_id: str) -> None:
    response = client.get(f"/api/titles/{title_id}")
    assert response.status_code in (200, 400, 404), response.get_data(as_text=True)
