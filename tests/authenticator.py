"""A passkey authenticator in software, for server-side tests: what a phone and browser send.

It makes P-256 keys and signs as CTAP2 authenticators do (the authenticator data, then the
hash of the client data), with "none" attestation, and writes the browser's client data (the
challenge and the page's origin). The browser tests use Chromium's own virtual authenticator.
"""

import base64
import hashlib
import json
import os

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

USER_PRESENT, USER_VERIFIED, ATTESTED = 0x01, 0x04, 0x40


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64(text):
    return base64.urlsafe_b64decode(text + "===")


class Authenticator:
    """Keeps keys by credential id; `counts=False` behaves like a synced passkey (always 0)."""

    def __init__(self, origin="http://localhost", rp_id="localhost", counts=True):
        self.origin = origin
        self.rp_id = rp_id
        self.counts = counts
        self.keys = {}

    def authenticator_data(self, flags, count, attested=b""):
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + count.to_bytes(4, "big") + attested

    def client_data(self, kind, challenge):
        data = {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        return json.dumps(data).encode()

    def create(self, options, verified=True):
        """The answer to navigator.credentials.create(options), as the browser's JSON."""
        options = json.loads(options)
        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        public_key = cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        credential_id = os.urandom(32)
        self.keys[credential_id] = {
            "key": key,
            "handle": from_b64(options["user"]["id"]),
            "count": 0,
        }
        attested = bytes(16) + len(credential_id).to_bytes(2, "big") + credential_id + public_key
        flags = USER_PRESENT | ATTESTED | (USER_VERIFIED if verified else 0)
        attestation = cbor2.dumps(
            {"fmt": "none", "attStmt": {}, "authData": self.authenticator_data(flags, 0, attested)}
        )
        client_data = self.client_data("webauthn.create", options["challenge"])
        return json.dumps(
            {
                "id": b64(credential_id),
                "rawId": b64(credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64(client_data),
                    "attestationObject": b64(attestation),
                    "transports": ["internal", "hybrid"],
                },
            }
        )

    def get(self, options, credential_id=None, verified=True, count=None):
        """The answer to navigator.credentials.get(options) from one key (the first made)."""
        options = json.loads(options)
        credential_id = credential_id or next(iter(self.keys))
        stored = self.keys[credential_id]
        if count is None:
            count = stored["count"] + 1 if self.counts else 0
        stored["count"] = count
        flags = USER_PRESENT | (USER_VERIFIED if verified else 0)
        data = self.authenticator_data(flags, count)
        client_data = self.client_data("webauthn.get", options["challenge"])
        signature = stored["key"].sign(
            data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": b64(credential_id),
                "rawId": b64(credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64(client_data),
                    "authenticatorData": b64(data),
                    "signature": b64(signature),
                    "userHandle": b64(stored["handle"]),
                },
            }
        )
