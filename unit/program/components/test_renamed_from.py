"""renamed_from: components renamed by issue 8 keep a stack's existing URNs through a type alias."""

from __future__ import annotations

import pulumi

from program.components import renamed_from


def test_the_alias_names_the_old_type_and_other_options_are_kept() -> None:
    base = pulumi.ResourceOptions(protect=False, depends_on=[])
    merged = renamed_from("webstack:api:ServerlessApi", base)
    (alias,) = merged.aliases or []
    assert isinstance(alias, pulumi.Alias) and alias.type_ == "webstack:api:ServerlessApi"
    assert merged.protect is False
    assert renamed_from("webstack:compute:Function", None).aliases[0].type_ == "webstack:compute:Function"  # type: ignore[index,union-attr]
