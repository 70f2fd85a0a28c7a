"""plan.capture: the graph a program registers, in the engine's wire form, with its options."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from plan.capture import Graph, ProgramError, capture, duration_seconds
from plan.project import UsageError, load_stack
from unit.conftest import capture_fn
from unit.plan.projects import VIOLATIONS_PROGRAM, write_project

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


class Box(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("test:box:Box", name, None, None)
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            name=f"{name}-queue-dev",
            sqs_managed_sse_enabled=True,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=True,
                ignore_changes=["tags"],
                custom_timeouts=pulumi.CustomTimeouts(delete="90m"),
                delete_before_replace=True,
            ),
        )
        self.register_outputs({})


def boxed() -> None:
    box = Box("box")
    aws.sns.Topic("alerts", name="alerts-dev", kms_master_key_id=box.queue.arn)
    pulumi.export("queueUrl", box.queue.url)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return capture_fn(boxed)


def test_urns_are_engine_shaped(graph: Graph) -> None:
    queue = graph.one("aws:sqs/queue:Queue")
    assert queue.urn == "urn:pulumi:unit::test::test:box:Box$aws:sqs/queue:Queue::box-queue"
    # Top-level resources carry no Stack prefix in their type chain.
    assert graph.one("test:box:Box").urn == "urn:pulumi:unit::test::test:box:Box::box"
    assert queue.parent == graph.one("test:box:Box").urn
    assert graph.one("test:box:Box").parent == ""


def test_inputs_are_the_wire_form_with_camel_case_names(graph: Graph) -> None:
    assert graph.one("aws:sqs/queue:Queue").inputs == {"name": "box-queue-dev", "sqsManagedSseEnabled": True}


def test_options_are_captured(graph: Graph) -> None:
    options = graph.one("aws:sqs/queue:Queue").options
    assert options["protect"] is True
    assert options["ignoreChanges"] == ["tags"]
    assert options["customTimeouts"] == {"delete": "90m"}
    assert options["deleteBeforeReplace"] is True
    assert options["retainOnDelete"] is False


def test_dependencies_and_property_dependencies(graph: Graph) -> None:
    queue, topic = graph.one("aws:sqs/queue:Queue"), graph.one("aws:sns/topic:Topic")
    assert topic.options["dependencies"] == [queue.urn]
    assert topic.options["propertyDependencies"]["kmsMasterKeyId"] == [queue.urn]


def test_default_provider_is_synthesized_as_the_engine_would(graph: Graph) -> None:
    (provider,) = graph.by_type("pulumi:providers:aws")
    assert provider.name.startswith("default_7_")
    assert provider.inputs["region"] == "us-west-2"
    assert graph.one("aws:sqs/queue:Queue").provider.startswith(provider.urn + "::")


def test_mocked_outputs_look_like_aws(graph: Graph) -> None:
    queue = graph.one("aws:sqs/queue:Queue").outputs
    assert queue["arn"] == "arn:aws:sqs:us-west-2:123456789012:box-queue-dev"
    assert queue["url"] == "https://sqs.us-west-2.amazonaws.com/123456789012/box-queue-dev"
    assert graph.stack_outputs == {"queueUrl": queue["url"]}
    topic = graph.one("aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"] == queue["arn"]


def test_preview_leaves_computed_values_unknown() -> None:
    graph = capture_fn(boxed, preview=True)
    assert graph.preview is True
    assert graph.one("aws:sns/topic:Topic").inputs["kmsMasterKeyId"] == UNKNOWN
    assert graph.one("aws:sqs/queue:Queue").inputs["name"] == "box-queue-dev"
    assert graph.stack_outputs["queueUrl"] == UNKNOWN


def test_retain_on_delete_is_captured_from_a_project_dir(tmp_path: Path) -> None:
    spec = load_stack(write_project(tmp_path, VIOLATIONS_PROGRAM), "dev")
    graph = capture(spec)
    assert graph.one("aws:s3/bucket:Bucket").options["retainOnDelete"] is True
    assert graph.project == "throwaway" and graph.stack == "dev"


def test_repeated_captures_are_identical(tmp_path: Path) -> None:
    spec = load_stack(write_project(tmp_path, VIOLATIONS_PROGRAM), "dev")
    first, second = capture(spec), capture(spec)
    assert [r.to_json() for r in first.resources] == [r.to_json() for r in second.resources]


def test_a_program_that_raises_is_a_program_error(tmp_path: Path) -> None:
    spec = load_stack(write_project(tmp_path, "import pulumi\nraise KeyError('boom')\n"), "dev")
    with pytest.raises(ProgramError, match="KeyError: 'boom'") as caught:
        capture(spec)
    assert "prog/__main__.py" in caught.value.detail


def test_unmocked_invokes_are_reported_not_hidden() -> None:
    def program() -> None:
        aws.ec2.get_vpc(default=True)

    graph = capture_fn(program)
    assert any("aws:ec2/getVpc:getVpc" in warning for warning in graph.warnings)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "no Pulumi.yaml"),
        ({"Pulumi.yaml": "name: x\nruntime: nodejs\n"}, "runtime 'nodejs' is not supported"),
        ({"Pulumi.yaml": "name: x\nruntime: python\nmain: nowhere/\n"}, "has no __main__.py"),
        ({"Pulumi.yaml": "name: x\nruntime: python\n", "__main__.py": ""}, "no Pulumi.dev.yaml"),
        ({"Pulumi.yaml": "name: [x\n"}, "not valid YAML"),
    ],
)
def test_unusable_projects_are_usage_errors(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(UsageError, match=message):
        load_stack(tmp_path, "dev")


def test_encrypted_config_becomes_a_placeholder_secret_with_a_warning(tmp_path: Path) -> None:
    write_project(tmp_path, "", stack_config="throwaway:dbPassword:\n  secure: v1:abc\nplain: 3")
    spec = load_stack(tmp_path, "dev")
    assert spec.secret_keys == {"throwaway:dbPassword"}
    assert spec.config["throwaway:plain"] == "3"
    assert any("throwaway:dbPassword" in w for w in spec.warnings)


@pytest.mark.parametrize(("text", "seconds"), [("90m", 5400), ("1h30m", 5400), ("45s", 45), ("1.5h", 5400)])
def test_custom_timeouts_parse_as_go_durations(text: str, seconds: float) -> None:
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["90", "\u0669m", "5\uff10s", "m", "1.2.3s"])
def test_bad_durations_are_rejected(text: str) -> None:
    """Go's time.ParseDuration takes ASCII digits only (Arabic-Indic nine, fullwidth zero are not)."""
    with pytest.raises(ValueError):
        duration_seconds(text)
