"""The static site's files and content types (site.py): no Pulumi, no graph."""

from __future__ import annotations

from pathlib import Path

from program.components.site import DEFAULT_CSP, SITE_DIR, content_type, site_files


def test_site_is_self_contained() -> None:
    for key, path in site_files(SITE_DIR):
        text = path.read_text()
        assert "http://" not in text and "https://" not in text, key


def test_content_types() -> None:
    assert content_type(Path("a/app.js")).split(";")[0] in ("text/javascript", "application/javascript")
    assert content_type(Path("logo.svg")) == "image/svg+xml; charset=utf-8"
    assert content_type(Path("photo.png")) == "image/png"
    assert content_type(Path("font.woff2")) == "font/woff2"
    assert content_type(Path("blob.unknownext")) == "application/octet-stream"


def test_site_files_skip_hidden_entries(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("x")
    (tmp_path / ".DS_Store").write_text("x")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.html").write_text("x")
    (tmp_path / "index.html").write_text("x")
    assert [key for key, _ in site_files(tmp_path)] == ["a/b.html", "index.html"]


def test_site_dir_has_the_pages_the_cdn_serves() -> None:
    assert {"index.html", "404.html"} <= {key for key, _ in site_files(SITE_DIR)}


def test_002_R28_default_csp_allows_only_this_origin() -> None:
    assert "default-src 'self'" in DEFAULT_CSP and "frame-ancestors 'none'" in DEFAULT_CSP
