"""The pack's policies, in family order; ../__main__.py builds the PolicyPack from this list.

Mandatory families: iam, encryption_at_rest, encryption_in_transit, naming, destroyability.
The best-practice families are advisory unless raised by policy config.
"""

from . import destroyability, iam, naming

PACK_NAME = "webstack-guardrails"

POLICIES = [*iam.POLICIES, *naming.POLICIES, *destroyability.POLICIES]
