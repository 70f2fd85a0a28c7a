"""Scope: where a component's resources live (stack suffix, account, region), passed as one value.

Every component's Args carries a Scope instead of three loose fields, so a blueprint builds it once
and a component cannot mix the suffix of one stack with the account of another. ``EDGE_REGION`` is
the one region CloudFront's web ACLs, certificates, metrics and vended logs live in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from program import naming

# CloudFront's WAF, certificates, metrics and vended logs live here whatever the stack's region.
EDGE_REGION = "us-east-1"


@dataclass(frozen=True)
class Scope:
    suffix: str
    account_id: str
    region: str

    def at(self, region: str) -> Scope:
        """The same stack and account in another region (CloudFront's logs: EDGE_REGION)."""
        return replace(self, region=region)

    def name(self, purpose: str, kind: str = "generic") -> str:
        """The physical name ``<purpose>-<suffix>`` for ``kind`` (program/naming.py)."""
        return naming.physical_name(purpose, self.suffix, kind)

    def bucket_name(self, purpose: str) -> str:
        """S3 names are global: ``<purpose>-<account>-<suffix>``."""
        return naming.bucket_name(purpose, self.suffix, self.account_id)
