"""One ComponentResource per architectural part, shared by every blueprint."""

from __future__ import annotations

import pulumi


def renamed_from(old_type: str, opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """``opts`` plus an alias to a component's former type token: on a stack deployed before the
    rename, the engine maps the old URNs (and its children's) to the new ones instead of replacing."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=old_type)]))
