"""iam_docs.assume_role_policy: the confused-deputy guard, and the one documented way to go without it."""

from __future__ import annotations

import pytest

from program import iam_docs


def test_a_service_trusts_on_behalf_of_this_account_and_source_only() -> None:
    document = iam_docs.assume_role_policy("lambda.amazonaws.com", "123456789012", "arn:aws:lambda:*")
    assert document["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "123456789012"},
                "ArnLike": {"aws:SourceArn": "arn:aws:lambda:*"},
            },
        }
    ]


def test_no_account_means_no_condition_and_a_source_arn_alone_is_refused() -> None:
    document = iam_docs.assume_role_policy("ecs.amazonaws.com", None)
    assert document["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    with pytest.raises(
        ValueError, match=r"ecs\.amazonaws\.com: a source_arn condition needs the account guard"
    ):
        iam_docs.assume_role_policy("ecs.amazonaws.com", None, "arn:aws:ecs:*")
