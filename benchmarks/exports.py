"""Turntable frames per second end to end (render + encode through the export queue) against a bare pyrender loop
of the same scene in the same run; image export latency cold and on a render-cache hit.

``python -m benchmarks --suite exports [--quick]`` (or ``python -m benchmarks.exports``). On a machine with an
NVIDIA GPU the renderer uses it through EGL by itself; the figures say which GL renderer drew them.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from typing import Any

OUTFIT = [("sil-shirt", {"color": "#e8eef8"}), ("sil-straight-trousers", {"color": "#2b2f3a"}),
          ("sil-blazer", {"color": "#5a4a3a"}), ("fab-tweed-wool", {}), ("ele-shirt-button", {"count": 7}),
          ("acc-leather-belt", {}), ("acc-sneakers", {}), ("acc-silk-scarf", {})]


def _gl_renderer() -> str:
    import pyrender
    from OpenGL import GL

    r = pyrender.OffscreenRenderer(16, 16)
    try:
        return GL.glGetString(GL.GL_RENDERER).decode()
    finally:
        r.delete()


def run(quick: bool = False) -> dict[str, Any]:
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    import fw_kernel as fw
    from fw_kernel.adapters.render_pyrender import PyrenderRenderer
    from fw_kernel.domain.exports import VIEWS

    ws = fw.connect(home=tempfile.mkdtemp(prefix="fw-bench-exports-"), user="bench")
    avatar = ws.avatars.create("Bench", {"height": 170, "bust": 92, "waist": 76, "hips": 100}, body_hint="female")
    design = ws.designs.create("Turntable", avatar=avatar)
    for item, custom in OUTFIT:
        design.add_layer(item, customization=custom)
    scene = design.scene()
    triangles = sum(len(g.faces) for g in scene.geometry.values())
    width, height, fps = 1920, 1080, 24
    frames = 12 if quick else 48
    yaws = [360.0 * i / frames for i in range(frames)]

    # baseline: a bare pyrender loop over the same scene, frames discarded
    renderer = PyrenderRenderer()
    next(iter(renderer.render_many(scene, 64, 36, [0.0])))  # GL context and shaders warm
    t0 = time.perf_counter()
    for _ in renderer.render_many(scene, width, height, yaws):
        pass
    bare_s = time.perf_counter() - t0

    # end to end: request -> render + encode (overlapped) -> file stored -> record completed
    design.export("video", width=64, height=36, fps=2, duration=1.0, quality="draft").wait(progress=False)  # warm
    t0 = time.perf_counter()
    job = design.export("video", format="mp4", width=width, height=height, fps=fps, duration=frames / fps,
                        quality="draft").wait(timeout=None, progress=False)
    e2e_s = time.perf_counter() - t0
    assert job.status == "completed", job.error

    # image exports: cold (new state) vs a render-cache hit (same state and settings)
    cold, hit = [], []
    for i in range(2 if quick else 5):
        design.update_canvas(background=f"#f4f4f{i}")  # a new state: a cache miss
        t0 = time.perf_counter()
        design.export("image", width=1280, height=960, view="three_quarter").wait(progress=False)
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        design.export("image", width=1280, height=960, view="three_quarter").wait(progress=False)
        hit.append(time.perf_counter() - t0)
    out = {
        "gl_renderer": _gl_renderer(), "triangles": triangles, "size": f"{width}x{height}", "frames": frames,
        "bare_fps": frames / bare_s, "end_to_end_fps": frames / e2e_s, "ratio": bare_s / e2e_s,
        "mp4_bytes": job.file_size, "image_cold_ms_median": 1000 * statistics.median(cold),
        "image_cache_hit_ms_median": 1000 * statistics.median(hit),
        "views": list(VIEWS),
    }
    ws.close()
    print(render(out))
    return out


def render(r: dict[str, Any]) -> str:
    return "\n".join([
        f"exports on {r['gl_renderer']} ({r['triangles']:,} triangles, {r['size']}, {r['frames']} frames)",
        f"  turntable bare pyrender loop   {r['bare_fps']:7.2f} fps (baseline, same run)",
        f"  turntable end to end (mp4)     {r['end_to_end_fps']:7.2f} fps   ratio {r['ratio']:.2f} (target >= 0.8)",
        f"  image 1280x960 cold            {r['image_cold_ms_median']:7.0f} ms (median)",
        f"  image 1280x960 cache hit       {r['image_cache_hit_ms_median']:7.0f} ms (median)",
    ])


if __name__ == "__main__":
    import sys

    run("--quick" in sys.argv)
