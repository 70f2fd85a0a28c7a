"""What the offline plan shows: a readable report (rich), the JSON report, a Mermaid diagram."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from plan.capture import Graph
from plan.gate import Verdict

BANNER = "offline plan (no Pulumi engine): nothing was deployed"
# The wire form of a secret (pulumi/sdk rpc.py): a mapping with this signature key and a value.
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
MASK = "[secret]"  # what `pulumi preview --json` and `stack output` print in place of a secret


def mask_secrets(value: Any) -> Any:
    """``value`` with every secret replaced by ``[secret]``, as the CLI shows them."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return MASK
        return {key: mask_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


def summary(graph: Graph, verdict: Verdict | None) -> dict[str, int]:
    return {
        "resources": len(graph.resources),
        "mandatory": len(verdict.mandatory) if verdict else 0,
        "advisory": len(verdict.advisory) if verdict else 0,
    }


def to_json(graph: Graph, verdict: Verdict | None, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON report; ``extra`` adds sections other features own (``deployModel``)."""
    return {
        "project": graph.project,
        "stack": graph.stack,
        "preview": graph.preview,
        "resources": [mask_secrets(resource.to_json()) for resource in graph.resources],
        "outputs": mask_secrets(graph.stack_outputs),
        "policyPack": verdict.pack if verdict else None,
        "policies": [vars(policy) for policy in verdict.policies] if verdict else [],
        "diagnostics": [d.to_json() for d in verdict.diagnostics] if verdict else [],
        "exemptions": [vars(e) for e in verdict.exemptions] if verdict else [],
        "crashes": [vars(c) for c in verdict.crashes] if verdict else [],
        "warnings": graph.warnings,
        "summary": summary(graph, verdict),
        **(extra or {}),
    }


def write_json(
    path: Path, graph: Graph, verdict: Verdict | None, extra: Mapping[str, Any] | None = None
) -> None:
    document = to_json(graph, verdict, extra)
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def _short_type(type_token: str) -> str:
    """`aws:ec2/subnet:Subnet` -> `ec2.Subnet`; component tokens keep their last part."""
    package, module, kind = [*type_token.split(":"), "", ""][:3]
    if package == "aws":
        return f"{module.split('/')[0]}.{kind}"
    return kind or type_token


def _node_id(urn: str) -> str:
    """A Mermaid id per URN, one-to-one: letters and digits kept, any other character as _hex_.

    (Replacing them all by `_` drew `a-b`, `a_b` and `a.b` as one node.)
    """
    return "n" + re.sub(r"[^A-Za-z0-9]", lambda m: f"_{ord(m.group()):x}_", urn.split("::", 2)[-1])


def _label(text: str) -> str:
    return text.replace('"', "'")


def mermaid(graph: Graph) -> str:
    """A flowchart: one subgraph per component, one node per resource, edges from dependencies."""
    lines = ["flowchart LR"]
    components = {r.urn: r for r in graph.resources if not r.custom}
    drawn = {r.urn for r in graph.resources if r.custom and not r.type.startswith("pulumi:providers:")}

    def emit(parent: str, indent: str) -> None:
        for resource in graph.children(parent):
            if resource.urn in components:
                lines.append(f'{indent}subgraph {_node_id(resource.urn)}["{_label(resource.name)}"]')
                emit(resource.urn, indent + "  ")
                lines.append(f"{indent}end")
            elif resource.urn in drawn:
                label = f"{_short_type(resource.type)}<br/>{resource.name}"
                lines.append(f'{indent}{_node_id(resource.urn)}["{_label(label)}"]')

    emit("", "  ")
    for resource in graph.resources:
        if resource.urn not in drawn:
            continue
        for dependency in sorted(set(resource.options.get("dependencies", []))):
            if dependency in drawn:
                lines.append(f"  {_node_id(dependency)} --> {_node_id(resource.urn)}")
    return "\n".join(lines) + "\n"


def _tree(graph: Graph, violations: Counter[str]) -> Tree:
    root = Tree(f"[bold]{graph.project}/{graph.stack}[/]")

    def add(branch: Tree, parent: str) -> None:
        for resource in sorted(graph.children(parent), key=lambda r: (r.custom, r.type, r.name)):
            flag = f" [red]({violations[resource.urn]} mandatory)[/]" if violations[resource.urn] else ""
            style = "bold cyan" if not resource.custom else ""
            text = (
                f"[{style}]{escape(_short_type(resource.type))}[/] {escape(resource.name)}{flag}"
                if style
                else (f"{escape(_short_type(resource.type))} {escape(resource.name)}{flag}")
            )
            add(branch.add(text), resource.urn)

    add(root, "")
    return root


def render(graph: Graph, verdict: Verdict | None, console: Console, show_tree: bool = True) -> None:
    mode = "preview: computed values unknown" if graph.preview else "update: computed values mocked"
    console.print(f"[bold yellow]{BANNER}[/] ({mode})")
    mandatory = Counter(d.urn for d in verdict.mandatory) if verdict else Counter()
    if show_tree:
        console.print(_tree(graph, mandatory))

    counts = Table(title="Resources by type", show_edge=False)
    counts.add_column("type")
    counts.add_column("count", justify="right")
    for type_token, count in sorted(Counter(r.type for r in graph.resources).items()):
        counts.add_row(type_token, str(count))
    console.print(counts)

    for warning in graph.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    if verdict is None:
        console.print("policy pack: not run (--no-policy)")
        return

    policies = Table(title=f"Policy pack {verdict.pack}", show_edge=False)
    policies.add_column("policy")
    policies.add_column("level")
    policies.add_column("violations", justify="right")
    by_policy = Counter(d.policyName for d in verdict.diagnostics)
    for policy in verdict.policies:
        policies.add_row(policy.name, policy.enforcementLevel, str(by_policy[policy.name]))
    console.print(policies)

    for level, diagnostics in (("mandatory", verdict.mandatory), ("advisory", verdict.advisory)):
        colour = "red" if level == "mandatory" else "yellow"
        for d in diagnostics:
            detail = d.message.split("\n", 1)[-1]
            console.print(
                f"[{colour}]{level}[/] [bold]{escape(d.policyName)}[/] {escape(d.urn or '(stack)')}\n"
                f"    {escape(detail)}"
            )

    for exemption in verdict.exemptions:
        console.print(
            f"[cyan]exempted[/] [bold]{escape(exemption.policyName)}[/] {escape(exemption.urn)}\n"
            f"    {escape(exemption.reason)}"
        )

    for crash in verdict.crashes:
        console.print(f"[bold red]crashed[/] {escape(crash.line())}")

    counts_line = summary(graph, verdict)
    verdict_line = (
        f"{counts_line['resources']} resources, {counts_line['mandatory']} mandatory and "
        f"{counts_line['advisory']} advisory violations"
    )
    if verdict.crashes:
        console.print(f"[bold red]{verdict_line}; {len(verdict.crashes)} policies crashed: no verdict[/]")
    elif counts_line["mandatory"]:
        console.print(f"[bold red]{verdict_line}: `pulumi up --policy-pack` would be blocked[/]")
    else:
        console.print(f"[bold green]{verdict_line}: the guardrails pass[/]")
