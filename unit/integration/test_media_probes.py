"""Media probe self-tests (seed 004): the real probes against a stand-in stack, healthy and broken.

Each probe has a healthy case and at least one broken case: a probe weakened to always pass fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from integration import media_probes as probes
from integration.probes import ProbeError
from unit.integration.media_stand_in import MediaStandIn

BUDGET_S = 3.0


@pytest.fixture(scope="module")
def stand_in(moto_url: str) -> Iterator[MediaStandIn]:
    yield MediaStandIn(moto_url)


@pytest.fixture(scope="module")
def urls(stand_in: MediaStandIn) -> Iterator[dict[str, str]]:
    with stand_in.running() as endpoints:
        yield endpoints


@pytest.fixture
def session(stand_in: MediaStandIn) -> Iterator[requests.Session]:
    stand_in.reset()
    http = requests.Session()
    http.trust_env = False  # no proxy from the environment: 127.0.0.1 only
    yield http
    http.close()
    stand_in.reset()


def test_004_R20_frontend_through_cdn(
    stand_in: MediaStandIn, urls: dict[str, str], session: requests.Session
) -> None:
    probes.frontend_through_cdn(session, urls["cloudfrontUrl"] + "/", BUDGET_S)
    stand_in.behaviour.frontend_up = False
    with pytest.raises(ProbeError, match="502"):
        probes.frontend_through_cdn(session, urls["cloudfrontUrl"] + "/", BUDGET_S)


def test_004_R21_titles_through_cdn_uncached(
    stand_in: MediaStandIn, urls: dict[str, str], session: requests.Session
) -> None:
    probes.titles_through_cdn(session, urls["cloudfrontUrl"], BUDGET_S)
    stand_in.behaviour.api_cached = True
    with pytest.raises(ProbeError, match="cache"):
        probes.titles_through_cdn(session, urls["cloudfrontUrl"], BUDGET_S)


def test_004_R16_R19_titles_through_api_need_the_key(
    stand_in: MediaStandIn, urls: dict[str, str], session: requests.Session
) -> None:
    stand_in.behaviour.waf_limit = None
    probes.titles_through_api(session, urls["apiEndpoint"], urls["apiKeyValue"], BUDGET_S)
    with pytest.raises(ProbeError, match="403"):
        probes.titles_through_api(session, urls["apiEndpoint"], "wrong-key", BUDGET_S)
    stand_in.behaviour.key_required = False
    with pytest.raises(ProbeError, match="without a key -> 200"):
        probes.titles_through_api(session, urls["apiEndpoint"], urls["apiKeyValue"], BUDGET_S)


def test_004_R18_preflight_without_key(
    stand_in: MediaStandIn, urls: dict[str, str], session: requests.Session
) -> None:
    origin = "https://d111.cloudfront.net"
    probes.preflight_without_key(session, urls["apiEndpoint"], origin)
    stand_in.behaviour.preflight_cors = False
    with pytest.raises(ProbeError, match="403"):
        probes.preflight_without_key(session, urls["apiEndpoint"], origin)


def test_004_R17_the_waf_answers_a_marked_429_past_the_budget(
    stand_in: MediaStandIn, urls: dict[str, str], session: requests.Session
) -> None:
    stand_in.behaviour.usage_plan_every = 7
    sent = probes.waf_limits_per_ip(
        session, urls["apiEndpoint"], urls["apiKeyValue"], limit=30, max_requests=60
    )
    assert sent == 31  # the first request past the budget; the unmarked usage-plan 429s passed over
    stand_in.reset()
    stand_in.behaviour.usage_plan_every = 7
    stand_in.behaviour.waf_marks_429 = False  # only the usage plan throttles: not the per-IP limit
    with pytest.raises(ProbeError, match="no 429 from the WAF"):
        probes.waf_limits_per_ip(session, urls["apiEndpoint"], urls["apiKeyValue"], limit=30, max_requests=60)
    stand_in.reset()
    stand_in.behaviour.waf_limit = 10  # blocks inside the budget: too strict
    with pytest.raises(ProbeError, match="within the budget"):
        probes.waf_limits_per_ip(session, urls["apiEndpoint"], urls["apiKeyValue"], limit=30, max_requests=60)


def _running(
    monkeypatch: pytest.MonkeyPatch, stand_in: MediaStandIn, count: int, live: str = "blue"
) -> dict[str, Any]:
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", str(count))  # moto's reported task count
    return stand_in.seed(running=count, live=live)


class RolledOut:
    """The moto ECS client, with each primary deployment's rolloutState replaced: moto reports
    COMPLETED whenever enough tasks run, and has no failed (rolled-back) deployment."""

    def __init__(self, ecs: Any, state: str) -> None:
        self.ecs, self.state = ecs, state

    def describe_services(self, **kwargs: Any) -> dict[str, Any]:
        found = self.ecs.describe_services(**kwargs)
        for service in found["services"]:
            for deployment in service["deployments"]:
                if deployment["status"] == "PRIMARY":
                    deployment["rolloutState"] = self.state
        return dict(found)


def test_004_R25_services_at_desired_count_and_healthy(
    stand_in: MediaStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    healthy = _running(monkeypatch, stand_in, 2)
    probes.services_at_desired_count(
        stand_in.client("ecs"), stand_in.client("elbv2"), healthy["clusterName"], healthy["serviceNames"], 2
    )
    short = _running(monkeypatch, stand_in, 1)
    with pytest.raises(ProbeError, match=r"1 running \(want 2\)"):
        probes.services_at_desired_count(
            stand_in.client("ecs"), stand_in.client("elbv2"), short["clusterName"], short["serviceNames"], 2
        )
    with pytest.raises(ProbeError, match=r"MISSING|missing"):
        probes.services_at_desired_count(
            stand_in.client("ecs"), stand_in.client("elbv2"), healthy["clusterName"], ["media-nope-dev"], 2
        )


def test_004_R7_services_are_healthy_in_whichever_group_blue_green_made_live(
    stand_in: MediaStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a blue/green deployment the tasks sit in the alternate (green) group while the service
    still names blue as its targetGroupArn: healthy, not a failure."""
    green = _running(monkeypatch, stand_in, 2, live="green")
    ecs, elbv2 = stand_in.client("ecs"), stand_in.client("elbv2")
    cluster, services, deployed = green["clusterName"], green["serviceNames"], green["taskDefinitionArns"]
    probes.services_at_desired_count(ecs, elbv2, cluster, services, 2, deployed)
    # The stack deployed a newer revision, but the service runs the old one: the circuit breaker rolled back.
    newer = [arn.rsplit(":", 1)[0] + ":99" for arn in deployed]
    with pytest.raises(
        ProbeError, match=r"media-backend-dev: runs .*media-backend:\d+, the stack deployed .*:99"
    ):
        probes.services_at_desired_count(ecs, elbv2, cluster, services, 2, newer)
    for state, message in (
        ("FAILED", r"primary deployment rollout is FAILED \(want COMPLETED\)"),
        ("IN_PROGRESS", r"rollout is IN_PROGRESS"),
    ):
        with pytest.raises(ProbeError, match=message):
            probes.services_at_desired_count(RolledOut(ecs, state), elbv2, cluster, services, 2)


def test_004_R27_images_scanned(stand_in: MediaStandIn) -> None:
    probes.images_scanned(stand_in.client("ecr"), stand_in.seed_images(scanned=True))
    with pytest.raises(ProbeError, match="never scanned"):
        probes.images_scanned(stand_in.client("ecr"), stand_in.seed_images(scanned=False))
    with pytest.raises(ProbeError, match="MUTABLE"):
        probes.images_scanned(stand_in.client("ecr"), stand_in.seed_images(scanned=True, immutable=False))


def test_004_R14_secret_rotation_scheduled(stand_in: MediaStandIn) -> None:
    secrets = stand_in.client("secretsmanager")
    probes.secret_rotation_scheduled(secrets, stand_in.seed_secret(7))
    with pytest.raises(ProbeError, match="want every 7 days"):
        probes.secret_rotation_scheduled(secrets, stand_in.seed_secret(30))
    with pytest.raises(ProbeError, match="rotation"):
        probes.secret_rotation_scheduled(secrets, stand_in.seed_secret(None))


def test_check_stack_runs_every_probe_from_the_outputs(
    stand_in: MediaStandIn, urls: dict[str, str], session: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = {
        **urls,
        **_running(monkeypatch, stand_in, 3),
        "repositoryNames": stand_in.seed_images(scanned=True),
        "dbSecretArn": stand_in.seed_secret(7),
    }
    outputs["cloudfrontUrl"] += "/"
    stand_in.behaviour.waf_limit = 1000
    called: list[str] = []
    probes.check_stack(
        outputs, session, lambda service: called.append(service) or stand_in.client(service), BUDGET_S
    )
    assert called == ["ecs", "elbv2", "ecr", "secretsmanager"]
    assert stand_in.requests > 1000  # the rate probe went past the budget and stopped
