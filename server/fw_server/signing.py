"""Signed, short-lived download URLs: HMAC-SHA256 over (export id, user, expiry) with the service secret.

A link works without an Authorization header (a browser's <a href>, a video element) until it expires; the
service still checks on download that the user may see the design.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode


class UrlSigner:
    def __init__(self, secret: str, ttl_s: int, clock=time.time):
        self._key = secret.encode()
        self.ttl_s = ttl_s
        self._clock = clock

    def signature(self, job_id: str, user: str, expires: int) -> str:
        message = f"{job_id}\n{user}\n{expires}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def sign(self, prefix: str, job_id: str, user: str) -> tuple[str, int]:
        """The download path (relative to the host) and its expiry (epoch seconds)."""
        expires = int(self._clock()) + self.ttl_s
        query = urlencode({"expires": expires, "user": user, "signature": self.signature(job_id, user, expires)})
        return f"{prefix}/exports/{job_id}/download?{query}", expires

    def sign_design(self, prefix: str, design_id: str, user: str, ttl_s: int) -> tuple[str, int]:
        """A public link to a design (``{prefix}/public/designs/{id}``), signed for the owner ``user`` who made
        it, valid ``ttl_s`` seconds: anyone holding it reads the design while it stays published to "public"."""
        expires = int(self._clock()) + ttl_s
        query = urlencode({"expires": expires, "user": user,
                           "signature": self.signature(self.design_key(design_id), user, expires)})
        return f"{prefix}/public/designs/{design_id}?{query}", expires

    @staticmethod
    def design_key(design_id: str) -> str:
        """What a design link signs in place of an export id (the two kinds of link never stand for each other)."""
        return f"public-design\n{design_id}"

    def check(self, job_id: str, user: str, expires: int, signature: str) -> str | None:
        """None when the link is valid, else why not."""
        if not hmac.compare_digest(self.signature(job_id, user, expires).encode(),
                                   signature.encode("utf-8", "surrogatepass")):
            return "the signature does not match (forged or altered link)"
        if self._clock() >= expires:
            return "the link has expired; ask for a new one with GET /exports/{id}"
        return None
