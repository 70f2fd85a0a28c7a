"""The example stacks (Pulumi.<stack>.yaml) of the built blueprints: what CI deploys, and how.

    python -m tools.stacks matrix [--only STACK]   # `stacks=<JSON>` for $GITHUB_OUTPUT

The ephemeral workflow's matrix is generated here from the stack files and the blueprint registry,
so adding a built blueprint with its example stack adds it to CI without editing the workflow.
Every stack file is read through `read_stack_file`: bad YAML, a non-UTF-8 file or a `config:` that
is not a mapping is one clear line (StackFileError), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TAG_LENGTH = 2


class StackFileError(Exception):
    """A stack file that cannot be used as it is; the message names the file and what is wrong."""


def built_blueprints() -> frozenset[str]:
    """The names of the blueprints the program can build: the ONE place that reads the registry.

    Today `program.blueprints.BUILT` is a dict of name -> build function; a mapping of any kind, or a
    plain collection of names, reads the same (the registry is being reshaped elsewhere).
    """
    from program import blueprints

    registry: Any = getattr(blueprints, "BUILT", None)
    if isinstance(registry, Mapping):
        names: Iterable[Any] = registry.keys()
    elif isinstance(registry, Iterable) and not isinstance(registry, str | bytes):
        names = registry
    else:
        raise StackFileError(
            f"program.blueprints.BUILT is {type(registry).__name__}; expected a mapping or a list of names"
        )
    return frozenset(str(name) for name in names)


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` mapping of a stack file; StackFileError with one line on anything malformed."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise StackFileError(f"{path.name} does not exist") from None
    except UnicodeDecodeError as error:
        raise StackFileError(f"{path.name} is not UTF-8 (byte {error.start}); save it as UTF-8") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise StackFileError(f"{path.name} is not valid YAML{where}; fix the file") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise StackFileError(f"{path.name}: the file must be a mapping with a 'config:' key")
    config = document.get("config")
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise StackFileError(
            f"{path.name}: 'config' is a {type(config).__name__}; it must be a mapping of key: value"
        )
    return {str(key): value for key, value in config.items()}


def stack_tag(stack: str) -> str:
    """Two letters from the stack's base name (serverless-dev -> 'se'): they start the ephemeral
    suffix, so two blueprints' copies in the same CI run never share a physical name."""
    letters = re.sub(r"[^a-z]", "", stack.rsplit("-", 1)[0].lower())
    return (letters or "x")[:TAG_LENGTH].ljust(TAG_LENGTH, "x")


@dataclass(frozen=True)
class ExampleStack:
    stack: str
    blueprint: str
    region: str
    tag: str


def example_stacks(root: Path = ROOT, built: Iterable[str] | None = None) -> list[ExampleStack]:
    """Every committed example stack whose blueprint is built, sorted by stack name."""
    built = built_blueprints() if built is None else frozenset(built)
    found = []
    for path in sorted(root.glob("Pulumi.*.yaml")):
        stack = path.name[len("Pulumi.") : -len(".yaml")]
        config = read_stack_file(path)
        blueprint = config.get("webstack:blueprint")
        if blueprint not in built:
            continue
        region = config.get("aws:region")
        if not isinstance(region, str) or not region:
            # The workflow needs the region before the program runs (credentials, STS).
            raise StackFileError(f"{path.name}: set aws:region; CI deploys each stack in its own region")
        found.append(ExampleStack(stack, str(blueprint), region, stack_tag(stack)))
    tags: dict[str, str] = {}
    for entry in found:
        if entry.tag in tags:
            raise StackFileError(
                f"stacks {tags[entry.tag]} and {entry.stack} share the suffix tag {entry.tag!r}: "
                "rename one so their first two letters differ"
            )
        tags[entry.tag] = entry.stack
    return found


def matrix(
    root: Path = ROOT, only: str | None = None, built: Iterable[str] | None = None
) -> list[dict[str, str]]:
    """The ephemeral workflow's `strategy.matrix.include`: one entry per built example stack."""
    entries = example_stacks(root, built)
    if only:
        entries = [entry for entry in entries if entry.stack == only]
        if not entries:
            names = ", ".join(entry.stack for entry in example_stacks(root, built)) or "none"
            raise StackFileError(f"stack {only!r} is not a built blueprint's example stack (built: {names})")
    return [asdict(entry) for entry in entries]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.stacks", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("matrix",))
    parser.add_argument("--only", help="one example stack instead of all (empty: all)")
    args = parser.parse_args(argv)
    try:
        include = matrix(only=args.only or None)
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("stacks=" + json.dumps({"include": include}, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
