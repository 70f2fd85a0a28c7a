"""program.arns builds the ARNs AWS assigns; the offline mocks (shaped after AWS) agree."""

from __future__ import annotations

from plan.capture import Graph
from program import arns

ACCOUNT, REGION = "123456789012", "us-west-2"


def test_arns_match_what_the_resources_report(serverless_graph: Graph) -> None:
    def arn_of(type_token: str, name: str) -> str:
        return str(serverless_graph.one(type_token, name).outputs["arn"])

    bucket = serverless_graph.one("aws:s3/bucket:Bucket", "streaming-results").inputs["bucket"]
    assert arns.s3_bucket(bucket) == arn_of("aws:s3/bucket:Bucket", "streaming-results")
    table = serverless_graph.one("aws:dynamodb/table:Table").inputs["name"]
    assert (
        arns.dynamodb_table(REGION, ACCOUNT, table)
        == serverless_graph.one("aws:dynamodb/table:Table").outputs["arn"]
    )
    stream = serverless_graph.one("aws:kinesis/stream:Stream").inputs["name"]
    assert (
        arns.kinesis_stream(REGION, ACCOUNT, stream)
        == serverless_graph.one("aws:kinesis/stream:Stream").outputs["arn"]
    )
    queue = serverless_graph.one("aws:sqs/queue:Queue").inputs["name"]
    assert (
        arns.sqs_queue(REGION, ACCOUNT, queue) == serverless_graph.one("aws:sqs/queue:Queue").outputs["arn"]
    )
    group = serverless_graph.one("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs").inputs["name"]
    assert arns.log_group(REGION, ACCOUNT, group) == arn_of(
        "aws:cloudwatch/logGroup:LogGroup", "network-flow-logs"
    )


def test_every_policy_document_is_known_in_preview() -> None:
    from unit.conftest import capture_stack

    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    # Only documents that name what AWS assigns at create time stay unknown: the distribution's
    # ARN (the OAC grant), the subnet and security-group ids (the VPC ENI grants) and a KMS key's
    # random id (the environment-key grants, each a policy of its own for that reason).
    inherent = {
        ("cdn-bucket-policy", "policy"),
        ("api-fn-vpc-policy", "policy"),
        ("streaming-consumer-fn-vpc-policy", "policy"),
        ("api-fn-env-key-policy", "policy"),
        ("streaming-consumer-fn-env-key-policy", "policy"),
    }
    graph = capture_stack("serverless-dev", preview=True)
    documents = {
        (r.name, prop)
        for r in graph.resources
        for prop in ("policy", "assumeRolePolicy")
        if r.type.startswith(("aws:iam/", "aws:s3/bucketPolicy", "aws:sqs/", "aws:sns/", "aws:kms/"))
        and r.inputs.get(prop) == unknown
    }
    assert documents == inherent


def test_builders_follow_the_documented_formats() -> None:
    assert arns.sns_topic("us-west-2", ACCOUNT, "alerts-dev") == f"arn:aws:sns:us-west-2:{ACCOUNT}:alerts-dev"
    assert arns.alarm("us-west-2", ACCOUNT, "*-dev") == f"arn:aws:cloudwatch:us-west-2:{ACCOUNT}:alarm:*-dev"
    assert (
        arns.lambda_function("us-west-2", ACCOUNT, "api-dev")
        == f"arn:aws:lambda:us-west-2:{ACCOUNT}:function:api-dev"
    )
    assert (
        arns.ec2("us-west-2", ACCOUNT, "security-group", "sg-1")
        == f"arn:aws:ec2:us-west-2:{ACCOUNT}:security-group/sg-1"
    )
    assert arns.iam_root(ACCOUNT) == f"arn:aws:iam::{ACCOUNT}:root"


def test_the_alert_topic_arn_is_the_one_the_topic_gets(serverless_graph: Graph) -> None:
    topic = serverless_graph.one("aws:sns/topic:Topic")
    assert arns.sns_topic(REGION, ACCOUNT, topic.inputs["name"]) == topic.outputs["arn"]
