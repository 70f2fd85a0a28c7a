"""ARNs built from names webstack chooses, so policy documents are known before deploy.

A document that embeds `resource.arn` is unknown in `pulumi preview` until the resource exists,
and CrossGuard then cannot run the IAM and TLS rules on it (they fall back to an advisory "can't
run during preview"). Every name here is a physical name from program/naming.py, so the ARN is
the one AWS will assign (documented formats; partition `aws`).
"""

from __future__ import annotations


def s3_bucket(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def sqs_queue(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:sqs:{region}:{account_id}:{name}"


def log_group(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{name}"


def dynamodb_table(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:dynamodb:{region}:{account_id}:table/{name}"


def kinesis_stream(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:kinesis:{region}:{account_id}:stream/{name}"


def sns_topic(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{account_id}:{name}"


def alarm(region: str, account_id: str, name: str) -> str:
    """A CloudWatch alarm (``name`` may be a pattern such as ``*-dev``)."""
    return f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}"


def lambda_function(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:function:{name}"


def ec2(region: str, account_id: str, kind: str, id_: str) -> str:
    """An EC2 resource: ``kind`` is network-interface, security-group, subnet, vpc-flow-log..."""
    return f"arn:aws:ec2:{region}:{account_id}:{kind}/{id_}"


def iam_root(account_id: str) -> str:
    """The account itself as a principal."""
    return f"arn:aws:iam::{account_id}:root"
