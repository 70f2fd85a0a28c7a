"""Encryption at rest family (mandatory): every store of data is encrypted, and keys rotate.

An absent property means the AWS default, decided per service:

- S3: every bucket gets a BucketServerSideEncryptionConfiguration (AES256 or aws:kms). S3 has
  applied SSE-S3 to new objects by default since 2023-01-05; the rule makes the choice explicit
  and managed. The deprecated inline ``serverSideEncryptionConfiguration`` also counts. It is a
  computed output that S3 fills with its AES256 default once a bucket exists, so the rule bites
  where it matters: in preview of a new bucket and in the offline plan (see :func:`_inline_sse`).
  checkov CKV_AWS_145 asks for aws:kms; the rule cites it and relaxes it on purpose: AES256 is the
  designed choice where KMS cannot work (ALB access logs accept SSE-S3 only, 002-R41; OAC with a
  CMK needs a key policy naming the distribution, a cycle, 002-R44).
- DynamoDB: tables are always encrypted, with an AWS *owned* key unless
  ``serverSideEncryption.enabled`` is true (then the AWS managed ``aws/dynamodb`` key, or the CMK
  in ``kmsKeyArn``). POLICIES.md asks "SSE enabled; CMK where configured": ``enabled`` must be
  true, which is also the only way a configured ``kmsKeyArn`` takes effect. DAX clusters are
  unencrypted unless ``serverSideEncryption.enabled`` (FSBP DynamoDB.3 is the DAX control).
- Kinesis: ``encryptionType`` defaults to NONE; it must be KMS.
- SQS: a queue is encrypted with ``kmsMasterKeyId`` (SSE-KMS) or ``sqsManagedSseEnabled``
  (SSE-SQS). With neither set the queue still gets SSE-SQS: SQS encrypts every queue created
  through its HTTPS/SigV4 endpoint by default since October 2022 (AWS Compute Blog, "Announcing
  server-side encryption with Amazon SQS-managed encryption keys (SSE-SQS) by default"), and the
  provider sends nothing when the attribute is unset. Only an explicit
  ``sqsManagedSseEnabled: false`` without a key leaves messages unencrypted, and is flagged.
  (checkov CKV_AWS_27 also flags the absent case; we follow the AWS default instead.)
- SNS: unencrypted unless ``kmsMasterKeyId``. A topic that CloudWatch alarms publish to needs a
  CMK: CloudWatch cannot use the AWS managed ``aws/sns`` key (REQUIREMENTS deviation #31).
- RDS/Aurora: ``storageEncrypted`` defaults to false for DB instances and provisioned clusters.
- CloudWatch Logs always encrypts; ``kmsKeyId`` puts the log group under a CMK whose key policy
  we control (NIST CloudWatchLogGroupEncrypted, checkov CKV_AWS_158).
- KMS: symmetric keys must rotate (``enableKeyRotation`` defaults to false). Asymmetric and HMAC
  keys, and keys in a custom key store, cannot rotate automatically and are not checked.
- SSM: a parameter whose name (or description) reads like a secret must be a SecureString.
- EBS volumes and launch-template block devices: ``encrypted`` true (the account-level
  "EBS encryption by default" setting is account state the pack cannot see).
- Lambda environment variables are always encrypted at rest with the AWS managed ``aws/lambda``
  key; ``kmsKeyArn`` puts them under a CMK (checkov CKV_AWS_173). ADVISORY, like Secrets Manager
  and ECR below: nothing can turn the encryption off, the rule advises on the key.
- Secrets Manager and ECR are ADVISORY: both always encrypt (Secrets Manager with the AWS managed
  ``aws/secretsmanager`` key, ECR with AES256) and nothing can turn that off, so a mandatory rule
  would have nothing to enforce. The advisory names the CMK option (checkov CKV_AWS_149/136) for
  key-policy control and a CloudTrail record of every decrypt.

Presence checks (a key ARN is set) hold in preview: an ARN another resource computes is unknown
until the update, but that it is set is already known. Value checks raise on an unknown value, so
the SDK reports "can't run during preview" instead of passing silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from ._base import ADVISORY, MANDATORY, Anchors, as_list, of_type, referenced, resource_policy, stack_policy
from ._relations import (
    BUCKETS,
    ECR_REPOSITORY,
    QUEUE,
    decide_each,
    dependencies,
    dig,
    is_set,
    referrers,
    state_of,
)

BUCKET_SSE_CONFIGURATIONS = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
TABLE = "aws:dynamodb/table:Table"
DAX_CLUSTER = "aws:dax/cluster:Cluster"
STREAM = "aws:kinesis/stream:Stream"
TOPIC = "aws:sns/topic:Topic"
DB_CLUSTER = "aws:rds/cluster:Cluster"
DB_INSTANCE = "aws:rds/instance:Instance"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SECRET = "aws:secretsmanager/secret:Secret"
FUNCTION = "aws:lambda/function:Function"
PARAMETER = "aws:ssm/parameter:Parameter"
KMS_KEY = "aws:kms/key:Key"
EBS_VOLUME = "aws:ebs/volume:Volume"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ALARMS = ("aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm")
ALARM_ACTION_PROPS = ("alarmActions", "okActions", "insufficientDataActions")

# -- S3 ---------------------------------------------------------------------------------------


def _inline_sse(bucket: PolicyResource) -> bool:
    """Whether the bucket's own (deprecated) serverSideEncryptionConfiguration names an algorithm.

    Stack rules see outputs, and this one is computed: left unset it is unknown in preview, and
    once the bucket exists it holds the AES256 default S3 reports for every bucket. An unknown
    value is therefore read as "the program did not set it", so preview asks a new bucket for an
    explicit configuration. A program that does set it writes an object whose top level is known
    even when a key ARN inside is not.
    """
    try:
        configuration = bucket.props.get("serverSideEncryptionConfiguration")
    except UnknownValueError:
        return False
    return any(
        is_set(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        for rule in as_list(dig(configuration, "rule"))
    )


def _check_s3(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    configured = referrers(args.resources, BUCKET_SSE_CONFIGURATIONS, "bucket")

    def decide(bucket: PolicyResource) -> Iterator[tuple[str, str]]:
        if bucket.urn not in configured and not _inline_sse(bucket):
            yield (
                bucket.urn,
                "has no BucketServerSideEncryptionConfiguration. Add an "
                "aws.s3.BucketServerSideEncryptionConfiguration with bucket set to this bucket and "
                "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm 'aws:kms' (with a CMK in "
                "kmsMasterKeyId) or 'AES256'.",
            )

    return decide_each(of_type(args.resources, *BUCKETS), decide)


# -- resource rules ---------------------------------------------------------------------------


def _check_lambda_environment(args: ResourceValidationArgs) -> Iterator[str]:
    if is_set(args.props, "environment", "variables") and not is_set(args.props, "kmsKeyArn"):
        yield (
            "has environment variables encrypted with the AWS managed aws/lambda key (kmsKeyArn not "
            "set). That is encryption at rest; set kmsKeyArn to a CMK whose key policy admits the "
            "function's role for kms:Decrypt if the key policy should decide who may read them."
        )


def _check_dynamodb(args: ResourceValidationArgs) -> Iterator[str]:
    enabled = dig(args.props, "serverSideEncryption", "enabled")
    if enabled is True:
        return
    if args.resource_type == DAX_CLUSTER:
        yield (
            f"serverSideEncryption.enabled is {state_of(enabled)}, so the DAX cluster stores its cache "
            "unencrypted (and it cannot be changed after creation): set serverSideEncryption.enabled "
            "to true."
        )
        return
    ignored_key = (
        " The configured kmsKeyArn takes effect only then."
        if is_set(args.props, "serverSideEncryption", "kmsKeyArn")
        else ""
    )
    yield (
        f"serverSideEncryption.enabled is {state_of(enabled)}, so the table uses DynamoDB's AWS owned "
        "key, which no key policy or CloudTrail record of this account covers: set "
        "serverSideEncryption.enabled to true (the aws/dynamodb key, or a CMK in kmsKeyArn)." + ignored_key
    )


def _check_kinesis(args: ResourceValidationArgs) -> Iterator[str]:
    encryption = args.props.get("encryptionType")
    if encryption != "KMS":
        yield (
            f"encryptionType is {state_of(encryption)} (absent means NONE): set encryptionType to "
            "'KMS' with kmsKeyId 'alias/aws/kinesis' or a CMK."
        )


def _check_sqs(args: ResourceValidationArgs) -> Iterator[str]:
    if is_set(args.props, "kmsMasterKeyId"):
        return
    # Absent: SSE-SQS, the default for queues created since October 2022 (module docstring).
    if args.props.get("sqsManagedSseEnabled") is False:
        yield (
            "sqsManagedSseEnabled is false and no kmsMasterKeyId is set, so messages are stored "
            "unencrypted: set sqsManagedSseEnabled to true (SSE-SQS) or kmsMasterKeyId to a KMS key."
        )


def _check_sns(args: ResourceValidationArgs) -> Iterator[str]:
    if not is_set(args.props, "kmsMasterKeyId"):
        yield (
            "kmsMasterKeyId is not set, so SNS stores messages unencrypted: set kmsMasterKeyId to a "
            "CMK (if CloudWatch alarms publish to the topic, its key policy must admit "
            "cloudwatch.amazonaws.com; the AWS managed alias/aws/sns key cannot)."
        )


def _aws_managed_key(key: Any, service: str) -> bool:
    """An `aws/<service>` alias (by name or ARN): a key whose policy only AWS can change."""
    return str(key) == f"alias/aws/{service}" or str(key).endswith(f":alias/aws/{service}")


def _check_sns_alarm_key(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    publishers: dict[str, list[str]] = {}
    for alarm in of_type(args.resources, *ALARMS):
        for prop in ALARM_ACTION_PROPS:
            for urn in referenced(alarm, prop):
                publishers.setdefault(urn, []).append(alarm.name)

    def decide(topic: PolicyResource) -> Iterator[tuple[str, str]]:
        # A key created in this stack is a CMK; only a key named by alias can be AWS managed.
        if topic.urn not in publishers or dependencies(topic, "kmsMasterKeyId", KMS_KEY):
            return
        key = topic.props.get("kmsMasterKeyId")
        if key and _aws_managed_key(key, "sns"):
            alarms = ", ".join(sorted(set(publishers[topic.urn])))
            yield (
                topic.urn,
                f"receives notifications from CloudWatch alarms ({alarms}) but is encrypted with the "
                "AWS managed alias/aws/sns key, whose policy cannot admit cloudwatch.amazonaws.com, "
                "so the notifications are dropped: set kmsMasterKeyId to a CMK whose key policy lets "
                "cloudwatch.amazonaws.com use kms:Decrypt and kms:GenerateDataKey*.",
            )

    return decide_each(of_type(args.resources, TOPIC), decide)


def _check_rds(args: ResourceValidationArgs) -> Iterator[str]:
    encrypted = args.props.get("storageEncrypted")
    if encrypted is not True:
        yield (
            f"storageEncrypted is {state_of(encrypted)} (absent means false for DB instances and "
            "provisioned Aurora clusters): set storageEncrypted to true (kmsKeyId for a CMK). It "
            "cannot be turned on later without restoring from a snapshot."
        )


def _check_log_group(args: ResourceValidationArgs) -> Iterator[str]:
    if not is_set(args.props, "kmsKeyId"):
        yield (
            "kmsKeyId is not set, so CloudWatch Logs encrypts with a key no policy of this account "
            "controls: set kmsKeyId to a CMK ARN whose key policy admits logs.<region>.amazonaws.com "
            "for this log group."
        )


def _check_secret(args: ResourceValidationArgs) -> Iterator[str]:
    try:
        key = args.props.get("kmsKeyId")
    except UnknownValueError:
        return  # computed by a key this program creates or looks up: the AWS managed alias is a literal
    if not key or _aws_managed_key(key, "secretsmanager"):
        yield (
            "is encrypted with the AWS managed aws/secretsmanager key (kmsKeyId not set or that "
            "alias). That is encryption at rest; set kmsKeyId to a CMK if the key policy should "
            "decide who may decrypt it."
        )


def _check_ecr(args: ResourceValidationArgs) -> Iterator[str]:
    types = [dig(c, "encryptionType") for c in as_list(args.props.get("encryptionConfigurations"))]
    if not any(t in ("KMS", "KMS_DSSE") for t in types):
        yield (
            "is encrypted with AES256 (encryptionConfigurations not set or AES256). That is "
            "encryption at rest; set encryptionConfigurations[0].encryptionType to 'KMS' (kmsKey a "
            "CMK) if a key policy should decide who may pull. It cannot change after creation."
        )


# Words (after splitting on punctuation and camelCase; a plural "s" ignored) that mark a secret.
SECRET_WORDS = frozenset({"password", "passwd", "secret", "token", "credential", "apikey", "privatekey"})
SECRET_SUFFIXES = ("password", "secret", "token")  # dbpassword, clientsecret, accesstoken


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return [word.removesuffix("s") for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word]


def secret_word(text: str, *, name: bool) -> str | None:
    """The word that makes ``text`` read like a secret, or None.

    A name matches a secret word, a word ending in password/secret/token, or a last word "key"
    (`/app/api-key`, not `/app/kms-key-arn`). A description, being prose ("the partition key"),
    matches only the secret words and suffixes.
    """
    words = _words(text)
    for word in words:
        if word in SECRET_WORDS or word.endswith(SECRET_SUFFIXES):
            return word
    if name and words and words[-1] == "key":
        return "key"
    return None


def _check_parameter(args: ResourceValidationArgs) -> Iterator[str]:
    parameter_type = args.props.get("type")
    if parameter_type == "SecureString":
        return
    for prop, is_name in (("name", True), ("description", False)):
        text = args.props.get(prop)
        word = secret_word(str(text), name=is_name) if text else None
        if word:
            yield (
                f"{prop} {text!r} reads like a secret ('{word}') but type is {state_of(parameter_type)}: "
                "set type to 'SecureString' (KMS-encrypted; keyId for a CMK), or rename it if it holds "
                "no secret."
            )
            return


def _check_key_rotation(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("enableKeyRotation") is True:
        return
    spec = args.props.get("customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    if spec != "SYMMETRIC_DEFAULT" or is_set(args.props, "customKeyStoreId"):
        return  # KMS rotates only symmetric keys with KMS-generated material, outside custom key stores
    yield (
        f"enableKeyRotation is {state_of(args.props.get('enableKeyRotation'))} (absent means false): "
        "set enableKeyRotation to true so KMS rotates the key material every year "
        "(rotationPeriodInDays to change the period)."
    )


def _check_ebs(args: ResourceValidationArgs) -> Iterator[str]:
    if args.resource_type == EBS_VOLUME:
        encrypted = args.props.get("encrypted")
        if encrypted is not True:
            yield f"encrypted is {state_of(encrypted)}: set encrypted to true (kmsKeyId for a CMK)."
        return
    for index, mapping in enumerate(as_list(args.props.get("blockDeviceMappings"))):
        ebs = dig(mapping, "ebs")
        if not isinstance(ebs, Mapping):
            continue  # an instance-store or suppressed device: no EBS volume
        encrypted = dig(ebs, "encrypted")
        if str(encrypted).lower() != "true":  # the provider types this one as a string
            yield (
                f"blockDeviceMappings[{index}] ({dig(mapping, 'deviceName')}): ebs.encrypted is "
                f"{state_of(encrypted)}: set ebs.encrypted to 'true' (kmsKeyId for a CMK)."
            )


# -- policies ---------------------------------------------------------------------------------

s3 = stack_policy(
    "encryption-at-rest-s3",
    "Every S3 bucket has a BucketServerSideEncryptionConfiguration (AES256 or aws:kms; checkov "
    "CKV_AWS_145's KMS-only rule is relaxed where KMS cannot work, 002-R41/R44).",
    _check_s3,
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket (sseAlgorithm "
    "aws:kms with a CMK, or AES256 where a service needs it, e.g. ALB logs).",
    anchors=Anchors(
        cdk_nag=("NIST.800.53.R5-S3BucketServerSideEncryptionEnabled",),
        checkov=("CKV_AWS_19", "CKV_AWS_145"),
        fsbp=("S3.4",),
        note="relaxed: CKV_AWS_145 asks for aws:kms; AES256 passes where KMS cannot work (002-R41/R44)",
    ),
)

dynamodb = resource_policy(
    "encryption-at-rest-dynamodb",
    "DynamoDB tables and DAX clusters set serverSideEncryption.enabled to true.",
    _check_dynamodb,
    types=[TABLE, DAX_CLUSTER],
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Set serverSideEncryption.enabled to true (and kmsKeyArn for a CMK).",
    anchors=Anchors(checkov=("CKV_AWS_119", "CKV_AWS_47"), fsbp=("DynamoDB.3",)),
)

kinesis = resource_policy(
    "encryption-at-rest-kinesis",
    "Kinesis data streams use server-side encryption with KMS (encryptionType KMS).",
    _check_kinesis,
    types=[STREAM],
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Set encryptionType to KMS and kmsKeyId to alias/aws/kinesis or a CMK.",
    anchors=Anchors(cdk_nag=("AwsSolutions-KDS1",), checkov=("CKV_AWS_43",), fsbp=("Kinesis.1",)),
)

sqs = resource_policy(
    "encryption-at-rest-sqs",
    "SQS queues are encrypted with SSE-SQS or SSE-KMS (only an explicit sqsManagedSseEnabled false "
    "without a KMS key is unencrypted).",
    _check_sqs,
    types=[QUEUE],
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Set sqsManagedSseEnabled to true, or kmsMasterKeyId to a KMS key.",
    anchors=Anchors(cdk_nag=("AwsSolutions-SQS2",), checkov=("CKV_AWS_27",), fsbp=("SQS.1",)),
)

sns = resource_policy(
    "encryption-at-rest-sns",
    "SNS topics are encrypted with a KMS key (kmsMasterKeyId).",
    _check_sns,
    types=[TOPIC],
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Set kmsMasterKeyId to a CMK (one that admits every AWS service publishing to the topic).",
    anchors=Anchors(
        cdk_nag=("AwsSolutions-SNS2", "NIST.800.53.R5-SNSEncryptedKMS"),
        checkov=("CKV_AWS_26",),
        fsbp=("SNS.1",),
    ),
)

sns_alarm_key = stack_policy(
    "encryption-at-rest-sns-alarm-key",
    "A topic that CloudWatch alarms notify is not encrypted with the AWS managed alias/aws/sns key, "
    "which CloudWatch cannot use.",
    _check_sns_alarm_key,
    level=MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Encrypt the alarm topic with a CMK whose key policy admits cloudwatch.amazonaws.com.",
    anchors=Anchors(note="REQUIREMENTS deviation #31 (000-R18): CloudWatch cannot publish with aws/sns"),
)

rds = resource_policy(
    "encryption-at-rest-rds",
    "RDS DB instances and Aurora clusters set storageEncrypted to true.",
    _check_rds,
    types=[DB_CLUSTER, DB_INSTANCE],
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Set storageEncrypted to true (kmsKeyId for a CMK) when creating the cluster or instance.",
    anchors=Anchors(
        cdk_nag=("AwsSolutions-RDS2",), checkov=("CKV_AWS_96", "CKV_AWS_16"), fsbp=("RDS.3", "RDS.27")
    ),
)

log_groups = resource_policy(
    "encryption-at-rest-log-groups",
    "CloudWatch log groups are encrypted with a CMK (kmsKeyId).",
    _check_log_group,
    types=[LOG_GROUP],
    level=MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set kmsKeyId to a CMK whose key policy admits logs.<region>.amazonaws.com.",
    anchors=Anchors(cdk_nag=("NIST.800.53.R5-CloudWatchLogGroupEncrypted",), checkov=("CKV_AWS_158",)),
)

secrets_manager = resource_policy(
    "encryption-at-rest-secrets-manager",
    "Secrets Manager secrets use a CMK (advisory: secrets are always encrypted, with aws/secretsmanager "
    "by default).",
    _check_secret,
    types=[SECRET],
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Set kmsKeyId to a CMK if its key policy should decide who may decrypt the secret.",
    anchors=Anchors(cdk_nag=("NIST.800.53.R5-SecretsManagerUsingKMSKey",), checkov=("CKV_AWS_149",)),
)

lambda_environment = resource_policy(
    "encryption-at-rest-lambda-environment",
    "Lambda functions with environment variables encrypt them with a CMK (kmsKeyArn; advisory: "
    "Lambda always encrypts them, with aws/lambda by default).",
    _check_lambda_environment,
    types=[FUNCTION],
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Set kmsKeyArn to a CMK whose key policy lets the function's role use kms:Decrypt.",
    anchors=Anchors(checkov=("CKV_AWS_173",)),
)

ecr = resource_policy(
    "encryption-at-rest-ecr",
    "ECR repositories use KMS encryption (advisory: repositories are always encrypted, AES256 by default).",
    _check_ecr,
    types=[ECR_REPOSITORY],
    level=ADVISORY,
    severity=Severity.LOW,
    remediation="Set encryptionConfigurations[0].encryptionType to KMS (kmsKey a CMK) at creation.",
    anchors=Anchors(checkov=("CKV_AWS_136",)),
)

ssm_secure_string = resource_policy(
    "encryption-at-rest-ssm-secure-string",
    "SSM parameters whose name or description reads like a secret (password, secret, token, "
    "credential, api key...) are SecureString.",
    _check_parameter,
    types=[PARAMETER],
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Set type to SecureString (keyId for a CMK), or rename a parameter that holds no secret.",
    anchors=Anchors(note="webstack: POLICIES.md 'SSM SecureString for secrets' (no tool has this rule)"),
)

kms_rotation = resource_policy(
    "encryption-at-rest-kms-rotation",
    "Symmetric KMS keys have automatic key rotation enabled (enableKeyRotation).",
    _check_key_rotation,
    types=[KMS_KEY],
    level=MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set enableKeyRotation to true.",
    anchors=Anchors(cdk_nag=("AwsSolutions-KMS5",), checkov=("CKV_AWS_7",), fsbp=("KMS.4",)),
)

ebs = resource_policy(
    "encryption-at-rest-ebs",
    "EBS volumes and launch-template EBS block devices are encrypted.",
    _check_ebs,
    types=[EBS_VOLUME, LAUNCH_TEMPLATE],
    level=MANDATORY,
    severity=Severity.HIGH,
    remediation="Set encrypted to true on the volume (ebs.encrypted 'true' on each block device mapping).",
    anchors=Anchors(cdk_nag=("AwsSolutions-EC26",), checkov=("CKV_AWS_3",), fsbp=("EC2.3",)),
)

POLICIES = [
    s3,
    dynamodb,
    kinesis,
    sqs,
    sns,
    sns_alarm_key,
    rds,
    log_groups,
    lambda_environment,
    secrets_manager,
    ecr,
    ssm_secure_string,
    kms_rotation,
    ebs,
]
