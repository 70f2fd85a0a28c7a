"""The deploy-time model (issue 12) as pure logic: scheduling, token buckets, retries, calibration.

Small hand-built graphs with expected values written out; one run over the real serverless-dev graph
checks structural facts only. Every figure here is the model's, not a measurement.
"""

from __future__ import annotations

import json
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plan import cli
from plan import deploy_model as dm
from plan.capture import CapturedResource, Graph

DATA = json.loads(dm.DATA_PATH.read_text(encoding="utf-8"))


def node(urn: str, create: float, *deps: str, delete: float | None = None, **kw: Any) -> dm.Node:
    return dm.Node(
        urn=urn,
        type="test:index:Thing",
        deps=deps,
        create=create,
        delete=create if delete is None else delete,
        **kw,
    )


# a -> (b, c) -> d: the diamond every scheduling test uses.
DIAMOND = [node("a", 10), node("b", 20, "a"), node("c", 30, "a"), node("d", 5, "b", "c")]


def test_parallel_1_without_rate_limits_is_the_sum_of_durations() -> None:
    assert dm.simulate(DIAMOND, parallel=1).seconds == 65.0


def test_unbounded_parallel_without_rate_limits_is_the_critical_path() -> None:
    assert dm.simulate(DIAMOND, parallel=None).seconds == 45.0
    assert dm.critical_path(DIAMOND) == [("a", 10.0), ("c", 30.0), ("d", 5.0)]


@pytest.mark.parametrize("parallel", [1, 2, 3, None])
def test_wall_time_is_never_below_the_critical_path(parallel: int | None) -> None:
    wide = [*DIAMOND, node("e", 40), node("f", 1, "e"), node("g", 7, "a")]
    limits = [dm.Limit("*", "per-API", 1, 0.5, "estimate", False)]
    calls = [replace(n, create_calls=("svc:Create", "svc:Describe")) for n in wide]
    for graph in (wide, calls):
        path = sum(seconds for _, seconds in dm.critical_path(graph))
        assert path == 45.0
        assert dm.simulate(graph, parallel=parallel, limits=limits).seconds >= path


def test_two_slots_run_b_and_c_side_by_side_and_start_in_registration_order() -> None:
    run = dm.simulate([*DIAMOND, node("e", 15)], parallel=2)
    assert run.start == {"a": 0.0, "e": 0.0, "b": 10.0, "c": 15.0, "d": 45.0}
    assert run.seconds == 50.0


def test_destroy_runs_the_graph_in_reverse() -> None:
    graph = [
        node("a", 0, delete=1),
        node("b", 0, "a", delete=2),
        node("c", 0, "a", delete=3),
        node("d", 0, "b", "c", delete=4),
    ]
    run = dm.simulate(graph, parallel=None, mode=dm.DESTROY)
    assert run.start == {"d": 0.0, "b": 4.0, "c": 4.0, "a": 7.0}
    assert run.seconds == 8.0
    assert dm.critical_path(graph, dm.DESTROY) == [("d", 4.0), ("c", 3.0), ("a", 1.0)]


def test_a_cycle_is_an_error_not_a_hang() -> None:
    with pytest.raises(ValueError, match="cycle"):
        dm.simulate([node("a", 1, "b"), node("b", 1, "a")], parallel=None)


def test_parallel_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="parallel must be at least 1"):
        dm.simulate(DIAMOND, parallel=0)


def test_token_bucket_spends_its_burst_then_refills_at_its_rate() -> None:
    bucket = dm.TokenBucket(capacity=3, refill=1)
    assert [bucket.try_take(0.0) for _ in range(4)] == [True, True, True, False]
    assert [bucket.try_take(1.0), bucket.try_take(1.0)] == [True, False]
    assert [bucket.try_take(10.0) for _ in range(4)] == [True, True, True, False]


@settings(max_examples=200, deadline=None)
@given(
    capacity=st.integers(min_value=1, max_value=20),
    refill=st.floats(min_value=0.05, max_value=50),
    gaps=st.lists(st.floats(min_value=0, max_value=3), min_size=1, max_size=120),
)
def test_token_bucket_never_lets_more_through_than_burst_plus_rate(
    capacity: int, refill: float, gaps: list[float]
) -> None:
    bucket = dm.TokenBucket(capacity, refill)
    times, now = [], 0.0
    for gap in gaps:
        now += gap
        if bucket.try_take(now):
            times.append(now)
        assert bucket.tokens <= capacity
    for i, first in enumerate(times):
        for j in range(i, len(times)):
            assert j - i + 1 <= capacity + refill * (times[j] - first) + 1e-6


def test_throttled_calls_back_off_as_the_sdk_does_and_the_budget_is_counted() -> None:
    # Ten steps call one API at t=0; the bucket holds 2 and refills 1/s. Mean-jitter backoff waits
    # 1, 2, 4, 8, 16 s: successes 2 @0, 1 @1, 2 @3, 2 @7, 2 @15, 1 @31.
    steps = [node(f"r{i}", 0, create_calls=("svc:Create",)) for i in range(10)]
    limits = [dm.Limit("svc:*", "per-API", 2, 1, "estimate", False)]
    run = dm.simulate(steps, parallel=None, limits=limits, max_retries=25)
    assert run.throttles == {"svc:Create": 24}
    assert run.seconds == 31.0
    assert run.exhausted == []
    tight = dm.simulate(steps, parallel=None, limits=limits, max_retries=3)
    assert tight.throttles == {"svc:Create": 23}
    assert [urn for urn, _ in tight.exhausted] == ["r7", "r8", "r9"]


def test_backoff_doubles_from_one_second_and_caps_at_twenty() -> None:
    assert [dm.backoff_seconds(k) for k in range(7)] == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]


def test_polls_take_tokens_while_a_step_waits() -> None:
    waiting = node(
        "nat", 60, create_calls=("ec2:CreateNatGateway",), poll_api="ec2:DescribeNatGateways", poll_every=10
    )
    run = dm.simulate([waiting], parallel=None, limits=[])
    assert run.attempts == {
        "ec2:CreateNatGateway": [0.0],
        "ec2:DescribeNatGateways": [10.0, 20.0, 30.0, 40.0, 50.0],
    }
    assert run.seconds == 60.0


def test_peak_rate_counts_the_busiest_one_second_window() -> None:
    assert dm.peak_rate([0.0, 0.5, 0.99, 1.0, 1.5]) == 3
    assert dm.peak_rate([0.0, 0.0, 0.0, 2.0]) == 3
    assert dm.peak_rate([]) == 0


def test_a_step_longer_than_its_custom_timeout_is_reported() -> None:
    run = dm.simulate([node("slow", 20, create_timeout=10.0)], parallel=None)
    assert run.timeouts == [("slow", 20.0, 10.0)]


def test_the_same_graph_gives_the_same_run() -> None:
    limits = [dm.Limit("*", "per-API", 2, 1, "estimate", False)]
    graph = [replace(n, create_calls=("svc:A", "svc:B")) for n in [*DIAMOND, node("e", 3), node("f", 3)]]
    first = dm.simulate(graph, parallel=2, limits=limits)
    second = dm.simulate(graph, parallel=2, limits=limits)
    assert (first.start, first.end, first.attempts, first.throttles) == (
        second.start,
        second.end,
        second.attempts,
        second.throttles,
    )


def test_default_parallel_is_four_per_cpu_unless_pulumi_parallel_is_set() -> None:
    assert dm.default_parallel({"PULUMI_PARALLEL": "3"}) == 3
    assert dm.default_parallel({"GOMAXPROCS": "2"}) == 8
    assert dm.default_parallel({"PULUMI_PARALLEL": "0", "GOMAXPROCS": "5"}) == 20


def test_parallel_argument_must_be_a_whole_number_of_at_least_one() -> None:
    assert dm.parallel_arg("16") == 16
    for bad in ("0", "-2", "x", "1.5"):
        with pytest.raises(Exception, match="--parallel must be a whole number >= 1"):
            dm.parallel_arg(bad)


# --- from a captured graph ----------------------------------------------------------------------------

STACK = "urn:pulumi:t::p::"
PROVIDER = STACK + "pulumi:providers:aws::aws"


def resource(
    name: str,
    type_: str,
    *,
    custom: bool = True,
    parent: str = "",
    deps: tuple[str, ...] = (),
    prop_deps: dict[str, list[str]] | None = None,
    inputs: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
    provider: str = PROVIDER + "::pid",
) -> CapturedResource:
    return CapturedResource(
        urn=STACK + type_ + "::" + name,
        type=type_,
        name=name,
        custom=custom,
        parent=parent,
        provider=provider if custom else "",
        inputs=inputs or {},
        outputs=outputs or {},
        options={"dependencies": list(deps), "propertyDependencies": prop_deps or {}, "customTimeouts": {}},
    )


def graph_of(*resources: CapturedResource) -> Graph:
    provider = resource("aws", "pulumi:providers:aws", provider="", inputs={"maxRetries": "10"})
    return Graph("p", "t", False, [provider, *resources])


def test_a_dependency_on_a_component_waits_for_everything_inside_it() -> None:
    component = resource("net", "webstack:network:Network", custom=False)
    vpc = resource("vpc", "aws:ec2/vpc:Vpc", parent=component.urn)
    table = resource("tbl", "aws:dynamodb/table:Table", deps=(component.urn,))
    nodes = {n.urn: n for n in dm.nodes_from_graph(graph_of(component, vpc, table), dm.Data.load())}
    assert set(nodes[table.urn].deps) == {vpc.urn, PROVIDER}
    assert set(nodes[vpc.urn].deps) == {component.urn, PROVIDER}
    assert nodes[table.urn].explicit == (component.urn,)
    assert (nodes[table.urn].create, nodes[vpc.urn].create, nodes[component.urn].create) == (30.0, 5.0, 0.0)
    dropped = dm.nodes_from_graph(
        graph_of(component, vpc, table), dm.Data.load(), frozenset({(table.urn, component.urn)})
    )
    assert {n.urn: n for n in dropped}[table.urn].deps == (PROVIDER,)


def test_property_dependencies_are_not_explicit_depends_on() -> None:
    role = resource("role", "aws:iam/role:Role")
    fn = resource("fn", "aws:lambda/function:Function", deps=(role.urn,), prop_deps={"role": [role.urn]})
    nodes = {n.urn: n for n in dm.nodes_from_graph(graph_of(role, fn), dm.Data.load())}
    assert nodes[fn.urn].explicit == ()
    assert role.urn in nodes[fn.urn].deps
    assert nodes[fn.urn].create == 5.0  # no vpcConfig: the stated estimate, not the VPC figure


def test_types_without_data_get_the_stated_default_and_are_listed() -> None:
    odd = resource("odd", "aws:appmesh/mesh:Mesh")
    result = dm.model(graph_of(odd), parallel=4)
    assert result["typesWithoutData"] == ["aws:appmesh/mesh:Mesh"]
    assert result["createSeconds"] == 10.0
    assert result["defaultDurations"] == {"create": 10, "update": 5, "delete": 5}


def test_calibration_one_cloudfront_distribution_falls_in_the_cited_measured_range() -> None:
    # aws/aws-cli#3865: about 20 min to Deployed with an S3 origin, 30-35 min with custom origins.
    entry = DATA["types"]["aws:cloudfront/distribution:Distribution"]
    assert entry["calibration"]["createRange"] == [1200, 2100]
    assert (
        DATA["sources"][entry["calibration"]["source"]]["url"] == "https://github.com/aws/aws-cli/issues/3865"
    )
    result = dm.model(graph_of(resource("cdn", "aws:cloudfront/distribution:Distribution")), parallel=4)
    assert 1200 <= result["createSeconds"] <= 2100
    assert [step["seconds"] for step in result["criticalPath"]] == [1200.0]


def test_calibration_vpc_lambda_and_nat_gateway_stay_within_their_cited_bounds() -> None:
    # CreateFunction API reference: a VPC function takes "a minute or so"; kops#944: NAT up to 10 min.
    fn = resource("fn", "aws:lambda/function:Function", inputs={"vpcConfig": {"subnetIds": ["subnet-1"]}})
    nat = resource("nat", "aws:ec2/natGateway:NatGateway")
    nodes = {n.urn: n for n in dm.nodes_from_graph(graph_of(fn, nat), dm.Data.load())}
    assert nodes[fn.urn].create == 60.0
    assert 60 <= nodes[nat.urn].create <= 600


def test_the_retry_budget_comes_from_the_provider_in_the_graph_else_the_default_25() -> None:
    data = dm.Data.load()
    assert dm.provider_max_retries(graph_of(), data)[0] == 10
    assert dm.provider_max_retries(Graph("p", "t", False, []), data)[0] == 25


def vpc_function(**inputs: Any) -> tuple[CapturedResource, CapturedResource, CapturedResource]:
    """A subnet, a security group and a function in both (the function's other inputs from ``inputs``)."""
    subnet = resource("sub", "aws:ec2/subnet:Subnet", outputs={"id": "subnet-1"})
    group = resource("sg", "aws:ec2/securityGroup:SecurityGroup", outputs={"id": "sg-1"})
    vpc = {"vpcConfig": {"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]}}
    fn = resource(
        "fn", "aws:lambda/function:Function", deps=(subnet.urn, group.urn), inputs={**vpc, **inputs}
    )
    return subnet, group, fn


def test_destroy_with_eni_release_holds_the_functions_subnets_and_security_groups() -> None:
    subnet, group, fn = vpc_function()
    other = resource("other", "aws:ec2/securityGroup:SecurityGroup", outputs={"id": "sg-2"})
    graph = graph_of(subnet, group, other, fn)
    result = dm.model(graph, parallel=8)
    eni = result["whatIf"]["destroyWithEniRelease"]
    assert eni["heldResources"] == sorted([subnet.urn, group.urn])
    # function delete 5 s, then the security group's 3 s delete plus 1200 s of ENI release
    assert (result["destroySeconds"], eni["destroySeconds"]) == (8.0, 1208.0)


def test_a_tight_quota_shows_up_as_predicted_throttles_per_api() -> None:
    alarms = [resource(f"alarm{i}", "aws:cloudwatch/metricAlarm:MetricAlarm") for i in range(12)]
    result = dm.model(graph_of(*alarms), parallel=16)
    put = next(r for r in result["peakBucketRates"] if r["bucket"] == "cloudwatch:PutMetricAlarm")
    assert (put["limitPerSecond"], put["burst"], put["calls"] - put["throttled"]) == (3.0, 3.0, 12)
    throttled = {(t["operation"], t["api"]) for t in result["predictedThrottles"]}
    assert ("create", "cloudwatch:PutMetricAlarm") in throttled
    assert all(t["budgetHolds"] for t in result["predictedThrottles"])


# --- the real serverless-dev graph --------------------------------------------------------------------


def _ancestors(nodes: list[dm.Node]) -> dict[str, set[str]]:
    deps = {n.urn: set(n.deps) for n in nodes}
    closed: dict[str, set[str]] = {}

    def walk(urn: str) -> set[str]:
        if urn not in closed:
            closed[urn] = set()
            for dep in deps.get(urn, ()):
                closed[urn] |= {dep} | walk(dep)
        return closed[urn]

    for urn in deps:
        walk(urn)
    return closed


def test_serverless_dev_model_is_structurally_sound(serverless_graph: Graph) -> None:
    result = dm.model(serverless_graph, parallel=8)
    path = [step["urn"] for step in result["criticalPath"]]
    assert path, "the critical path is never empty for a graph with resources"
    before = _ancestors(dm.nodes_from_graph(serverless_graph, dm.Data.load()))
    for earlier, later in pairwise(path):
        assert earlier in before[later], f"{later} does not depend on {earlier}"
    assert result["createSeconds"] >= result["criticalPathSeconds"] > 0
    assert result["whatIf"]["parallel1"]["createSeconds"] >= result["createSeconds"]
    assert result["whatIf"]["parallelUnbounded"]["createSeconds"] <= result["createSeconds"]
    assert result["whatIf"]["destroyWithEniRelease"]["destroySeconds"] >= result["destroySeconds"]
    assert result["retry"]["maxRetries"] == 10  # the stack's aws provider sets maxRetries
    assert result["typesWithoutData"] == []
    assert dm.model(serverless_graph, parallel=8) == result


def test_cli_prints_the_model_and_writes_deploy_model_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plan.json"
    code = cli.main(
        [
            "serverless-dev",
            "--deploy-model",
            "--parallel",
            "4",
            "--no-policy",
            "--no-tree",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "deploy-time model" in printed and "model, not a measurement" in printed
    model = json.loads(out.read_text(encoding="utf-8"))["deployModel"]
    for key in (
        "parallel",
        "createSeconds",
        "destroySeconds",
        "criticalPath",
        "peakCallRates",
        "predictedThrottles",
    ):
        assert key in model
    assert model["parallel"] == 4
    assert set(model["criticalPath"][0]) == {"urn", "seconds", "basis"}
    assert "measured" in {step["basis"] for step in model["criticalPath"]}  # the CloudFront distribution


def test_cli_refuses_parallel_zero_with_a_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["serverless-dev", "--deploy-model", "--parallel", "0"])
    assert exit_.value.code == 2
    assert "--parallel must be a whole number >= 1, got '0'" in capsys.readouterr().err


def test_reserved_concurrency_costs_a_put_function_concurrency_call() -> None:
    plain = resource("plain", "aws:lambda/function:Function")
    reserved = resource(
        "reserved", "aws:lambda/function:Function", inputs={"reservedConcurrentExecutions": 100}
    )
    nodes = {n.urn: n for n in dm.nodes_from_graph(graph_of(plain, reserved), dm.Data.load())}
    assert "lambda:PutFunctionConcurrency" not in nodes[plain.urn].create_calls
    assert nodes[reserved.urn].create_calls[-2:] == (
        "lambda:PutFunctionConcurrency",
        "lambda:GetFunctionConcurrency",
    )


def test_replace_security_groups_on_destroy_frees_the_groups_but_not_the_subnets() -> None:
    subnet, group, fn = vpc_function(replaceSecurityGroupsOnDestroy=True)
    eni = dm.model(graph_of(subnet, group, fn), parallel=8)["whatIf"]["destroyWithEniRelease"]
    assert eni["heldResources"] == [subnet.urn]
    assert eni["destroySeconds"] == 1208.0  # function 5 s, then the subnet's 3 s plus 1200 s


def test_without_the_flag_the_json_report_has_no_deploy_model(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    assert cli.main(["serverless-dev", "--no-policy", "--no-tree", "--json", str(out)]) == 0
    assert "deployModel" not in json.loads(out.read_text(encoding="utf-8"))


def test_every_figure_in_the_data_file_names_a_source_that_exists() -> None:
    sources = DATA["sources"]
    for token, entry in DATA["types"].items():
        assert entry["basis"] in {"measured", "published", "ceiling", "estimate"}, token
        assert entry["source"] and all(s in sources for s in entry["source"]), token
        assert all(entry[k] >= 0 for k in ("create", "update", "delete")), token
        if "poll" in entry:
            assert entry["poll"]["source"] in sources and entry["poll"]["everySeconds"] > 0, token
        if entry["basis"] == "measured":
            assert entry["calibration"]["source"] in sources, token
    for limit in DATA["limits"]:
        assert limit["source"] in sources and limit["burst"] >= 1 and limit["refillPerSecond"] > 0
    assert DATA["retry"]["maxRetriesSource"] in sources and DATA["retry"]["backoffSource"] in sources
    assert all(s in sources for s in DATA["eniRelease"]["source"])
    assert all(sources[s]["says"] for s in sources)
