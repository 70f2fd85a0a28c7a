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

import collections
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
# The Python policy host serves with 4 worker threads; sending every Analyze at once queued
# thousands behind them until their deadlines passed (CANCELLED at 2,000-5,000 resources). A small
# window keeps the workers busy while each deadline measures one resource's analysis.
ANALYZE_IN_FLIGHT = 16
# AnalyzeStack carries the whole graph: its policies walk every resource.
STACK_RPC_TIMEOUT_S = RPC_TIMEOUT_S + 0.05 * 10_000
# What the pack's own server accepts (pulumi_policy's _MAX_RPC_MESSAGE_SIZE); gRPC's 4 MB default
# is too small for the stack request and the answers of a few thousand resources.
MAX_MESSAGE_BYTES = 400 * 1024 * 1024
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
]
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
class Crash:
    """A policy that raised instead of answering: no verdict for it on ``urn`` (the first of ``count``)."""

    policyName: str  # noqa: N815
    urn: str
    message: str
    count: int = 1

    def line(self) -> str:
        others = f" and {self.count - 1} more" if self.count > 1 else ""
        return f"policy {self.policyName} crashed on {self.urn or '(stack)'}{others}: {self.message}"


@dataclass
class Verdict:
    pack: str
    policies: list[PolicyInfo]
    diagnostics: list[Diagnostic]
    exemptions: list[Exemption] = field(default_factory=list)
    crashes: list[Crash] = field(default_factory=list)

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


JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def _schema_errors(value: Any, schema: dict[str, Any], where: str) -> Iterator[str]:
    """What the CLI's JSON-schema check of policy config would refuse (the keywords packs use)."""
    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else list(types)

        def fits(kind: str) -> bool:
            if kind in ("number", "integer") and isinstance(value, bool):
                return False
            if kind == "integer" and isinstance(value, float):
                return value.is_integer()
            return isinstance(value, JSON_TYPES.get(kind, (object,)))

        if not any(fits(kind) for kind in allowed):
            yield f"{where} must be {' or '.join(allowed)}, got {json.dumps(value)}"
            return
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(json.dumps(v) for v in schema["enum"])
        yield f"{where} must be one of {choices}, got {json.dumps(value)}"
    if "const" in schema and value != schema["const"]:
        yield f"{where} must be {json.dumps(schema['const'])}, got {json.dumps(value)}"
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            yield f"{where} must be at least {schema['minLength']:g} characters, got {json.dumps(value)}"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            yield f"{where} must be at most {schema['maxLength']:g} characters"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            yield f"{where} must match {schema['pattern']}, got {json.dumps(value)}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            yield f"{where} must be at least {schema['minimum']:g}, got {value:g}"
        if "maximum" in schema and value > schema["maximum"]:
            yield f"{where} must be at most {schema['maximum']:g}, got {value:g}"
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            yield f"{where} must have at least {schema['minItems']:g} items"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            yield f"{where} must have at most {schema['maxItems']:g} items"
        if isinstance(schema.get("items"), dict):
            for index, item in enumerate(value):
                yield from _schema_errors(item, schema["items"], f"{where}[{index}]")
    if isinstance(value, dict):
        yield from _object_errors(value, schema, where)


def _object_errors(value: dict[str, Any], schema: dict[str, Any], where: str) -> Iterator[str]:
    properties = schema.get("properties") or {}
    prefix = f"{where}." if where else ""
    for key in schema.get("required") or []:
        if key not in value:
            yield f"{prefix}{key} is required"
    for key, item in value.items():
        if isinstance(properties.get(key), dict):
            yield from _schema_errors(item, properties[key], f"{prefix}{key}")
        elif schema.get("additionalProperties") is False:
            yield f"{prefix}{key} is not a property of this policy (it has: {', '.join(sorted(properties))})"


def check_policy_config(policy: analyzer_pb2.PolicyInfo, props: dict[str, Any]) -> None:
    """UsageError naming the policy and property when ``props`` do not fit the policy's schema."""
    schema = {
        "properties": json_format.MessageToDict(policy.configSchema.properties),
        "required": list(policy.configSchema.required),
    }
    for problem in _object_errors(props, schema, ""):
        raise UsageError(f"policy config {policy.name}: {problem}")


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
        check_policy_config(policy, props)
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
        channel = grpc.insecure_channel(f"127.0.0.1:{int(first)}", options=CHANNEL_OPTIONS)
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
    _configure(stub, config)
    diagnostics: list[Diagnostic] = []
    exemptions: list[Exemption] = []
    crashed: list[tuple[analyzer_pb2.AnalyzeRequest, str]] = []
    pending: collections.deque[tuple[analyzer_pb2.AnalyzeRequest, grpc.Future]] = collections.deque()

    def collect(request: analyzer_pb2.AnalyzeRequest, future: grpc.Future) -> None:
        try:
            response = future.result()
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNKNOWN:  # UNKNOWN: the policy code raised
                raise
            crashed.append((request, _crash_message(error)))
            return
        diagnostics.extend(_diagnostics(response, request.urn))
        exemptions.extend(_exemptions(response, request.urn))

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
        # A bounded window (ANALYZE_IN_FLIGHT): the pack works while the next requests are built.
        if len(pending) >= ANALYZE_IN_FLIGHT:
            collect(*pending.popleft())
        pending.append((request, stub.Analyze.future(request, timeout=RPC_TIMEOUT_S)))
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
    while pending:
        collect(*pending.popleft())
    stack_request = analyzer_pb2.AnalyzeStackRequest(resources=stack_resources)
    stack_crash = ""
    try:
        diagnostics += _diagnostics(stub.AnalyzeStack(stack_request, timeout=STACK_RPC_TIMEOUT_S))
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.UNKNOWN:
            raise
        stack_crash = _crash_message(error)
    crashes: list[Crash] = []
    if crashed or stack_crash:
        # Which policy raised: the pack answers one RPC for all its policies, so ask again with
        # one policy enabled at a time. Every other policy's verdict still counts.
        resource_policies = [p.name for p in info.policies if p.policy_type != analyzer_pb2.POLICY_TYPE_STACK]
        stack_policies = [p.name for p in info.policies if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK]
        found: dict[str, Crash] = {}
        for request, message in crashed:
            known = set(found)
            blamed = _isolate(stub, config, resource_policies, known, request, diagnostics, exemptions)
            _blame(found, blamed, request.urn, message)
        if stack_crash:
            blamed = _isolate(stub, config, stack_policies, set(), stack_request, diagnostics, exemptions)
            _blame(found, blamed, "", stack_crash)
        crashes = list(found.values())
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
    return Verdict(
        pack=info.name, policies=policies, diagnostics=diagnostics, exemptions=exemptions, crashes=crashes
    )


def _configure(stub: analyzer_pb2_grpc.AnalyzerStub, config: dict[str, tuple[str, dict[str, Any]]]) -> None:
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


def _exemptions(response: analyzer_pb2.AnalyzeResponse, urn: str) -> list[Exemption]:
    return [
        Exemption(na.policy_name, urn, na.reason.removeprefix(EXEMPTED).strip())
        for na in response.not_applicable
        if na.reason.startswith(EXEMPTED)
    ]


def _crash_message(error: grpc.RpcError) -> str:
    """grpc's "Exception calling application: <str(exc)>" -> the exception's first line."""
    details = (error.details() or "").removeprefix("Exception calling application:").strip()
    return details.splitlines()[0] if details else "raised an exception (no message)"


def _isolate(
    stub: analyzer_pb2_grpc.AnalyzerStub,
    config: dict[str, tuple[str, dict[str, Any]]],
    candidates: list[str],
    known: set[str],
    request: analyzer_pb2.AnalyzeRequest | analyzer_pb2.AnalyzeStackRequest,
    diagnostics: list[Diagnostic],
    exemptions: list[Exemption],
) -> dict[str, str]:
    """The candidate policies that raise on ``request``, each with its message.

    First the candidates not yet ``known`` to crash run together; only if that still fails is
    each one run alone. The known crashers are then tried alone. The verdicts of the policies
    that answer are added to ``diagnostics``/``exemptions``; the pack is left configured as
    ``config`` again. A policy that raises on every resource costs a few RPCs per resource.
    """
    stack = isinstance(request, analyzer_pb2.AnalyzeStackRequest)
    enabled = [name for name in candidates if config[name][0] != "disabled"]

    def run(names: set[str]) -> str | None:
        """None when the policies in ``names`` answer (their verdicts kept), else the message."""
        _configure(
            stub,
            {n: (level if n in names else "disabled", props) for n, (level, props) in config.items()},
        )
        try:
            if isinstance(request, analyzer_pb2.AnalyzeStackRequest):
                response = stub.AnalyzeStack(request, timeout=STACK_RPC_TIMEOUT_S)
            else:
                response = stub.Analyze(request, timeout=RPC_TIMEOUT_S)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNKNOWN:
                raise
            return _crash_message(error)
        diagnostics.extend(_diagnostics(response, "" if stack else request.urn))
        if not stack:
            exemptions.extend(_exemptions(response, request.urn))
        return None

    blamed: dict[str, str] = {}
    try:
        rest = {name for name in enabled if name not in known}
        singles = sorted(rest) if rest and run(rest) is not None else []
        for name in [*singles, *sorted(known & set(enabled))]:
            message = run({name})
            if message is not None:
                blamed[name] = message
    finally:
        _configure(stub, config)
    return blamed


def _blame(found: dict[str, Crash], blamed: dict[str, str], urn: str, message: str) -> None:
    # A crash no single policy repeats (say, one that depends on the others' order) is still named.
    for policy, own_message in (blamed or {"(a policy the plan could not single out)": message}).items():
        if policy in found:
            found[policy].count += 1
        else:
            found[policy] = Crash(policy, urn, own_message)


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
