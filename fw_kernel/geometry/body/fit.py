"""Fit the parametric body to tape measurements: ``fit_body(measurements_cm, body_hint) -> FittedBody``.

The body is anny's (``fw_kernel.geometry.body.model``); the measurements are those of
``fw_kernel.geometry.body.measure`` (see its docstring for how each one is taken). The fit adjusts

* the phenotypes height, weight, muscle and proportions (in [0, 1]; weight up to 1.3 for plus sizes); gender
  is set by the body hint (female 1, male 0, neutral 0.5) and age is an adult's
  (:data:`~fw_kernel.geometry.body.model.ADULT_AGE`);
* for each given measurement, the MakeHuman ``measure-*`` local change that drives it (:data:`DRIVERS`; both
  arm segments move together for ``arm_length``, both leg segments for ``inseam``; with both bust and
  underbust, also the breast projection :data:`CUP_DRIVER`), within :data:`LOCAL_LIMIT`. Measurements not
  given keep their local change at 0: they follow the phenotypes, i.e. the body model's statistics.

Method: bounded Levenberg-Marquardt on the residuals (cm) plus a weak pull of every parameter to its default
(phenotypes 0.5, local changes 0), which picks, among the bodies that match, the one closest to the model's
average; local changes are pulled harder than phenotypes, so the overall build explains what it can. The Jacobian
comes from finite differences of the *frozen* measurements (same edges, same hull order, same extreme vertices:
``MeasureStructure``) on the few hundred vertices they read, so an iteration costs one full measurement (~11 ms)
plus a batched evaluation of small matrices. The start is the best of a small grid of weight x muscle x
proportions bodies at the height solved for directly (the body height is linear in the height phenotype).

Tolerances (:data:`TOLERANCE_CM`): height 0.5 cm, every other measurement 1.0 cm, checked on the final mesh with
``measure_body`` (the values reported in :attr:`FittedBody.measured`); the fit aims at 0.05 cm. When a target
cannot be reached within tolerance, :class:`FitError` says which measurement, the closest value the body reached
and by how much it misses.

Fitted bodies are cached in-process by a hash of (model, body hint, measurements rounded to 0.01 cm): a second
identical request returns at once.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from .measure import MEASUREMENT_KEYS, MeasureStructure, measure_body
from .model import (
    GENDER_OF_HINT,
    MODEL_ID,
    PHENOTYPE_BOUNDS,
    PHENOTYPES,
    BodyModel,
    FittedBody,
    body_model,
    build_body,
    make_body,
)

__all__ = ["DRIVERS", "LOCAL_LIMIT", "TOLERANCE_CM", "FitError", "FittedBody", "build_body", "clear_cache",
           "fit_body"]

DRIVERS: dict[str, tuple[str, ...]] = {
    "height": (),
    "bust": ("measure-bust-circ-incr",),
    "chest": ("measure-bust-circ-incr",),
    "underbust": ("measure-underbust-circ-incr",),
    "waist": ("measure-waist-circ-incr",),
    "hips": ("measure-hips-circ-incr",),
    "inseam": ("measure-upperleg-height-incr", "measure-lowerleg-height-incr"),
    "shoulder_width": ("measure-shoulder-dist-incr",),
    "arm_length": ("measure-upperarm-length-incr", "measure-lowerarm-length-incr"),
    "neck": ("measure-neck-circ-incr",),
    "upper_arm": ("measure-upperarm-circ-incr",),
    "thigh": ("measure-thigh-circ-incr",),
}
"""The local change(s) each measurement frees (several labels move together as one parameter)."""

CUP_DRIVER = ("breast-point-incr",)
"""Freed as well when both the bust and the underbust are given: it sets their difference (the cup size)."""

TOLERANCE_CM: dict[str, float] = {k: (0.5 if k == "height" else 1.0) for k in MEASUREMENT_KEYS}
"""Largest accepted difference (cm) between a requested and the measured value."""

LOCAL_LIMIT = 2.5
"""Local changes stay within [-2.5, 2.5] (MakeHuman's targets span [-1, 1]; beyond is a linear extrapolation)."""

FREE_PHENOTYPES: tuple[str, ...] = ("height", "weight", "muscle", "proportions")
"""Phenotypes the fit adjusts (gender comes from the body hint, age is an adult's)."""

_AIM_CM = 0.05  # stop when every residual is below this
_MAX_ITERATIONS = 40
_FD_STEP = 1e-3  # finite-difference step of a parameter
_PRIOR_WEIGHT_PHENOTYPE = 0.05  # cm of residual per unit of phenotype away from 0.5
_PRIOR_WEIGHT_LOCAL = 0.15  # cm of residual per unit of local change
_CACHE_SIZE = 128

_CACHE: OrderedDict[str, FittedBody] = OrderedDict()
_CACHE_LOCK = threading.Lock()


class FitError(ValueError):
    """The body model cannot match the measurements within tolerance.

    Attributes
    ----------
    misses : dict name -> (requested cm, closest measured cm)
        The measurements out of tolerance.
    """

    def __init__(self, misses: dict[str, tuple[float, float]], body_hint: str):
        self.misses = misses
        parts = [
            f"{k} {req:g} cm (the closest body measures {got:.1f} cm, {abs(got - req):.1f} cm "
            f"{'short' if got < req else 'over'}; tolerance {TOLERANCE_CM[k]:g} cm)"
            for k, (req, got) in misses.items()
        ]
        super().__init__(
            f"the {body_hint} body model cannot reach " + "; ".join(parts)
            + ". Check the values (centimetres, taken as described in fw_kernel.geometry.body.measure) or leave "
              "the measurement out to let the body model choose it."
        )


def clear_cache() -> None:
    """Forget every cached fitted body."""
    with _CACHE_LOCK:
        _CACHE.clear()


def cache_key(measurements_cm: Mapping[str, float], body_hint: str) -> str:
    """Hash naming a fit request (model, body hint, measurements rounded to 0.01 cm)."""
    payload = json.dumps([MODEL_ID, body_hint, sorted((k, round(float(v), 2)) for k, v in measurements_cm.items())])
    return hashlib.sha256(payload.encode()).hexdigest()


class _Problem:
    """Parameter vector <-> anny inputs, residuals and their Jacobian for one request."""

    def __init__(self, model: BodyModel, targets: dict[str, float], body_hint: str):
        self.model = model
        self.keys = list(targets)
        self.target = np.array([targets[k] for k in self.keys])
        self.scale = np.array([1.0 / TOLERANCE_CM[k] for k in self.keys])  # residuals in units of tolerance
        groups: list[tuple[str, ...]] = []
        for k in self.keys:
            if DRIVERS[k] and DRIVERS[k] not in groups:
                groups.append(DRIVERS[k])
        if "underbust" in targets and ("bust" in targets or "chest" in targets):
            groups.append(CUP_DRIVER)
        self.groups = groups
        self.base_phen = model.phenotype_vector(body_hint)
        self.phen_cols = [PHENOTYPES.index(p) for p in FREE_PHENOTYPES]
        n_p, n_g = len(FREE_PHENOTYPES), len(groups)
        bounds = np.array([PHENOTYPE_BOUNDS[p] for p in FREE_PHENOTYPES])
        self.lower = np.concatenate([bounds[:, 0], np.full(n_g, -LOCAL_LIMIT)])
        self.upper = np.concatenate([bounds[:, 1], np.full(n_g, LOCAL_LIMIT)])
        self.prior = np.concatenate([np.full(n_p, 0.5), np.zeros(n_g)])
        self.prior_weight = np.concatenate([np.full(n_p, _PRIOR_WEIGHT_PHENOTYPE), np.full(n_g, _PRIOR_WEIGHT_LOCAL)])
        # columns of the model's local-change vector moved by each group
        self.group_matrix = np.zeros((n_g, len(model.local_change_labels)))
        for g, labels in enumerate(groups):
            for label in labels:
                self.group_matrix[g, model.local_change_labels.index(label)] = 1.0
        self.n_p = n_p

    def inputs(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(B, 6) phenotypes and (B, L) local changes of parameter vectors ((B, P) or (P,))."""
        x2 = np.atleast_2d(x)
        ph = np.repeat(self.base_phen[None], len(x2), axis=0)
        ph[:, self.phen_cols] = x2[:, : self.n_p]
        lc = x2[:, self.n_p:] @ self.group_matrix
        return ph, lc

    def vertices(self, x: np.ndarray) -> np.ndarray:
        """(N, 3) floor-aligned rest vertices, metres."""
        ph, lc = self.inputs(x)
        v = self.model.rest_vertices(self.model.coefficients(ph, lc))[0]
        v[:, 1] -= v[:, 1].min()
        return v

    def measure(self, x: np.ndarray) -> tuple[np.ndarray, MeasureStructure]:
        """Measured values (cm, order of ``keys``) and the frozen structure at ``x``."""
        m = measure_body(self.vertices(x), self.model.spec)
        return np.array([m.values[k] for k in self.keys]), m.structure

    def batch_measure(self, xs: np.ndarray, structure: MeasureStructure) -> np.ndarray:
        """(B, n_keys) frozen measurements (cm) of parameter vectors (B, P), on the vertices they read."""
        ids, sub = structure.on_subset()
        ph, lc = self.inputs(xs)
        v = self.model.rest_vertices(self.model.coefficients(ph, lc), ids)
        bottom = sub.verticals["height"][1]
        v[:, :, 1] -= v[:, bottom, 1][:, None]
        values = sub.evaluate(v)
        return np.stack([values[k] for k in self.keys], axis=1)

    def jacobian(self, x: np.ndarray, structure: MeasureStructure) -> np.ndarray:
        """(n_keys, P) d measurement (cm) / d parameter: central differences on the frozen structure.

        Central, so that at a kink of anny's piecewise-linear phenotype interpolation (weight and muscle at 0.5)
        the slope is the mean of both sides, not the one side that may point away from the solution.
        """
        lo = np.maximum(x - _FD_STEP, self.lower)
        hi = np.minimum(x + _FD_STEP, self.upper)
        n = len(x)
        xs = np.repeat(x[None], 2 * n, axis=0)
        xs[np.arange(n), np.arange(n)] = lo
        xs[n + np.arange(n), np.arange(n)] = hi
        m = self.batch_measure(xs, structure)
        return ((m[n:] - m[:n]) / (hi - lo)[:, None]).T

    def augmented(self, x: np.ndarray, measured: np.ndarray) -> np.ndarray:
        """Residual vector: scaled measurement errors then the prior terms."""
        return np.concatenate([(measured - self.target) * self.scale, (x - self.prior) * self.prior_weight])


def _initial_guess(problem: _Problem) -> np.ndarray:
    """Height solved directly, then the best of a weight x muscle x proportions grid for the given girths."""
    x = problem.prior.copy()
    model = problem.model
    targets = dict(zip(problem.keys, problem.target))
    i_h = FREE_PHENOTYPES.index("height")
    if "height" in targets:
        probe = np.repeat(x[None], 2, axis=0)
        probe[0, i_h], probe[1, i_h] = 0.0, 1.0
        ph, lc = problem.inputs(probe)
        v = model.rest_vertices(model.coefficients(ph, lc))
        h = 100.0 * (v[:, :, 1].max(axis=1) - v[:, :, 1].min(axis=1))
        x[i_h] = float(np.clip((targets["height"] - h[0]) / (h[1] - h[0]), 0.0, 1.0))
    others = [i for i, k in enumerate(problem.keys) if k != "height"]
    if not others:
        return x
    weights = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.15, 1.3])
    grid = np.array(np.meshgrid(weights, np.linspace(0, 1, 5), np.linspace(0, 1, 3), indexing="ij")).reshape(3, -1).T
    xs = np.repeat(x[None], len(grid), axis=0)
    xs[:, [FREE_PHENOTYPES.index(p) for p in ("weight", "muscle", "proportions")]] = grid
    _, structure = problem.measure(x)
    m = problem.batch_measure(xs, structure)
    err = ((m[:, others] - problem.target[others]) * problem.scale[others]) ** 2
    return xs[int(np.argmin(err.sum(axis=1)))]


def _solve(problem: _Problem) -> tuple[np.ndarray, np.ndarray, int]:
    """Bounded Levenberg-Marquardt. Returns (parameters, measured values (cm), iterations)."""
    x = _initial_guess(problem)
    measured, structure = problem.measure(x)
    r = problem.augmented(x, measured)
    cost = float(r @ r)
    mu = 1e-3
    it = 0
    for it in range(1, _MAX_ITERATIONS + 1):  # noqa: B007
        if np.abs(measured - problem.target).max() < _AIM_CM:
            break
        jm = problem.jacobian(x, structure) * problem.scale[:, None]
        jac = np.vstack([jm, np.diag(problem.prior_weight)])
        jtj, jtr = jac.T @ jac, jac.T @ r
        improved = False
        while mu < 1e8:
            free = np.ones(len(x), dtype=bool)
            for _ in range(3):  # parameters on a bound pushed outwards stay there
                a = jtj[np.ix_(free, free)] + mu * np.diag(np.diag(jtj)[free] + 1e-9)
                step = np.zeros_like(x)
                step[free] = np.linalg.solve(a, -jtr[free])
                blocked = free & (((x <= problem.lower) & (step < 0)) | ((x >= problem.upper) & (step > 0)))
                if not blocked.any():
                    break
                free &= ~blocked
            x_new = np.clip(x + step, problem.lower, problem.upper)
            try:
                m_new, s_new = problem.measure(x_new)
            except ValueError:  # a degenerate trial body (a tape found nothing to go around): a rejected step
                mu *= 4.0
                continue
            r_new = problem.augmented(x_new, m_new)
            c_new = float(r_new @ r_new)
            if c_new < cost:
                x, measured, structure, r, cost = x_new, m_new, s_new, r_new, c_new
                mu = max(mu / 5.0, 1e-9)
                improved = True
                break
            mu *= 4.0
        if not improved:
            break
    return x, measured, it


def fit_body(measurements_cm: Mapping[str, float], body_hint: str = "neutral") -> FittedBody:
    """Fit the body model to tape measurements.

    Parameters
    ----------
    measurements_cm : dict name -> centimetres
        Any subset of ``height, bust, chest, underbust, waist, hips, inseam, shoulder_width, arm_length, neck,
        upper_arm, thigh`` (defined in ``fw_kernel.geometry.body.measure``); validated beforehand by
        ``fw_kernel.domain.avatar.validate_measurements``.
    body_hint : {"female", "male", "neutral"}
        Sets anny's gender phenotype (1, 0, 0.5).

    Returns
    -------
    FittedBody
        ``vertices`` (N, 3) float32 metres (+Y up, facing +Z, left = +X, feet on y = 0), ``faces``,
        ``measured`` (cm, measured on the mesh), ``landmarks`` (metres), ``params`` (for
        :func:`~fw_kernel.geometry.body.model.build_body`), ``fit`` (requested values, residuals, iterations, seconds,
        cached).

    Raises
    ------
    FitError
        A measurement cannot be reached within :data:`TOLERANCE_CM` (the message says which and by how much).
    ValueError
        Unknown measurement key or body hint.
    ImportError
        Without anny/torch (names ``pip install 'fashion-wallet-studio[body]'``).
    """
    if body_hint not in GENDER_OF_HINT:
        raise ValueError(f"body_hint must be one of {', '.join(GENDER_OF_HINT)}, got {body_hint!r}")
    unknown = set(measurements_cm) - set(DRIVERS)
    if unknown:
        raise ValueError(f"unknown measurements {sorted(unknown)}; allowed: {', '.join(DRIVERS)}")
    targets = {k: float(measurements_cm[k]) for k in MEASUREMENT_KEYS if k in measurements_cm}
    key = cache_key(targets, body_hint)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
    if hit is not None:
        return replace(hit, fit={**hit.fit, "cached": True})

    model = body_model()
    t0 = time.perf_counter()
    iterations = 0
    if targets:
        problem = _Problem(model, targets, body_hint)
        x, _, iterations = _solve(problem)
        ph, lc = problem.inputs(x)
        ph, lc = ph[0], lc[0]
    else:
        ph, lc = model.phenotype_vector(body_hint), model.local_vector()
    body, _ = make_body(model, ph, lc)
    misses = {k: (v, body.measured[k]) for k, v in targets.items() if abs(body.measured[k] - v) > TOLERANCE_CM[k]}
    if misses:
        raise FitError(misses, body_hint)
    fit = {
        "requested": targets,
        "body_hint": body_hint,
        "residuals_cm": {k: round(body.measured[k] - v, 3) for k, v in targets.items()},
        "iterations": iterations,
        "seconds": round(time.perf_counter() - t0, 3),
        "cached": False,
    }
    body = replace(body, fit=fit)
    with _CACHE_LOCK:
        _CACHE[key] = body
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return body
