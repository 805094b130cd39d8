"""Cloth drape (issue #13): the simulated Cusick test for every catalog fabric, garments draped on a real body,
and pictures of a draped garment (``python -m benchmarks.drape [--cusick-only|--garments-only] [--no-pictures]
[--outfits | --outfits-only] [--turntable]``; ``--outfits`` also drapes the README's three outfits and writes
``docs/images/drape_<outfit>.png``, ``--turntable`` exports the README's turntable of a draped dress through the
notebook API and writes six of its decoded frames to ``docs/images/drape_turntable_aline-dress.png``).

Cusick (ISO 9073-9 / BS 5058): a 30 cm disc clamped on an 18 cm pedestal, drape coefficient from its shadow.
Baseline in the same run: the same disc with no bending stiffness (the solver's floor: what a limp membrane of
that mesh gives; a fabric's coefficient above it is its bending stiffness at work).

Garments: sewn from their patterns on anny's default female body (``build_body``, no fit), draped by
``NewtonDraper``: max body penetration (mm), max seam gap (mm), stretch p50/p90 against the flat pattern (%),
frames, wall and CPU seconds, settled. The same-run baseline is the undraped garment (the sewing module's
wrap on the fitting surfaces): its stretch against the pattern and penetration.

Writes ``benchmarks/results-drape.json`` and PNGs ``benchmarks/drape-<garment>-<view>.png``.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml

from fw_kernel.adapters import drape_newton as d
from fw_kernel.domain.cloth import cloth_params

HERE = Path(__file__).parent
ROOT = HERE.parent
GARMENTS = [("sil-aline-skirt", "fab-cotton-poplin", "draft"), ("sil-aline-dress", "fab-cotton-poplin", "draft"),
            ("sil-tshirt", "fab-cotton-jersey", "draft"), ("sil-straight-trousers", "fab-denim-indigo", "draft"),
            ("sil-aline-dress", "fab-cotton-poplin", "standard")]


def catalog_fabrics() -> dict[str, dict]:
    """Fabric id -> its ``physical`` block, for every catalog fabric that has one."""
    with open(ROOT / "catalog_data" / "fabrics.yaml") as fh:
        items = yaml.safe_load(fh)["items"]
    return {i["id"]: i["physical"] for i in items if i.get("type") == "fabric" and "physical" in i}


def cusick_table() -> dict[str, dict]:
    rows = {}
    for fid, physical in catalog_fabrics().items():
        params = cloth_params(physical)
        dc, run = d.cusick(params)
        rows[fid] = {"drape_coefficient": round(dc, 3), "frames": run.frames, "settled": run.settled,
                     "seconds": round(run.seconds, 1), "cpu_s": round(run.stats["cpu_seconds"], 1),
                     "bending_length_cm": round(params.bending_length_m * 100, 2),
                     "catalog_drape": physical.get("drape"), "weight_gsm": physical.get("weight_gsm")}
        print(f"  {fid:22} DC {dc:5.2f}  c {params.bending_length_m * 100:4.1f} cm  {run.frames:3d} frames "
              f"{run.seconds:5.1f} s", flush=True)
    limp = replace(cloth_params(catalog_fabrics()["fab-cotton-poplin"]), bending_rigidity=0.0)
    dc0, run0 = d.cusick(limp)
    rows["_baseline_limp_membrane"] = {"drape_coefficient": round(dc0, 3), "frames": run0.frames,
                                       "seconds": round(run0.seconds, 1), "cpu_s": round(run0.stats["cpu_seconds"], 1)}
    print(f"  {'baseline: poplin, no bending':22} DC {dc0:5.2f}", flush=True)
    return rows


def reference_body():
    from fw_kernel.geometry.body.model import MODEL_ID, build_body
    from fw_kernel.geometry.body.parts import body_geometry

    return body_geometry(build_body({"model": MODEL_ID, "phenotypes": {"gender": 1.0}}))


def sew(body, item_id: str, quality: str):
    from fw_kernel.adapters.catalog_files import load_manifests
    from fw_kernel.geometry.garment.garments import spec_from
    from fw_kernel.sewing import draft, from_body, spec_values
    from fw_kernel.sewing.assemble import garment_from_pattern

    item = next(i for i in load_manifests(ROOT / "catalog_data")[0] if i.id == item_id)
    values = item.defaults()
    spec = spec_from(item.id, item.compatibility.get("categories", []), item.tags, spec_values(values))
    return garment_from_pattern(body, item.id, spec, draft(item.id, values, from_body(body)), [], quality)


def garment_table(body) -> tuple[dict[str, dict], dict[str, tuple]]:
    fabrics = catalog_fabrics()
    rows, kept = {}, {}
    for item_id, fid, quality in GARMENTS:
        garment = sew(body, item_id, quality)
        draper = d.NewtonDraper()
        out = draper.drape(body, [(garment, fabrics[fid])], quality)
        run = draper.last_runs[0]
        figs = d.garment_figures(body, garment, out[0])
        before = d.garment_figures(body, garment, garment.vertices)
        key = f"{item_id}/{fid}/{quality}"
        rows[key] = {**{k: round(v, 2) for k, v in figs.items()}, "frames": run.frames, "settled": run.settled,
                     "wall_s": round(run.seconds, 1), "cpu_s": round(run.stats["cpu_seconds"], 1),
                     "sim_vertices": int(run.stats["sim_vertices"]), "pinned": int(run.stats["pinned"]),
                     "baseline_undraped_stretch_p90_pct": round(before["stretch_p90_pct"], 2),
                     "baseline_undraped_penetration_mm": round(before["penetration_mm"], 2)}
        r = rows[key]
        print(f"  {key:44} pen {r['penetration_mm']:5.1f} mm  seam {r['seam_gap_mm']:4.1f} mm  stretch p90 "
              f"{r['stretch_p90_pct']:5.1f} % (undraped {r['baseline_undraped_stretch_p90_pct']:5.1f})  "
              f"{r['frames']:3d} frames {r['wall_s']:6.1f} s wall {r['cpu_s']:6.1f} s cpu "
              f"{'settled' if r['settled'] else 'step limit'}", flush=True)
        kept[key] = (garment, out[0])
    return rows, kept


def pictures(body, garment, draped: np.ndarray, name: str) -> list[str]:
    """Front, side and back renders (pyrender, the project's renderer) of the body in the draped garment."""
    return outfit_pictures(body, [(garment, draped, (70, 110, 170))], name, HERE)


def outfit_pictures(body, layers: list[tuple], name: str, folder: Path, size: tuple[int, int] = (450, 600)
                    ) -> list[str]:
    """Front, side and back renders of the body in draped garments ``layers`` [(garment, draped (N, 3) m,
    RGB colour)], written as ``<folder>/drape-<name>-<view>.png``."""
    import trimesh
    from PIL import Image

    from fw_kernel.adapters.render_pyrender import PyrenderRenderer
    from fw_kernel.scene.build import _look_at

    scene = trimesh.Scene()
    avatar = trimesh.Trimesh(body.vertices, body.faces, process=False)
    avatar.visual = trimesh.visual.TextureVisuals(material=trimesh.visual.material.PBRMaterial(
        baseColorFactor=[200, 160, 140, 255], roughnessFactor=0.7, metallicFactor=0.0))
    scene.add_geometry(avatar, node_name="avatar")
    for k, (garment, draped, colour) in enumerate(layers):
        cloth = trimesh.Trimesh(draped, garment.faces, process=False)
        cloth.visual = trimesh.visual.TextureVisuals(material=trimesh.visual.material.PBRMaterial(
            baseColorFactor=[*colour, 255], roughnessFactor=0.8, metallicFactor=0.0, doubleSided=True))
        scene.add_geometry(cloth, node_name=f"garment{k}")
    every = np.concatenate([np.asarray(d_, np.float64) for _, d_, _ in layers])
    target = np.array([0.0, float(every[:, 1].mean()), 0.0])
    eye = target + np.array([0.0, 0.15, 2.6])
    scene.camera = trimesh.scene.Camera(name="c", resolution=(600, 800), fov=(30.0, 40.0))
    scene.camera_transform = _look_at(eye, target)
    scene.metadata["camera_target"] = target.tolist()
    scene.metadata["lights"] = {"ambient": 0.35, "directional": [
        {"intensity": 2.5, "pose": _look_at(target + np.array([-2.0, 2.5, 3.0]), target).tolist()},
        {"intensity": 1.0, "pose": _look_at(target + np.array([2.5, 1.0, -2.5]), target).tolist()}]}
    paths = []
    renderer = PyrenderRenderer()
    for view, yaw in (("front", 0.0), ("side", 90.0), ("back", 180.0)):
        img = renderer.render(scene, size[0], size[1], yaw_deg=yaw, supersample=2)
        path = folder / f"drape-{name}-{view}.png"
        Image.fromarray(img).save(path, optimize=True)
        paths.append(str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path))
    return paths


OUTFITS = {   # the README's pictures: garments bottom layer first, with the fabric and the render colour
    "aline-dress": [("sil-aline-dress", "fab-cotton-poplin", (70, 110, 170))],
    "tee-skirt": [("sil-aline-skirt", "fab-cotton-poplin", (60, 70, 110)),
                  ("sil-tshirt", "fab-cotton-jersey", (225, 225, 220))],
    "blouse-pencil": [("sil-pencil-skirt", "fab-wool-twill", (70, 70, 80)),
                      ("sil-blouse", "fab-silk-satin", (200, 170, 190))],
}


def outfits(body, quality: str = "draft") -> dict[str, dict]:
    """Drape each of :data:`OUTFITS` in one run (the upper garments collide with those beneath) and write its
    front/side/back strip ``docs/images/drape_<name>.png``; returns the figures per outfit and garment."""
    import tempfile

    from PIL import Image

    fabrics = catalog_fabrics()
    rows: dict[str, dict] = {}
    for name, layers in OUTFITS.items():
        garments = [sew(body, item, quality) for item, _, _ in layers]
        draper = d.NewtonDraper()
        out = draper.drape(body, [(g, fabrics[fid]) for g, (_, fid, _) in zip(garments, layers, strict=True)],
                           quality)
        rows[name] = {}
        for g, draped, run, (item, fid, _) in zip(garments, out, draper.last_runs, layers, strict=True):
            figs = d.garment_figures(body, g, draped)
            rows[name][f"{item}/{fid}"] = {**{k: round(v, 2) for k, v in figs.items()}, "frames": run.frames,
                                           "cpu_s": round(run.stats["cpu_seconds"], 1)}
            print(f"  {name:14} {item:20} pen {figs['penetration_mm']:4.1f} mm (between "
                  f"{figs['penetration_between_mm']:4.1f})  seam {figs['seam_gap_mm']:4.1f} mm  stretch p90 "
                  f"{figs['stretch_p90_pct']:5.1f} %  {run.frames} frames {run.stats['cpu_seconds']:5.1f} s cpu",
                  flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            paths = outfit_pictures(body, [(g, o, c) for g, o, (_, _, c) in zip(garments, out, layers, strict=True)],
                                    name, Path(tmp), size=(300, 400))
            views = [Image.open(Path(tmp) / Path(p).name) for p in paths]
            strip = Image.new("RGB", (sum(v.width for v in views), views[0].height), "white")
            x = 0
            for v in views:
                strip.paste(v, (x, 0))
                x += v.width
            strip.save(ROOT / "docs" / "images" / f"drape_{name}.png", optimize=True)
    return rows


def turntable(frames_shown: int = 6) -> dict[str, float]:
    """The README's turntable, made as a designer makes it: an embedded workspace in a temporary folder, an avatar
    from measurements, the A-line dress in poplin, ``design.drape("draft").wait()``, then a 2 s MP4 at 12 fps;
    the video is decoded (PyAV) and ``frames_shown`` of its frames, evenly spaced, are written side by side."""
    import tempfile

    import av
    from PIL import Image

    import fw_kernel as fw

    with tempfile.TemporaryDirectory() as home:
        ws = fw.connect(home=home, user="bench", autosave_thread=False)
        try:
            avatar = ws.avatars.create("Ada", {"height": 168, "bust": 88, "waist": 70, "hips": 96},
                                       body_hint="female")
            design = ws.designs.create("Turntable", avatar=avatar)
            design.add_layer("sil-aline-dress", customization={"color": "#4a6ea8"})
            t0 = time.perf_counter()
            design.drape("draft").wait(progress=False)
            t1 = time.perf_counter()
            job = design.export("video", format="mp4", width=480, height=640, fps=12, duration=2).wait(progress=False)
            t2 = time.perf_counter()
            if job.status != "completed" or job.path is None:
                raise RuntimeError(f"the turntable export ended {job.status}: {job.error}")
            with av.open(job.path) as video:
                frames = [f.to_image() for f in video.decode(video=0)]
        finally:
            ws.close()
    picks = [frames[round(k * (len(frames) - 1) / max(frames_shown - 1, 1))] for k in range(frames_shown)]
    scale = 0.5
    w, h = int(picks[0].width * scale), int(picks[0].height * scale)
    strip = Image.new("RGB", (w * len(picks), h), "white")
    for k, frame in enumerate(picks):
        strip.paste(frame.resize((w, h)), (k * w, 0))
    strip.save(ROOT / "docs" / "images" / "drape_turntable_aline-dress.png", optimize=True)
    row = {"drape_s": round(t1 - t0, 1), "video_s": round(t2 - t1, 1), "frames": len(frames)}
    print(f"  turntable: drape {row['drape_s']} s, video {row['video_s']} s, {row['frames']} frames decoded")
    return row


def main() -> None:
    args = set(sys.argv[1:])
    results: dict = {"machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
                     "python": platform.python_version(), "version": d.NewtonDraper().version(),
                     "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    out = HERE / "results-drape.json"
    if out.exists():   # keep the part not rerun
        results = {**json.loads(out.read_text()), **results}
    if "--outfits-only" in args:
        args |= {"--cusick-only", "--garments-only", "--outfits"}   # neither table: the outfits alone
    if "--garments-only" not in args:
        print("Cusick drape coefficient (30 cm disc on an 18 cm pedestal, draft):")
        results["cusick"] = cusick_table()
    if "--cusick-only" not in args:
        print("Garments on anny's default female body:")
        body = reference_body()
        results["garments"], kept = garment_table(body)
        if "--no-pictures" not in args:
            key = next(k for k in kept if k.startswith("sil-aline-dress") and k.endswith("/draft"))
            garment, draped = kept[key]
            results["pictures"] = pictures(body, garment, draped, "aline-dress")
            skirt = next(k for k in kept if k.startswith("sil-aline-skirt"))
            results["pictures"] += pictures(body, kept[skirt][0], kept[skirt][1], "aline-skirt")
    if "--outfits" in args:
        print("Outfits (docs/images/drape_<outfit>.png):")
        results["outfits"] = outfits(reference_body())
    if "--turntable" in args:
        print("Turntable (docs/images/drape_turntable_aline-dress.png):")
        results["turntable"] = turntable()
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
