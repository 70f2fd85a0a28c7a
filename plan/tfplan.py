"""`python -m plan STACK --tfplan FILE`: the captured graph as a `terraform show -json` plan.

Terraform-plan scanners (checkov ``--framework terraform_plan`` and others) read this file as the
plan of a fresh ``terraform apply``: every AWS resource is a ``create`` with its Terraform type and
attributes (from the SDK and the bridge metadata, :mod:`plan.tfplan_types`), computed attributes in
``after_unknown``, and ``configuration`` expressions whose ``references`` link resources the way
the program's property dependencies do (a bucket and its public-access block, a distribution and
its web ACL, a function and its role), so connection-based checks see the same graph.

What has no Terraform twin (the stack, components, providers, other packages' resources) and what
Terraform cannot express (``protect``, ``retainOnDelete``: the pack's job) is listed, never dropped
silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from plan.capture import PROVIDER_PREFIX, STACK_TYPE, CapturedResource, Graph
from plan.tfplan_types import AwsSchema, Shape, fields, snake

FORMAT_VERSION = "1.2"
TERRAFORM_VERSION = "1.9.8"  # the plan format this file follows; no Terraform ran
PROVIDER_NAME = "registry.terraform.io/hashicorp/aws"

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
ASSET_SIGS = {"c44067f5952c0a294b673a41bacd8c17": "asset", "0def7320c3a5731c473e5ecbe6d01bc7": "archive"}
PULUMI_ONLY_OPTIONS = ("protect", "retainOnDelete")
_OMIT = object()


@dataclass
class Skipped:
    urn: str
    type: str
    reason: str


@dataclass
class Export:
    """The plan document and what the bridge did with each resource."""

    plan: dict[str, Any]
    mapped: dict[str, str] = field(default_factory=dict)  # URN -> Terraform address
    skipped: list[Skipped] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)  # attributes and options left out, one line each


def _address_name(name: str, taken: set[str], tf_type: str) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]", "_", name) or "resource"
    if not re.match(r"[A-Za-z_]", base):
        base = "_" + base
    candidate, index = base, 2
    while f"{tf_type}.{candidate}" in taken:
        candidate, index = f"{base}_{index}", index + 1
    return candidate


def _skip_reason(resource: CapturedResource, schema: AwsSchema) -> str | None:
    if resource.type == STACK_TYPE:
        return "the Pulumi stack: no Terraform twin"
    if resource.type.startswith(PROVIDER_PREFIX):
        package = resource.type[len(PROVIDER_PREFIX) :]
        if package == "aws":
            return "provider: its region goes to configuration.provider_config.aws"
        return f"{package} provider: no Terraform twin here (only pulumi-aws's bridge metadata is read)"
    if not resource.custom:
        return "component resource: a Pulumi-only grouping; its children are exported"
    if not resource.type.startswith("aws:"):
        package = resource.type.split(":")[0]
        return f"{package} package resource: no Terraform twin here (only pulumi-aws is mapped)"
    if schema.terraform_type(resource.type) is None:
        return "not a resource type of the installed pulumi-aws SDK"
    return None


def _has_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get(SIG) == SECRET_SIG or any(_has_secret(v) for v in value.values())
    return isinstance(value, list) and any(_has_secret(v) for v in value)


def _has_references(expression: Any) -> bool:
    if isinstance(expression, list):
        return any(_has_references(e) for e in expression)
    if isinstance(expression, dict):
        return "references" in expression or any(_has_references(e) for e in expression.values())
    return False


def _embeds(document: str, value: Any) -> bool:
    return isinstance(value, str) and len(value) >= 8 and value in document


class _Converter:
    """Wire values of one resource -> (after, after_unknown, expressions) in Terraform's shapes."""

    def __init__(self, exporter: _Exporter, resource: CapturedResource) -> None:
        self.exporter = exporter
        self.resource = resource
        self.preview = exporter.graph.preview

    def _dependencies(self, wire: str) -> list[CapturedResource]:
        urns = self.resource.options.get("propertyDependencies", {}).get(wire, [])
        return [self.exporter.by_urn[u] for u in urns if u in self.exporter.mapped]

    def _reference(self, value: Any, deps: list[CapturedResource], attr: str) -> tuple[list[str], bool]:
        """The references for a leaf, and whether Terraform would not know it at plan time (it is a
        computed output of the resource it references)."""
        refs: list[str] = []
        computed = False
        for dep in deps:
            address = self.exporter.mapped[dep.urn]
            key = None
            if isinstance(value, str) and value != UNKNOWN:
                key = next((k for k in ("id", "arn") if dep.outputs.get(k) == value), None)
                key = key or next((k for k, v in dep.outputs.items() if v == value and k != "urn"), None)
                if key is not None:
                    computed = computed or key not in dep.inputs
                else:
                    # A document that embeds the value (a policy holding the bucket's ARN): the
                    # reference, the document itself stays known.
                    key = next((k for k in ("arn", "id") if _embeds(value, dep.outputs.get(k))), None)
                if key is None:
                    refs.append(address)
                    continue
            elif value == UNKNOWN:
                key = "arn" if attr.endswith(("arn", "arns")) or attr == "role" else "id"
                computed = True
            else:
                continue
            refs += [f"{address}.{snake(key)}", address]
        return refs, computed

    def leaf(self, value: Any, deps: list[CapturedResource], attr: str) -> tuple[Any, Any, Any]:
        if isinstance(value, dict) and value.get(SIG) == SECRET_SIG:
            return self.leaf(value.get("value", UNKNOWN), deps, attr)
        if isinstance(value, dict) and value.get(SIG) == RESOURCE_SIG:
            value = value.get("id") or UNKNOWN
        if isinstance(value, dict) and value.get(SIG) in ASSET_SIGS:
            kind = ASSET_SIGS[value[SIG]]
            self.exporter.note(f"{self.resource.urn}: {attr} is a Pulumi {kind}: its content is not carried")
            return _OMIT, False, None
        refs, computed = self._reference(value, deps, attr) if deps else ([], False)
        expression = {"references": refs} if refs else None
        if value == UNKNOWN or (computed and not self.preview):
            return _OMIT, True, expression
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value, False, expression

    def value(
        self, value: Any, shape: Shape | None, deps: list[CapturedResource], attr: str
    ) -> tuple[Any, Any, Any]:
        """(after, unknown, expression) of one attribute value."""
        if isinstance(value, dict) and value.get(SIG) == SECRET_SIG:
            return self.value(value.get("value", UNKNOWN), shape, deps, attr)
        if shape is not None and shape.is_block and isinstance(value, dict) and SIG not in value:
            after, unknown, expressions = self.block(value, shape.cls, deps)
            return [after], [unknown], [expressions]
        if isinstance(value, list):
            item = shape.item if shape is not None and shape.kind == "list" else None
            parts = [self.value(v, item, deps, attr) for v in value]
            if item is not None and item.is_block:
                # An element Terraform cannot know yet (preview) stays an empty block marked unknown.
                blocks = [p if isinstance(p[0], list) else ([{}], [True], [p[2] or {}]) for p in parts]
                return [b[0][0] for b in blocks], [b[1][0] for b in blocks], [b[2][0] for b in blocks]
            items = [None if p[0] is _OMIT else p[0] for p in parts]
            unknowns = [p[1] is True for p in parts]
            refs = [r for p in parts if p[2] for r in p[2]["references"]]
            expression = {"references": list(dict.fromkeys(refs))} if refs else None
            return items, (unknowns if any(unknowns) else False), expression
        if isinstance(value, dict) and SIG not in value:
            # A map (tags, environment variables): keys kept as the program wrote them.
            after, unknown = {}, {}
            for key, item in value.items():
                leaf_after, leaf_unknown, _ = self.leaf(item, deps, attr)
                if leaf_after is not _OMIT:
                    after[key] = leaf_after
                if leaf_unknown:
                    unknown[key] = True
            return after, (unknown or False), None
        return self.leaf(value, deps, attr)

    def block(
        self, wire: dict[str, Any], cls: type | None, deps: list[CapturedResource] | None, token: str = ""
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """One resource body or nested block: Terraform attribute names, values, unknowns, references."""
        shapes = self.exporter.schema.top_fields(token) if token else (fields(cls) if cls else {})
        after: dict[str, Any] = {}
        unknown: dict[str, Any] = {}
        expressions: dict[str, Any] = {}
        for key, item in wire.items():
            shape = shapes.get(key)
            attr = self.exporter.schema.attribute(token, key, shape or Shape("scalar"), top_level=bool(token))
            if shape is None and isinstance(item, list) and item and all(isinstance(i, dict) for i in item):
                attr = self.exporter.schema.attribute(token, key, Shape("list", Shape("object")), bool(token))
            item_deps = self._dependencies(key) if token else (deps or [])
            a, u, e = self.value(item, shape, item_deps, attr)
            if a is not _OMIT:
                after[attr] = a
            if u:
                unknown[attr] = u
            if _has_references(e):
                expressions[attr] = e
        return after, unknown, expressions


class _Exporter:
    def __init__(self, graph: Graph, schema: AwsSchema) -> None:
        self.graph = graph
        self.schema = schema
        self.by_urn = {r.urn: r for r in graph.resources}
        self.mapped: dict[str, str] = {}
        self.notes: list[str] = []

    def note(self, line: str) -> None:
        self.notes.append(line)

    def run(self) -> Export:
        skipped: list[Skipped] = []
        types: dict[str, str] = {}
        for resource in self.graph.resources:
            reason = _skip_reason(resource, self.schema)
            if reason:
                skipped.append(Skipped(resource.urn, resource.type, reason))
                continue
            tf_type = self.schema.terraform_type(resource.type)
            assert tf_type is not None
            name = _address_name(resource.name, set(self.mapped.values()), tf_type)
            self.mapped[resource.urn] = f"{tf_type}.{name}"
            types[resource.urn] = tf_type
        planned, changes, configured = [], [], []
        for urn, address in self.mapped.items():
            resource = self.by_urn[urn]
            tf_type, name = address.split(".", 1)
            converter = _Converter(self, resource)
            after, unknown, expressions = converter.block(resource.inputs, None, None, token=resource.type)
            # Secrets stay in the file, as in `terraform show -json`, marked sensitive.
            sensitive = {
                self.schema.attribute(resource.type, key, Shape("scalar"), top_level=True): True
                for key, value in resource.inputs.items()
                if _has_secret(value)
            }
            for key in resource.outputs:
                # Computed attributes (id, arn, ...): unknown until apply, as in any create.
                attr = snake(key)
                if key not in resource.inputs and key != "urn" and attr not in after:
                    unknown.setdefault(attr, True)
            for option in PULUMI_ONLY_OPTIONS:
                if resource.options.get(option):
                    self.note(
                        f"{urn}: {option} is a Pulumi-only option, not in the plan (the pack checks it)"
                    )
            common = {"address": address, "mode": "managed", "type": tf_type, "name": name}
            planned.append(
                {
                    **common,
                    "provider_name": PROVIDER_NAME,
                    "schema_version": 0,
                    "values": after,
                    "sensitive_values": sensitive,
                }
            )
            changes.append(
                {
                    **common,
                    "provider_name": PROVIDER_NAME,
                    "change": {
                        "actions": ["create"],
                        "before": None,
                        "after": after,
                        "after_unknown": unknown,
                        "before_sensitive": False,
                        "after_sensitive": sensitive,
                    },
                }
            )
            configured.append(
                {**common, "provider_config_key": "aws", "expressions": expressions, "schema_version": 0}
            )
        region = next(
            (r.inputs.get("region") for r in self.graph.resources if r.type == PROVIDER_PREFIX + "aws"), None
        )
        provider: dict[str, Any] = {"name": "aws", "full_name": PROVIDER_NAME}
        if isinstance(region, str) and region != UNKNOWN:
            provider["expressions"] = {"region": {"constant_value": region}}
        plan = {
            "format_version": FORMAT_VERSION,
            "terraform_version": TERRAFORM_VERSION,
            "planned_values": {"root_module": {"resources": planned}},
            "resource_changes": changes,
            "configuration": {"provider_config": {"aws": provider}, "root_module": {"resources": configured}},
        }
        return Export(plan, dict(self.mapped), skipped, self.notes)


def export(graph: Graph, schema: AwsSchema | None = None) -> Export:
    return _Exporter(graph, schema or AwsSchema()).run()


def write(path: Path, graph: Graph, console: Console) -> Export:
    """Write the plan to ``path`` and print what was mapped, skipped and not carried."""
    result = export(graph)
    path.write_text(json.dumps(result.plan, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    console.print(
        f"tfplan: wrote {path} ({len(result.mapped)} resources as Terraform creates, "
        f"{len(result.skipped)} with no Terraform twin)",
        markup=False,
    )
    for skipped in result.skipped:
        console.print(f"  no twin: {skipped.urn} ({skipped.reason})", markup=False)
    for line in result.not_carried:
        console.print(f"  not carried: {line}", markup=False)
    return result
