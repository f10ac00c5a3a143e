"""Errors of the app registry that callers turn into answers (503 at the admin API)."""

from __future__ import annotations


class RegistryUnavailable(RuntimeError):
    """Kafka could not be reached or did not acknowledge; nothing was stored."""


__all__ = ["RegistryUnavailable"]
