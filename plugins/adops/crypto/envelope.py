"""AES-256-GCM envelope encryption: one random data key per secret, wrapped by a ``KeyProvider``.

Why envelope: the KEK (local file or cloud KMS) only ever sees 32-byte data keys, so rotating it
re-wraps those keys (``rewrap``) without decrypting or re-encrypting the secrets themselves.
Why associated data: the AAD names the row (table, row id, owner, field), so a ciphertext copied into
another row, or from the refresh-token column into the access-token column, fails to decrypt.
"""
from __future__ import annotations

import base64
import json
import secrets as _random
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adops.crypto.errors import DecryptError
from adops.crypto.keys import KEY_BYTES, NONCE_BYTES, KeyProvider

FORMAT = 1


def aad_for(**parts: str | int) -> bytes:
    """Canonical associated data: sorted ``key=value`` pairs, so callers cannot build it two ways."""
    for key, value in parts.items():
        if "|" in str(value) or "=" in str(value):
            raise ValueError(f"AAD part {key} may not contain '|' or '='")
    return "|".join(f"{k}={parts[k]}" for k in sorted(parts)).encode()


@dataclass(frozen=True)
class Sealed:
    """A stored secret: ``blob`` (text, safe for any column) and the KEK ``key_version`` that wrapped it."""

    blob: str
    key_version: str


class EnvelopeCipher:
    """Seals and opens secrets for one ``KeyProvider``."""

    def __init__(self, provider: KeyProvider) -> None:
        self.provider = provider

    def seal(self, plaintext: str, aad: bytes) -> Sealed:
        dek = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        nonce = _random.token_bytes(NONCE_BYTES)
        ciphertext = AESGCM(dek).encrypt(nonce, plaintext.encode(), aad)
        version, wrapped = self.provider.wrap(dek, aad)
        return Sealed(_pack(wrapped, nonce, ciphertext), version)

    def open(self, sealed: Sealed, aad: bytes) -> str:
        wrapped, nonce, ciphertext = _unpack(sealed.blob)
        dek = self.provider.unwrap(wrapped, sealed.key_version, aad)
        try:
            return AESGCM(dek).decrypt(nonce, ciphertext, aad).decode()
        except InvalidTag as exc:
            raise DecryptError("ciphertext does not authenticate for this row") from exc

    def rewrap(self, sealed: Sealed, aad: bytes) -> Sealed:
        """The same ciphertext with its data key wrapped under the current KEK version.

        The secret itself is never decrypted: only the data key passes through memory.
        """
        wrapped, nonce, ciphertext = _unpack(sealed.blob)
        dek = self.provider.unwrap(wrapped, sealed.key_version, aad)
        version, rewrapped = self.provider.wrap(dek, aad)
        return Sealed(_pack(rewrapped, nonce, ciphertext), version)

    def needs_rewrap(self, key_version: str, current: str | None = None) -> bool:
        return key_version != (current or self.provider.current_version())


def _pack(wrapped: bytes, nonce: bytes, ciphertext: bytes) -> str:
    doc: Mapping[str, object] = {"f": FORMAT, "k": _b64(wrapped), "n": _b64(nonce), "c": _b64(ciphertext)}
    return json.dumps(doc, separators=(",", ":"))


def _unpack(blob: str) -> tuple[bytes, bytes, bytes]:
    try:
        doc = json.loads(blob)
        if doc.get("f") != FORMAT:
            raise ValueError(f"unknown format {doc.get('f')!r}")
        return base64.b64decode(doc["k"]), base64.b64decode(doc["n"]), base64.b64decode(doc["c"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DecryptError(f"not a sealed secret: {exc}") from exc


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
