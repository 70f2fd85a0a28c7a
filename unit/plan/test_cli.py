"""`python -m plan`: the report, the JSON and Mermaid files, and the exit codes 0/1/2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from unit.conftest import REPO_ROOT
from unit.plan.projects import VIOLATIONS_PROGRAM, write_pack, write_project


def plan(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plan", *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def serverless_json(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = tmp_path_factory.mktemp("plan")
    result = plan("serverless-dev", "--json", out / "plan.json", "--mermaid", out / "plan.mmd")
    return result, {
        "json": json.loads((out / "plan.json").read_text()),
        "mermaid": (out / "plan.mmd").read_text(),
    }


def test_serverless_dev_passes_and_says_it_is_offline(serverless_json: tuple) -> None:
    result, _ = serverless_json
    assert result.returncode == 0, result.stderr
    assert "offline plan (no Pulumi engine)" in result.stdout
    assert "0 mandatory" in result.stdout


def test_json_report_has_the_documented_shape(serverless_json: tuple) -> None:
    _, files = serverless_json
    report = files["json"]
    assert {"project", "stack", "preview", "resources", "diagnostics", "summary"} <= set(report)
    assert (report["project"], report["stack"], report["preview"]) == ("webstack", "serverless-dev", False)
    advisory = [d for d in report["diagnostics"] if d["enforcementLevel"] == "advisory"]
    assert report["summary"] == {
        "resources": len(report["resources"]),
        "mandatory": 0,
        "advisory": len(advisory),
    }
    for resource in report["resources"]:
        assert {"urn", "type", "name", "custom", "parent", "provider", "inputs", "outputs", "options"} <= set(
            resource
        )
        assert resource["urn"].startswith("urn:pulumi:serverless-dev::webstack::")
        assert not resource["urn"].split("::")[2].startswith("pulumi:pulumi:Stack")
        assert {"protect", "retainOnDelete", "ignoreChanges", "customTimeouts", "dependencies"} <= set(
            resource["options"]
        )
    vpc = next(r for r in report["resources"] if r["type"] == "aws:ec2/vpc:Vpc")
    assert vpc["inputs"]["enableDnsHostnames"] is True  # camelCase, as the engine names it


def test_mermaid_diagram_draws_components_and_dependencies(serverless_json: tuple) -> None:
    _, files = serverless_json
    diagram = files["mermaid"]
    assert diagram.startswith("flowchart LR\n")
    assert 'subgraph nwebstack_3a_network_3a_Network_3a__3a_network["network"]' in diagram
    assert "-->" in diagram


def test_throwaway_project_with_violations_exits_1(tmp_path: Path) -> None:
    project = write_project(tmp_path, VIOLATIONS_PROGRAM)
    result = plan(
        "dev",
        "--project-dir",
        project,
        "--policy-pack",
        REPO_ROOT / "policy_pack",
        "--json",
        tmp_path / "r.json",
    )
    assert result.returncode == 1, result.stderr
    diagnostics = json.loads((tmp_path / "r.json").read_text())["diagnostics"]
    mandatory = {d["policyName"] for d in diagnostics if d["enforcementLevel"] == "mandatory"}
    assert {"iam-no-wildcard-actions", "no-retain-on-delete"} <= mandatory
    assert "would be blocked" in result.stdout


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ")
    return lines[0]


def test_a_stack_with_its_own_policy_config_is_judged_by_it(tmp_path: Path) -> None:
    """002-R47 and the pack: catalog-dev's Pulumi.catalog-dev.policy.json (plain-HTTP ALB without a
    certificate, exemptions with reasons) applies without --policy-config; an explicit one wins."""
    result = plan("catalog-dev", "--no-tree", "--json", tmp_path / "report.json")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["mandatory"] == 0 and report["exemptions"]
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    assert plan("catalog-dev", "--no-tree", "--policy-config", empty).returncode == 1


def test_an_unknown_blueprint_exits_2_with_one_line(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(f"name: webstack\nruntime: python\nmain: {REPO_ROOT / 'program'}/\n")
    (project / "Pulumi.x.yaml").write_text(
        "config:\n  webstack:blueprint: media-platfrom\n  webstack:environmentSuffix: dev\n"
    )
    result = plan("x", "--project-dir", project)
    line = one_error_line(result)
    assert "webstack:blueprint" in line and "media-platfrom" in line
    assert "Traceback" not in result.stderr


def test_bad_stack_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(f"name: webstack\nruntime: python\nmain: {REPO_ROOT / 'program'}\n")
    (tmp_path / "Pulumi.bad.yaml").write_text(
        "config:\n  webstack:blueprint: serverless-app\n  webstack:environmentSuffix: Prod_1\n"
    )
    line = one_error_line(plan("bad", "--project-dir", tmp_path))
    assert line.startswith("error: webstack:environmentSuffix: 'Prod_1' is not allowed")


def test_a_program_that_raises_exits_2_with_its_location(tmp_path: Path) -> None:
    project = write_project(tmp_path, "import pulumi\n\n\nraise ValueError('no such thing')\n")
    result = plan("dev", "--project-dir", project, "--no-policy")
    line = one_error_line(result)
    assert line == "error: the program raised ValueError: no such thing (at prog/__main__.py:4)"


def test_a_broken_pack_exits_2(tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", VIOLATIONS_PROGRAM)
    pack = write_pack(tmp_path / "pack", "import no_such_module\n")
    line = one_error_line(plan("dev", "--project-dir", project, "--policy-pack", pack))
    assert "ModuleNotFoundError" in line and "before serving" in line


def test_unknown_stack_and_bad_arguments_exit_2(tmp_path: Path) -> None:
    assert "no Pulumi.nope.yaml" in one_error_line(plan("nope"))
    assert plan("serverless-dev", "--frobnicate").returncode == 2


def test_an_unwritable_report_path_exits_2(tmp_path: Path) -> None:
    line = one_error_line(plan("serverless-dev", "--no-tree", "--json", tmp_path / "missing" / "r.json"))
    assert "cannot write the report" in line


def test_bracketed_text_is_printed_as_is(tmp_path: Path) -> None:
    from io import StringIO

    from rich.console import Console

    from plan import report
    from plan.capture import Graph
    from plan.gate import Diagnostic, Exemption, Verdict

    verdict = Verdict(
        "pack",
        [],
        [Diagnostic("p", "pack", "advisory", "urn:x", "description\nallows [s3:*] on [/] here")],
        [Exemption("p", "urn:y", "legacy role [/] OPS-12")],
    )
    out = StringIO()
    report.render(Graph("proj", "dev", False), verdict, Console(file=out, width=200), show_tree=False)
    assert "allows [s3:*] on [/] here" in out.getvalue()
    assert "legacy role [/] OPS-12" in out.getvalue()
