"""Probes against a live stack (run by `nox -s integration -- STACK` after a deploy)."""
