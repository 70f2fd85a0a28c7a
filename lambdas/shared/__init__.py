"""Helpers every webstack Lambda shares; the packager adds this folder to each zip as `shared/`."""
