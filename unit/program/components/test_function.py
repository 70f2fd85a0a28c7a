"""Function helpers: what ships in a Lambda's zip."""

from __future__ import annotations

from pathlib import Path

from program.components.function import code_files


def test_the_zip_holds_the_sources_and_no_caches(tmp_path: Path) -> None:
    folder = tmp_path / "api"
    (folder / "__pycache__").mkdir(parents=True)
    (folder / "handler.py").write_text("def handler(event, context): ...\n")
    (folder / "schema.json").write_text("{}")
    (folder / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\x00")
    (folder / "stale.pyc").write_bytes(b"\x00")
    assert list(code_files("api", tmp_path)) == ["handler.py", "schema.json"]


def test_each_deployed_function_ships_its_handler() -> None:
    assert "handler.py" in code_files("api")
    assert "handler.py" in code_files("stream_consumer")
