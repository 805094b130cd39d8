"""Avatar fitting: building the body model, fitting the size chart (warm, CPU), the cache, rebuilding from
parameters, and the accuracy table (requested vs measured on the fitted mesh, cm).

``run(quick)`` prints its tables and returns the numbers; alone: ``python -m benchmarks.avatar_fit [--quick]``.
Needs ``torch`` and ``anny`` (``pip install torch==2.13.0`` then ``pip install 'fashion-wallet-studio[body]'``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script from elsewhere: fw_kernel lives next to benchmarks/
    sys.path.insert(0, str(HERE.parent))

from benchmarks.stats import percentile, summary  # noqa: E402

FIT_TARGET_S = 5.0  # full set of measurements, warm model, CPU


def _bodies(quick: bool) -> list[tuple[str, str, dict[str, float]]]:
    from fw_kernel.geometry.body.sizes import SIZES, size_measurements

    sizes = ("XS", "M", "4XL") if quick else SIZES
    out = [(f"{hint} {s}", hint, size_measurements(s, hint)) for hint in ("female", "male") for s in sizes]
    out += [
        ("female petite 152", "female", size_measurements("S", "female", height=152, inseam=69, arm_length=52)),
        ("male tall 192", "male", size_measurements("L", "male", height=192, inseam=88, arm_length=69)),
    ]
    if not quick:
        out.append(("female tall 185", "female", size_measurements("M", "female", height=185, inseam=87,
                                                                   arm_length=63)))
    return out


def _timed(fn: Any, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


def _accuracy_table(fits: list[dict[str, Any]]) -> str:
    from fw_kernel.geometry.body.measure import MEASUREMENT_KEYS

    keys = [k for k in MEASUREMENT_KEYS if any(k in f["requested"] for f in fits)]
    head = f"{'body':18s} {'fit s':>6s} {'iter':>4s}  " + " ".join(f"{k[:14]:>14s}" for k in keys)
    lines = [head, "-" * len(head)]
    for f in fits:
        cells = [f"{f['requested'][k]:.1f}>{f['measured'][k]:.2f}" if k in f["requested"] else "" for k in keys]
        lines.append(f"{f['body']:18s} {f['seconds']:6.2f} {f['iterations']:4d}  "
                     + " ".join(f"{c:>14s}" for c in cells))
    worst = {k: max((abs(f["errors_cm"][k]) for f in fits if k in f["errors_cm"]), default=0.0) for k in keys}
    lines.append(f"{'max |error| cm':18s} {'':6s} {'':4s}  " + " ".join(f"{worst[k]:14.3f}" for k in keys))
    return "\n".join(lines)


def run(quick: bool = False) -> dict[str, Any]:
    """Benchmark the avatar fitter; print the tables; return the numbers (seconds unless a key says ms)."""
    from fw_kernel.geometry.body import fit as avatar_fit
    from fw_kernel.geometry.body import model as body
    from fw_kernel.geometry.body.fit import TOLERANCE_CM, build_body, fit_body
    from fw_kernel.geometry.body.measure import measure_body

    result: dict[str, Any] = {"quick": quick, "anny_cache_dir": os.environ.get("ANNY_CACHE_DIR", "~/.cache/anny")}
    loaded = body.model_is_loaded()
    t0 = time.perf_counter()
    model = body.body_model()
    result["model_build_s"] = None if loaded else round(time.perf_counter() - t0, 2)
    result["model"] = {"id": body.MODEL_ID, "local_changes": list(body.LOCAL_CHANGES), "vertices": model.n_vertices,
                       "faces": len(model.faces)}

    fits: list[dict[str, Any]] = []
    for name, hint, requested in _bodies(quick):
        avatar_fit.clear_cache()
        t0 = time.perf_counter()
        fitted = fit_body(requested, hint)
        seconds = time.perf_counter() - t0
        fits.append({
            "body": name, "hint": hint, "seconds": round(seconds, 3), "iterations": fitted.fit["iterations"],
            "requested": requested, "measured": {k: fitted.measured[k] for k in requested},
            "errors_cm": {k: round(fitted.measured[k] - v, 3) for k, v in requested.items()},
        })
    last = fitted
    result["fits"] = fits
    fit_s = [f["seconds"] for f in fits]
    result["fit_s"] = {"median": round(percentile(fit_s, 50), 3), "max": round(max(fit_s), 3), "n": len(fit_s)}
    result["max_abs_error_cm"] = {k: max(abs(f["errors_cm"][k]) for f in fits if k in f["errors_cm"])
                                  for k in TOLERANCE_CM if any(k in f["errors_cm"] for f in fits)}
    result["within_tolerance"] = all(abs(e) <= TOLERANCE_CM[k] for f in fits for k, e in f["errors_cm"].items())
    result["fit_target_met"] = max(fit_s) < FIT_TARGET_S

    requested = fits[-1]["requested"]
    hint = fits[-1]["hint"]
    fit_body(requested, hint)
    repeat = 20 if quick else 100
    result["cached_fit"] = summary(_timed(lambda: fit_body(requested, hint), repeat))
    result["build_body"] = summary(_timed(lambda: build_body(last.params), 5 if quick else 20))
    vertices = last.vertices.astype("float64")
    result["measure_body"] = summary(_timed(lambda: measure_body(vertices, model.spec), 10 if quick else 50))
    ph, lc = model.phenotype_vector("female"), model.local_vector()
    result["forward"] = summary(_timed(lambda: model.rest_vertices(model.coefficients(ph, lc)), 20 if quick else 100))

    print(f"\nAvatar fitting (anny body, {model.n_vertices} vertices; CPU, {os.cpu_count()} cores)"
          f"{'  [--quick]' if quick else ''}")
    build = result["model_build_s"]
    print(f"body model build in this process: {'already loaded' if build is None else f'{build:.1f} s'}; "
          f"fit (warm): median {result['fit_s']['median']:.2f} s, max {result['fit_s']['max']:.2f} s "
          f"(target < {FIT_TARGET_S:.0f} s: {'MET' if result['fit_target_met'] else 'NOT MET'}); "
          f"cached fit p50 {result['cached_fit']['p50_ms']:.3f} ms; build_body(params) p50 "
          f"{result['build_body']['p50_ms']:.0f} ms; measure_body p50 {result['measure_body']['p50_ms']:.1f} ms; "
          f"model forward (rest vertices) p50 {result['forward']['p50_ms']:.1f} ms")
    print("\nRequested > measured on the fitted mesh (cm); tolerance: height 0.5, others 1.0 -> "
          + ("ALL WITHIN" if result["within_tolerance"] else "SOME OUT OF TOLERANCE"))
    print(_accuracy_table(fits))
    return result


if __name__ == "__main__":
    import json

    out = run(quick="--quick" in sys.argv[1:])
    if "--json" in sys.argv[1:]:
        print(json.dumps(out, indent=1, default=str))
