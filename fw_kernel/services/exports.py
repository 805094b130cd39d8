"""Exports through a job queue: a request snapshots the design (later edits do not change it), a worker renders,
encodes and stores the file, and the record moves queued -> processing -> completed | failed.

The physics drape is a job of this queue too (kind ``drape``, ``design.drape()``): the same records, retries,
RQ workers and progress; its file is the draped vertices (``drape.npz``), and its result goes into the drape cache
(:mod:`.drape`) that every later scene of the same inputs draws. A job may be cancelled (``failed``, error
"cancelled ..."): a drape stops between solver frames and stores nothing."""

from __future__ import annotations

import builtins
import hashlib
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain import permissions
from ..domain.design import Design, from_snapshot, snapshot
from ..domain.errors import FWError, NotFound, ValidationError, show_value
from ..domain.exports import CANCELLED, KEEP_FOR, VIEWS, ExportJob, NothingToExport, validate_export
from ..domain.values import DesignMeta
from ..ports import DrapeCancelled, UnitOfWorkFactory
from .clock import new_id, utcnow

log = logging.getLogger(__name__)
SUPERSAMPLE = {"draft": 1, "standard": 2, "high": 3}


class ExportService:
    def __init__(self, uow: UnitOfWorkFactory, store: Any, queue: Any, blobs_factory: Callable[[], Any],
                 documents: Any, scene_of: Callable[[dict[str, Any], dict[str, Any] | None], Any],
                 renderer_factory: Callable[[], Any], encode_video: Callable[..., bytes] | None = None,
                 clock: Callable[[], datetime] = utcnow, item_of: Callable[[str], Any] | None = None,
                 techpack_writer: Any = None, image_codec: Any = None,
                 patterns_of: Callable[..., list[Any]] | None = None, pattern_writer: Any = None,
                 drapes: Any = None, drape_stack_of: Callable[..., Any] | None = None,
                 drape_marker: Callable[..., str | None] | None = None):
        self._uow = uow
        self._store = store
        self._queue = queue
        self._blobs_factory = blobs_factory
        self._docs = documents
        self._scene_of = scene_of
        self._renderer_factory = renderer_factory
        self._encode_video = encode_video
        self._item_of = item_of
        self._techpack_writer = techpack_writer  # .line_view(rgba) -> PNG, .render_pdf(pack, images) -> PDF
        self._image_codec = image_codec  # .encode(rgba, format) -> file, .opaque_png(rgba, background) -> PNG
        self._patterns_of = patterns_of   # (design, body, size, sex) -> [Pattern] of its visible garments
        self._pattern_writer = pattern_writer  # .write(patterns, format, paper) -> (bytes, name), .techpack_pages
        self._drapes = drapes  # services.drape.DrapeCache: finished drapes and the cloth draper
        self._drape_stack_of = drape_stack_of  # (design, body) -> (body geometry, [(StackEntry, garment)])
        self._drape_marker = drape_marker  # (design, body) -> the finished drape a scene draws, for render keys
        self._renderer: Any = None
        self._blobs: Any = None
        self._clock = clock

    def request(self, user: str, design_id: str, kind: Any, options: dict[str, Any]) -> ExportJob:
        """Validate, snapshot the design and the avatar's body, record the job and queue it."""
        normalised = validate_export(kind, options)
        with self._uow() as uow:
            design = uow.designs.get(design_id)
            if design is None:
                raise NotFound(f"design {show_value(design_id)} does not exist or is not shared with {user!r}",
                               field="design_id", value=design_id)
            role = permissions.role_of(design, user, uow.collaborators.role(design.id, user))
            permissions.check(design, user, role, "export")
            avatar = uow.avatars.get(design.meta.avatar_id) if design.meta.avatar_id else None
            versions = uow.versions.list(design.id) if kind == "techpack" else []
        if kind == "drape":
            _check_drapeable(design, avatar)
        payload = {"state": snapshot(design), "canvas": design.canvas.model_dump(mode="json"),
                   "body": avatar.body if avatar is not None and avatar.body else None}
        if kind == "techpack":  # what the document states besides the geometry
            latest = max(versions, key=lambda v: v.version_number, default=None)
            payload["techpack"] = {
                "owner": design.owner, "revision": design.version,
                "checkpoint": latest.version_number if latest else None,
                "checkpoint_message": latest.message if latest else "",
                "avatar": {"name": avatar.name, "measurements": avatar.measurements} if avatar is not None else None}
        job = ExportJob(new_id(), design.id, user, kind, normalised, created_at=self._clock())
        self._store.add(job, payload)  # the request lives with the record: a worker process elsewhere runs it
        self._queue.submit(self.run, job.id, payload)
        return job

    def get(self, job_id: str) -> ExportJob:
        job = self._store.get(job_id)
        if job is None:
            raise NotFound(f"export {show_value(job_id)} does not exist", field="job_id", value=job_id)
        if job.type == "drape" and job.done and self._drapes is not None:
            self._drapes.forget_missing()  # a worker elsewhere may have stored this stack's drape
        return job

    def list(self, design_id: str) -> list[ExportJob]:
        return self._store.list(design_id)

    def pending(self, older_than_s: float) -> builtins.list[str]:
        """Ids of the jobs that have not ended, requested more than ``older_than_s`` seconds ago."""
        pending: builtins.list[str] = self._store.pending(datetime.now(UTC) - timedelta(seconds=older_than_s))
        return pending

    def resubmit(self, job_id: str) -> None:
        """Queue a job again from its stored request (its queue entry was lost: see ``queue_rq.LostJobSweeper``);
        a job that completes meanwhile completes once."""
        self._queue.submit(self.run, job_id, self._store.request(job_id))

    def cancel(self, user: str, job_id: str) -> ExportJob:
        """Cancel a job that has not ended (anyone who may export its design): it ends ``failed`` with the error
        "cancelled by <user>"; a drape stops at the solver's next frame and stores nothing. An ended job is
        returned as it is."""
        job = self.get(job_id)
        with self._uow() as uow:
            design = uow.designs.get(job.design_id)
            if design is None:
                raise NotFound(f"export {show_value(job_id)} does not exist", field="job_id", value=job_id)
            permissions.check(design, user, permissions.role_of(design, user, uow.collaborators.role(design.id, user)),
                              "export")
        if not job.done:
            self._store.update(job_id, status="failed", error=f"{CANCELLED} by {user}")
        return self.get(job_id)

    def finished_drape(self, user: str, design_id: str, stack: Any) -> bytes | None:
        """The npz of the best finished drape of ``stack`` (``StackEntry.content()`` dicts) for a design ``user``
        may read, None when there is none (the design service's clients build their scenes themselves)."""
        from ..scene.drapes import StackEntry
        from .drape import to_npz

        with self._uow() as uow:
            _readable(uow, user, design_id)   # may the user read it?
        try:
            entries = [StackEntry("", str(c["geometry"]), int(c["n"]), int(c["faces"]), dict(c["physical"]))
                       for c in stack]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError.bad("stack", "...", "garments of {geometry, n, faces, physical}") from exc
        found = self._drapes.find(entries) if self._drapes is not None and entries else None
        return None if found is None else to_npz(found[1])

    def run_stored(self, job_id: str, attempt: int = 0, retries_left: int | None = None) -> None:
        """Run a job from the request stored with its record (a worker process that did not see the request)."""
        payload = self._store.request(job_id)
        if payload is None:
            raise NotFound(f"export {show_value(job_id)} has no stored request", field="job_id", value=job_id)
        self.run(job_id, payload, attempt, retries_left)

    def record_lost(self, job_id: str, error: str, retry: bool) -> None:
        """A worker died mid-job: the record waits for the retry (``queued``) or ends ``failed``."""
        self._store.update(job_id, status="queued" if retry else "failed", error=error)

    # -- the worker side -----------------------------------------------------------------------------------------
    def run(self, job_id: str, payload: dict[str, Any], attempt: int = 0, retries_left: int | None = None) -> None:
        """Make the file and complete the record. ``attempt``/``retries_left`` come from a queue that retries (RQ):
        then a failure is recorded and raised, and the record stays ``queued`` while retries are left. Without them
        (the in-process queue) a failure is recorded and not raised. The file is stored (atomically) before the
        record completes, and a record completes once however often its job runs."""
        job = self.get(job_id)
        if job.status == "completed" or job.cancelled:  # a retry of a job that completed, or cancelled: nothing
            return
        self._store.update(job_id, status="processing", progress=5, retry_count=attempt)
        try:
            make = {"image": self._image, "video": self._video, "model": self._model,
                    "techpack": self._techpack, "pattern": self._pattern, "drape": self._drape}[job.type]
            data, name = make(job, payload)
            if self.get(job_id).cancelled:
                raise DrapeCancelled(job_id)
            if self._blobs is None:
                self._blobs = self._blobs_factory()
            # the final key is the same on every attempt and written atomically: never half a file there
            url = self._blobs.put(f"exports/{job.design_id}/{job_id}/{name}", data)
        except DrapeCancelled:  # the record says so already (cancel()); nothing was stored
            log.info("%s %s cancelled", job.type, job_id)
            return
        except Exception as exc:
            log.exception("export %s failed (attempt %d)", job_id, attempt + 1)
            final = isinstance(exc, FWError)  # made from the stored request: it fails the same way every time
            again = bool(retries_left) and not final
            self._store.update(job_id, status="queued" if again else "failed", error=f"{type(exc).__name__}: {exc}",
                               retry_count=attempt)
            if retries_left is None or final:
                return
            raise
        now = self._clock()
        self._store.complete(job_id, progress=100, file_url=url, file_name=name, file_size=len(data), error=None,
                             completed_at=now, expires_at=now + KEEP_FOR)

    def _design_scene(self, job: ExportJob, payload: dict[str, Any]) -> Any:
        shell = Design(id=job.design_id, owner=job.user, meta=DesignMeta(name="export"))
        return self._scene_of(from_snapshot(shell, payload["state"]), payload["body"])

    def _drape(self, job: ExportJob, payload: dict[str, Any]) -> tuple[bytes, str]:
        """Drape the design's visible pattern garments on its avatar with the cloth draper, or reuse the finished
        drape of the same inputs (no solver call); the result goes into the drape cache, and is the job's file."""
        from .drape import drape_key, to_npz

        if self._drapes is None or self._drape_stack_of is None:
            raise RuntimeError("no drape cache configured (bootstrap wires fw_kernel.services.drape)")
        shell = Design(id=job.design_id, owner=job.user, meta=DesignMeta(name="drape"))
        body, stack = self._drape_stack_of(from_snapshot(shell, payload["state"]), payload["body"])
        if body is None or not stack:
            raise NothingToExport("nothing to drape: the design needs an avatar and a visible silhouette (garment) "
                                  "layer sewn from a pattern")
        quality = job.options["quality"]
        entries = [entry for entry, _ in stack]
        draper = self._drapes.draper()  # raises what is missing (the drape extra, FW_DRAPER)
        key = drape_key(entries, quality, str(draper.version()))
        found = self._drapes.get(key)
        if found is not None and [len(a) for a in found] == [e.vertex_count for e in entries]:
            self._store.update(job.id, progress=95)  # the same inputs were draped before: reused
            return to_npz(found), "drape.npz"
        self._store.update(job.id, progress=10)
        shown = [10]
        polled = [0.0, False]

        def progress(fraction: float, message: str = "") -> None:
            value = 10 + int(85 * min(max(float(fraction), 0.0), 1.0))
            if value > shown[0]:
                shown[0] = value
                self._store.update(job.id, progress=value)

        def cancelled() -> bool:
            import time

            now = time.monotonic()
            if now - float(polled[0]) >= 0.2:  # a store read at most five times a second
                polled[0], polled[1] = now, self.get(job.id).cancelled
            return bool(polled[1])

        arrays = draper.drape(body, [(g, dict(e.physical)) for e, g in stack], quality, progress, cancelled)
        if len(arrays) != len(entries) or any(getattr(a, "shape", None) != (e.vertex_count, 3)
                                              for a, e in zip(arrays, entries)):
            raise RuntimeError(f"the draper returned {[getattr(a, 'shape', None) for a in arrays]} for garments of "
                               f"{[e.vertex_count for e in entries]} vertices")
        if self.get(job.id).cancelled:
            raise DrapeCancelled(job.id)
        _, data = self._drapes.put(key, arrays)
        return data, "drape.npz"

    def _model(self, job: ExportJob, payload: dict[str, Any]) -> tuple[bytes, str]:
        from ..scene.files import to_glb, to_obj_zip

        scene = self._design_scene(job, payload)
        if not scene.geometry:
            raise NothingToExport("nothing to export: the design has no avatar and no visible layer")
        self._store.update(job.id, progress=60)
        if job.options["format"] == "glb":
            return to_glb(scene), "design.glb"
        return to_obj_zip(scene), "design_obj.zip"

    def _design_patterns(self, job: ExportJob, payload: dict[str, Any], size: str = "avatar",
                         sex: str = "female") -> builtins.list[Any]:
        if self._patterns_of is None:
            return []
        shell = Design(id=job.design_id, owner=job.user, meta=DesignMeta(name="export"))
        return self._patterns_of(from_snapshot(shell, payload["state"]), payload["body"], size, sex)

    def _pattern(self, job: ExportJob, payload: dict[str, Any]) -> tuple[bytes, str]:
        """The sewing patterns of the design's visible garments as DXF-AAMA, true-scale SVG or a tiled PDF."""
        if self._pattern_writer is None or self._patterns_of is None:
            raise RuntimeError("no pattern writer configured (install the pattern extra: ezdxf)")
        o = job.options
        patterns = self._design_patterns(job, payload, o["size"], o["sex"])
        if not patterns:
            raise NothingToExport("nothing to export: the design has no visible garment with a sewing pattern")
        self._store.update(job.id, progress=50)
        return self._pattern_writer.write(patterns, o["format"], o["paper"])

    def _techpack(self, job: ExportJob, payload: dict[str, Any]) -> tuple[bytes, str]:
        """Renders of five views and two line views, the BOM, measurements and layers, laid out as a PDF."""
        from ..domain.techpack import build_techpack

        codec = self._codec()
        writer = self._techpack_writer
        if writer is None or self._item_of is None:
            raise RuntimeError("no tech-pack writer configured (install the techpack extra: reportlab)")
        info = payload["techpack"]
        scene = self._design_scene(job, payload)
        areas = {name.split(":", 1)[1]: float(geometry.area) for name, geometry in scene.geometry.items()
                 if name.startswith("layer:") and getattr(geometry, "area", 0)}
        if self._renderer is None:
            self._renderer = self._renderer_factory()
        ss = SUPERSAMPLE[job.options["quality"]]
        shots = {"hero": ("three_quarter", 900, 1200), "front": ("front", 480, 640), "back": ("back", 480, 640),
                 "left": ("left", 480, 640), "right": ("right", 480, 640)}
        images: dict[str, bytes] = {}
        for i, (name, (view, w, h)) in enumerate(shots.items()):
            rgba = self._renderer.render(scene, w, h, VIEWS[view], "transparent" if name in ("front", "back")
                                         else None, ss)
            background = None
            if name in ("front", "back"):  # rendered on transparent for the line view, shown on the canvas colour
                images[f"line_{name}"] = writer.line_view(rgba)
                background = scene.metadata.get("background", "#ffffff")
            images[name] = codec.opaque_png(rgba, background)
            self._store.update(job.id, progress=10 + 15 * (i + 1))
        now = self._clock()
        pack = build_techpack(payload["state"], self._item_of, design_id=job.design_id, designer=info["owner"],
                              date=now.strftime("%Y-%m-%d"), revision=info["revision"],
                              checkpoint=info["checkpoint"], checkpoint_message=info["checkpoint_message"],
                              avatar=info["avatar"], garment_area_m2=areas)
        safe = "".join(c if c.isalnum() else "_" for c in pack.style_name)[:40] or "design"
        patterns = self._design_patterns(job, payload) if self._pattern_writer is not None else []
        if patterns:  # pattern pages: the pieces (scaled, annotated) and the pattern's points of measure
            pages = self._pattern_writer.techpack_pages(patterns)
            return writer.render_pdf(pack, images, patterns=pages), f"techpack_{safe}.pdf"
        return writer.render_pdf(pack, images), f"techpack_{safe}.pdf"

    def _video(self, job: ExportJob, payload: dict[str, Any]) -> tuple[bytes, str]:
        """A turntable: frames render in this thread while another encodes them (the encoder never idles the
        renderer); progress follows the frames."""
        import queue
        import threading

        if self._encode_video is None:
            raise RuntimeError("no video encoder configured (install the video extra: PyAV)")
        o = job.options
        scene = self._design_scene(job, payload)
        if self._renderer is None:
            self._renderer = self._renderer_factory()
        n = max(1, round(o["duration"] * o["fps"]))
        start = VIEWS[o["view"]]
        yaws = [start + o["degrees"] * i / n for i in range(n)]
        frames: queue.Queue[Any] = queue.Queue(maxsize=8)
        result: dict[str, Any] = {}
        ended = threading.Event()  # the renderer has put its last frame (or given up)

        def produced() -> Any:
            while (frame := frames.get()) is not None:
                yield frame
            ended.set()

        def consume() -> None:
            try:
                result["data"] = self._encode_video(produced(), o["format"], o["fps"], o["width"], o["height"],
                                                    o["quality"])
            except Exception as exc:  # reported by the renderer thread
                result["error"] = exc
            while not ended.is_set():  # drain so the renderer never blocks on a full queue
                if frames.get() is None:
                    ended.set()

        encoder = threading.Thread(target=consume, name="fw-encode", daemon=True)
        encoder.start()
        ss = SUPERSAMPLE[o["quality"]] if max(o["width"], o["height"]) * SUPERSAMPLE[o["quality"]] <= 4096 else 1
        try:
            for i, rgba in enumerate(self._renderer.render_many(scene, o["width"], o["height"], yaws,
                                                                o["background"], ss)):
                if "error" in result:
                    break
                frames.put(rgba[..., :3])
                if i % max(1, n // 20) == 0:
                    self._store.update(job.id, progress=5 + int(90 * (i + 1) / n))
        finally:
            frames.put(None)
            encoder.join()
        if "error" in result:
            raise result["error"]
        return result["data"], f"turntable.{o['format']}"

    def _codec(self) -> Any:
        if self._image_codec is None:
            raise RuntimeError("no image codec configured (bootstrap wires fw_kernel.adapters.image_codec)")
        return self._image_codec

    def _image(self, job: ExportJob, payload: dict[str, Any]) -> tuple[bytes, str]:
        return self._cached_image(job, payload, lambda p: self._store.update(job.id, progress=p))

    def thumbnail(self, user: str, design_id: str, size: Any = 256) -> bytes:
        """A ``size`` x ``size`` PNG (32..1024 px, three-quarter view, draft quality) of the design as it is now,
        from the render cache (rendered once per design state): for galleries. No export job, so it counts in no
        export metric. Anyone who may read the design may get it."""
        if isinstance(size, bool) or not isinstance(size, int) or not 32 <= size <= 1024:
            raise ValidationError.bad("size", size, "an integer from 32 to 1024 (pixels)")
        options = validate_export("image", {"format": "png", "width": size, "height": size, "quality": "draft",
                                            "view": "three_quarter"})
        with self._uow() as uow:
            design = _readable(uow, user, design_id)
            avatar = uow.avatars.get(design.meta.avatar_id) if design.meta.avatar_id else None
        payload = {"state": snapshot(design), "canvas": design.canvas.model_dump(mode="json"),
                   "body": avatar.body if avatar is not None and avatar.body else None}
        job = ExportJob("thumbnail", design.id, user, "image", options, created_at=self._clock())
        return self._cached_image(job, payload, lambda p: None)[0]

    def _cached_image(self, job: ExportJob, payload: dict[str, Any], progress: Callable[[int], None]
                      ) -> tuple[bytes, str]:
        codec = self._codec()
        options = job.options
        marker = None  # the finished drape the scene draws: a drape that finishes later makes a new render
        if self._drape_marker is not None:
            shell = Design(id=job.design_id, owner=job.user, meta=DesignMeta(name="export"))
            marker = self._drape_marker(from_snapshot(shell, payload["state"]), payload["body"])
        parts: dict[str, Any] = {"payload": payload, "options": options}
        if marker is not None:
            parts["drape"] = marker
        key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
        cached = self._docs.get_render(key)
        name = f"{options['view']}.{'jpg' if options['format'] == 'jpeg' else options['format']}"
        if self._blobs is None:
            self._blobs = self._blobs_factory()
        if cached is not None and self._blobs.exists_url(cached["url"]):  # same state, same settings: reuse
            progress(90)
            return self._blobs.read_url(cached["url"]), name
        scene = self._design_scene(job, payload)
        progress(40)
        if self._renderer is None:
            self._renderer = self._renderer_factory()
        w, h = options["width"], options["height"]
        ss = SUPERSAMPLE[options["quality"]] if max(w, h) * SUPERSAMPLE[options["quality"]] <= 4096 else 1
        rgba = self._renderer.render(scene, w, h, VIEWS[options["view"]], options["background"], ss)
        progress(80)
        data = codec.encode(rgba, options["format"])
        url = self._blobs.put(f"render_cache/{key}/{name}", data)
        self._docs.put_render(key, {"url": url, "size": len(data)}, self._clock())
        return data, name


def _check_drapeable(design: Design, avatar: Any) -> None:
    """A drape needs a body and a garment: refused at request time with what to add."""
    if avatar is None or not avatar.body:
        raise NothingToExport("nothing to drape: the design has no avatar to drape its garments on "
                              "(design.update(avatar_id=avatar.id) first)")
    if not any(layer.type == "silhouette" and layer.is_visible for layer in design.layers):
        raise NothingToExport("nothing to drape: the design has no visible silhouette (garment) layer; add one, "
                              "e.g. design.add_layer('sil-aline-dress')")


def _readable(uow: Any, user: str, design_id: Any) -> Any:
    """The design ``user`` may read (the unit of work's), else NotFound or PermissionDenied."""
    design = uow.designs.get(design_id) if isinstance(design_id, str) else None
    if design is None:
        raise NotFound(f"design {show_value(design_id)} does not exist or is not shared with {user!r}",
                       field="design_id", value=design_id)
    permissions.check(design, user, permissions.role_of(design, user, uow.collaborators.role(design.id, user)),
                      "read")
    return design
