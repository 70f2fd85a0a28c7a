"""Function: zip or image code, alias and provisioned concurrency, role, logs and VPC placement
(000-R5/R10/R15/R16/R20, 003-R5/R19), asserted on the captured graph. Expected values are literals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from plan.capture import Graph, ProgramError
from program.components.function import Function, FunctionArgs, ImageCode, ZipCode, code_files
from program.scope import Scope
from unit.conftest import capture_fn, vpc_placement

SCOPE = Scope("dev", "123456789012", "us-west-2")
LOG_KEY = "arn:aws:kms:us-west-2:123456789012:key/logs"
IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/catalog@sha256:" + "0" * 64
FUNCTION = "aws:lambda/function:Function"


def function_graph(vpc: bool = True, **changes: Any) -> Graph:
    def program() -> None:
        values: dict[str, Any] = {
            "purpose": "worker",
            "scope": SCOPE,
            "code": ZipCode("api"),
            "log_kms_key_arn": LOG_KEY,
            "vpc": vpc_placement("worker") if vpc else None,
            **changes,
        }
        Function("fn", FunctionArgs(**values))

    return capture_fn(program)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return function_graph()


def statements(graph: Graph, name: str) -> dict[str, dict[str, Any]]:
    policy = json.loads(graph.one("aws:iam/rolePolicy:RolePolicy", name).inputs["policy"])
    return {s["Sid"]: s for s in policy["Statement"]}


def test_000_R5_vpc_function_may_manage_only_its_enis() -> None:
    graph = function_graph()
    vpc = statements(graph, "fn-vpc-policy")
    assert set(vpc["ManageVpcEnis"]["Action"]) == {
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:UnassignPrivateIpAddresses",
    }
    group = graph.one("aws:ec2/securityGroup:SecurityGroup").outputs["id"]
    assert vpc["ManageVpcEnis"]["Resource"] == [
        "arn:aws:ec2:us-west-2:123456789012:network-interface/*",
        f"arn:aws:ec2:us-west-2:123456789012:security-group/{group}",
        "arn:aws:ec2:us-west-2:123456789012:subnet/subnet-0aaa",
        "arn:aws:ec2:us-west-2:123456789012:subnet/subnet-0bbb",
    ]
    # 000-R20: the one action without resource-level permissions, and only it, on "*".
    assert vpc["DescribeVpcEnis"]["Action"] == ["ec2:DescribeNetworkInterfaces"]
    assert vpc["DescribeVpcEnis"]["Resource"] == ["*"]


def test_000_R10_vpc_function_keeps_its_group_on_destroy(graph: Graph) -> None:
    """Issue 9 A1: no security-group swap on destroy. The swap is an update Lambda performs with
    the function's role, whose ENI grant names only the tier group, so the swap would be refused."""
    function = graph.one(FUNCTION).inputs
    assert "replaceSecurityGroupsOnDestroy" not in function
    assert "replacementSecurityGroupIds" not in function
    group = graph.one("aws:ec2/securityGroup:SecurityGroup")
    assert function["vpcConfig"] == {
        "subnetIds": ["subnet-0aaa", "subnet-0bbb"],
        "securityGroupIds": [group.outputs["id"]],
    }
    # What the swap would need and the role does not have: ENI rights on any other group.
    vpc = statements(graph, "fn-vpc-policy")
    groups = [r for r in vpc["ManageVpcEnis"]["Resource"] if ":security-group/" in r]
    assert groups == [f"arn:aws:ec2:us-west-2:123456789012:security-group/{group.outputs['id']}"]


def test_000_R10_destroy_frees_enis_through_the_groups_and_subnets_the_stack_deletes(
    serverless_graph: Graph,
) -> None:
    """Issue 9 A1: the destroy path is the provider's ENI cleanup on security-group and subnet
    delete, so every group and subnet a VPC function uses must be a resource of this stack
    (deleted after the function, the provider then waits for and deletes Lambda's ENIs in it)."""
    managed = {
        r.outputs.get("id"): r.type
        for r in serverless_graph.resources
        if r.type in ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/subnet:Subnet")
    }
    functions = [f for f in serverless_graph.by_type(FUNCTION) if f.inputs.get("vpcConfig")]
    assert len(functions) == 2
    for fn in functions:
        assert "replaceSecurityGroupsOnDestroy" not in fn.inputs
        vpc = fn.inputs["vpcConfig"]
        assert [managed.get(g) for g in vpc["securityGroupIds"]] == ["aws:ec2/securityGroup:SecurityGroup"]
        assert [managed.get(s) for s in vpc["subnetIds"]] == ["aws:ec2/subnet:Subnet"] * 2


def test_a_function_outside_a_vpc_has_no_vpc_settings() -> None:
    graph = function_graph(vpc=False)
    function = graph.one(FUNCTION).inputs
    for key in ("vpcConfig", "replaceSecurityGroupsOnDestroy", "replacementSecurityGroupIds"):
        assert key not in function
    assert [p.name for p in graph.by_type("aws:iam/rolePolicy:RolePolicy")] == ["fn-policy"]


def test_000_R16_tier_group_egress_is_what_the_placement_lists(graph: Graph) -> None:
    rules = {
        r.name: r.inputs for r in graph.by_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    }
    assert set(rules) == {"worker-sg-out-dynamodb", "worker-sg-out-endpoints"}
    assert rules["worker-sg-out-dynamodb"]["prefixListId"] == "pl-00ddb"
    assert rules["worker-sg-out-endpoints"]["referencedSecurityGroupId"] == "sg-0endpoints"
    assert {(r["ipProtocol"], r["fromPort"], r["toPort"]) for r in rules.values()} == {("tcp", 443, 443)}
    assert not graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")  # 000-R15


def test_zip_function_defaults_logs_and_role(graph: Graph) -> None:
    function = graph.one(FUNCTION).inputs
    assert (function["name"], function["runtime"], function["handler"]) == (
        "worker-dev",
        "python3.13",
        "handler.handler",
    )
    assert function["architectures"] == ["arm64"] and (function["memorySize"], function["timeout"]) == (
        256,
        10,
    )
    assert function["loggingConfig"] == {"logFormat": "JSON", "logGroup": "/aws/lambda/worker-dev"}
    assert "packageType" not in function and "publish" not in function
    logs = graph.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert (logs["name"], logs["retentionInDays"], logs["kmsKeyId"]) == (
        "/aws/lambda/worker-dev",
        30,
        LOG_KEY,
    )
    own = statements(graph, "fn-policy")["WriteOwnLogs"]
    assert own["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    group = "arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/worker-dev"
    assert own["Resource"] == [group, f"{group}:log-stream:*"]


def test_functions_trace_actively_when_asked(graph: Graph) -> None:
    """CKV_AWS_50: active X-Ray, and the two writes it needs (no resource-level permission: "*")."""
    assert "tracingConfig" not in graph.one(FUNCTION).inputs
    assert "WriteTraces" not in statements(graph, "fn-policy")
    traced = function_graph(vpc=False, tracing=True)
    assert traced.one(FUNCTION).inputs["tracingConfig"] == {"mode": "Active"}
    traces = statements(traced, "fn-policy")["WriteTraces"]
    assert (traces["Action"], traces["Resource"]) == (
        ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
        ["*"],
    )


def test_environment_under_a_cmk_the_role_alone_may_decrypt() -> None:
    """CKV_AWS_173: kmsKeyArn on the function and kms:Decrypt on that key, in a policy of its own."""
    key = "arn:aws:kms:us-west-2:123456789012:key/env"
    graph = function_graph(vpc=False, environment={"TABLE": "t"}, environment_kms_key_arn=key)
    assert graph.one(FUNCTION).inputs["kmsKeyArn"] == key
    grant = statements(graph, "fn-env-key-policy")["DecryptEnvironment"]
    assert (grant["Action"], grant["Resource"]) == (["kms:Decrypt"], [key])
    # Without variables there is nothing to encrypt: no key on the function, no grant.
    bare = function_graph(vpc=False, environment_kms_key_arn=key)
    assert "kmsKeyArn" not in bare.one(FUNCTION).inputs
    assert not [r for r in bare.by_type("aws:iam/rolePolicy:RolePolicy") if r.name == "fn-env-key-policy"]


def test_003_R19_function_waits_for_its_policies_and_log_group(graph: Graph) -> None:
    needed = {r.urn for r in graph.by_type("aws:iam/rolePolicy:RolePolicy")}
    needed.add(graph.one("aws:cloudwatch/logGroup:LogGroup").urn)
    assert needed <= set(graph.one(FUNCTION).options["dependencies"])


def test_the_zip_ships_the_handler_and_the_shared_helpers(graph: Graph) -> None:
    assets = graph.one(FUNCTION).inputs["code"]["assets"]
    assert {"handler.py", "shared/__init__.py", "shared/logs.py"} <= set(assets)


def test_image_function_runs_the_image_with_its_command() -> None:
    graph = function_graph(
        vpc=False, code=ImageCode(IMAGE, command=("app.handler",), entry_point=("/lambda-entrypoint.sh",))
    )
    function = graph.one(FUNCTION).inputs
    assert (function["packageType"], function["imageUri"]) == ("Image", IMAGE)
    assert function["imageConfig"] == {"commands": ["app.handler"], "entryPoints": ["/lambda-entrypoint.sh"]}
    for key in ("runtime", "handler", "code"):
        assert key not in function


def test_003_R5_alias_with_provisioned_concurrency_and_reserved_concurrency() -> None:
    graph = function_graph(
        vpc=False,
        architecture="x86_64",
        memory_mb=1024,
        reserved_concurrency=10,
        alias="live",
        provisioned_concurrency=2,
    )
    function = graph.one(FUNCTION)
    assert function.inputs["publish"] is True and function.inputs["architectures"] == ["x86_64"]
    assert (function.inputs["memorySize"], function.inputs["reservedConcurrentExecutions"]) == (1024, 10)
    alias = graph.one("aws:lambda/alias:Alias").inputs
    assert alias == {
        "name": "live",
        "functionName": "worker-dev",
        "functionVersion": function.outputs["version"],
    }
    provisioned = graph.one("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig").inputs
    assert provisioned == {
        "functionName": "worker-dev",
        "qualifier": "live",
        "provisionedConcurrentExecutions": 2,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"provisioned_concurrency": 2}, "needs an alias"),
        ({"alias": "live", "provisioned_concurrency": 0}, "give 1 or more"),
        ({"alias": "live", "provisioned_concurrency": 5, "reserved_concurrency": 2}, "cannot exceed"),
        ({"memory_mb": 64}, "memory_mb"),
        ({"timeout_s": 901}, "timeout_s"),
    ],
)
def test_args_reject_what_lambda_would_refuse(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ProgramError, match=message):
        function_graph(vpc=False, **changes)


def test_zip_code_needs_its_handler_file() -> None:
    with pytest.raises(ValueError, match=r"no lambdas/nothing/handler\.py"):
        ZipCode("nothing")
    with pytest.raises(ValueError, match=r"no lambdas/api/app\.py"):
        ZipCode("api", handler="app.handler")


def test_the_zip_holds_the_sources_and_no_caches(tmp_path: Path) -> None:
    folder = tmp_path / "api"
    (folder / "__pycache__").mkdir(parents=True)
    (folder / "handler.py").write_text("def handler(event, context): ...\n")
    (folder / "schema.json").write_text("{}")
    (folder / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\x00")
    (folder / "stale.pyc").write_bytes(b"\x00")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "logs.py").write_text("")
    assert list(code_files("api", tmp_path)) == ["shared/logs.py", "handler.py", "schema.json"]


def test_each_deployed_function_ships_its_handler_and_the_shared_package() -> None:
    for folder in ("api", "stream_consumer"):
        files = code_files(folder)
        assert "handler.py" in files and "shared/logs.py" in files
