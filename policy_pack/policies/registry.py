"""The pack's policies, in family order; ../__main__.py builds the PolicyPack from this list.

Mandatory families: iam, encryption_at_rest, encryption_in_transit, naming, destroyability.
The best-practice families are advisory unless raised by policy config.
"""

from . import (
    async_failures,
    backups,
    destroyability,
    encryption_at_rest,
    encryption_in_transit,
    iam,
    lifecycle,
    logging,
    naming,
    network_exposure,
    public_access,
    runtime,
    secrets,
    waf,
)

PACK_NAME = "webstack-guardrails"

MANDATORY_FAMILIES = (iam, encryption_at_rest, encryption_in_transit, naming, destroyability)
BEST_PRACTICE_FAMILIES = (
    public_access,
    network_exposure,
    logging,
    waf,
    backups,
    lifecycle,
    async_failures,
    secrets,
    runtime,
)

POLICIES = [policy for family in (*MANDATORY_FAMILIES, *BEST_PRACTICE_FAMILIES) for policy in family.POLICIES]
