"""The blob store on fsspec: a local folder by default, any fsspec URL (s3://, gs://, file://) in production."""

from __future__ import annotations

import uuid

import fsspec


class FsspecBlobStore:
    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self._fs, self._root = fsspec.core.url_to_fs(self.url)
        self._fs.makedirs(self._root, exist_ok=True)

    def put(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key`` atomically (written aside, then moved: readers never see half a file);
        returns the blob's URL."""
        path = f"{self._root}/{key}"
        parent = path.rsplit("/", 1)[0]
        self._fs.makedirs(parent, exist_ok=True)
        partial = f"{parent}/.{uuid.uuid4().hex}.partial"
        with self._fs.open(partial, "wb") as handle:
            handle.write(data)
        self._fs.mv(partial, path)
        return f"{self.url}/{key}"

    def _path(self, url: str) -> str:
        if not url.startswith(self.url + "/"):
            raise ValueError(f"{url!r} is not in this blob store ({self.url})")
        return f"{self._root}/{url[len(self.url) + 1:]}"

    def exists_url(self, url: str) -> bool:
        return url.startswith(self.url + "/") and bool(self._fs.exists(self._path(url)))

    def read_url(self, url: str) -> bytes:
        with self._fs.open(self._path(url), "rb") as handle:
            return handle.read()

    def exists(self, key: str) -> bool:
        return bool(self._fs.exists(f"{self._root}/{key}"))

    def delete(self, key: str) -> None:
        self._fs.rm(f"{self._root}/{key}")

    def presigned_url(self, url: str, expires_s: int, file_name: str | None = None,
                      media_type: str | None = None) -> str | None:
        """An S3 pre-signed GET of the blob at ``url`` valid ``expires_s`` seconds (the download is served by the
        object store, named ``file_name``, typed ``media_type``); None on file systems without signed links."""
        if "s3" not in _protocols(self._fs):
            return None
        params: dict[str, str] = {}
        if file_name:
            params["ResponseContentDisposition"] = f'attachment; filename="{file_name}"'
        if media_type:
            params["ResponseContentType"] = media_type
        return str(self._fs.sign(self._path(url), expiration=expires_s, **params))


def _protocols(fs: object) -> tuple[str, ...]:
    protocol = getattr(fs, "protocol", ())
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)
