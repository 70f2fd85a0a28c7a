"""Encryption at rest: per policy a compliant baseline, one-field mutations, defaults and preview."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, PolicyResource
from pulumi_policy.proxy import UnknownValueError

from policy_pack.policies import encryption_at_rest as rest
from policy_pack.policies._relations import decide_each
from unit.policy_pack import baselines as base
from unit.policy_pack.conftest import UNKNOWN, resource, run_resource, run_stack

BUCKET = base.BUCKET
SSE = base.BUCKET_SSE
KEY_ARN = "arn:aws:kms:us-west-2:123456789012:key/0a6dc911-7c27-212e-4610-38d3bfeace1a"
TABLE = base.TABLE
DAX = base.DAX
STREAM = base.STREAM
QUEUE = base.QUEUE
TOPIC = base.TOPIC
ALARM = base.ALARM
KEY = base.KMS_KEY
CLUSTER = base.DB_CLUSTER
INSTANCE = base.DB_INSTANCE
LOG_GROUP = base.LOG_GROUP
SECRET = base.SECRET
REPOSITORY = base.REPOSITORY
PARAMETER = base.PARAMETER
VOLUME = base.EBS_VOLUME
LAUNCH_TEMPLATE = base.LAUNCH_TEMPLATE

ADVISORY_POLICIES = {
    "encryption-at-rest-secrets-manager",
    "encryption-at-rest-ecr",
    "encryption-at-rest-lambda-environment",
}


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The baseline with one field changed (None removes it: the AWS default applies)."""
    props = {**base, **changes}
    return {key: value for key, value in props.items() if value is not None}


# -- metadata ---------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", rest.POLICIES, ids=lambda p: p.name)
def test_every_policy_is_named_described_and_anchored(policy: Any) -> None:
    assert policy.name.startswith("encryption-at-rest-")
    assert policy.description.endswith(".") and policy.remediation_steps
    assert policy.tags or policy.framework.name == "webstack"
    expected = EnforcementLevel.ADVISORY if policy.name in ADVISORY_POLICIES else EnforcementLevel.MANDATORY
    assert policy.enforcement_level == expected
    assert "exemptions" in policy.config_schema.properties


def test_policy_names_are_unique() -> None:
    names = [policy.name for policy in rest.POLICIES]
    assert len(names) == len(set(names)) == 14


# -- S3 (stack) -------------------------------------------------------------------------------


def bucket(name: str = "assets", **props: Any) -> PolicyResource:
    return resource(BUCKET, {"bucket": f"{name}-dev", "forceDestroy": True, **props}, name=name)


def sse_for(target: PolicyResource, algorithm: str = "aws:kms", kind: str = SSE) -> PolicyResource:
    rule = {"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm, "kmsMasterKeyId": KEY_ARN}}
    return resource(
        kind,
        {"bucket": target.name, "rules": [rule]},
        name=f"{target.name}-sse",
        deps={"bucket": [target]},
    )


@pytest.mark.parametrize("algorithm", ["aws:kms", "AES256"])
def test_bucket_with_its_encryption_configuration_passes(algorithm: str) -> None:
    assets = bucket()
    assert run_stack(rest.s3, [assets, sse_for(assets, algorithm)]).ok


def test_000_R19_bucket_without_encryption_configuration_is_flagged() -> None:
    assets, logs = bucket("assets"), bucket("logs")
    outcome = run_stack(rest.s3, [assets, logs, sse_for(assets)])
    assert outcome.urns == [logs.urn]
    (message,) = outcome.messages
    assert "has no BucketServerSideEncryptionConfiguration" in message
    assert "sseAlgorithm" in message


def test_v2_types_count_too() -> None:
    v2_bucket = resource("aws:s3/bucketV2:BucketV2", {"bucket": "old-dev"}, name="old")
    assert len(run_stack(rest.s3, [v2_bucket]).messages) == 1
    v2_sse = sse_for(
        v2_bucket,
        kind="aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    )
    assert run_stack(rest.s3, [v2_bucket, v2_sse]).ok


def test_the_match_is_by_property_dependency_so_it_holds_in_preview() -> None:
    assets = bucket(bucket=UNKNOWN)
    configuration = resource(SSE, {"bucket": UNKNOWN, "rules": UNKNOWN}, deps={"bucket": [assets]})
    assert run_stack(rest.s3, [assets, configuration]).ok
    # Without the dependency the same configuration covers nothing.
    orphan = resource(SSE, {"bucket": "assets-dev", "rules": UNKNOWN})
    assert len(run_stack(rest.s3, [assets, orphan]).messages) == 1


def test_inline_configuration_counts_when_the_program_set_it() -> None:
    inline = {
        "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN}}
    }
    assert run_stack(rest.s3, [bucket(serverSideEncryptionConfiguration=inline)]).ok


def test_inline_configuration_left_computed_in_preview_counts_as_missing() -> None:
    # Unset, the output is unknown in preview (and S3's AES256 default after creation).
    outcome = run_stack(rest.s3, [bucket(serverSideEncryptionConfiguration=UNKNOWN)])
    assert len(outcome.messages) == 1 and not outcome.unknown
    empty = {"rule": {"applyServerSideEncryptionByDefault": None}}
    assert len(run_stack(rest.s3, [bucket(serverSideEncryptionConfiguration=empty)]).messages) == 1


def test_stack_exemption_by_name_skips_the_bucket() -> None:
    config = {"exemptions": [{"resource": "legacy*", "reason": "imported bucket, encrypted by S3 default"}]}
    outcome = run_stack(rest.s3, [bucket("legacy"), bucket("assets")], config=config)
    assert outcome.urns == [bucket("assets").urn]


# -- decide_each ------------------------------------------------------------------------------


def test_decide_each_reports_every_known_finding_then_raises_the_first_unknown() -> None:
    def decide(item: str) -> list[str]:
        if item.startswith("?"):
            raise UnknownValueError(UNKNOWN, [item])
        return [item] if item.startswith("bad") else []

    seen: list[str] = []
    with pytest.raises(UnknownValueError) as raised:
        for finding in decide_each(["bad-1", "?x", "ok", "bad-2", "?y"], decide):
            seen.append(finding)
    assert seen == ["bad-1", "bad-2"]
    assert raised.value.props == ["?x"]
    assert list(decide_each(["ok", "bad"], decide)) == ["bad"]


# -- DynamoDB and DAX -------------------------------------------------------------------------

TABLE_BASE = {
    "name": "items-dev",
    "billingMode": "PAY_PER_REQUEST",
    "hashKey": "pk",
    "serverSideEncryption": {"enabled": True},
}


@pytest.mark.parametrize(
    "sse",
    [{"enabled": True}, {"enabled": True, "kmsKeyArn": KEY_ARN}, {"enabled": True, "kmsKeyArn": UNKNOWN}],
)
def test_table_with_sse_enabled_passes(sse: dict[str, Any]) -> None:
    assert run_resource(rest.dynamodb, TABLE, with_(TABLE_BASE, serverSideEncryption=sse)).ok


@pytest.mark.parametrize(
    ("sse", "shown"),
    [(None, "is not set"), ({"enabled": False}, "is False"), ({"kmsKeyArn": KEY_ARN}, "is not set")],
)
def test_003_R10_table_without_sse_enabled_is_flagged(sse: Any, shown: str) -> None:
    (message,) = run_resource(rest.dynamodb, TABLE, with_(TABLE_BASE, serverSideEncryption=sse)).messages
    assert f"serverSideEncryption.enabled {shown}" in message
    assert "AWS owned key" in message


def test_a_configured_cmk_without_enabled_is_called_out() -> None:
    sse = {"enabled": False, "kmsKeyArn": KEY_ARN}
    (message,) = run_resource(rest.dynamodb, TABLE, with_(TABLE_BASE, serverSideEncryption=sse)).messages
    assert "kmsKeyArn takes effect only then" in message
    (plain,) = run_resource(rest.dynamodb, TABLE, with_(TABLE_BASE, serverSideEncryption=None)).messages
    assert "kmsKeyArn" not in plain.split("(")[0] and "takes effect" not in plain


def test_dax_cluster_is_unencrypted_unless_enabled() -> None:
    base = {"clusterName": "cache-dev", "nodeType": "dax.t3.small", "serverSideEncryption": {"enabled": True}}
    assert run_resource(rest.dynamodb, DAX, base).ok
    (message,) = run_resource(rest.dynamodb, DAX, with_(base, serverSideEncryption=None)).messages
    assert "DAX cluster stores its cache unencrypted" in message


def test_dynamodb_unknown_enabled_is_unknown_and_unrelated_unknowns_do_not_hide_a_violation() -> None:
    outcome = run_resource(rest.dynamodb, TABLE, with_(TABLE_BASE, serverSideEncryption={"enabled": UNKNOWN}))
    assert outcome.unknown and not outcome.ok
    outcome = run_resource(rest.dynamodb, TABLE, with_(TABLE_BASE, name=UNKNOWN, serverSideEncryption=None))
    assert len(outcome.messages) == 1 and not outcome.unknown


# -- Kinesis ----------------------------------------------------------------------------------

STREAM_BASE = {
    "name": "ingest-dev",
    "encryptionType": "KMS",
    "kmsKeyId": "alias/aws/kinesis",
    "retentionPeriod": 24,
}


def test_stream_with_kms_passes_even_with_an_unknown_key() -> None:
    assert run_resource(rest.kinesis, STREAM, STREAM_BASE).ok
    assert run_resource(rest.kinesis, STREAM, with_(STREAM_BASE, kmsKeyId=UNKNOWN)).ok


@pytest.mark.parametrize(("encryption", "shown"), [(None, "not set"), ("NONE", "'NONE'")])
def test_000_R19_stream_without_kms_is_flagged(encryption: Any, shown: str) -> None:
    (message,) = run_resource(rest.kinesis, STREAM, with_(STREAM_BASE, encryptionType=encryption)).messages
    assert f"encryptionType is {shown}" in message and "'KMS'" in message


def test_stream_encryption_type_unknown_in_preview() -> None:
    assert run_resource(rest.kinesis, STREAM, with_(STREAM_BASE, encryptionType=UNKNOWN)).unknown
    outcome = run_resource(rest.kinesis, STREAM, with_(STREAM_BASE, name=UNKNOWN, encryptionType="NONE"))
    assert outcome.messages and not outcome.unknown


# -- SQS --------------------------------------------------------------------------------------

QUEUE_BASE = {"name": "dlq-dev", "sqsManagedSseEnabled": True, "messageRetentionSeconds": 1209600}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"sqsManagedSseEnabled": None, "kmsMasterKeyId": KEY_ARN},
        {"sqsManagedSseEnabled": False, "kmsMasterKeyId": "alias/aws/sqs"},
        {"sqsManagedSseEnabled": None, "kmsMasterKeyId": UNKNOWN},
        # Neither set: SQS applies SSE-SQS to every new queue (default since October 2022).
        {"sqsManagedSseEnabled": None},
    ],
)
def test_queue_encrypted_by_sse_sqs_kms_or_the_default_passes(changes: dict[str, Any]) -> None:
    assert run_resource(rest.sqs, QUEUE, with_(QUEUE_BASE, **changes)).ok


def test_queue_with_sse_sqs_switched_off_and_no_key_is_flagged() -> None:
    (message,) = run_resource(rest.sqs, QUEUE, with_(QUEUE_BASE, sqsManagedSseEnabled=False)).messages
    assert "stored unencrypted" in message and "sqsManagedSseEnabled to true" in message


def test_queue_sse_flag_unknown_in_preview() -> None:
    assert run_resource(rest.sqs, QUEUE, with_(QUEUE_BASE, sqsManagedSseEnabled=UNKNOWN)).unknown


# -- SNS --------------------------------------------------------------------------------------

TOPIC_BASE = {"name": "alerts-dev", "kmsMasterKeyId": KEY_ARN}


def test_topic_with_a_key_passes_even_when_the_key_arn_is_unknown() -> None:
    assert run_resource(rest.sns, TOPIC, TOPIC_BASE).ok
    # An ARN another resource computes is unknown in preview, but it is set.
    assert run_resource(rest.sns, TOPIC, with_(TOPIC_BASE, kmsMasterKeyId=UNKNOWN)).ok


@pytest.mark.parametrize("key", [None, ""])
def test_000_R18_topic_without_key_is_flagged(key: Any) -> None:
    (message,) = run_resource(rest.sns, TOPIC, with_(TOPIC_BASE, kmsMasterKeyId=key)).messages
    assert "kmsMasterKeyId is not set" in message and "cloudwatch.amazonaws.com" in message


def alarm_on(*topics: PolicyResource, name: str = "errors") -> PolicyResource:
    return resource(
        ALARM,
        {"name": f"{name}-dev", "alarmActions": [t.name for t in topics]},
        name=name,
        deps={"alarmActions": list(topics)},
    )


@pytest.mark.parametrize("alias", ["alias/aws/sns", "arn:aws:kms:us-west-2:123456789012:alias/aws/sns"])
def test_000_R18_alarm_topic_on_the_aws_managed_key_is_flagged(alias: str) -> None:
    topic = resource(TOPIC, {"name": "alerts-dev", "kmsMasterKeyId": alias}, name="alerts")
    outcome = run_stack(rest.sns_alarm_key, [topic, alarm_on(topic)])
    assert outcome.urns == [topic.urn]
    assert "CloudWatch alarms (errors)" in outcome.messages[0]


def test_alarm_topic_on_a_stack_cmk_passes_in_preview() -> None:
    key = resource(KEY, {"enableKeyRotation": True}, name="alerts-key")
    topic = resource(TOPIC, {"name": "alerts-dev", "kmsMasterKeyId": UNKNOWN}, deps={"kmsMasterKeyId": [key]})
    assert run_stack(rest.sns_alarm_key, [key, topic, alarm_on(topic)]).ok


def test_aws_managed_key_is_fine_when_no_alarm_publishes() -> None:
    topic = resource(TOPIC, {"name": "events-dev", "kmsMasterKeyId": "alias/aws/sns"}, name="events")
    ok_actions = resource(ALARM, {"okActions": ["x"]}, deps={"okActions": [topic]})
    assert run_stack(rest.sns_alarm_key, [topic]).ok
    assert not run_stack(rest.sns_alarm_key, [topic, ok_actions]).ok


def test_alarm_key_rule_reports_known_findings_before_an_unknown_key() -> None:
    unknown = resource(TOPIC, {"name": "a-dev", "kmsMasterKeyId": UNKNOWN}, name="a")
    managed = resource(TOPIC, {"name": "b-dev", "kmsMasterKeyId": "alias/aws/sns"}, name="b")
    outcome = run_stack(rest.sns_alarm_key, [unknown, managed, alarm_on(unknown, managed)])
    assert outcome.urns == [managed.urn] and outcome.unknown


# -- RDS --------------------------------------------------------------------------------------

CLUSTER_BASE = {
    "clusterIdentifier": "catalog-dev",
    "engine": "aurora-postgresql",
    "engineMode": "provisioned",
    "storageEncrypted": True,
    "skipFinalSnapshot": True,
}


@pytest.mark.parametrize("kind", [CLUSTER, INSTANCE])
def test_encrypted_cluster_and_instance_pass(kind: str) -> None:
    assert run_resource(rest.rds, kind, CLUSTER_BASE).ok


@pytest.mark.parametrize("kind", [CLUSTER, INSTANCE])
@pytest.mark.parametrize(("encrypted", "shown"), [(None, "not set"), (False, "False")])
def test_002_R20_unencrypted_storage_is_flagged(kind: str, encrypted: Any, shown: str) -> None:
    (message,) = run_resource(rest.rds, kind, with_(CLUSTER_BASE, storageEncrypted=encrypted)).messages
    assert f"storageEncrypted is {shown}" in message and "set storageEncrypted to true" in message


def test_storage_encrypted_unknown_in_preview() -> None:
    assert run_resource(rest.rds, CLUSTER, with_(CLUSTER_BASE, storageEncrypted=UNKNOWN)).unknown
    outcome = run_resource(rest.rds, CLUSTER, with_(CLUSTER_BASE, engine=UNKNOWN, storageEncrypted=False))
    assert outcome.messages and not outcome.unknown


# -- log groups -------------------------------------------------------------------------------

LOG_BASE = {"name": "/aws/lambda/api-dev", "retentionInDays": 30, "kmsKeyId": KEY_ARN}


def test_log_group_with_cmk_passes_in_preview_too() -> None:
    assert run_resource(rest.log_groups, LOG_GROUP, LOG_BASE).ok
    assert run_resource(rest.log_groups, LOG_GROUP, with_(LOG_BASE, kmsKeyId=UNKNOWN)).ok


def test_000_R17_log_group_without_cmk_is_flagged() -> None:
    (message,) = run_resource(rest.log_groups, LOG_GROUP, with_(LOG_BASE, kmsKeyId=None)).messages
    assert "kmsKeyId is not set" in message


# -- Secrets Manager and ECR (advisory) -------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "flagged"),
    [(None, True), ("alias/aws/secretsmanager", True), (KEY_ARN, False), (UNKNOWN, False)],
)
def test_002_R49_secret_cmk_advisory(key: Any, flagged: bool) -> None:
    props = with_({"name": "db-dev", "recoveryWindowInDays": 0}, kmsKeyId=key)
    outcome = run_resource(rest.secrets_manager, SECRET, props)
    assert bool(outcome.messages) is flagged and not outcome.unknown
    assert rest.secrets_manager.enforcement_level == EnforcementLevel.ADVISORY


@pytest.mark.parametrize(
    ("configurations", "flagged"),
    [
        (None, True),
        ([{"encryptionType": "AES256"}], True),
        ([{"encryptionType": "KMS", "kmsKey": KEY_ARN}], False),
        ([{"encryptionType": "KMS_DSSE", "kmsKey": UNKNOWN}], False),
    ],
)
def test_004_R27_ecr_kms_advisory(configurations: Any, flagged: bool) -> None:
    props = with_({"name": "api-dev", "forceDelete": True}, encryptionConfigurations=configurations)
    outcome = run_resource(rest.ecr, REPOSITORY, props)
    assert bool(outcome.messages) is flagged
    assert rest.ecr.enforcement_level == EnforcementLevel.ADVISORY


# -- SSM --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("/app/db/password", "password"),
        ("/app/dbPassword", "password"),
        ("/app/DB_PASSWORDS", "password"),
        ("/app/client_secret", "secret"),
        ("/app/accessTokens", "token"),
        ("/app/githubaccesstoken", "githubaccesstoken"),
        ("/app/stripe/api-key", "key"),
        ("/app/apikey", "apikey"),
        ("/svc/credentials", "credential"),
    ],
)
def test_secret_looking_parameter_names_must_be_secure_strings(name: str, word: str) -> None:
    (message,) = run_resource(rest.ssm_secure_string, PARAMETER, {"name": name, "type": "String"}).messages
    assert f"reads like a secret ('{word}')" in message and "type to 'SecureString'" in message
    assert run_resource(rest.ssm_secure_string, PARAMETER, {"name": name, "type": "SecureString"}).ok


@pytest.mark.parametrize(
    "name", ["/app/kms-key-arn", "/app/table-name", "/app/keyboard-layout", "/app/monkey-count"]
)
def test_ordinary_parameter_names_may_be_plain_strings(name: str) -> None:
    assert run_resource(rest.ssm_secure_string, PARAMETER, {"name": name, "type": "String"}).ok


def test_parameter_description_is_read_for_secret_words_only() -> None:
    flagged = {"name": "/app/stripe", "type": "String", "description": "Stripe API token"}
    (message,) = run_resource(rest.ssm_secure_string, PARAMETER, flagged).messages
    assert message.startswith("description 'Stripe API token'")
    prose = {"name": "/app/pk", "type": "StringList", "description": "the table's partition key"}
    assert run_resource(rest.ssm_secure_string, PARAMETER, prose).ok


def test_parameter_type_unknown_in_preview_and_name_not_read_for_secure_strings() -> None:
    assert run_resource(rest.ssm_secure_string, PARAMETER, {"name": "/app/password", "type": UNKNOWN}).unknown
    assert run_resource(rest.ssm_secure_string, PARAMETER, {"name": UNKNOWN, "type": "SecureString"}).ok


# -- KMS --------------------------------------------------------------------------------------

KEY_BASE = {"description": "logs", "enableKeyRotation": True, "deletionWindowInDays": 7}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"enableKeyRotation": None, "customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"},
        {"enableKeyRotation": False, "customerMasterKeySpec": "HMAC_256", "keyUsage": "GENERATE_VERIFY_MAC"},
        {"enableKeyRotation": None, "customKeyStoreId": "cks-1234567890abcdef0"},
    ],
)
def test_rotated_or_unrotatable_keys_pass(changes: dict[str, Any]) -> None:
    assert run_resource(rest.kms_rotation, KEY, with_(KEY_BASE, **changes)).ok


@pytest.mark.parametrize(
    "changes",
    [{"enableKeyRotation": None}, {"enableKeyRotation": False, "customerMasterKeySpec": "SYMMETRIC_DEFAULT"}],
)
def test_symmetric_key_without_rotation_is_flagged(changes: dict[str, Any]) -> None:
    (message,) = run_resource(rest.kms_rotation, KEY, with_(KEY_BASE, **changes)).messages
    assert "set enableKeyRotation to true" in message


def test_key_rotation_unknown_in_preview() -> None:
    assert run_resource(rest.kms_rotation, KEY, with_(KEY_BASE, enableKeyRotation=UNKNOWN)).unknown


# -- EBS --------------------------------------------------------------------------------------


def test_ebs_volume_must_be_encrypted() -> None:
    base = {"availabilityZone": "us-west-2a", "size": 20, "encrypted": True}
    assert run_resource(rest.ebs, VOLUME, base).ok
    (message,) = run_resource(rest.ebs, VOLUME, with_(base, encrypted=None)).messages
    assert "encrypted is not set" in message
    assert run_resource(rest.ebs, VOLUME, with_(base, encrypted=UNKNOWN)).unknown


def test_launch_template_block_devices_must_be_encrypted() -> None:
    good = {"deviceName": "/dev/xvda", "ebs": {"volumeSize": 30, "encrypted": "true"}}
    bad = {"deviceName": "/dev/xvdb", "ebs": {"volumeSize": 30, "encrypted": "false"}}
    instance_store = {"deviceName": "/dev/sdc", "virtualName": "ephemeral0"}
    assert run_resource(rest.ebs, LAUNCH_TEMPLATE, {"blockDeviceMappings": [good, instance_store]}).ok
    outcome = run_resource(rest.ebs, LAUNCH_TEMPLATE, {"blockDeviceMappings": [good, bad]})
    (message,) = outcome.messages
    assert message.startswith("blockDeviceMappings[1] (/dev/xvdb): ebs.encrypted is 'false'")


# -- Lambda environment variables (advisory, CKV_AWS_173) -----------------------------------

FUNCTION = base.FUNCTION


def test_function_with_its_environment_under_a_cmk_passes() -> None:
    assert run_resource(rest.lambda_environment, FUNCTION, base.function_props("api")).ok


def test_function_environment_under_the_aws_managed_key_is_a_finding() -> None:
    props = base.function_props("api", {"kmsKeyArn": None})
    (message,) = run_resource(rest.lambda_environment, FUNCTION, props).messages
    assert "aws/lambda" in message and "set kmsKeyArn to a CMK" in message


def test_function_without_environment_variables_needs_no_key() -> None:
    props = base.function_props("edge", {"kmsKeyArn": None, "environment": None})
    assert run_resource(rest.lambda_environment, FUNCTION, props).ok


def test_key_arn_unknown_in_preview_counts_as_set() -> None:
    props = base.function_props("api", {"kmsKeyArn": UNKNOWN})
    assert run_resource(rest.lambda_environment, FUNCTION, props).ok


def test_unknown_environment_object_in_preview_is_unknown() -> None:
    props = base.function_props("api", {"kmsKeyArn": None, "environment": UNKNOWN})
    assert run_resource(rest.lambda_environment, FUNCTION, props).unknown


def test_s3_rule_cites_ckv_aws_145_and_says_it_is_relaxed() -> None:
    assert "checkov:CKV_AWS_145" in rest.s3.tags
    assert "CKV_AWS_145" in rest.s3.description and "002-R41/R44" in rest.s3.description


# -- over the wire: this family's cases in the one graph the real pack judges ---------------


def wire_cases(cat: base.Catalog) -> None:
    """This family's violators and controls in the graph the real pack judges over the wire
    (test_every_policy_over_the_wire.py): each a shared baseline with one thing changed."""
    # encryption-at-rest-s3: no BucketServerSideEncryptionConfiguration
    base.bucket(cat, "no-sse", without=["sse"], violates=["encryption-at-rest-s3"])
    # control: the deprecated inline configuration counts too
    inline = {
        "serverSideEncryptionConfiguration": {
            "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
        }
    }
    base.bucket(cat, "inline-sse", change=inline, without=["sse"])
    # encryption-at-rest-dynamodb: the AWS owned key
    base.table(
        cat,
        "owned-key",
        change={"serverSideEncryption.enabled": False},
        violates=["encryption-at-rest-dynamodb"],
    )
    # encryption-at-rest-kinesis: encryptionType NONE
    base.stream(
        cat,
        "plain-stream",
        change={"encryptionType": "NONE", "kmsKeyId": None},
        violates=["encryption-at-rest-kinesis"],
    )
    # encryption-at-rest-sqs: SSE-SQS explicitly off, no KMS key
    base.queue(
        cat, "unencrypted-queue", change={"sqsManagedSseEnabled": False}, violates=["encryption-at-rest-sqs"]
    )
    # encryption-at-rest-sns: no kmsMasterKeyId
    base.topic(cat, "plain-topic", change={"kmsMasterKeyId": None}, violates=["encryption-at-rest-sns"])
    # encryption-at-rest-sns-alarm-key: an alarm publishes to a topic under alias/aws/sns
    alarm_topic = base.topic(cat, "alarm-topic", change={"kmsMasterKeyId": "alias/aws/sns"})
    cat.expect(
        "encryption-at-rest-sns-alarm-key", alarm_topic, "receives notifications from CloudWatch alarms"
    )
    alerts = base.topic(cat, "alerts")  # control: the alarm topic under the CMK
    for logical, target in (("errors", alarm_topic), ("throttles", alerts)):
        target_arn = base.arn("sns", base.physical(target.rsplit("::", 1)[1]))
        cat.add(
            base.ALARM,
            logical,
            {
                "name": base.physical(logical),
                "namespace": "AWS/Lambda",
                "metricName": logical.capitalize(),
                "statistic": "Sum",
                "period": 60,
                "evaluationPeriods": 1,
                "threshold": 1,
                "comparisonOperator": "GreaterThanOrEqualToThreshold",
                "alarmActions": [target_arn],
                "okActions": [target_arn],
            },
            deps={"alarmActions": [target], "okActions": [target]},
        )
    # encryption-at-rest-rds: storageEncrypted false
    base.db_cluster(
        cat,
        "plain-db",
        change={"storageEncrypted": False, "kmsKeyId": None},
        violates=["encryption-at-rest-rds"],
    )
    # encryption-at-rest-log-groups: no kmsKeyId
    base.log_group(
        cat,
        "no-key-logs",
        f"/webstack/{base.physical('no-key')}",
        change={"kmsKeyId": None},
        violates=["encryption-at-rest-log-groups"],
    )
    # encryption-at-rest-secrets-manager (advisory): the AWS managed aws/secretsmanager key
    base.secret(
        cat, "default-key-secret", change={"kmsKeyId": None}, violates=["encryption-at-rest-secrets-manager"]
    )
    # encryption-at-rest-ecr (advisory): AES256
    base.repository(
        cat,
        "aes-repo",
        change={"encryptionConfigurations": [{"encryptionType": "AES256"}]},
        violates=["encryption-at-rest-ecr"],
    )
    # encryption-at-rest-ssm-secure-string: a password stored as a plain String
    cat.add(
        base.PARAMETER,
        "db-password",
        {"name": f"/webstack/{base.physical('db-password')}", "type": "String", "value": "hunter2"},
        violates=["encryption-at-rest-ssm-secure-string"],
    )
    # control: a parameter that holds no secret may be a String
    cat.add(
        base.PARAMETER,
        "api-url",
        {
            "name": f"/webstack/{base.physical('api-url')}",
            "type": "String",
            "value": "https://api.example.com",
        },
    )
    # encryption-at-rest-kms-rotation: rotation off
    base.kms_key(
        cat, "static-key", change={"enableKeyRotation": False}, violates=["encryption-at-rest-kms-rotation"]
    )
    # encryption-at-rest-ebs: an unencrypted volume and an unencrypted launch-template device
    cat.add(
        base.EBS_VOLUME,
        "scratch",
        {"availabilityZone": f"{base.REGION}a", "size": 8, "type": "gp3", "encrypted": False},
        violates=["encryption-at-rest-ebs"],
    )
    cat.add(
        base.LAUNCH_TEMPLATE,
        "bastion",
        {
            "imageId": "ami-0123456789abcdef0",
            "instanceType": "t4g.micro",
            "blockDeviceMappings": [
                {"deviceName": "/dev/xvda", "ebs": {"volumeSize": 8, "encrypted": "false"}}
            ],
        },
        violates=["encryption-at-rest-ebs"],
    )
    # encryption-at-rest-lambda-environment (advisory): variables under the aws/lambda key
    base.function(
        cat, "default-key-env", change={"kmsKeyArn": None}, violates=["encryption-at-rest-lambda-environment"]
    )
