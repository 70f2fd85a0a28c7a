"""Seed-row bookkeeping for the blueprint tests: which rows of a seed no unit test names and
docs/DEVIATIONS.md does not list either."""

from __future__ import annotations

import ast
import re

from unit.conftest import REPO_ROOT


def unaccounted_rows(seed: str, last_row: int) -> list[int]:
    """Rows 1..last_row of ``seed`` (e.g. "002") that no test under unit/ names, in its function
    name (``test_002_R5_R6_...``) or in a docstring (``002-R5``), and DEVIATIONS.md does not list."""
    named: set[int] = set()
    for path in (REPO_ROOT / "unit").rglob("test_*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            # The every-row checks themselves name a range (002-R1..R53): they cover nothing.
            if isinstance(node, ast.FunctionDef) and re.match(r"test_every_\d{3}_row", node.name):
                continue
            if isinstance(node, ast.FunctionDef | ast.Module):
                text = " ".join(filter(None, [getattr(node, "name", ""), ast.get_docstring(node) or ""]))
                for group in re.findall(rf"{seed}_((?:R\d+_?)+)", text):
                    named |= {int(n) for n in re.findall(r"R(\d+)", group)}
                named |= {int(n) for n in re.findall(rf"{seed}-R(\d+)", text)}
    deviations = (REPO_ROOT / "docs" / "DEVIATIONS.md").read_text()
    listed = {int(n) for n in re.findall(rf"{seed}-R(\d+)", deviations)}
    return sorted(set(range(1, last_row + 1)) - named - listed)
