"""Secrets at rest: AES-GCM envelope encryption behind a key-provider interface (media-agnostic).

``key_provider_from_env`` picks the provider at start-up (``ADOPS_KEY_PROVIDER`` = ``local`` (default),
``gcp-kms`` or ``aws-kms``; ``ADOPS_KMS_KEY`` names the cloud key) and fails naming the field.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from adops.crypto.envelope import EnvelopeCipher, Sealed, aad_for
from adops.crypto.errors import ConfigError, DecryptError
from adops.crypto.keys import KeyProvider, LocalKeyFileProvider
from adops.crypto.kms import AwsKmsProvider, GcpKmsProvider

PROVIDERS = ("local", "gcp-kms", "aws-kms")


def key_provider_from_env(env: Mapping[str, str], home: Path | str, client: Any = None) -> KeyProvider:
    """The configured ``KeyProvider``; ``client`` lets tests inject a mocked KMS client."""
    kind = (env.get("ADOPS_KEY_PROVIDER") or "local").strip().lower()
    if kind == "local":
        path = env.get("ADOPS_KEY_FILE")
        return LocalKeyFileProvider(path) if path else LocalKeyFileProvider.under_home(home)
    if kind == "gcp-kms":
        return GcpKmsProvider(env.get("ADOPS_KMS_KEY", ""), client=client)
    if kind == "aws-kms":
        return AwsKmsProvider(env.get("ADOPS_KMS_KEY", ""), client=client)
    raise ConfigError("ADOPS_KEY_PROVIDER", f"unknown key provider {kind!r}; expected one of {', '.join(PROVIDERS)}")


__all__ = ["AwsKmsProvider", "ConfigError", "DecryptError", "EnvelopeCipher", "GcpKmsProvider", "KeyProvider",
           "LocalKeyFileProvider", "Sealed", "aad_for", "key_provider_from_env"]
