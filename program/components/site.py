"""The static site a Cdn serves: which files it uploads to the site bucket, with which content type
and cache lifetime, and the security headers CloudFront adds to every response (002-R28).

The resource builders take the owning component's name and options, so their children are named
and parented exactly as if the component had built them itself.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

import pulumi
import pulumi_aws as aws

SITE_DIR = Path(__file__).resolve().parents[2] / "site"
# Objects are not invalidated on deploy (that is an API call, not a resource), so a short max-age
# makes a redeploy visible within minutes.
SITE_CACHE_CONTROL = "public, max-age=300"
# The static site loads nothing from another origin; the API is same-origin under /api/.
DEFAULT_CSP = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "upgrade-insecure-requests",
    )
)
# Python's built-in table only (no /etc/mime.types), so a file's type is the same on every machine.
_MIME = mimetypes.MimeTypes()
_MIME.add_type("font/woff2", ".woff2")
_MIME.add_type("image/webp", ".webp")


def site_files(site_dir: Path) -> list[tuple[str, Path]]:
    """(object key, file) for every file under `site_dir`, hidden files and folders left out."""
    found = []
    for path in sorted(site_dir.rglob("*")):
        relative = path.relative_to(site_dir)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            found.append((relative.as_posix(), path))
    return found


def content_type(path: Path) -> str:
    kind = _MIME.guess_type(path.name)[0] or "application/octet-stream"
    textual = kind.startswith("text/") or kind in ("application/json", "image/svg+xml")
    return f"{kind}; charset=utf-8" if textual else kind


def upload_site(
    name: str, bucket: pulumi.Input[str], site_dir: Path, opts: pulumi.ResourceOptions
) -> list[aws.s3.BucketObjectv2]:
    """One object `{name}-object-<key>` per site file."""
    return [
        aws.s3.BucketObjectv2(
            f"{name}-object-{key}",
            bucket=bucket,
            key=key,
            source=pulumi.FileAsset(str(path)),
            content_type=content_type(path),
            cache_control=SITE_CACHE_CONTROL,
            # source_hash, not etag: it redeploys on change whatever the bucket's encryption.
            source_hash=hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest(),
            opts=opts,
        )
        for key, path in site_files(site_dir)
    ]


def security_headers_policy(
    name: str, physical_name: str, content_security_policy: str, opts: pulumi.ResourceOptions
) -> aws.cloudfront.ResponseHeadersPolicy:
    """`{name}-security-headers`: HSTS, CSP, nosniff, frame DENY and a referrer policy (002-R28)."""
    sec = aws.cloudfront
    return sec.ResponseHeadersPolicy(
        f"{name}-security-headers",
        name=physical_name,
        comment="HSTS, CSP, nosniff, frame DENY, referrer policy (002-R28)",
        security_headers_config=sec.ResponseHeadersPolicySecurityHeadersConfigArgs(
            strict_transport_security=sec.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
                access_control_max_age_sec=63_072_000,
                include_subdomains=True,
                preload=False,
                override=True,
            ),
            content_type_options=sec.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(
                override=True
            ),
            frame_options=sec.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                frame_option="DENY", override=True
            ),
            referrer_policy=sec.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
                referrer_policy="strict-origin-when-cross-origin", override=True
            ),
            content_security_policy=sec.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs(
                content_security_policy=content_security_policy, override=True
            ),
            xss_protection=sec.ResponseHeadersPolicySecurityHeadersConfigXssProtectionArgs(
                protection=True, mode_block=True, override=True
            ),
        ),
        opts=opts,
    )
