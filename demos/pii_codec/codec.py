"""A payload codec that encrypts every payload with AES-256-GCM before it leaves the process.

The SDK turns workflow inputs, results, activity arguments, signals, ... into payloads (JSON by
default) and passes them through the codec on their way to the server, and back through it on the
way in. So the Temporal server, its database and anyone reading its history see ciphertext; the
workflow and activity code see plain data. Each encrypted payload names its key in its metadata
(`encryption-key-id`), so keys can be rotated: old payloads still name the key that can open them.

A payload that cannot be opened (a key this process does not have, the wrong key under that id,
altered bytes) raises CodecKeyError with a message saying which: never a crash, never plain text.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import os
from typing import Iterable, Mapping

import temporalio.converter
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, PayloadCodec

from demos.common.server import DemoError

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12

# The demo's key: derived from a public sentence, so anyone can run and replay the demo. Never use
# a key like this for real data: set PII_CODEC_KEY (base64 of 32 random bytes) and PII_CODEC_KEY_ID.
DEMO_KEY_ID = "demo-key-1"
DEMO_KEY = hashlib.sha256(b"pii_codec demo key: public, for the training only").digest()


class CodecKeyError(Exception):
    """An encrypted payload this process cannot open; the message says why."""


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        if active_key_id not in keys:
            raise ValueError(f"the active key {active_key_id!r} is not among the keys")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"key {key_id!r} has {len(key)} bytes; AES-256 needs 32")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.active_key_id = active_key_id

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EncryptionCodec:
        """PII_CODEC_KEY / PII_CODEC_KEY_ID when set, else the public demo key."""
        env = os.environ if environ is None else environ
        raw = env.get("PII_CODEC_KEY")
        if not raw:
            return cls({DEMO_KEY_ID: DEMO_KEY}, DEMO_KEY_ID)
        try:
            key = base64.b64decode(raw, validate=True)
        except binascii.Error:
            raise DemoError("PII_CODEC_KEY is not valid base64 (expected base64 of 32 random bytes)") from None
        if len(key) != 32:
            raise DemoError(f"PII_CODEC_KEY decodes to {len(key)} bytes; AES-256 needs 32")
        key_id = env.get("PII_CODEC_KEY_ID", "key-1")
        return cls({key_id: key}, key_id)

    # --- one payload at a time (the codec server calls these from its threads) -------------------

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        key_id = self.active_key_id
        # The key id is authenticated data: changing the metadata makes decryption fail.
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # not ours (e.g. written before the codec existed): leave it alone
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        if not key_id:
            raise CodecKeyError("an encrypted payload has no encryption-key-id in its metadata")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            known = ", ".join(sorted(self._ciphers))
            raise CodecKeyError(f"payload encrypted with key {key_id!r}, which this process does not have (it has: {known})")
        try:
            plain = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], key_id.encode())
        except InvalidTag:
            raise CodecKeyError(f"payload under key id {key_id!r} does not decrypt: wrong key for that id, or altered data") from None
        decoded = Payload()
        decoded.ParseFromString(plain)
        return decoded

    # --- the SDK's interface -----------------------------------------------------------------

    async def encode(self, payloads: Iterable[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Iterable[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]


def data_converter(codec: PayloadCodec) -> DataConverter:
    """The default JSON conversion, with the codec on the wire."""
    return dataclasses.replace(temporalio.converter.default(), payload_codec=codec)
