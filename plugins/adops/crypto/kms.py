"""Cloud KMS adapters: the KEK never leaves the KMS; we send it 32-byte data keys to wrap.

SDK clients are injected (tests pass mocks; production builds them lazily), so neither
google-cloud-kms nor boto3 is a dependency of the core. The row's associated data travels as the
KMS's own binding (GCP ``additional_authenticated_data``, AWS ``EncryptionContext``), so a wrapped
key moved to another row is refused by the KMS itself.
"""
from __future__ import annotations

import importlib
from typing import Any

from adops.crypto.errors import ConfigError, DecryptError


def _require(module: str, package: str, field: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(field, f"this key provider needs the '{package}' package (pip install {package})") from exc


class GcpKmsProvider:
    """Google Cloud KMS symmetric key ``projects/…/locations/…/keyRings/…/cryptoKeys/…``.

    KMS picks the primary key version on encrypt and finds the right one on decrypt; we record the
    version name it reports so a re-wrap can tell which rows are behind the current primary.
    """

    name = "gcp-kms"

    def __init__(self, key_name: str, client: Any = None) -> None:
        if not key_name or "/cryptoKeys/" not in key_name:
            raise ConfigError("ADOPS_KMS_KEY", f"expected projects/…/cryptoKeys/<name>, got {key_name!r}")
        self.key_name = key_name
        if client is None:
            kms = _require("google.cloud.kms", "google-cloud-kms", "ADOPS_KEY_PROVIDER")
            client = kms.KeyManagementServiceClient()
        self.client = client

    def current_version(self) -> str:
        key = self.client.get_crypto_key(request={"name": self.key_name})
        return str(key.primary.name)

    def wrap(self, dek: bytes, context: bytes) -> tuple[str, bytes]:
        resp = self.client.encrypt(request={"name": self.key_name, "plaintext": dek,
                                            "additional_authenticated_data": context})
        return str(resp.name), bytes(resp.ciphertext)

    def unwrap(self, wrapped: bytes, version: str, context: bytes) -> bytes:
        try:
            resp = self.client.decrypt(request={"name": self.key_name, "ciphertext": wrapped,
                                                "additional_authenticated_data": context})
        except Exception as exc:  # noqa: BLE001  SDK raises its own InvalidArgument; don't leak details
            raise DecryptError(f"GCP KMS refused to unwrap under {version}: {type(exc).__name__}") from exc
        return bytes(resp.plaintext)


class AwsKmsProvider:
    """AWS KMS symmetric key (id, ARN or alias). The version recorded is the key ARN KMS reports.

    AWS rotates key material behind the same ARN and decrypts old blobs transparently, so rows are
    "behind" only when the configured key itself changes (e.g. a new alias target).
    """

    name = "aws-kms"

    def __init__(self, key_id: str, client: Any = None) -> None:
        if not key_id:
            raise ConfigError("ADOPS_KMS_KEY", "an AWS KMS key id, ARN or alias is required")
        self.key_id = key_id
        if client is None:
            boto3 = _require("boto3", "boto3", "ADOPS_KEY_PROVIDER")
            client = boto3.client("kms")
        self.client = client

    @staticmethod
    def _context(context: bytes) -> dict[str, str]:
        return {"adops:row": context.decode("utf-8", "replace")}

    def current_version(self) -> str:
        return str(self.client.describe_key(KeyId=self.key_id)["KeyMetadata"]["Arn"])

    def wrap(self, dek: bytes, context: bytes) -> tuple[str, bytes]:
        resp = self.client.encrypt(KeyId=self.key_id, Plaintext=dek, EncryptionContext=self._context(context))
        return str(resp["KeyId"]), bytes(resp["CiphertextBlob"])

    def unwrap(self, wrapped: bytes, version: str, context: bytes) -> bytes:
        try:
            resp = self.client.decrypt(CiphertextBlob=wrapped, KeyId=version,
                                       EncryptionContext=self._context(context))
        except Exception as exc:  # noqa: BLE001  botocore ClientError (InvalidCiphertextException)
            raise DecryptError(f"AWS KMS refused to unwrap under {version}: {type(exc).__name__}") from exc
        return bytes(resp["Plaintext"])
