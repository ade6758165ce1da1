"""Key-encryption keys (KEKs) behind one interface, with a local key file as the default.

A ``KeyProvider`` only wraps and unwraps small data keys; bulk data never leaves the process. Each
wrap is bound to a ``context`` (the row's associated data), so a wrapped key copied to another row
does not unwrap. The local provider keeps several key versions so keys can be rotated and rows
re-wrapped while old rows stay readable.
"""
from __future__ import annotations

import base64
import json
import os
import secrets as _random
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adops.crypto.errors import DecryptError

NONCE_BYTES = 12
KEY_BYTES = 32


@runtime_checkable
class KeyProvider(Protocol):
    """Wraps data keys under a key-encryption key; ``version`` says which KEK wrapped a key."""

    name: str

    def current_version(self) -> str:
        """The version new wraps use (re-wrap moves rows to it)."""

    def wrap(self, dek: bytes, context: bytes) -> tuple[str, bytes]:
        """``(version, wrapped)`` for a data key, bound to ``context``."""

    def unwrap(self, wrapped: bytes, version: str, context: bytes) -> bytes:
        """The data key; raises ``DecryptError`` when key, version or context do not match."""


class LocalKeyFileProvider:
    """KEKs in a JSON file (``{"current": "2", "keys": {"1": b64, "2": b64}}``) created 0600 on first use.

    The default for one machine. The file is the crown jewel: keep it out of backups of the DB.
    """

    name = "local"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._cache: dict | None = None

    @classmethod
    def under_home(cls, home: Path | str) -> LocalKeyFileProvider:
        return cls(Path(home) / "keys" / "master-keys.json")

    def _load(self) -> dict:
        with self._lock:
            if self._cache is None:
                if not self.path.exists():
                    self._write({"current": "1", "keys": {"1": _b64(_random.token_bytes(KEY_BYTES))}})
                self._cache = json.loads(self.path.read_text())
            return self._cache

    def _write(self, doc: dict) -> None:
        """Create with 0600 from the start (no window where the key is world-readable), then rename."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(doc, fh)
        os.replace(tmp, self.path)

    def current_version(self) -> str:
        return str(self._load()["current"])

    def versions(self) -> list[str]:
        return sorted(self._load()["keys"], key=int)

    def rotate(self) -> str:
        """Add a new key version and make it current; old versions stay for unwrapping."""
        doc = json.loads(json.dumps(self._load()))
        new = str(max(int(v) for v in doc["keys"]) + 1)
        doc["keys"][new] = _b64(_random.token_bytes(KEY_BYTES))
        doc["current"] = new
        with self._lock:
            self._write(doc)
            self._cache = doc
        return new

    def _kek(self, version: str) -> AESGCM:
        raw = self._load()["keys"].get(str(version))
        if raw is None:
            raise DecryptError(f"key version {version!r} is not in {self.path}")
        return AESGCM(base64.b64decode(raw))

    def wrap(self, dek: bytes, context: bytes) -> tuple[str, bytes]:
        version = self.current_version()
        nonce = _random.token_bytes(NONCE_BYTES)
        return version, nonce + self._kek(version).encrypt(nonce, dek, _bind(context, version))

    def unwrap(self, wrapped: bytes, version: str, context: bytes) -> bytes:
        try:
            return self._kek(version).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _bind(context, version))
        except InvalidTag as exc:
            raise DecryptError("data key does not unwrap (wrong key version or row)") from exc


def _bind(context: bytes, version: str) -> bytes:
    return context + b"|kek=" + version.encode()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
