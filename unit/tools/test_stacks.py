"""tools/stacks.py: the blueprint registry read defensively, and the CI matrix from the stack files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from program import blueprints
from tools import stacks
from tools.stacks import StackFileError

ROOT = Path(__file__).resolve().parents[2]


def write_stacks(root: Path, **files: str) -> None:
    for stack, text in files.items():
        (root / f"Pulumi.{stack}.yaml").write_text(text)


@pytest.mark.parametrize(
    "registry",
    [
        {"serverless-app": print, "catalog-api": print},
        ["serverless-app", "catalog-api"],
        frozenset({"serverless-app", "catalog-api"}),
        ("serverless-app", "catalog-api"),
    ],
)
def test_the_registry_reads_the_same_as_a_mapping_or_a_list_of_names(
    monkeypatch: pytest.MonkeyPatch, registry: object
) -> None:
    monkeypatch.setattr(blueprints, "BUILT", registry)
    assert stacks.built_blueprints() == {"serverless-app", "catalog-api"}


@pytest.mark.parametrize("registry", [None, "serverless-app", 3])
def test_a_registry_of_another_shape_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, registry: object
) -> None:
    monkeypatch.setattr(blueprints, "BUILT", registry)
    with pytest.raises(StackFileError, match=r"^program\.blueprints\.BUILT is \w+; expected a mapping"):
        stacks.built_blueprints()


def test_todays_registry_has_serverless_app() -> None:
    assert "serverless-app" in stacks.built_blueprints()


def test_the_matrix_has_only_built_blueprints_each_in_its_own_region(tmp_path: Path) -> None:
    write_stacks(
        tmp_path,
        **{
            "serverless-dev": "config:\n  aws:region: us-west-2\n  webstack:blueprint: serverless-app\n",
            "catalog-dev": "config:\n  aws:region: us-east-1\n  webstack:blueprint: catalog-api\n",
            "media-dev": "config:\n  aws:region: ap-southeast-1\n  webstack:blueprint: media-platform\n",
        },
    )
    assert stacks.matrix(tmp_path, built={"serverless-app", "catalog-api"}) == [
        {"stack": "catalog-dev", "blueprint": "catalog-api", "region": "us-east-1", "tag": "ca"},
        {"stack": "serverless-dev", "blueprint": "serverless-app", "region": "us-west-2", "tag": "se"},
    ]
    assert stacks.matrix(tmp_path, only="catalog-dev", built={"catalog-api"}) == [
        {"stack": "catalog-dev", "blueprint": "catalog-api", "region": "us-east-1", "tag": "ca"},
    ]
    with pytest.raises(StackFileError, match=r"stack 'media-dev' is not a built blueprint's example stack"):
        stacks.matrix(tmp_path, only="media-dev", built={"catalog-api"})


def test_a_built_stack_without_a_region_stops_the_matrix(tmp_path: Path) -> None:
    write_stacks(tmp_path, **{"serverless-dev": "config:\n  webstack:blueprint: serverless-app\n"})
    with pytest.raises(StackFileError, match=r"^Pulumi\.serverless-dev\.yaml: set aws:region"):
        stacks.example_stacks(tmp_path, built={"serverless-app"})


def test_two_stacks_with_the_same_suffix_tag_are_refused(tmp_path: Path) -> None:
    write_stacks(
        tmp_path,
        **{
            "serverless-dev": "config:\n  aws:region: us-west-2\n  webstack:blueprint: serverless-app\n",
            "search-dev": "config:\n  aws:region: us-west-2\n  webstack:blueprint: catalog-api\n",
        },
    )
    with pytest.raises(
        StackFileError, match="stacks search-dev and serverless-dev share the suffix tag 'se'"
    ):
        stacks.example_stacks(tmp_path, built={"serverless-app", "catalog-api"})


@pytest.mark.parametrize(
    ("stack", "tag"), [("serverless-dev", "se"), ("stream-dev", "st"), ("x-dev", "xx"), ("9-dev", "xx")]
)
def test_suffix_tags_are_two_lowercase_letters(stack: str, tag: str) -> None:
    assert stacks.stack_tag(stack) == tag


def test_the_cli_prints_a_github_output_line_and_fails_in_one_line() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "tools.stacks", "matrix"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    name, _, value = ok.stdout.strip().partition("=")
    assert name == "stacks"
    assert {"stack": "serverless-dev", "blueprint": "serverless-app", "region": "us-west-2", "tag": "se"} in (
        json.loads(value)["include"]
    )
    bad = subprocess.run(
        [sys.executable, "-m", "tools.stacks", "matrix", "--only", "nope-dev"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: stack 'nope-dev' is not a built blueprint's example stack (built: ")
    assert len(bad.stderr.strip().splitlines()) == 1
