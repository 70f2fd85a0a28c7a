"""Drive a CrossGuard policy pack over its real Analyzer gRPC protocol, as the engine does.

The pack is started exactly as the engine's Python analyzer host starts it
(``python -u -m pulumi.policy <engine-address> .`` in the pack directory, stack config in
``PULUMI_CONFIG``); it prints its port on stdout, and from then on everything is gRPC:
ConfigureStack, GetAnalyzerInfo, Configure (an explicit enforcement level for every policy),
Analyze for each resource (its inputs), AnalyzeStack once (outputs and dependencies).

The one check CrossGuard cannot make, because `retainOnDelete` is not part of the analyzer
protocol, is added here from the captured options and reported in the same shape.
"""

from __future__ import annotations

import fnmatch
import json
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from plan.capture import CapturedResource, Graph, duration_seconds
from plan.project import StackSpec, UsageError, read_text

PACK_START_TIMEOUT_S = 60.0
RPC_TIMEOUT_S = 60.0
RETAIN_POLICY = "no-retain-on-delete"
PLAN_PACK_NAME = "offline-plan"
# Not-applicable reasons that start with this are exemptions (policy_pack/policies/_base.py).
EXEMPTED = "exempted:"

LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
LEVEL_VALUES = {name: value for value, name in LEVELS.items()}
SEVERITIES = {0: "", 1: "low", 2: "medium", 3: "high", 4: "critical"}


class PackError(Exception):
    """The policy pack could not be started or answered badly: one line, exit 2."""


@dataclass
class Diagnostic:
    policyName: str  # noqa: N815 (the JSON report keeps the protocol's names)
    policyPackName: str  # noqa: N815
    enforcementLevel: str  # noqa: N815
    urn: str
    message: str
    severity: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PolicyInfo:
    name: str
    description: str
    enforcementLevel: str  # noqa: N815 (the effective level after config)
    severity: str = ""
    policyType: str = "resource"  # noqa: N815
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class Exemption:
    """A policy skipped for a resource on purpose; the report prints the reason."""

    policyName: str  # noqa: N815
    urn: str
    reason: str


@dataclass
class Verdict:
    pack: str
    policies: list[PolicyInfo]
    diagnostics: list[Diagnostic]
    exemptions: list[Exemption] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.enforcementLevel == "mandatory"]

    @property
    def advisory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.enforcementLevel == "advisory"]


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    json_format.ParseDict(values, message)
    return message


def load_policy_config(path: Path | None) -> dict[str, Any]:
    """Read a policy-config file in the CLI's `--policy-pack-config` format."""
    if path is None:
        return {}
    try:
        data = json.loads(read_text(path, "--policy-config"))
    except json.JSONDecodeError as error:
        raise UsageError(f"--policy-config {path}: not a readable JSON file ({error})") from error
    if not isinstance(data, dict):
        raise UsageError(f"--policy-config {path}: expected a JSON object keyed by policy name")
    return data


def _split_config(value: Any, where: str) -> tuple[str | None, dict[str, Any]]:
    level: str | None
    props: dict[str, Any]
    if isinstance(value, str):
        level, props = value, {}
    elif isinstance(value, dict):
        props = {k: v for k, v in value.items() if k != "enforcementLevel"}
        level = value.get("enforcementLevel")
    else:
        raise UsageError(f"policy config {where}: expected a level or an object, got {value!r}")
    if level is not None and level not in LEVEL_VALUES:
        raise UsageError(
            f"policy config {where}: enforcement level {level!r} is not one of "
            f"{', '.join(sorted(LEVEL_VALUES))}"
        )
    return level, props


def effective_config(
    info: analyzer_pb2.AnalyzerInfo, user: dict[str, Any]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Per policy: (level, properties) from schema defaults < the pack's initial config < user."""
    names = {policy.name for policy in info.policies}
    unknown = sorted(set(user) - names - {"all"})
    if unknown:
        raise UsageError(
            f"policy config names unknown policies {', '.join(unknown)}; "
            f"the pack {info.name} has: {', '.join(sorted(names))}"
        )
    result: dict[str, tuple[str, dict[str, Any]]] = {}
    all_level, _ = _split_config(user["all"], "all") if "all" in user else (None, {})
    initial_all = (
        info.initialConfig["all"].enforcementLevel if "all" in info.initialConfig else analyzer_pb2.ADVISORY
    )
    for policy in info.policies:
        level = LEVELS[policy.enforcementLevel]
        if initial_all:  # the pack's own "all" (ADVISORY is 0 on the wire: indistinguishable from unset)
            level = LEVELS[initial_all]
        props: dict[str, Any] = {}
        schema = json_format.MessageToDict(policy.configSchema.properties)
        for key, spec in schema.items():
            if isinstance(spec, dict) and "default" in spec:
                props[key] = spec["default"]
        if policy.name in info.initialConfig:
            initial = info.initialConfig[policy.name]
            if initial.enforcementLevel or initial.HasField("properties"):
                level = LEVELS[initial.enforcementLevel] if initial.enforcementLevel else level
            props.update(json_format.MessageToDict(initial.properties))
        if all_level:
            level = all_level
        if policy.name in user:
            user_level, user_props = _split_config(user[policy.name], policy.name)
            level = user_level or level
            props.update(user_props)
        result[policy.name] = (level, props)
    return result


@contextmanager
def running_pack(pack_dir: Path, spec: StackSpec, preview: bool) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """Start the pack as the engine does and yield a connected Analyzer stub; always stop it."""
    pack_dir = pack_dir.resolve()
    if not (pack_dir / "PulumiPolicy.yaml").is_file():
        raise UsageError(f"--policy-pack {pack_dir}: no PulumiPolicy.yaml there")
    env = {
        **os.environ,
        "PULUMI_CONFIG": json.dumps(spec.config),
        "PULUMI_CONFIG_SECRET_KEYS": json.dumps(sorted(spec.secret_keys)),
        "PULUMI_PROJECT": spec.project,
        "PULUMI_STACK": spec.stack,
        "PULUMI_DRY_RUN": "true" if preview else "false",
        "PULUMI_ORGANIZATION": "organization",
    }
    # The engine address is unused by packs that only validate; nothing listens there.
    command = [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "."]
    process = subprocess.Popen(
        command,
        cwd=pack_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    stderr_tail: list[str] = []

    def pump_stdout() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    def pump_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            stderr_tail.append(line.rstrip())
            del stderr_tail[:-20]

    threading.Thread(target=pump_stdout, daemon=True).start()
    stderr_thread = threading.Thread(target=pump_stderr, daemon=True)
    stderr_thread.start()
    try:
        try:
            first = lines.get(timeout=PACK_START_TIMEOUT_S)
        except queue.Empty:
            raise PackError(
                f"policy pack {pack_dir} printed no port within {PACK_START_TIMEOUT_S:.0f} s"
            ) from None
        if first is None:
            process.wait(timeout=10)
            stderr_thread.join(timeout=5)
            cause = next(
                (line for line in reversed(stderr_tail) if line.strip() and not line.startswith(" ")),
                "no output",
            )
            raise PackError(
                f"policy pack {pack_dir} exited with code {process.returncode} before serving: {cause}"
            )
        if not re.fullmatch(r"[0-9]{1,5}", first.strip()):
            raise PackError(
                f"policy pack {pack_dir} printed {first.strip()[:80]!r} to stdout before its port; "
                "a pack must print nothing at import time (the engine reads the port from stdout)"
            )
        channel = grpc.insecure_channel(f"127.0.0.1:{int(first)}")
        try:
            grpc.channel_ready_future(channel).result(timeout=PACK_START_TIMEOUT_S)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
        finally:
            channel.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _analyzer_options(resource: CapturedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    opts = resource.options
    timeouts = {k: duration_seconds(v) for k, v in opts.get("customTimeouts", {}).items()}
    message = analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(opts.get("protect")),
        ignoreChanges=opts.get("ignoreChanges", []),
        additionalSecretOutputs=opts.get("additionalSecretOutputs", []),
        parent=resource.parent,
    )
    if opts.get("deleteBeforeReplace") is not None:
        message.deleteBeforeReplace = bool(opts["deleteBeforeReplace"])
        message.deleteBeforeReplaceDefined = True
    if timeouts:
        message.customTimeouts.CopyFrom(analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(**timeouts))
    return message


def _provider(graph: Graph, reference: str) -> analyzer_pb2.AnalyzerProviderResource | None:
    if not reference:
        return None
    urn = reference.rsplit("::", 1)[0]
    try:
        provider = graph.get(urn)
    except LookupError:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type, properties=_struct(provider.inputs), urn=provider.urn, name=provider.name
    )


def _diagnostics(response: analyzer_pb2.AnalyzeResponse, default_urn: str = "") -> list[Diagnostic]:
    return [
        Diagnostic(
            policyName=d.policyName,
            policyPackName=d.policyPackName,
            enforcementLevel=LEVELS.get(d.enforcementLevel, str(d.enforcementLevel)),
            urn=d.urn or default_urn,
            message=d.message,
            severity=SEVERITIES.get(d.severity, ""),
        )
        for d in response.diagnostics
    ]


def retain_on_delete_diagnostics(graph: Graph, level: str = "mandatory") -> list[Diagnostic]:
    """The destroyability check CrossGuard cannot see: retainOnDelete leaves the resource behind."""
    if level == "disabled":
        return []
    return [
        Diagnostic(
            policyName=RETAIN_POLICY,
            policyPackName=PLAN_PACK_NAME,
            enforcementLevel=level,
            urn=resource.urn,
            message=(
                "Resources must be removed by `pulumi destroy`.\n"
                f"{resource.type} '{resource.name}' sets retain_on_delete=True, so destroy would "
                "leave it in the account; remove the option."
            ),
            severity="high",
        )
        for resource in graph.resources
        if resource.options.get("retainOnDelete")
    ]


def analyze(
    graph: Graph,
    spec: StackSpec,
    pack_dir: Path,
    policy_config: dict[str, Any] | None = None,
    stub: analyzer_pb2_grpc.AnalyzerStub | None = None,
) -> Verdict:
    """Run the pack at ``pack_dir`` (or the one ``stub`` is connected to) over ``graph``."""
    user_config = dict(policy_config or {})
    retain_level, _ = _split_config(user_config.pop(RETAIN_POLICY, "mandatory"), RETAIN_POLICY)
    if stub is None:
        with running_pack(pack_dir, spec, graph.preview) as started:
            return analyze(graph, spec, pack_dir, policy_config, stub=started)
    try:
        return _analyze(stub, graph, spec, user_config, retain_level or "mandatory")
    except grpc.RpcError as error:
        raise PackError(f"policy pack {pack_dir} failed during analysis: {error.details()}") from error


def _analyze(
    stub: analyzer_pb2_grpc.AnalyzerStub,
    graph: Graph,
    spec: StackSpec,
    user_config: dict[str, Any],
    retain_level: str,
) -> Verdict:
    stub.ConfigureStack(
        analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=spec.stack,
            project=spec.project,
            organization="organization",
            dry_run=graph.preview,
            config=spec.config,
            config_secret_keys=sorted(spec.secret_keys),
        ),
        timeout=RPC_TIMEOUT_S,
    )
    stub.GetPluginInfo(empty_pb2.Empty(), timeout=RPC_TIMEOUT_S)
    info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=RPC_TIMEOUT_S)
    config = effective_config(info, user_config)
    stub.Configure(
        analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={
                name: analyzer_pb2.PolicyConfig(
                    enforcementLevel=LEVEL_VALUES[level], properties=_struct(props)
                )
                for name, (level, props) in config.items()
            }
        ),
        timeout=RPC_TIMEOUT_S,
    )
    diagnostics: list[Diagnostic] = []
    exemptions: list[Exemption] = []
    pending: list[tuple[str, Any]] = []
    stack_resources = []
    for resource in graph.resources:
        provider = _provider(graph, resource.provider)
        options = _analyzer_options(resource)
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            properties=_struct(resource.inputs),
            urn=resource.urn,
            name=resource.name,
            options=options,
            provider=provider,
        )
        # Issued without waiting: the pack (another process) works while the next request is built.
        pending.append((resource.urn, stub.Analyze.future(request, timeout=RPC_TIMEOUT_S)))
        stack_resources.append(
            analyzer_pb2.AnalyzerResource(
                type=resource.type,
                properties=_struct(resource.outputs),
                urn=resource.urn,
                name=resource.name,
                options=options,
                provider=provider,
                parent=resource.parent,
                dependencies=resource.options.get("dependencies", []),
                propertyDependencies={
                    key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
                    for key, urns in resource.options.get("propertyDependencies", {}).items()
                },
            )
        )
    stack_response = stub.AnalyzeStack.future(
        analyzer_pb2.AnalyzeStackRequest(resources=stack_resources), timeout=RPC_TIMEOUT_S
    )
    for urn, future in pending:
        response = future.result()
        diagnostics += _diagnostics(response, urn)
        exemptions += [
            Exemption(na.policy_name, urn, na.reason.removeprefix(EXEMPTED).strip())
            for na in response.not_applicable
            if na.reason.startswith(EXEMPTED)
        ]
    diagnostics += _diagnostics(stack_response.result())
    diagnostics += retain_on_delete_diagnostics(graph, retain_level)
    policies = [
        PolicyInfo(
            name=policy.name,
            description=policy.description,
            enforcementLevel=config[policy.name][0],
            severity=SEVERITIES.get(policy.severity, ""),
            policyType="stack" if policy.policy_type == analyzer_pb2.POLICY_TYPE_STACK else "resource",
            config=config[policy.name][1],
        )
        for policy in info.policies
    ]
    policies.append(
        PolicyInfo(
            name=RETAIN_POLICY,
            description="retainOnDelete is checked by the offline plan (CrossGuard cannot see it)",
            enforcementLevel=retain_level,
            severity="high",
        )
    )
    stack_policies = [p.name for p in info.policies if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK]
    exemptions += stack_exemptions(graph, {name: config[name][1] for name in stack_policies})
    return Verdict(pack=info.name, policies=policies, diagnostics=diagnostics, exemptions=exemptions)


def stack_exemptions(graph: Graph, configs: dict[str, dict[str, Any]]) -> list[Exemption]:
    """Stack policies skip exempted resources silently (CrossGuard has no per-resource
    not-applicable for them), so the plan lists every resource each exemption matches."""
    found = []
    for policy, config in configs.items():
        for exemption in config.get("exemptions") or []:
            pattern = str(exemption.get("resource", ""))
            for resource in graph.resources:
                if resource.urn == pattern or any(
                    fnmatch.fnmatchcase(value, pattern) for value in (resource.urn, resource.name)
                ):
                    found.append(Exemption(policy, resource.urn, str(exemption.get("reason", ""))))
    return found
