"""Pulumi AWS tokens and wire names -> Terraform resource types, attribute names and block shapes.

pulumi-aws is bridged from the Terraform AWS provider; its bridge metadata maps every token to a
Terraform type and lists the properties whose names differ. The Python SDK does not ship that file,
so the mapping is rebuilt from two sources:

- the installed SDK itself: its resource registry (every token it can register), each class's
  aliases (the v7 renames: ``s3.Bucket`` aliases ``s3.BucketV2``, which the metadata maps to
  ``aws_s3_bucket``) and its property type hints (nested blocks, lists, maps);
- ``plan/tfplan_aws.json``: the metadata trimmed to what the bridge's standard token rule
  (``aws_`` + module prefix + snake_case of the resource name) does not reproduce. Regenerate it
  from a full ``bridge-metadata.json`` with ``python -m plan.tfplan_types FILE``.

Attribute names: snake_case of the wire name; a list of nested blocks, which the bridge pluralizes
(Terraform ``rule`` -> Pulumi ``rules``), is singularized back, except where the trimmed metadata
lists the resource's renamed properties.
"""

from __future__ import annotations

import collections
import functools
import importlib
import importlib.util
import inspect
import json
import re
import sys
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("tfplan_aws.json")
LEGACY_SUFFIX = "_legacy"  # the bridge's key for a second token over the same Terraform resource

_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """``bucketPublicAccessBlock`` -> ``bucket_public_access_block``, ``EC2`` -> ``ec2``."""
    return _WORD_BREAK.sub("_", name).replace("__", "_").lower()


def singular(name: str) -> str:
    """The Terraform block name the bridge pluralized: ``rules`` -> ``rule``, ``policies`` -> ``policy``."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2]
    if name.endswith("ss") or not name.endswith("s"):
        return name  # ``ingress``, ``egress``: never pluralized
    return name[:-1]


def _split(token: str) -> tuple[str, str, str]:
    package, module_and_name, name = token.split(":")
    return package, module_and_name.split("/")[0], name


def rule_type(token: str, modules: Mapping[str, str]) -> str:
    """The bridge's standard Terraform name for ``token``: ``aws_`` + module prefix + snake name."""
    _, module, name = _split(token)
    prefix = modules.get(module, module)
    return "aws_" + (f"{prefix}_" if prefix else "") + snake(name)


def strip_legacy(tf_type: str) -> str:
    return tf_type[: -len(LEGACY_SUFFIX)] if tf_type.endswith(LEGACY_SUFFIX) else tf_type


def trim(metadata: dict[str, Any]) -> dict[str, Any]:
    """The trimmed table from a full ``bridge-metadata.json``: each module's Terraform prefix (the
    most common one among its resources) and the resources that rule does not name."""
    resources: dict[str, str] = metadata["renames"]["resources"]
    votes: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for token, tf_type in resources.items():
        _, module, name = _split(token)
        tail, base = "_" + snake(name), strip_legacy(tf_type)
        if base.endswith(tail) and base.startswith("aws_"):
            votes[module][base[len("aws_") : -len(tail)]] += 1
    modules = {}
    for module, counter in sorted(votes.items()):
        (best, best_count), *_ = [*counter.most_common(1), ("", 0)]
        if best != module and best_count > counter.get(module, 0):
            modules[module] = best
    exceptions = {
        token: tf_type
        for token, tf_type in sorted(resources.items())
        if rule_type(token, modules) != strip_legacy(tf_type)
    }
    renamed = metadata["renames"].get("renamedProperties", {})
    fields = {
        token: {wire: tf for wire, tf in sorted(renamed[token].items()) if tf != snake(wire)}
        for token in sorted(resources)
        if token in renamed
    }
    return {"modules": modules, "resources": exceptions, "fields": fields}


# --- shapes from the SDK's type hints -------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A wire value in Terraform: ``object`` (a nested block), ``list`` of ``item``, ``map``, ``scalar``."""

    kind: str
    item: Shape | None = None
    cls: type | None = None

    @property
    def is_block(self) -> bool:
        return self.kind == "object"

    @property
    def is_block_list(self) -> bool:
        return self.kind == "list" and self.item is not None and self.item.kind == "object"


SCALAR = Shape("scalar")
_WRAPPERS = {"Output", "Input", "Awaitable", "InputType"}


def shape_of(hint: Any) -> Shape:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    name = getattr(origin, "__name__", "") or getattr(hint, "__name__", "")
    if origin is typing.Union:
        real = [a for a in args if a is not type(None)]
        shapes = [shape_of(a) for a in real]
        return next((s for s in shapes if s.kind != "scalar"), SCALAR)
    if origin is not None and name in _WRAPPERS and args:
        return shape_of(args[0])
    if origin in (list, collections.abc.Sequence) and args:
        return Shape("list", shape_of(args[0]))
    if origin in (dict, collections.abc.Mapping):
        return Shape("map")
    if isinstance(hint, type) and hasattr(hint, "_pulumi_output_type"):
        return Shape("object", cls=hint)
    if isinstance(hint, type) and getattr(hint, "_pulumi_input_type", False):
        return Shape("object", cls=hint)
    return SCALAR


@functools.cache
def fields(cls: type) -> dict[str, Shape]:
    """Wire name -> shape for each property a resource or nested output type declares."""
    found: dict[str, Shape] = {}
    for klass in reversed(cls.__mro__):
        for attr in vars(klass).values():
            getter = getattr(attr, "fget", None)
            wire = getattr(getter, "_pulumi_name", None)
            if not wire:
                continue
            try:
                hint = typing.get_type_hints(getter).get("return")
            except (NameError, TypeError, AttributeError):  # unresolvable hint: the value's own shape
                continue
            found[wire] = shape_of(hint)
    return found


class AwsSchema:
    """The installed pulumi-aws SDK plus the trimmed bridge metadata."""

    def __init__(self, data_file: Path = DATA_FILE) -> None:
        data = json.loads(data_file.read_text(encoding="utf-8"))
        self.modules: dict[str, str] = data["modules"]
        self.resources: dict[str, str] = data["resources"]
        self.renamed_fields: dict[str, dict[str, str]] = data["fields"]
        self.registry = _sdk_registry()

    def sdk_class(self, token: str) -> type | None:
        entry = self.registry.get(token)
        if entry is None:
            return None
        module, class_name = entry
        try:
            cls: type = getattr(importlib.import_module(module), class_name)
            return cls
        except (ImportError, AttributeError):
            return None

    @functools.cache  # noqa: B019 (one schema per process; tokens are few)
    def terraform_type(self, token: str) -> str | None:
        """The Terraform resource type of an ``aws:`` token the SDK knows, else None."""
        if token not in self.registry:
            return None
        if token in self.resources:
            return strip_legacy(self.resources[token])
        # A v7 rename keeps the old token as an alias; the metadata names the old token.
        for alias in _aliases(self.sdk_class(token)):
            if alias in self.resources:
                return strip_legacy(self.resources[alias])
        return rule_type(token, self.modules)

    def attribute(self, token: str, wire: str, shape: Shape, top_level: bool) -> str:
        if top_level and token in self.renamed_fields:
            return self.renamed_fields[token].get(wire, snake(wire))
        return snake(singular(wire)) if shape.is_block_list else snake(wire)

    def top_fields(self, token: str) -> dict[str, Shape]:
        cls = self.sdk_class(token)
        return fields(cls) if cls is not None else {}


def _aliases(cls: type | None) -> list[str]:
    init = getattr(cls, "_internal_init", None)
    if init is None:
        return []
    try:
        source = inspect.getsource(init)
    except (OSError, TypeError):
        return []
    return re.findall(r'Alias\(type_="([^"]+)"\)', source)


@functools.cache
def _sdk_registry() -> dict[str, tuple[str, str]]:
    """Token -> (module, class) from the registry pulumi_aws/__init__.py hands the Pulumi runtime."""
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or spec.origin is None:
        return {}
    source = Path(spec.origin).read_text(encoding="utf-8")
    match = re.search(r'resource_modules="""(.*?)"""', source, re.S)
    if not match:
        return {}
    return {
        token: (entry["fqn"], class_name)
        for entry in json.loads(match.group(1))
        for token, class_name in entry["classes"].items()
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(
            "usage: python -m plan.tfplan_types BRIDGE_METADATA_JSON > plan/tfplan_aws.json", file=sys.stderr
        )
        return 2
    trimmed = trim(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    print(json.dumps({"source": argv[0], **trimmed}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
