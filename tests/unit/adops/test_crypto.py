"""Envelope encryption: round trip, row binding (AAD), key rotation + re-wrap, KMS adapters at the boundary."""
from __future__ import annotations

import builtins
import json
import os
import stat
from types import SimpleNamespace

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adops.crypto import (
    AwsKmsProvider,
    ConfigError,
    DecryptError,
    EnvelopeCipher,
    GcpKmsProvider,
    LocalKeyFileProvider,
    Sealed,
    aad_for,
    key_provider_from_env,
)

pytestmark = pytest.mark.unit
ROW_A = aad_for(table="oauth_tokens", row="a", advertiser="1", field="access_token")
ROW_B = aad_for(table="oauth_tokens", row="b", advertiser="1", field="access_token")


@pytest.fixture
def local(tmp_path) -> LocalKeyFileProvider:
    return LocalKeyFileProvider(tmp_path / "keys" / "master-keys.json")


def test_round_trip_and_no_plaintext_in_the_blob(local):
    cipher = EnvelopeCipher(local)
    sealed = cipher.seal("canary-token-123", ROW_A)
    assert "canary-token-123" not in sealed.blob and sealed.key_version == "1"
    assert cipher.open(sealed, ROW_A) == "canary-token-123"
    assert cipher.seal("canary-token-123", ROW_A).blob != sealed.blob  # fresh data key and nonce each time


def test_ciphertext_moved_to_another_row_or_field_fails(local):
    cipher = EnvelopeCipher(local)
    sealed = cipher.seal("secret", ROW_A)
    with pytest.raises(DecryptError):
        cipher.open(sealed, ROW_B)
    with pytest.raises(DecryptError):
        cipher.open(sealed, aad_for(table="oauth_tokens", row="a", advertiser="1", field="refresh_token"))


def test_tampered_ciphertext_fails(local):
    cipher = EnvelopeCipher(local)
    doc = json.loads(cipher.seal("secret", ROW_A).blob)
    doc["c"] = doc["c"][:-4] + ("AAAA" if doc["c"][-4:] != "AAAA" else "BBBB")
    with pytest.raises(DecryptError):
        cipher.open(Sealed(json.dumps(doc), "1"), ROW_A)
    with pytest.raises(DecryptError):
        cipher.open(Sealed("not json", "1"), ROW_A)


def test_key_file_is_created_0600_and_reused(local):
    EnvelopeCipher(local).seal("x", ROW_A)
    assert stat.S_IMODE(os.stat(local.path).st_mode) == 0o600
    again = LocalKeyFileProvider(local.path)
    assert again.current_version() == "1" and again.versions() == ["1"]


def test_rotation_then_rewrap_keeps_the_ciphertext_and_moves_the_key_version(local):
    cipher = EnvelopeCipher(local)
    old = cipher.seal("secret", ROW_A)
    assert local.rotate() == "2"
    assert cipher.needs_rewrap(old.key_version)
    assert cipher.open(old, ROW_A) == "secret"  # old versions still unwrap
    new = cipher.rewrap(old, ROW_A)
    assert new.key_version == "2" and not cipher.needs_rewrap(new.key_version)
    assert json.loads(new.blob)["c"] == json.loads(old.blob)["c"]  # the secret itself was not re-encrypted
    assert json.loads(new.blob)["k"] != json.loads(old.blob)["k"]
    assert cipher.open(new, ROW_A) == "secret"
    with pytest.raises(DecryptError):  # the version is bound into the key wrap
        cipher.open(Sealed(new.blob, "1"), ROW_A)


class FakeGcpKms:
    """google.cloud.kms KeyManagementServiceClient at the boundary: AES-GCM with the request's AAD."""

    def __init__(self) -> None:
        self.keys = {"v1": AESGCM.generate_key(bit_length=256)}
        self.primary = "v1"
        self.calls: list[str] = []

    def _version(self, name: str) -> str:
        return f"{name}/cryptoKeyVersions/{self.primary}"

    def get_crypto_key(self, request):
        return SimpleNamespace(primary=SimpleNamespace(name=self._version(request["name"])))

    def encrypt(self, request):
        self.calls.append("encrypt")
        nonce = os.urandom(12)
        blob = self.primary.encode() + b":" + nonce + AESGCM(self.keys[self.primary]).encrypt(
            nonce, request["plaintext"], request["additional_authenticated_data"])
        return SimpleNamespace(name=self._version(request["name"]), ciphertext=blob)

    def decrypt(self, request):
        self.calls.append("decrypt")
        version, rest = request["ciphertext"].split(b":", 1)
        plain = AESGCM(self.keys[version.decode()]).decrypt(rest[:12], rest[12:], request["additional_authenticated_data"])
        return SimpleNamespace(plaintext=plain)


GCP_KEY = "projects/p/locations/global/keyRings/r/cryptoKeys/adops"


def test_gcp_kms_adapter_round_trip_binding_and_rewrap():
    kms = FakeGcpKms()
    cipher = EnvelopeCipher(GcpKmsProvider(GCP_KEY, client=kms))
    sealed = cipher.seal("secret", ROW_A)
    assert sealed.key_version == f"{GCP_KEY}/cryptoKeyVersions/v1"
    assert cipher.open(sealed, ROW_A) == "secret"
    with pytest.raises(DecryptError):
        cipher.open(sealed, ROW_B)
    kms.keys["v2"], kms.primary = AESGCM.generate_key(bit_length=256), "v2"
    assert cipher.needs_rewrap(sealed.key_version)
    moved = cipher.rewrap(sealed, ROW_A)
    assert moved.key_version.endswith("/v2") and cipher.open(moved, ROW_A) == "secret"


class FakeAwsKms:
    """boto3 KMS client at the boundary; EncryptionContext must match on decrypt, like the real one."""

    arn = "arn:aws:kms:eu-west-1:111:key/abc"

    def __init__(self) -> None:
        self.key = AESGCM.generate_key(bit_length=256)

    def describe_key(self, KeyId):  # noqa: N803  boto3's argument names
        return {"KeyMetadata": {"Arn": self.arn}}

    def encrypt(self, KeyId, Plaintext, EncryptionContext):  # noqa: N803
        nonce = os.urandom(12)
        aad = json.dumps(EncryptionContext, sort_keys=True).encode()
        return {"KeyId": self.arn, "CiphertextBlob": nonce + AESGCM(self.key).encrypt(nonce, Plaintext, aad)}

    def decrypt(self, CiphertextBlob, KeyId, EncryptionContext):  # noqa: N803
        aad = json.dumps(EncryptionContext, sort_keys=True).encode()
        try:
            return {"Plaintext": AESGCM(self.key).decrypt(CiphertextBlob[:12], CiphertextBlob[12:], aad)}
        except InvalidTag as exc:
            raise RuntimeError("InvalidCiphertextException") from exc


def test_aws_kms_adapter_round_trip_and_binding():
    cipher = EnvelopeCipher(AwsKmsProvider("alias/adops", client=FakeAwsKms()))
    sealed = cipher.seal("secret", ROW_A)
    assert sealed.key_version == FakeAwsKms.arn and not cipher.needs_rewrap(sealed.key_version)
    assert cipher.open(sealed, ROW_A) == "secret"
    with pytest.raises(DecryptError):
        cipher.open(sealed, ROW_B)


def test_missing_sdk_is_a_config_error_naming_the_package(monkeypatch):
    real_import = builtins.__import__

    def no_sdk(name, *args, **kwargs):
        if name.startswith(("google.cloud", "boto3")):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sdk)
    with pytest.raises(ConfigError, match="google-cloud-kms"):
        GcpKmsProvider(GCP_KEY)
    with pytest.raises(ConfigError, match="boto3"):
        AwsKmsProvider("alias/adops")


def test_provider_from_env_defaults_to_local_and_names_bad_fields(tmp_path):
    assert isinstance(key_provider_from_env({}, tmp_path), LocalKeyFileProvider)
    with pytest.raises(ConfigError) as err:
        key_provider_from_env({"ADOPS_KEY_PROVIDER": "vault"}, tmp_path)
    assert err.value.field == "ADOPS_KEY_PROVIDER" and "vault" in str(err.value)
    with pytest.raises(ConfigError) as err:
        key_provider_from_env({"ADOPS_KEY_PROVIDER": "gcp-kms", "ADOPS_KMS_KEY": "nope"}, tmp_path, client=object())
    assert err.value.field == "ADOPS_KMS_KEY"
    with pytest.raises(ConfigError) as err:
        key_provider_from_env({"ADOPS_KEY_PROVIDER": "aws-kms"}, tmp_path, client=object())
    assert err.value.field == "ADOPS_KMS_KEY"
