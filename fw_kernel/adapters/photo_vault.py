"""Body photos encrypted at rest: AES-256-GCM (``cryptography``) blobs in the blob store.

Body photos are sensitive personal data. What is stored is the photo as measured (upright, re-encoded as JPEG
from its pixels, so no EXIF, GPS or maker data survives), encrypted with a 256-bit key: ``FW_PHOTO_KEY``
(32 bytes, URL-safe base64; ``python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)))"``),
else, on the embedded default, a key file ``$FW_HOME/photo.key`` created on first use (mode 0600). Each blob is
``b"FWP1" + 12-byte nonce + ciphertext-and-tag``, authenticated together with the avatar id and the photo's kind
(a blob moved to another avatar does not decrypt).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from .require_ import require_driver

MAGIC = b"FWP1"
KINDS = ("front", "side")


def load_key(explicit: str | None, home: Path) -> bytes:
    """The 32-byte key: ``explicit`` (URL-safe base64), else ``home/photo.key`` (created with mode 0600)."""
    if explicit:
        try:
            key = base64.urlsafe_b64decode(explicit.strip() + "=" * (-len(explicit.strip()) % 4))
        except ValueError:
            key = b""
        if len(key) != 32:
            raise ValueError("FW_PHOTO_KEY must be 32 bytes in URL-safe base64 (44 characters)")
        return key
    path = Path(home) / "photo.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(base64.urlsafe_b64encode(os.urandom(32)))
    return load_key(path.read_text(), home)


class EncryptedPhotoVault:
    """Implements ``services.photo_avatars.PhotoVault`` over a blob store (``put``/``exists``/``delete`` and
    ``read_url``)."""

    def __init__(self, blobs: Any, key: bytes):
        aead = require_driver("cryptography.hazmat.primitives.ciphers.aead", "photo")
        if len(key) != 32:
            raise ValueError("the photo key must be 32 bytes (AES-256)")
        self._aes = aead.AESGCM(key)
        self._blobs = blobs

    @staticmethod
    def _key(avatar_id: str, kind: str) -> str:
        return f"avatar-photos/{avatar_id}/{kind}.jpg.enc"

    def put(self, avatar_id: str, kind: str, jpeg: bytes) -> None:
        nonce = os.urandom(12)
        sealed = self._aes.encrypt(nonce, jpeg, f"{avatar_id}/{kind}".encode())
        self._blobs.put(self._key(avatar_id, kind), MAGIC + nonce + sealed)

    def get(self, avatar_id: str, kind: str) -> bytes | None:
        key = self._key(avatar_id, kind)
        if not self._blobs.exists(key):
            return None
        raw = self._blobs.read_url(f"{self._blobs.url}/{key}")
        if raw[:4] != MAGIC:
            raise ValueError(f"{key} is not an encrypted photo")
        return self._aes.decrypt(raw[4:16], raw[16:], f"{avatar_id}/{kind}".encode())

    def delete(self, avatar_id: str) -> int:
        """Delete the avatar's photos; returns how many there were."""
        gone = 0
        for kind in KINDS:
            key = self._key(avatar_id, kind)
            if self._blobs.exists(key):
                self._blobs.delete(key)
                gone += 1
        return gone

    def stored_path(self, avatar_id: str, kind: str) -> str:
        """The blob's URL (for tests and audits: what lies on disk)."""
        return f"{self._blobs.url}/{self._key(avatar_id, kind)}"
