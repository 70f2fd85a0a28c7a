"""ContainerImage: the content tag (002-R5) and the ECR repository's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from program.components.container_image import (
    ContainerImageArgs,
    content_tag,
    context_digest,
    lifecycle_policy,
)
from program.scope import Scope

SCOPE = Scope("dev", "123456789012", "us-east-1")


def _context(root: Path) -> Path:
    (root / "src").mkdir()
    (root / "Dockerfile").write_text("FROM public.ecr.aws/lambda/nodejs:22\n")
    (root / "src" / "a.js").write_text("one")
    (root / "README.md").write_text("not copied")
    return root


def test_002_R5_the_tag_changes_with_copied_files_only(tmp_path: Path) -> None:
    root = _context(tmp_path)
    first = content_tag(root, ("Dockerfile", "src"))
    assert first.startswith("c-") and len(first) == 22
    (root / "README.md").write_text("changed, but the Dockerfile does not copy it")
    assert content_tag(root, ("Dockerfile", "src")) == first
    (root / "src" / "a.js").write_text("two")
    assert content_tag(root, ("Dockerfile", "src")) != first


def test_a_renamed_file_changes_the_digest(tmp_path: Path) -> None:
    root = _context(tmp_path)
    before = context_digest(root, ("src",))
    (root / "src" / "a.js").rename(root / "src" / "b.js")
    assert context_digest(root, ("src",)) != before


def test_missing_entries_and_dockerfile_are_refused(tmp_path: Path) -> None:
    root = _context(tmp_path)
    with pytest.raises(ValueError, match="'lib' is not in"):
        context_digest(root, ("lib",))
    with pytest.raises(ValueError, match="must list the Dockerfile"):
        ContainerImageArgs("api", SCOPE, str(root), ("src",), "arn:aws:kms:us-east-1:123456789012:key/k")


def test_lifecycle_keeps_the_newest_images() -> None:
    assert lifecycle_policy(10) == (
        '{"rules": [{"rulePriority": 1, "description": "keep the newest 10 images", "selection": '
        '{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10}, '
        '"action": {"type": "expire"}}]}'
    )
