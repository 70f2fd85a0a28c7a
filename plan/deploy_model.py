"""The deploy-time model: a discrete-event simulation of the Pulumi engine over a captured graph.

`python -m plan STACK --deploy-model [--parallel N]` predicts how long `pulumi up` (create) and
`pulumi destroy` take for the graph, which chain of resources sets that time, how hard the AWS
control plane is hit per API, and whether any throttled call would outlast the provider's retry
budget. It is a model, not a measurement: every figure comes from `plan/deploy_data.json`, where each
one names its source (published timings, provider timeouts as ceilings, or a stated estimate).

What is modelled, and how:
- Scheduling as the engine does it: a resource's step starts once everything it depends on is done
  (explicit ``dependsOn``, property dependencies, its parent and its provider), at most N steps at
  once (N = ``--parallel``; the engine's default is 4 x GOMAXPROCS, or ``PULUMI_PARALLEL``).
  Destroy runs the same graph reversed: a resource goes once everything depending on it is gone.
- Each step first makes its control-plane calls (the type's ``calls`` list, in order), then waits its
  modelled duration, polling its ``poll`` API meanwhile. Calls take tokens from per-API token buckets
  (published quotas); an empty bucket is a throttle, retried after the AWS SDK's backoff, at most
  the provider's ``maxRetries`` times; one more throttle than that and the step would fail.
Not modelled: program run time, the provider plugin's start-up, IAM eventual-consistency retries, the
SDK's adaptive client-side rate limiter and its retry quota, and calls made by a refresh or preview.
"""

from __future__ import annotations

import argparse
import fnmatch
import heapq
import json
import math
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from plan.capture import PROVIDER_PREFIX, Graph, duration_seconds

DATA_PATH = Path(__file__).with_name("deploy_data.json")
LABEL = "model, not a measurement"
CREATE, DESTROY = "create", "destroy"
SHOWN_BUCKETS = 12


# --- data ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """A published request quota as a token bucket: ``burst`` tokens, refilled ``refill`` per second."""

    pattern: str
    bucket: str
    burst: float
    refill: float
    source: str
    verified: bool


@dataclass(frozen=True)
class Data:
    raw: dict[str, Any]

    @classmethod
    def load(cls, path: Path = DATA_PATH) -> Data:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    @property
    def types(self) -> dict[str, Any]:
        return dict(self.raw["types"])

    @property
    def default(self) -> dict[str, Any]:
        return dict(self.raw["default"])

    def limits(self) -> list[Limit]:
        return [
            Limit(
                entry["match"],
                entry["bucket"],
                float(entry["burst"]),
                float(entry["refillPerSecond"]),
                entry["source"],
                bool(entry["verified"]),
            )
            for entry in self.raw["limits"]
        ]


def limit_for(api: str, limits: Sequence[Limit]) -> Limit | None:
    """The first quota whose pattern matches ``api`` (``service:Action``); None: no published quota."""
    for limit in limits:
        if fnmatch.fnmatchcase(api, limit.pattern):
            return limit
    return None


def bucket_key(api: str, limit: Limit) -> str:
    return api if limit.bucket == "per-API" else limit.bucket


# --- the token bucket ---------------------------------------------------------------------------------


class TokenBucket:
    """AWS's throttling algorithm: at most ``capacity`` tokens, ``refill`` added per second, one per call."""

    def __init__(self, capacity: float, refill: float, start: float = 0.0) -> None:
        if capacity < 1 or refill <= 0:
            raise ValueError(f"token bucket needs capacity >= 1 and refill > 0, got {capacity}, {refill}")
        self.capacity = capacity
        self.refill = refill
        self.tokens = capacity
        self.time = start

    def try_take(self, now: float) -> bool:
        """Take one token at ``now`` (non-decreasing); False (a throttle) when the bucket is empty."""
        now = max(now, self.time)
        self.tokens = min(self.capacity, self.tokens + (now - self.time) * self.refill)
        self.time = now
        if self.tokens >= 1.0 - 1e-9:
            self.tokens -= 1.0
            return True
        return False


def backoff_seconds(retry: int, max_backoff: float = 20.0) -> float:
    """The wait before retry number ``retry`` (0-based): the SDK's exponential jitter at its mean."""
    return min(max_backoff, 2.0**retry)


# --- the graph as the engine schedules it ---------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    urn: str
    type: str
    deps: tuple[str, ...]
    create: float
    delete: float
    create_calls: tuple[str, ...] = ()
    delete_calls: tuple[str, ...] = ()
    poll_api: str = ""
    poll_every: float = 0.0
    create_timeout: float | None = None
    delete_timeout: float | None = None
    explicit: tuple[str, ...] = ()
    known: bool = True
    basis: str = "estimate"


def _provider_urn(reference: str) -> str:
    """A provider reference is ``URN::ID``; the URN is what the step waits on."""
    return reference.rsplit("::", 1)[0] if reference else ""


def _expand(urn: str, components: Mapping[str, list[str]], exclude: set[str]) -> list[str]:
    """A dependency on a component is a dependency on every resource inside it (as the SDKs expand it)."""
    if urn not in components:
        return [urn]
    out: list[str] = []
    for child in components[urn]:
        if child not in exclude:
            out.extend(_expand(child, components, exclude))
    return out


def _durations(resource_type: str, inputs: Mapping[str, Any], data: Data) -> tuple[dict[str, Any], bool]:
    entry = data.types.get(resource_type)
    if entry is None:
        return data.default, False
    entry = dict(entry)
    if resource_type == "aws:lambda/function:Function" and not inputs.get("vpcConfig"):
        entry["create"] = entry["createWithoutVpc"]
    if (
        resource_type == "aws:ec2/vpcEndpoint:VpcEndpoint"
        and inputs.get("vpcEndpointType", "Gateway") == "Gateway"
    ):
        entry["create"] = entry["createGateway"]
    return entry, True


def nodes_from_graph(graph: Graph, data: Data, drop: frozenset[tuple[str, str]] = frozenset()) -> list[Node]:
    """Every registration as a step: custom resources with the data's durations, others at zero.

    ``drop`` holds (resource URN, dependsOn URN) pairs to leave out: the what-if without that edge.
    """
    urns = {r.urn for r in graph.resources}
    components: dict[str, list[str]] = defaultdict(list)
    for resource in graph.resources:
        if resource.parent in urns:
            components[resource.parent].append(resource.urn)
    components = {urn: kids for urn, kids in components.items() if not graph.get(urn).custom}

    nodes = []
    for resource in graph.resources:
        options = resource.options
        ancestors = {resource.urn}
        parent = resource.parent
        while parent in urns:
            ancestors.add(parent)
            parent = graph.get(parent).parent
        by_property = {u for urns_ in options.get("propertyDependencies", {}).values() for u in urns_}
        explicit = tuple(u for u in options.get("dependencies", []) if u not in by_property and u in urns)
        declared = [
            u for u in options.get("dependencies", []) if (resource.urn, u) not in drop or u in by_property
        ]
        declared += sorted(by_property - set(declared))
        deps: list[str] = []
        for urn in declared:
            if urn in urns:
                deps.extend(_expand(urn, components, ancestors))
        if resource.parent in urns:
            deps.append(resource.parent)
        provider = _provider_urn(resource.provider)
        if provider in urns:
            deps.append(provider)
        unique = tuple(dict.fromkeys(d for d in deps if d != resource.urn))

        is_provider = resource.type.startswith(PROVIDER_PREFIX)
        if not resource.custom or is_provider:
            seconds = float(
                data.raw["engine"]["componentSeconds" if not resource.custom else "providerSeconds"]
            )
            nodes.append(
                Node(resource.urn, resource.type, unique, seconds, seconds, explicit=explicit, basis="engine")
            )
            continue
        entry, known = _durations(resource.type, resource.inputs, data)
        calls = {key: list(entry.get("calls", {}).get(key, ())) for key in ("create", "delete")}
        for extra in entry.get("extraCalls", []):
            # Some inputs cost calls of their own (reserved concurrency: PutFunctionConcurrency).
            if resource.inputs.get(extra["input"]) not in (None, "", [], {}):
                calls["create"] += extra["create"]
                calls["delete"] += extra["delete"]
        poll = entry.get("poll", {})
        timeouts = options.get("customTimeouts", {})
        nodes.append(
            Node(
                urn=resource.urn,
                type=resource.type,
                deps=unique,
                create=float(entry["create"]),
                delete=float(entry["delete"]),
                create_calls=tuple(calls["create"]),
                delete_calls=tuple(calls["delete"]),
                poll_api=poll.get("api", ""),
                poll_every=float(poll.get("everySeconds", 0)),
                create_timeout=duration_seconds(timeouts["create"]) if timeouts.get("create") else None,
                delete_timeout=duration_seconds(timeouts["delete"]) if timeouts.get("delete") else None,
                explicit=explicit,
                known=known,
                basis=str(entry.get("basis", "estimate")) if known else "default",
            )
        )
    return nodes


def eni_release_nodes(graph: Graph, nodes: Sequence[Node], data: Data) -> tuple[list[Node], list[str]]:
    """The destroy what-if: subnets and security groups of VPC functions wait for Hyperplane ENIs."""
    release = data.raw["eniRelease"]
    by_id = {str(r.outputs.get("id")): r.urn for r in graph.resources if r.custom and r.outputs.get("id")}
    held: set[str] = set()
    for function in graph.by_type("aws:lambda/function:Function"):
        vpc = function.inputs.get("vpcConfig") or {}
        # replaceSecurityGroupsOnDestroy swaps the function's groups for the VPC default before the
        # delete, so its own groups go free at once; the ENIs still sit in the subnets.
        swapped = function.inputs.get("replaceSecurityGroupsOnDestroy") in (True, "true")
        ids = [*vpc.get("subnetIds", [])]
        ids += (
            function.inputs.get("replacementSecurityGroupIds", [])
            if swapped
            else vpc.get("securityGroupIds", [])
        )
        held.update(by_id[i] for i in ids if isinstance(i, str) and i in by_id)
    applies = set(release["appliesTo"])
    out = [
        replace(n, delete=n.delete + float(release["seconds"])) if n.urn in held and n.type in applies else n
        for n in nodes
    ]
    return out, sorted(held)


# --- the simulation ----------------------------------------------------------------------------------------


@dataclass
class Run:
    """One simulated operation: wall time, each step's window, every call attempt, the throttles."""

    mode: str
    parallel: int | None
    seconds: float
    start: dict[str, float]
    end: dict[str, float]
    attempts: dict[str, list[float]] = field(default_factory=dict)
    throttles: dict[str, int] = field(default_factory=dict)
    exhausted: list[tuple[str, str]] = field(default_factory=list)
    timeouts: list[tuple[str, float, float]] = field(default_factory=list)


def _dependents(nodes: Sequence[Node]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {n.urn: [] for n in nodes}
    for node in nodes:
        for dep in node.deps:
            if dep in out:
                out[dep].append(node.urn)
    return out


def simulate(
    nodes: Sequence[Node],
    *,
    parallel: int | None,
    mode: str = CREATE,
    limits: Sequence[Limit] | None = None,
    max_retries: int = 25,
    max_backoff: float = 20.0,
) -> Run:
    """Run the engine's schedule over ``nodes``; ``parallel=None`` is unbounded, ``limits=None`` no quotas."""
    if parallel is not None and parallel < 1:
        raise ValueError(f"parallel must be at least 1, got {parallel}")
    index = {n.urn: i for i, n in enumerate(nodes)}
    known = set(index)
    if mode == CREATE:
        waits_on = {n.urn: [d for d in n.deps if d in known] for n in nodes}
    else:
        dependents = _dependents(nodes)
        waits_on = {urn: list(dependents[urn]) for urn in index}
    released_by: dict[str, list[str]] = defaultdict(list)
    for urn, waits in waits_on.items():
        for other in waits:
            released_by[other].append(urn)
    remaining = {urn: len(set(waits)) for urn, waits in waits_on.items()}

    buckets: dict[str, TokenBucket] = {}
    run = Run(mode, parallel, 0.0, {}, {})
    ready: list[tuple[float, int, str]] = []
    events: list[tuple[float, int, str, str, int, int]] = []  # time, seq, kind, urn, call index, retry
    sequence = 0
    running = 0

    def push(time: float, kind: str, urn: str, call: int = 0, retry: int = 0) -> None:
        nonlocal sequence
        heapq.heappush(events, (time, sequence, kind, urn, call, retry))
        sequence += 1

    def take(api: str, now: float) -> bool:
        run.attempts.setdefault(api, []).append(now)
        limit = limit_for(api, limits) if limits is not None else None
        if limit is None:
            return True
        key = bucket_key(api, limit)
        if key not in buckets:
            buckets[key] = TokenBucket(limit.burst, limit.refill)
        if buckets[key].try_take(now):
            return True
        run.throttles[api] = run.throttles.get(api, 0) + 1
        return False

    def calls_of(node: Node) -> tuple[str, ...]:
        return node.create_calls if mode == CREATE else node.delete_calls

    def work(node: Node, now: float) -> None:
        seconds = node.create if mode == CREATE else node.delete
        push(now + seconds, "done", node.urn)
        if node.poll_api and node.poll_every > 0 and seconds > node.poll_every:
            ticks = math.ceil(seconds / node.poll_every) - 1
            for tick in range(1, ticks + 1):
                push(now + tick * node.poll_every, "poll", node.urn)

    def dispatch(now: float) -> None:
        nonlocal running
        while ready and (parallel is None or running < parallel):
            _, _, urn = heapq.heappop(ready)
            running += 1
            run.start[urn] = now
            node = nodes[index[urn]]
            if calls_of(node):
                push(now, "call", urn, 0, 0)
            else:
                work(node, now)

    for node in nodes:
        if remaining[node.urn] == 0:
            heapq.heappush(ready, (0.0, index[node.urn], node.urn))
    dispatch(0.0)
    while events:
        now, _, kind, urn, call, retry = heapq.heappop(events)
        node = nodes[index[urn]]
        if kind == "call" or kind == "poll":
            api = calls_of(node)[call] if kind == "call" else node.poll_api
            ok = take(api, now)
            if not ok and retry >= max_retries:
                run.exhausted.append((urn, api))
                ok = True  # the step would fail here; the model carries on to show the rest
            if not ok:
                push(now + backoff_seconds(retry, max_backoff), kind, urn, call, retry + 1)
            elif kind == "call" and call + 1 < len(calls_of(node)):
                push(now, "call", urn, call + 1, 0)
            elif kind == "call":
                work(node, now)
            continue
        # done
        running -= 1
        run.end[urn] = now
        timeout = node.create_timeout if mode == CREATE else node.delete_timeout
        if timeout is not None and now - run.start[urn] > timeout:
            run.timeouts.append((urn, now - run.start[urn], timeout))
        for other in dict.fromkeys(released_by[urn]):
            remaining[other] -= 1
            if remaining[other] == 0:
                heapq.heappush(ready, (now, index[other], other))
        dispatch(now)
    if len(run.end) != len(nodes):
        stuck = sorted(set(index) - set(run.end))
        raise ValueError(f"dependency cycle: {len(stuck)} resources never became ready, e.g. {stuck[0]}")
    run.seconds = max(run.end.values(), default=0.0)
    return run


def critical_path(nodes: Sequence[Node], mode: str = CREATE) -> list[tuple[str, float]]:
    """The longest chain of durations through the dependency graph (destroy: the reversed graph)."""
    index = {n.urn: i for i, n in enumerate(nodes)}
    if mode == CREATE:
        before = {n.urn: [d for d in n.deps if d in index] for n in nodes}
    else:
        before = _dependents(nodes)
    seconds = {n.urn: n.create if mode == CREATE else n.delete for n in nodes}
    finish: dict[str, float] = {}
    via: dict[str, str] = {}
    order = _topological(nodes, before)
    for urn in order:
        best, best_urn = 0.0, ""
        for dep in before[urn]:
            if finish[dep] > best or (finish[dep] == best and best_urn and index[dep] < index[best_urn]):
                best, best_urn = finish[dep], dep
        finish[urn] = best + seconds[urn]
        if best_urn:
            via[urn] = best_urn
    if not finish:
        return []
    last = min(finish, key=lambda u: (-finish[u], index[u]))
    chain = [last]
    while chain[-1] in via:
        chain.append(via[chain[-1]])
    chain.reverse()
    # Zero-second links (components, providers) carry no time: keep the path to the ones that do.
    return [(urn, seconds[urn]) for urn in chain if seconds[urn] > 0] or [
        (urn, seconds[urn]) for urn in chain
    ]


def _topological(nodes: Sequence[Node], before: Mapping[str, list[str]]) -> list[str]:
    remaining = {n.urn: len(set(before[n.urn])) for n in nodes}
    after: dict[str, list[str]] = defaultdict(list)
    for urn, deps in before.items():
        for dep in set(deps):
            after[dep].append(urn)
    queue = [n.urn for n in nodes if remaining[n.urn] == 0]
    order: list[str] = []
    while queue:
        urn = queue.pop(0)
        order.append(urn)
        for other in after[urn]:
            remaining[other] -= 1
            if remaining[other] == 0:
                queue.append(other)
    if len(order) != len(nodes):
        raise ValueError("dependency cycle in the graph")
    return order


def peak_rate(times: Iterable[float], window: float = 1.0) -> int:
    """The most call attempts in any ``window``-second interval [t, t + window)."""
    ordered = sorted(times)
    best, low = 0, 0
    for high, time in enumerate(ordered):
        while ordered[low] <= time - window:
            low += 1
        best = max(best, high - low + 1)
    return best


# --- the report ---------------------------------------------------------------------------------------------


def default_parallel(environ: Mapping[str, str] | None = None) -> int:
    """What `pulumi up` uses without --parallel: PULUMI_PARALLEL if > 0, else 4 x GOMAXPROCS."""
    env = os.environ if environ is None else environ
    value = env.get("PULUMI_PARALLEL", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    procs = env.get("GOMAXPROCS", "")
    cpus = int(procs) if procs.isdigit() and int(procs) > 0 else len(os.sched_getaffinity(0))
    return 4 * cpus


def parallel_arg(text: str) -> int:
    """argparse type for --parallel: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"--parallel must be a whole number >= 1, got {text!r}")
    return int(text)


def provider_max_retries(graph: Graph, data: Data) -> tuple[int, str]:
    """The AWS provider's maxRetries as configured in the graph, else the provider's default."""
    default = int(data.raw["retry"]["defaultMaxRetries"])
    found = [r for r in graph.resources if r.type == "pulumi:providers:aws"]
    values = sorted(
        {int(str(r.inputs["maxRetries"])) for r in found if str(r.inputs.get("maxRetries", "")).isdigit()}
    )
    if values:
        return values[0], f"maxRetries={values[0]} on the aws provider in the graph"
    return default, f"provider default {default} ({data.raw['sources']['tf-max-retries']['url']})"


def _short(urn: str) -> str:
    return urn.split("::")[-1]


def _kind(urn: str) -> str:
    """The URN's own type, short (``aws:s3/bucket:Bucket`` is ``s3.Bucket``)."""
    token = urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else urn
    package, module, kind = [*token.split(":"), "", ""][:3]
    return f"{module.split('/')[0]}.{kind}" if package == "aws" else (kind or token)


def model(graph: Graph, parallel: int | None = None, data: Data | None = None) -> dict[str, Any]:
    """The whole deploy-time report for ``graph`` as a JSON-ready dict (the `deployModel` object)."""
    data = data or Data.load()
    n = parallel if parallel is not None else default_parallel()
    nodes = nodes_from_graph(graph, data)
    limits = data.limits()
    retries, retries_from = provider_max_retries(graph, data)
    max_backoff = float(data.raw["retry"]["maxBackoffSeconds"])

    def run(ns: Sequence[Node], p: int | None, mode: str) -> Run:
        return simulate(
            ns, parallel=p, mode=mode, limits=limits, max_retries=retries, max_backoff=max_backoff
        )

    create, destroy = run(nodes, n, CREATE), run(nodes, n, DESTROY)
    path = critical_path(nodes, CREATE)
    basis = {x.urn: x.basis for x in nodes}
    destroy_path = critical_path(nodes, DESTROY)

    rates = []
    apis = sorted(set(create.attempts) | set(destroy.attempts))
    for api in apis:
        limit = limit_for(api, limits)
        c_peak, d_peak = peak_rate(create.attempts.get(api, [])), peak_rate(destroy.attempts.get(api, []))
        rates.append(
            {
                "api": api,
                "peakPerSecond": max(c_peak, d_peak),
                "createPeak": c_peak,
                "destroyPeak": d_peak,
                "calls": len(create.attempts.get(api, [])) + len(destroy.attempts.get(api, [])),
                "limitPerSecond": limit.refill if limit else None,
                "burst": limit.burst if limit else None,
                "bucket": bucket_key(api, limit) if limit else None,
                "limitSource": data.raw["sources"][limit.source]["url"] if limit else None,
                "limitVerified": limit.verified if limit else None,
            }
        )
    by_bucket: dict[str, list[float]] = defaultdict(list)
    bucket_limit: dict[str, Limit] = {}
    bucket_throttles: dict[str, int] = defaultdict(int)
    for result in (create, destroy):
        offset = 0.0 if result is create else create.seconds + 3600.0  # separate runs: never one window
        for api, times in result.attempts.items():
            limit = limit_for(api, limits)
            if limit is None:
                continue
            key = bucket_key(api, limit)
            bucket_limit[key] = limit
            by_bucket[key].extend(t + offset for t in times)
            bucket_throttles[key] += result.throttles.get(api, 0)
    bucket_rates = [
        {
            "bucket": key,
            "peakPerSecond": peak_rate(times),
            "limitPerSecond": bucket_limit[key].refill,
            "burst": bucket_limit[key].burst,
            "calls": len(times),
            "throttled": bucket_throttles[key],
            "limitSource": data.raw["sources"][bucket_limit[key].source]["url"],
            "limitVerified": bucket_limit[key].verified,
        }
        for key, times in sorted(by_bucket.items())
    ]
    throttles = []
    for mode, result in ((CREATE, create), (DESTROY, destroy)):
        for api, count in sorted(result.throttles.items()):
            lost = sorted({_short(u) for u, a in result.exhausted if a == api})
            throttles.append(
                {
                    "operation": mode,
                    "api": api,
                    "throttles": count,
                    "retryBudget": retries,
                    "budgetHolds": not lost,
                    "failingResources": lost,
                }
            )

    explicit_whatifs: list[dict[str, Any]] = []
    for node in nodes:
        for dep in node.explicit:
            trimmed = nodes_from_graph(graph, data, frozenset({(node.urn, dep)}))
            seconds = run(trimmed, n, CREATE).seconds
            explicit_whatifs.append(
                {
                    "resource": node.urn,
                    "dependsOn": dep,
                    "createSeconds": round(seconds, 1),
                    "costSeconds": round(create.seconds - seconds, 1),
                }
            )
    explicit_whatifs.sort(key=lambda w: (-w["costSeconds"], w["resource"], w["dependsOn"]))
    eni_nodes, held = eni_release_nodes(graph, nodes, data)
    unknown = sorted({x.type for x in nodes if not x.known})
    return {
        "label": LABEL,
        "parallel": n,
        "parallelDefault": default_parallel(),
        "parallelSource": data.raw["sources"]["pulumi-parallel"]["url"],
        "createSeconds": round(create.seconds, 1),
        "destroySeconds": round(destroy.seconds, 1),
        "criticalPath": [{"urn": u, "seconds": s, "basis": basis[u]} for u, s in path],
        "criticalPathSeconds": round(sum(s for _, s in path), 1),
        "destroyCriticalPath": [{"urn": u, "seconds": s, "basis": basis[u]} for u, s in destroy_path],
        "peakCallRates": rates,
        "peakBucketRates": bucket_rates,
        "predictedThrottles": throttles,
        "retry": {
            "maxRetries": retries,
            "from": retries_from,
            "maxBackoffSeconds": max_backoff,
            "jitter": data.raw["retry"]["jitter"],
        },
        "timeouts": [
            {"operation": m, "urn": u, "modelledSeconds": round(s, 1), "timeoutSeconds": t}
            for m, r in ((CREATE, create), (DESTROY, destroy))
            for u, s, t in r.timeouts
        ],
        "whatIf": {
            "parallel1": {
                "createSeconds": round(run(nodes, 1, CREATE).seconds, 1),
                "destroySeconds": round(run(nodes, 1, DESTROY).seconds, 1),
            },
            "parallelUnbounded": {
                "createSeconds": round(run(nodes, None, CREATE).seconds, 1),
                "destroySeconds": round(run(nodes, None, DESTROY).seconds, 1),
            },
            "withoutDependsOn": explicit_whatifs,
            "destroyWithEniRelease": {
                "destroySeconds": round(run(eni_nodes, n, DESTROY).seconds, 1),
                "releaseSeconds": data.raw["eniRelease"]["seconds"],
                "ceilingSeconds": data.raw["eniRelease"]["ceilingSeconds"],
                "heldResources": held,
                "sources": [data.raw["sources"][s]["url"] for s in data.raw["eniRelease"]["source"]],
            },
        },
        "typesWithoutData": unknown,
        "notModelled": list(data.raw["notModelled"]),
        "defaultDurations": {k: data.default[k] for k in ("create", "update", "delete")},
        "steps": len(nodes),
    }


def _load(rate: Mapping[str, Any]) -> tuple[float, str]:
    """Sort key, busiest first: the peak against what a full bucket allows in one second."""
    allowed = max(float(rate["burst"]), float(rate["limitPerSecond"]))
    return (-float(rate["peakPerSecond"]) / allowed, str(rate["bucket"]))


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s ({seconds / 60:.1f} min)"


def render(result: Mapping[str, Any], console: Console) -> None:
    """The text report: every figure labelled as the model's."""
    console.print()
    console.print(f"[bold]deploy-time model[/bold] ({LABEL}): figures from plan/deploy_data.json")
    console.print(
        f"  parallel {result['parallel']} (engine default here: {result['parallelDefault']}"
        " = 4 x GOMAXPROCS, or PULUMI_PARALLEL)"
    )
    console.print(f"  create  (pulumi up):      {_minutes(result['createSeconds'])}  [dim]{LABEL}[/dim]")
    console.print(f"  destroy (pulumi destroy): {_minutes(result['destroySeconds'])}  [dim]{LABEL}[/dim]")
    path = Table(
        title=f"critical path (create), {_minutes(result['criticalPathSeconds'])}", title_justify="left"
    )
    path.add_column("resource", overflow="fold")
    path.add_column("type", overflow="fold")
    path.add_column("seconds", justify="right")
    path.add_column("basis")
    for step in result["criticalPath"]:
        path.add_row(escape(_short(step["urn"])), _kind(step["urn"]), f"{step['seconds']:.0f}", step["basis"])
    console.print(path)

    buckets = sorted(result["peakBucketRates"], key=_load)
    rates = Table(
        title="peak control-plane calls in any 1 s window vs the published quota (busiest first)",
        title_justify="left",
    )
    for column in ("bucket (API)", "peak/s", "quota/s", "burst", "calls", "throttled"):
        rates.add_column(column, justify="left" if column == "bucket (API)" else "right", overflow="fold")
    for rate in buckets[:SHOWN_BUCKETS]:
        rates.add_row(
            rate["bucket"],
            str(rate["peakPerSecond"]),
            f"{rate['limitPerSecond']:g}" + ("" if rate["limitVerified"] else "*"),
            f"{rate['burst']:g}",
            str(rate["calls"]),
            str(rate["throttled"]),
        )
    console.print(rates)
    console.print(
        "  * quota recalled from its cited page, not re-read in a stored copy (verified: false in the data)"
    )
    unlimited = [r["api"] for r in result["peakCallRates"] if r["limitPerSecond"] is None]
    console.print(
        f"  {max(0, len(buckets) - SHOWN_BUCKETS)} more quota buckets in --json; {len(unlimited)} APIs have"
        " no published quota in the data (IAM, S3, CloudFront, SNS, SQS, WAF, ...): not rate-limited here"
    )
    retry = result["retry"]
    console.print(f"  retries: {retry['from']}; backoff capped at {retry['maxBackoffSeconds']:g} s")
    if not result["predictedThrottles"]:
        console.print("  predicted throttles: none")
    for item in result["predictedThrottles"]:
        verdict = (
            "retry budget holds"
            if item["budgetHolds"]
            else ("RETRY BUDGET EXHAUSTED for " + ", ".join(item["failingResources"]))
        )
        console.print(
            f"  predicted throttles ({item['operation']}): {item['api']} x{item['throttles']}: {verdict}"
        )
    for item in result["timeouts"]:
        console.print(
            f"  custom timeout exceeded ({item['operation']}): {_short(item['urn'])} "
            f"{item['modelledSeconds']:.0f} s > {item['timeoutSeconds']:.0f} s"
        )

    what = result["whatIf"]
    console.print("[bold]what-ifs[/bold] (" + LABEL + ")")
    console.print(
        f"  --parallel 1:         create {_minutes(what['parallel1']['createSeconds'])}, "
        f"destroy {_minutes(what['parallel1']['destroySeconds'])}"
    )
    console.print(
        f"  unbounded parallel:   create {_minutes(what['parallelUnbounded']['createSeconds'])}, "
        f"destroy {_minutes(what['parallelUnbounded']['destroySeconds'])}"
    )
    eni = what["destroyWithEniRelease"]
    console.print(
        f"  destroy with Lambda Hyperplane ENI release ({eni['releaseSeconds']} s, up to "
        f"{eni['ceilingSeconds']} s): {_minutes(eni['destroySeconds'])} "
        f"({len(eni['heldResources'])} subnets/security groups held)"
    )
    edges = what["withoutDependsOn"]
    if not edges:
        console.print("  explicit depends_on edges: none")
    else:
        costly = [e for e in edges if e["costSeconds"] > 0]
        console.print(f"  without each explicit depends_on ({len(edges)} edges): create time each one costs")
        for edge in costly:
            console.print(
                f"    {_short(edge['resource'])} -> {_short(edge['dependsOn'])}: {edge['costSeconds']:g} s"
            )
        free = [
            f"{_short(e['resource'])} -> {_short(e['dependsOn'])}" for e in edges if e["costSeconds"] <= 0
        ]
        if free:
            console.print(f"    {len(free)} edges cost nothing (off the critical path): " + ", ".join(free))
    console.print("  not modelled: " + "; ".join(result["notModelled"]))
    if result["typesWithoutData"]:
        d = result["defaultDurations"]
        console.print(
            f"  types without data (stated default create {d['create']} s, delete {d['delete']} s): "
            + ", ".join(result["typesWithoutData"])
        )
