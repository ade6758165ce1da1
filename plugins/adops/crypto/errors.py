"""Errors of the secrets layer, typed so callers can tell bad configuration from tampering."""
from __future__ import annotations


class ConfigError(ValueError):
    """Invalid configuration found at start-up; ``field`` names the setting to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class DecryptError(Exception):
    """A ciphertext failed authentication: wrong key, wrong row (AAD) or tampered bytes.

    Deliberately says nothing about the plaintext or key material.
    """
