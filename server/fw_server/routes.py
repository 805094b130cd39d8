"""The REST API under ``/api/v1``: one table of routes (method, path, models, endpoint) from which the Tornado
handlers and the OpenAPI document are both made.

Endpoints are plain blocking functions over the notebook API of the calling user (:class:`UserWorkspace`); the
app runs them in a thread pool. They return ``(status, payload)``; a payload is a response model, a list of
them, None (204) or :class:`FileBody`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from fw_kernel import api as fw_api
from fw_kernel import wire
from fw_kernel.domain.catalog import CatalogItem
from fw_kernel.domain.errors import NotFound, PermissionDenied, ValidationError
from fw_kernel.services.clock import new_id

from . import schemas as s
from .errors import ApiError, export_not_found
from .signing import UrlSigner
from .workspace import UserWorkspace


@dataclass
class Context:
    """What an endpoint gets: the caller's workspace, the validated body and query, and the service's tools."""

    ws: UserWorkspace
    user: str
    body: Any
    query: Any
    prefix: str
    signer: UrlSigner
    admin: bool = False                        # a hub admin (may use the /admin audit endpoints)
    service: Any = None                        # fw_server.app.Service: audit, photo processes


@dataclass(frozen=True)
class FileBody:
    data: bytes
    name: str
    media_type: str


@dataclass(frozen=True)
class Redirect:
    """A 307 to ``location`` (a download served by the object store: an S3 pre-signed URL)."""

    location: str


@dataclass(frozen=True)
class Route:
    method: str
    path: str                                  # relative to the prefix, OpenAPI template: /designs/{design_id}
    endpoint: Callable[..., tuple[int, Any]]
    summary: str
    tag: str
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None                       # a model, list[model], "binary" or None
    auth: str = "token"                        # token | signature
    session: str = "none"                      # X-FW-Session header: none | optional | required (undo/redo)
    params: dict[str, str] = field(default_factory=dict)  # path parameter -> description
    admin: bool = False                        # admins only (403 for anyone else, before any validation)
    large_body: bool = False                   # photo uploads: the service's max_photo_body_bytes applies

    @property
    def operation_id(self) -> str:
        return self.endpoint.__name__


# -- serialisation -----------------------------------------------------------------------------------------------------
def design_out(design: fw_api.Design) -> s.DesignOut:
    return state_out(design.state, design.role)


def state_out(st: Any, role: str | None) -> s.DesignOut:
    return s.DesignOut(**wire.design_fields(st, role))  # the client reads it back with wire.design_of


def avatar_out(avatar: fw_api.Avatar) -> s.AvatarOut:
    r = avatar.record
    return s.AvatarOut(id=r.id, name=r.name, owner=r.owner, body_hint=r.body_hint, source=r.source,
                       measurements=dict(r.measurements), requested=dict(r.requested),
                       confidence=dict(getattr(r, "confidence", {}) or {}), body=dict(r.body),
                       created_at=r.created_at)


def item_out(item: CatalogItem) -> s.CatalogItemOut:
    return s.CatalogItemOut(id=item.id, type=item.type, name=item.name, description=item.description,
                            tags=list(item.tags), price=item.price, currency=item.currency,
                            availability=item.availability, compatibility=item.compatibility,
                            parameters=item.parameters, appearance=item.appearance, physical=item.physical,
                            thumbnail=item.thumbnail)


def export_out(ctx: Context, job: Any, signed: bool = True) -> s.ExportOut:
    url, expires = None, None
    if signed and job.status == "completed" and job.file_url:
        url, stamp = ctx.signer.sign(ctx.prefix, job.id, ctx.user)
        expires = datetime.fromtimestamp(stamp, UTC)
    return s.ExportOut(id=job.id, design_id=job.design_id, user=job.user, type=job.type, options=job.options,
                       status=job.status, progress=job.progress, file_name=job.file_name, file_size=job.file_size,
                       error=job.error, created_at=job.created_at, completed_at=job.completed_at,
                       expires_at=job.expires_at, download_url=url, download_expires_at=expires)


def _given(model: BaseModel) -> dict[str, Any]:
    """The fields the client sent (None included where it sent null), nested patches likewise."""
    return model.model_dump(exclude_unset=True)


# -- designs -----------------------------------------------------------------------------------------------------------
def list_designs(ctx: Context) -> tuple[int, Any]:
    return 200, [design_out(d) for d in ctx.ws.designs.list()]


def create_design(ctx: Context) -> tuple[int, Any]:
    fields = _given(ctx.body)
    name, avatar = fields.pop("name"), fields.pop("avatar_id", None)
    return 201, design_out(ctx.ws.designs.create(name, avatar, **fields))


def get_design(ctx: Context, design_id: str) -> tuple[int, Any]:
    if not ctx.query.count_view:
        return 200, design_out(ctx.ws.open(design_id))
    return 200, design_out(ctx.ws.designs.get(design_id))


def update_design(ctx: Context, design_id: str) -> tuple[int, Any]:
    changes = _given(ctx.body)
    canvas = changes.pop("canvas", None)
    design = ctx.ws.open(design_id, edit=bool(changes or canvas))
    if changes:
        design.update(**changes)
    if canvas:
        design.update_canvas(**canvas)
    return 200, design_out(design)


def delete_design(ctx: Context, design_id: str) -> tuple[int, Any]:
    ctx.ws.open(design_id).delete()
    return 204, None


def fork_design(ctx: Context, design_id: str) -> tuple[int, Any]:
    return 201, design_out(ctx.ws.open(design_id).fork(ctx.body.name))


def like_design(ctx: Context, design_id: str) -> tuple[int, Any]:
    design = ctx.ws.open(design_id)
    design.like()
    return 200, design_out(design.refresh())


def publish_design(ctx: Context, design_id: str) -> tuple[int, Any]:
    design = ctx.ws.open(design_id)
    design.publish(ctx.body.to)
    return 200, design_out(design)


def unpublish_design(ctx: Context, design_id: str) -> tuple[int, Any]:
    design = ctx.ws.open(design_id)
    design.unpublish()
    return 200, design_out(design)


def gallery(ctx: Context) -> tuple[int, Any]:
    return 200, [design_out(d) for d in ctx.ws.designs.published()]


def public_link(ctx: Context, design_id: str) -> tuple[int, Any]:
    """The owner's signed public link to a design published to "public" (anyone holding it reads it, signed in or
    not, until it expires or the design is unpublished)."""
    design = ctx.ws.open(design_id)
    if design.role != "owner":
        raise PermissionDenied(f"only the owner of design {design_id!r} may make public links to it",
                               field="design_id", value=design_id)
    if design.published != "public":
        raise ValidationError.bad("visibility", design.meta.visibility, "a design published to public first "
                                  "(POST /designs/{id}/publish with {\"to\": \"public\"})", "not published to public")
    url, expires = ctx.signer.sign_design(ctx.prefix, design_id, ctx.user, ctx.body.expires_in_s)
    path, _, query = url.partition("?")
    return 201, s.PublicLinkOut(url=url, thumbnail_url=f"{path}/thumbnail?{query}",
                                expires_at=datetime.fromtimestamp(expires, UTC))


def _public_design(ctx: Context, design_id: str) -> Any:
    """The design of a signed public link, read-only; refused when the link is forged, altered or expired, and
    when the design is no longer published to public (unpublishing revokes every link)."""
    q = ctx.query
    why = ctx.signer.check(ctx.signer.design_key(design_id), q.user, q.expires, q.signature)
    if why is not None:
        raise ApiError(403, f"public link refused: {why}", "signature", "a link from POST /designs/{id}/public-link")
    try:
        design = ctx.ws.open(design_id)
    except NotFound:
        design = None
    if design is None or design.published != "public" or design.owner != q.user:
        raise ApiError(404, f"design {design_id!r} is no longer public", "design_id")
    return design


def public_design(ctx: Context, design_id: str) -> tuple[int, Any]:
    out = design_out(_public_design(ctx, design_id))
    return 200, out.model_copy(update={"role": "viewer"})


def public_thumbnail(ctx: Context, design_id: str) -> tuple[int, Any]:
    data = _public_design(ctx, design_id).thumbnail(ctx.query.size)
    return 200, FileBody(data, f"{design_id}.png", "image/png")


def design_thumbnail(ctx: Context, design_id: str) -> tuple[int, Any]:
    data = ctx.ws.open(design_id).thumbnail(ctx.query.size)
    return 200, FileBody(data, f"{design_id}.png", "image/png")


def design_recommendations(ctx: Context, design_id: str) -> tuple[int, Any]:
    return 200, [item_out(i) for i in ctx.ws.open(design_id).recommendations(ctx.query.limit)]


def undo(ctx: Context, design_id: str) -> tuple[int, Any]:
    design = ctx.ws.open(design_id)
    done = design.undo()
    return 200, s.UndoOut(done=done, design=design_out(design))


def redo(ctx: Context, design_id: str) -> tuple[int, Any]:
    design = ctx.ws.open(design_id)
    done = design.redo()
    return 200, s.UndoOut(done=done, design=design_out(design))


# -- layers ------------------------------------------------------------------------------------------------------------
def list_layers(ctx: Context, design_id: str) -> tuple[int, Any]:
    return 200, list(ctx.ws.open(design_id).layers)


def add_layer(ctx: Context, design_id: str) -> tuple[int, Any]:
    fields = {k: v for k, v in _given(ctx.body).items() if v is not None}
    item = fields.pop("item_id")
    customization = fields.pop("customization", None)
    return 201, ctx.ws.open(design_id, edit=True).add_layer(item, customization, **fields)


def update_layer(ctx: Context, design_id: str, layer_id: str) -> tuple[int, Any]:
    changes = _given(ctx.body)
    design = ctx.ws.open(design_id, edit=bool(changes))
    if not changes:
        return 200, design.layer(layer_id)
    return 200, design.update_layer(layer_id, **changes)


def remove_layer(ctx: Context, design_id: str, layer_id: str) -> tuple[int, Any]:
    ctx.ws.open(design_id, edit=True).remove_layer(layer_id)
    return 204, None


def reorder_layers(ctx: Context, design_id: str) -> tuple[int, Any]:
    design = ctx.ws.open(design_id, edit=True)
    design.reorder_layers(ctx.body.layer_ids)
    return 200, list(design.layers)


def group_layers(ctx: Context, design_id: str) -> tuple[int, Any]:
    design = ctx.ws.open(design_id, edit=True)
    design.group_layers(ctx.body.layer_ids, ctx.body.group)
    return 200, list(design.layers)


# -- versions and history ----------------------------------------------------------------------------------------------
def _version_out(v: Any) -> s.VersionOut:
    return s.VersionOut(**wire.version_fields(v))


def checkpoint(ctx: Context, design_id: str) -> tuple[int, Any]:
    return 201, _version_out(ctx.ws.open(design_id).checkpoint(ctx.body.message))


def list_versions(ctx: Context, design_id: str) -> tuple[int, Any]:
    return 200, [_version_out(v) for v in ctx.ws.open(design_id).versions]


def diff_versions(ctx: Context, design_id: str, a: int, b: int) -> tuple[int, Any]:
    return 200, [s.PatchOp.model_validate(op) for op in ctx.ws.open(design_id).diff(a, b)]


def restore_version(ctx: Context, design_id: str, number: int) -> tuple[int, Any]:
    design = ctx.ws.open(design_id)
    design.restore(number)
    return 200, design_out(design)


def design_history(ctx: Context, design_id: str) -> tuple[int, Any]:
    ctx.ws.open(design_id)
    entries = ctx.ws.services.designs.history(ctx.user, design_id, limit=ctx.query.limit)
    return 200, [s.HistoryOut(**wire.history_fields(e)) for e in entries]


# -- people ------------------------------------------------------------------------------------------------------------
def _collaborator_out(c: Any) -> s.CollaboratorOut:
    return s.CollaboratorOut(**wire.collaborator_fields(c))


def list_collaborators(ctx: Context, design_id: str) -> tuple[int, Any]:
    return 200, [_collaborator_out(c) for c in ctx.ws.open(design_id).collaborators]


def share_design(ctx: Context, design_id: str) -> tuple[int, Any]:
    return 201, _collaborator_out(ctx.ws.open(design_id).share(ctx.body.user, ctx.body.role))


def unshare_design(ctx: Context, design_id: str, user: str) -> tuple[int, Any]:
    ctx.ws.open(design_id).unshare(user)
    return 204, None


def _comment_out(c: Any) -> s.CommentOut:
    return s.CommentOut(**wire.comment_fields(c))


def list_comments(ctx: Context, design_id: str) -> tuple[int, Any]:
    return 200, [_comment_out(c) for c in ctx.ws.open(design_id).comments]


def add_comment(ctx: Context, design_id: str) -> tuple[int, Any]:
    return 201, _comment_out(ctx.ws.open(design_id).comment(ctx.body.text, ctx.body.layer_id))


# -- exports -----------------------------------------------------------------------------------------------------------
def request_export(ctx: Context, design_id: str) -> tuple[int, Any]:
    handle = ctx.ws.open(design_id).export(ctx.body.type, **ctx.body.options)
    return 202, export_out(ctx, handle.job)


def list_exports(ctx: Context, design_id: str) -> tuple[int, Any]:
    return 200, [export_out(ctx, j) for j in ctx.ws.open(design_id).exports]


def _visible_job(ctx: Context, job_id: str, user: str) -> Any:
    """The export if ``user`` may see its design; one 404 otherwise (missing or not theirs look alike)."""
    try:
        job = ctx.ws._exports().get(job_id)
        ctx.ws.services.designs.open(user, job.design_id)
    except NotFound:
        raise export_not_found(job_id) from None
    return job


def get_export(ctx: Context, job_id: str) -> tuple[int, Any]:
    return 200, export_out(ctx, _visible_job(ctx, job_id, ctx.user))


def find_drape(ctx: Context, design_id: str) -> tuple[int, Any]:
    data = ctx.ws._exports().finished_drape(ctx.user, design_id, ctx.body.stack)
    if data is None:
        raise NotFound("no finished drape of these garments yet", field="stack")
    return 200, FileBody(data, "drape.npz", "application/octet-stream")


def cancel_export(ctx: Context, job_id: str) -> tuple[int, Any]:
    _visible_job(ctx, job_id, ctx.user)
    return 200, export_out(ctx, ctx.ws._exports().cancel(ctx.user, job_id))


_MEDIA = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp", "mp4": "video/mp4",
          "webm": "video/webm", "gif": "image/gif", "glb": "model/gltf-binary", "zip": "application/zip",
          "pdf": "application/pdf"}


def download_export(ctx: Context, job_id: str) -> tuple[int, Any]:
    q = ctx.query
    why = ctx.signer.check(job_id, q.user, q.expires, q.signature)
    if why is not None:
        raise ApiError(403, f"download link refused: {why}", "signature", "a link from GET /exports/{id}")
    job = _visible_job(ctx, job_id, q.user)  # still allowed to see the design?
    if job.status != "completed" or not job.file_url:
        raise ApiError(409, f"export {job_id!r} is {job.status}, not completed", "status", "completed")
    blobs = ctx.service.services.blobs  # the process's one blob store (not one per request)
    if blobs is None:
        raise ApiError(404, f"export {job_id!r}: this service keeps no files", "job_id")
    name = job.file_name or "export"
    media = _MEDIA.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
    store = blobs()
    if not store.exists_url(job.file_url):
        raise ApiError(404, f"export {job_id!r} has expired and its file is gone", "job_id")
    # an object store serves the file itself (S3: pre-signed for at most the rest of this link's life, 60 s)
    link = store.presigned_url(job.file_url, max(1, min(60, q.expires - int(time.time()))), name, media) \
        if ctx.service.config.presigned_downloads else None
    if link is not None:
        return 307, Redirect(link)
    try:
        data = store.read_url(job.file_url)
    except FileNotFoundError:
        raise ApiError(404, f"export {job_id!r} has expired and its file is gone", "job_id") from None
    return 200, FileBody(data, name, media)


# -- avatars -----------------------------------------------------------------------------------------------------------
def list_avatars(ctx: Context) -> tuple[int, Any]:
    return 200, [avatar_out(a) for a in ctx.ws.avatars.list()]


def create_avatar(ctx: Context) -> tuple[int, Any]:
    b = ctx.body
    return 201, avatar_out(ctx.ws.avatars.create(b.name, b.measurements, b.body_hint))


def get_avatar(ctx: Context, avatar_id: str) -> tuple[int, Any]:
    return 200, avatar_out(ctx.ws.avatars.get(avatar_id))


def update_avatar(ctx: Context, avatar_id: str) -> tuple[int, Any]:
    b = ctx.body
    return 200, avatar_out(ctx.ws.avatars.get(avatar_id).update(b.name, b.measurements, b.body_hint))


def design_avatar(ctx: Context, design_id: str) -> tuple[int, Any]:
    """The avatar a design wears, for anyone who may read the design (a collaborator's studio draws it)."""
    design = ctx.ws.open(design_id)
    record = ctx.ws.services.avatars.of_design(design.meta.avatar_id)
    if record is None:
        raise NotFound(f"design {design_id!r} has no avatar", field="avatar_id", value=None)
    return 200, avatar_out(fw_api.Avatar(ctx.ws, record))


def _photo(ctx: Context, field: str) -> Any:
    """A photo of the body (base64) decoded and checked as a local kernel does (same errors)."""
    import base64
    import binascii

    try:
        data = base64.b64decode(getattr(ctx.body, field), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError.bad(field, getattr(ctx.body, field), "a photo file (JPEG, PNG or WebP) in base64") \
            from None
    return ctx.ws.services.photo_avatars.decode(data, field)


def avatar_from_photos(ctx: Context) -> tuple[int, Any]:
    """Check the request and decode the photos now (a bad one is refused here), process them in the
    background: 202 with the process, whose id is the avatar's."""
    b = ctx.body
    photos = ctx.ws.services.photo_avatars
    photos.check_request(b.name, b.height, b.body_hint, b.weight, b.corrections)
    front, side = _photo(ctx, "front"), _photo(ctx, "side")
    avatar_id = new_id()

    def run(progress: Callable[[int, str], None]) -> Any:
        return photos.from_photos(ctx.user, b.name, front, side, b.height, b.body_hint, b.weight, b.corrections,
                                  progress=progress, keep_photos=b.keep_photos, avatar_id=avatar_id)

    return 202, _process_out(ctx, ctx.service.photo_jobs.start(ctx.user, avatar_id, b.name, run))


def _process_out(ctx: Context, job: dict[str, Any]) -> s.PhotoProcessOut:
    avatar = None
    if job["avatar_id"]:
        avatar = avatar_out(ctx.ws.avatars.get(job["avatar_id"]))
    return s.PhotoProcessOut(id=job["id"], name=job["name"], status=job["status"], progress=job["progress"],
                             step=job["step"], avatar=avatar, error=job["error"], created_at=job["created_at"],
                             updated_at=job["updated_at"])


def photo_process(ctx: Context, process_id: str) -> tuple[int, Any]:
    return 200, _process_out(ctx, ctx.service.photo_jobs.get(ctx.user, process_id))


def measure_photos(ctx: Context) -> tuple[int, Any]:
    b = ctx.body
    found = ctx.ws.services.photo_avatars.measure(_photo(ctx, "front"), _photo(ctx, "side"), b.height, b.body_hint)
    return 200, s.PhotoMeasureOut(
        measurements=found["measurements"], confidence=found["confidence"], error_cm=found["error_cm"],
        check_with_tape=found["check_with_tape"], agreement=found.get("agreement", {}),
        front=_view_out(found["front"]), side=_view_out(found["side"]))


def _view_out(view: dict[str, Any]) -> s.PhotoViewOut:
    import base64
    import io

    import numpy as np
    from PIL import Image

    mask = np.round(np.clip(np.asarray(view["mask"], dtype=np.float32), 0, 1) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(mask, mode="L").save(buf, format="PNG")
    h, w = view["image"].shape[:2]
    return s.PhotoViewOut(width=w, height=h, landmarks=np.asarray(view["landmarks"], dtype=float).tolist(),
                          mask=base64.b64encode(buf.getvalue()).decode())


def avatar_photos(ctx: Context, avatar_id: str) -> tuple[int, Any]:
    import base64

    found = ctx.ws.services.photo_avatars.photos(ctx.user, avatar_id)
    return 200, s.AvatarPhotosOut(**{k: base64.b64encode(found[k]).decode() if found.get(k) else None
                                     for k in ("front", "side")})


def delete_avatar_photos(ctx: Context, avatar_id: str) -> tuple[int, Any]:
    return 200, s.DeletedOut(deleted=ctx.ws.services.photo_avatars.delete_photos(ctx.user, avatar_id))


# -- audit (admins) ----------------------------------------------------------------------------------------------------
def _audit(ctx: Context) -> Any:
    if ctx.service is None or ctx.service.audit is None:
        raise ApiError(503, "audits need the service's relational store", None)
    return ctx.service.audit


def _audit_out(r: Any) -> s.AuditOut:
    return s.AuditOut(id=r.id, admin=r.admin, design_id=r.design_id, owner=r.owner, endpoint=r.endpoint,
                      reason=r.reason, created_at=r.created_at)


def _endpoint(template: str) -> str:
    return "GET " + template


def audit_designs(ctx: Context) -> tuple[int, Any]:
    q = ctx.query
    found = _audit(ctx).designs(ctx.user, ctx.admin, q.owner, q.reason, _endpoint("/admin/designs"), q.limit)
    return 200, [state_out(d, None) for d in found]


def audit_design(ctx: Context, design_id: str) -> tuple[int, Any]:
    found = _audit(ctx).design(ctx.user, ctx.admin, design_id, ctx.query.reason,
                               _endpoint("/admin/designs/{design_id}"))
    return 200, state_out(found, None)


def audit_versions(ctx: Context, design_id: str) -> tuple[int, Any]:
    found = _audit(ctx).versions(ctx.user, ctx.admin, design_id, ctx.query.reason,
                                 _endpoint("/admin/designs/{design_id}/versions"))
    return 200, [_version_out(v) for v in found]


def audit_history(ctx: Context, design_id: str) -> tuple[int, Any]:
    found = _audit(ctx).history(ctx.user, ctx.admin, design_id, ctx.query.reason,
                                _endpoint("/admin/designs/{design_id}/history"))
    return 200, [s.HistoryOut(**wire.history_fields(e)) for e in found]


def audit_exports(ctx: Context, design_id: str) -> tuple[int, Any]:
    found = _audit(ctx).exports(ctx.user, ctx.admin, design_id, ctx.query.reason,
                                _endpoint("/admin/designs/{design_id}/exports"))
    return 200, [export_out(ctx, j, signed=False) for j in found]  # an audit reads; it downloads nothing


def audit_log(ctx: Context) -> tuple[int, Any]:
    q = ctx.query
    found = _audit(ctx).records(ctx.user, ctx.admin, design_id=q.design_id, of_admin=q.admin, owner=q.owner,
                                limit=q.limit)
    return 200, [_audit_out(r) for r in found]


def design_audits(ctx: Context, design_id: str) -> tuple[int, Any]:
    return 200, [_audit_out(r) for r in _audit(ctx).of_design(ctx.user, design_id, ctx.query.limit)]


# -- catalog -----------------------------------------------------------------------------------------------------------
def list_catalog(ctx: Context) -> tuple[int, Any]:
    return 200, [item_out(i) for i in ctx.ws.catalog.list(ctx.query.type)]


def _of_type(kind: str) -> Callable[[Context], tuple[int, Any]]:
    def endpoint(ctx: Context) -> tuple[int, Any]:
        return 200, [item_out(i) for i in ctx.ws.catalog.list(kind)]

    endpoint.__name__ = f"list_{kind}s"
    return endpoint


def search_catalog(ctx: Context) -> tuple[int, Any]:
    q = ctx.query
    tags = [t.strip() for t in q.tags.split(",") if t.strip()] if q.tags else []
    found = ctx.ws.catalog.search(q.q, type=q.type, tags=tags, max_price=q.max_price, availability=q.availability,
                                  limit=q.limit)
    return 200, [item_out(i) for i in found]


def get_catalog_item(ctx: Context, item_id: str) -> tuple[int, Any]:
    return 200, item_out(ctx.ws.catalog.get(item_id))


def catalog_thumbnail(ctx: Context, item_id: str) -> tuple[int, Any]:
    data = ctx.ws.catalog.thumbnail(item_id)
    if data is None:
        raise NotFound(f"catalog item {item_id!r} has no thumbnail", field="item_id", value=item_id)
    return 200, FileBody(data, f"{item_id}.png", "image/png")


def whoami(ctx: Context) -> tuple[int, Any]:
    from fw_server import __version__

    return 200, s.ServiceInfo(service="fw", version=__version__, user=ctx.user, api=ctx.prefix)


# -- the table ---------------------------------------------------------------------------------------------------------
D = {"design_id": "the design's id"}
ROUTES: tuple[Route, ...] = (
    Route("GET", "/user", whoami, "Who the token belongs to, and the service version", "service",
          response=s.ServiceInfo),
    Route("GET", "/designs", list_designs, "Designs you own or that are shared with you, recently edited first",
          "designs", response=list[s.DesignOut]),
    Route("POST", "/designs", create_design, "Create a design", "designs", 201, body=s.DesignCreate,
          response=s.DesignOut),
    Route("GET", "/designs/{design_id}", get_design, "Read a design (counts a view unless count_view=false)",
          "designs", query=s.DesignQuery, response=s.DesignOut, params=D),
    Route("PATCH", "/designs/{design_id}", update_design, "Change descriptive fields and canvas settings",
          "designs", body=s.DesignPatch, response=s.DesignOut, session="optional", params=D),
    Route("DELETE", "/designs/{design_id}", delete_design, "Soft-delete a design (owner only)", "designs", 204,
          params=D),
    Route("POST", "/designs/{design_id}/fork", fork_design, "Fork a design into a new private one of yours",
          "designs", 201, body=s.ForkRequest, response=s.DesignOut, params=D),
    Route("POST", "/designs/{design_id}/like", like_design, "Like a design", "designs", response=s.DesignOut,
          params=D),
    Route("POST", "/designs/{design_id}/publish", publish_design, "Publish (owner only): readable, never "
          "editable, by everyone signed in (to=team) or with the link (to=public)", "designs",
          body=s.PublishRequest, response=s.DesignOut, params=D),
    Route("POST", "/designs/{design_id}/unpublish", unpublish_design, "Back to a private draft (owner only)",
          "designs", response=s.DesignOut, params=D),
    Route("GET", "/gallery", gallery, "Designs published to the team or public, newest edit first", "designs",
          response=list[s.DesignOut]),
    Route("GET", "/designs/{design_id}/thumbnail", design_thumbnail, "A square PNG of the design now, from the "
          "render cache (no export job)", "designs", query=s.ThumbnailQuery, response="binary", params=D),
    Route("POST", "/designs/{design_id}/public-link", public_link, "A signed link anyone may open read-only, "
          "without signing in, while the design stays published to public (owner only)", "designs", 201,
          body=s.PublicLinkRequest, response=s.PublicLinkOut, params=D),
    Route("GET", "/public/designs/{design_id}", public_design, "A design through its signed public link "
          "(read-only, no token)", "designs", query=s.PublicDesignQuery, response=s.DesignOut, auth="signature",
          params=D),
    Route("GET", "/public/designs/{design_id}/thumbnail", public_thumbnail, "A design's PNG through its signed "
          "public link (no token)", "designs", query=s.PublicDesignQuery, response="binary", auth="signature",
          params=D),
    Route("GET", "/designs/{design_id}/recommendations", design_recommendations,
          "Catalog items that go with the design's layers", "catalog", query=s.LimitQuery,
          response=list[s.CatalogItemOut], params=D),
    Route("POST", "/designs/{design_id}/undo", undo, "Undo the session's last edit (X-FW-Session)", "designs",
          response=s.UndoOut, session="required", params=D),
    Route("POST", "/designs/{design_id}/redo", redo, "Redo the session's last undone edit (X-FW-Session)", "designs",
          response=s.UndoOut, session="required", params=D),
    Route("GET", "/designs/{design_id}/layers", list_layers, "The layers, bottom first", "layers",
          response=list[s.Layer], params=D),
    Route("POST", "/designs/{design_id}/layers", add_layer, "Put a catalog item on the design", "layers", 201,
          body=s.LayerCreate, response=s.Layer, session="optional", params=D),
    Route("PUT", "/designs/{design_id}/layers/order", reorder_layers, "Set the stacking order", "layers",
          body=s.LayerOrder, response=list[s.Layer], session="optional", params=D),
    Route("PUT", "/designs/{design_id}/layers/group", group_layers, "Put layers in a named group (one edit)",
          "layers", body=s.LayerGroup, response=list[s.Layer], session="optional", params=D),
    Route("PATCH", "/designs/{design_id}/layers/{layer_id}", update_layer, "Change a layer", "layers",
          body=s.LayerPatch, response=s.Layer, session="optional", params={**D, "layer_id": "the layer's id"}),
    Route("DELETE", "/designs/{design_id}/layers/{layer_id}", remove_layer, "Remove a layer", "layers", 204,
          session="optional", params={**D, "layer_id": "the layer's id"}),
    Route("POST", "/designs/{design_id}/versions", checkpoint, "Checkpoint the current state", "versions", 201,
          body=s.CheckpointRequest, response=s.VersionOut, params=D),
    Route("GET", "/designs/{design_id}/versions", list_versions, "The checkpoints", "versions",
          response=list[s.VersionOut], params=D),
    Route("GET", "/designs/{design_id}/versions/{a}/diff/{b}", diff_versions,
          "RFC 6902 JSON Patch turning version a's snapshot into version b's", "versions",
          response=list[s.PatchOp], params={**D, "a": "int:a version number", "b": "int:a version number"}),
    Route("POST", "/designs/{design_id}/versions/{number}/restore", restore_version,
          "Make a version the current state (an undoable edit)", "versions", response=s.DesignOut,
          session="optional", params={**D, "number": "int:the version number"}),
    Route("GET", "/designs/{design_id}/history", design_history, "Every recorded action, oldest first", "versions",
          query=s.HistoryQuery, response=list[s.HistoryOut], params=D),
    Route("GET", "/designs/{design_id}/collaborators", list_collaborators, "Who the design is shared with",
          "collaborators", response=list[s.CollaboratorOut], params=D),
    Route("POST", "/designs/{design_id}/collaborators", share_design, "Share with a user (owner only)",
          "collaborators", 201, body=s.ShareRequest, response=s.CollaboratorOut, params=D),
    Route("DELETE", "/designs/{design_id}/collaborators/{user}", unshare_design, "Stop sharing with a user",
          "collaborators", 204, params={**D, "user": "the collaborator's user name"}),
    Route("GET", "/designs/{design_id}/comments", list_comments, "Comments, oldest first", "comments",
          response=list[s.CommentOut], params=D),
    Route("POST", "/designs/{design_id}/comments", add_comment, "Comment (commenter or above)", "comments", 201,
          body=s.CommentRequest, response=s.CommentOut, params=D),
    Route("POST", "/designs/{design_id}/exports", request_export,
          "Queue an export of the design as it is now", "exports", 202, body=s.ExportRequest,
          response=s.ExportOut, params=D),
    Route("GET", "/designs/{design_id}/exports", list_exports, "The design's exports", "exports",
          response=list[s.ExportOut], params=D),
    Route("GET", "/exports/{job_id}", get_export, "An export's status (with a signed download URL once completed)",
          "exports", response=s.ExportOut, params={"job_id": "the export's id"}),
    Route("POST", "/designs/{design_id}/drapes/find", find_drape, "The finished drape (npz of draped vertices) "
          "of a stack of the design's garments, 404 while there is none", "exports", body=s.DrapeFind,
          response="binary", params=D),
    Route("POST", "/exports/{job_id}/cancel", cancel_export, "Cancel an export or drape that has not ended (it "
          "ends failed, 'cancelled by ...'; a drape stores nothing)", "exports", response=s.ExportOut,
          params={"job_id": "the export's id"}),
    Route("GET", "/exports/{job_id}/download", download_export, "Download an export's file (signed URL)",
          "exports", query=s.DownloadQuery, response="binary", auth="signature",
          params={"job_id": "the export's id"}),
    Route("GET", "/avatars", list_avatars, "Your avatars", "avatars", response=list[s.AvatarOut]),
    Route("POST", "/avatars", create_avatar, "Fit a body to measurements (cm)", "avatars", 201,
          body=s.AvatarCreate, response=s.AvatarOut),
    Route("GET", "/avatars/{avatar_id}", get_avatar, "One of your avatars", "avatars", response=s.AvatarOut,
          params={"avatar_id": "the avatar's id"}),
    Route("PATCH", "/avatars/{avatar_id}", update_avatar, "Rename or re-fit one of your avatars (measurements in cm "
          "merged into the asked ones)", "avatars", body=s.AvatarPatch, response=s.AvatarOut,
          params={"avatar_id": "the avatar's id"}),
    Route("POST", "/avatars/from-photos", avatar_from_photos, "Start fitting a body to a front and a side photo: "
          "202 with the process (events on the /avatar WebSocket namespace); a photo that cannot be read is "
          "refused at once, one that cannot be measured fails the process", "avatars", 202,
          body=s.PhotoAvatarRequest, response=s.PhotoProcessOut, large_body=True),
    Route("GET", "/avatars/processes/{process_id}", photo_process, "A photo avatar process of yours: progress, "
          "the avatar once completed, the error if it failed", "avatars", response=s.PhotoProcessOut,
          params={"process_id": "the process id (the avatar's id)"}),
    Route("POST", "/avatars/measure-photos", measure_photos, "Measure two photos without fitting or storing",
          "avatars", body=s.MeasurePhotosRequest, response=s.PhotoMeasureOut, large_body=True),
    Route("GET", "/avatars/{avatar_id}/photos", avatar_photos, "The photos kept with one of your avatars",
          "avatars", response=s.AvatarPhotosOut, params={"avatar_id": "the avatar's id"}),
    Route("DELETE", "/avatars/{avatar_id}/photos", delete_avatar_photos, "Delete the photos kept with one of your "
          "avatars (the avatar stays)", "avatars", response=s.DeletedOut, params={"avatar_id": "the avatar's id"}),
    Route("GET", "/designs/{design_id}/avatar", design_avatar, "The avatar the design wears (its body parameters "
          "rebuild the mesh)", "avatars", response=s.AvatarOut, params=D),
    Route("GET", "/catalog/items", list_catalog, "Catalog items, optionally of one type", "catalog",
          query=s.CatalogListQuery, response=list[s.CatalogItemOut]),
    Route("GET", "/catalog/items/{item_id}", get_catalog_item, "One catalog item", "catalog",
          response=s.CatalogItemOut, params={"item_id": "the item's id"}),
    Route("GET", "/catalog/items/{item_id}/thumbnail", catalog_thumbnail, "The item's PNG thumbnail", "catalog",
          response="binary", params={"item_id": "the item's id"}),
    Route("GET", "/catalog/search", search_catalog, "Full-text search, typos tolerated, with filters", "catalog",
          query=s.CatalogSearchQuery, response=list[s.CatalogItemOut]),
    Route("GET", "/designs/{design_id}/audit", design_audits, "Who audited your design, when, how and why "
          "(the owner only)", "audit", query=s.OwnerAuditQuery, response=list[s.AuditOut], params=D),
    Route("GET", "/admin/designs", audit_designs, "Audit: a user's designs, private ones too (admins; recorded "
          "per design)", "audit", query=s.AdminDesignsQuery, response=list[s.DesignOut], admin=True),
    Route("GET", "/admin/designs/{design_id}", audit_design, "Audit: any design with its layers (admins; "
          "recorded)", "audit", query=s.AuditQuery, response=s.DesignOut, params=D, admin=True),
    Route("GET", "/admin/designs/{design_id}/versions", audit_versions, "Audit: a design's checkpoints (admins; "
          "recorded)", "audit", query=s.AuditQuery, response=list[s.VersionOut], params=D, admin=True),
    Route("GET", "/admin/designs/{design_id}/history", audit_history, "Audit: a design's history (admins; "
          "recorded)", "audit", query=s.AuditQuery, response=list[s.HistoryOut], params=D, admin=True),
    Route("GET", "/admin/designs/{design_id}/exports", audit_exports, "Audit: a design's exports, without "
          "download links (admins; recorded)", "audit", query=s.AuditQuery, response=list[s.ExportOut],
          params=D, admin=True),
    Route("GET", "/admin/audit", audit_log, "The audit log, newest first (admins)", "audit",
          query=s.AuditLogQuery, response=list[s.AuditOut], admin=True),
    *(Route("GET", f"/catalog/{kind}s", _of_type(kind), f"Every {kind}", "catalog", response=list[s.CatalogItemOut])
      for kind in ("silhouette", "fabric", "pattern", "element", "accessory")),
)

from .metrics_routes import METRICS_ROUTES  # noqa: E402  (they use Route and Context from here)

ROUTES = (*ROUTES, *METRICS_ROUTES)
