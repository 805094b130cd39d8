"""The parametric body: the ``anny`` model (MakeHuman/MPFB2 data, CC0), built once per process.

``anny`` and ``torch`` are imported lazily, on the first call that needs the model; without them the call raises
an :class:`ImportError` that names ``pip install 'fashion-wallet-studio[body]'``.

Frames and units. anny works in metres, Z up, the body facing -Y, origin at the pelvis. Everything here is in the
**studio frame**: metres, **+Y up, facing +Z, the body's left = +X**, feet on ``y = 0``; the conversion is the
rotation ``(x, y, z) -> (x, z, -y)`` followed by a vertical shift. The rest mesh is anny's A-pose (arms about
45 degrees below horizontal). The eyes and the tongue (separate shells inside the head) are left out: the mesh
is the closed skin only (13,348 vertices, 26,692 triangles).

The body is linear in its blend-shape coefficients (``rest = template + coeffs @ blendshapes``); the coefficients
are multilinear in the phenotypes (gender, age, muscle, weight, height, proportions, in [0, 1]; weight up to 1.3,
see :data:`PHENOTYPE_BOUNDS`) and linear
in the local changes (the MakeHuman ``measure-*`` targets, 0 = none, +-1 = the full target; values beyond are
linear extrapolations). The model configuration (which local changes exist) is pinned in
:data:`LOCAL_CHANGES`: anny builds and caches the data of one configuration once per machine (1-2 minutes on
two CPU cores, ~1.5 GB of RAM, ~0.8 GB of files under ``$ANNY_CACHE_DIR``, default ``~/.cache/anny``; later
processes read only its ~60 MB ``build_compact_model_data_*`` file), then loads it in 3-5 s.

:class:`FittedBody` is the result of fitting (``fw_kernel.geometry.body.fit.fit_body``) or of rebuilding a body
from its parameters (:func:`build_body`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..sections import horizontal_girths, mesh_edges
from .measure import BodyLandmarkSpec, BodyMeasurement, measure_body

if TYPE_CHECKING:  # pragma: no cover
    import trimesh

BODY_EXTRA_HINT = "pip install 'fashion-wallet-studio[body]'"

LOCAL_CHANGES: tuple[str, ...] = (
    "measure-bust-circ-incr",
    "measure-underbust-circ-incr",
    "measure-waist-circ-incr",
    "measure-hips-circ-incr",
    "measure-neck-circ-incr",
    "measure-upperarm-circ-incr",
    "measure-thigh-circ-incr",
    "measure-shoulder-dist-incr",
    "measure-upperarm-length-incr",
    "measure-lowerarm-length-incr",
    "measure-upperleg-height-incr",
    "measure-lowerleg-height-incr",
    "breast-point-incr",
)
"""The anny local changes of the body model (pinned: changing it means a new cold build of the model data).

The MakeHuman ``measure-*`` targets each change one tape measurement; ``breast-point-incr`` projects the breasts
(bust up, underbust unchanged: the cup size, which anny's weight and bust targets barely change)."""

PHENOTYPES: tuple[str, ...] = ("gender", "age", "muscle", "weight", "height", "proportions")
"""anny's default phenotypes."""

PHENOTYPE_BOUNDS: dict[str, tuple[float, float]] = {
    "gender": (0.0, 1.0), "age": (0.0, 1.0), "muscle": (0.0, 1.0), "weight": (0.0, 1.3), "height": (0.0, 1.0),
    "proportions": (0.0, 1.0),
}
"""Allowed phenotype values: anny's [0, 1], except weight up to 1.3 (a linear extrapolation of anny's heaviest
targets, which on their own stop short of plus sizes)."""

ADULT_AGE = 0.7
"""anny's age phenotype of an adult (anny's age anchors: 0 baby, 1/3 child, 2/3 young adult, 1 old)."""

GENDER_OF_HINT: dict[str, float] = {"female": 1.0, "male": 0.0, "neutral": 0.5}
"""anny's gender phenotype for each body hint (1 = female, 0 = male)."""

ANNY_CONFIG: dict[str, Any] = {
    "rig": "anny",
    "topology": "anny",
    "phenotypes": "default",
    "skinning_method": "lbs",
    "local_changes": list(LOCAL_CHANGES),
    "extrapolate_phenotypes": True,
}
"""Keyword arguments of ``anny.Anny`` (``skinning_method="lbs"`` avoids compiling warp kernels;
``extrapolate_phenotypes`` only changes how coefficients are computed, not the cached model data)."""

MODEL_ID = "anny-rest-v1"
"""Names this body model (configuration + conventions) in :attr:`FittedBody.params` and cache keys."""

_ARM_BONES = ("upperarm", "lowerarm", "wrist", "finger", "metacarpal")


def _import_anny() -> tuple[Any, Any]:
    try:
        import anny
        import torch
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            f"fitting body avatars needs the 'anny' body model and torch ({exc}); install them with "
            f"{BODY_EXTRA_HINT} (install torch==2.13.0 first: a bare torch requirement can pull a CUDA build)"
        ) from exc
    return torch, anny


def to_studio_frame(points: np.ndarray) -> np.ndarray:
    """anny frame (Z up, facing -Y) -> studio frame (Y up, facing +Z): ``(x, y, z) -> (x, z, -y)``.

    Parameters
    ----------
    points : (..., 3) float array, metres.
    """
    p = np.asarray(points)
    return np.stack([p[..., 0], p[..., 2], -p[..., 1]], axis=-1)


def _largest_component(n_vertices: int, faces: np.ndarray) -> np.ndarray:
    """(N,) bool: vertices of the largest edge-connected component (min-label propagation, pointer jumping)."""
    edges = mesh_edges(faces)
    label = np.arange(n_vertices)
    while True:
        low = np.minimum(label[edges[:, 0]], label[edges[:, 1]])
        new = label.copy()
        np.minimum.at(new, edges[:, 0], low)
        np.minimum.at(new, edges[:, 1], low)
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    used = np.zeros(n_vertices, dtype=bool)
    used[faces.ravel()] = True
    roots, counts = np.unique(label[used], return_counts=True)
    return label == roots[np.argmax(counts)]


class BodyModel:
    """The anny body reduced to what the studio needs: numpy arrays in the studio frame, skin only.

    Use :func:`body_model` (one instance per process) rather than building it yourself.

    Attributes
    ----------
    faces : (M, 3) int32
        Skin triangles (indices into the kept vertices).
    template : (N, 3) float64
        Template rest vertices, metres, studio frame (not floor-aligned).
    blendshapes : (K, N * 3) float64
        Rest-vertex offsets per blend-shape coefficient, studio frame.
    bone_labels : list of str
    bone_heads_template : (J, 3) float64 ; bone_heads_blendshapes : (K, J * 3) float64
        Rest bone heads (joint centres), studio frame.
    spec : BodyLandmarkSpec
        Landmarks of the topology (for :func:`fw_kernel.geometry.body.measure.measure_body`).
    """

    def __init__(self) -> None:
        torch, anny = _import_anny()
        self._torch = torch
        model = anny.Anny(**ANNY_CONFIG)
        if not hasattr(model, "_get_phenotype_blendshape_coefficients"):  # pragma: no cover - other anny versions
            raise RuntimeError(f"anny {getattr(anny, '__version__', '?')} lacks the blend-shape coefficient function "
                               "this module uses (written for anny 0.6)")
        self._model = model
        self.phenotype_labels: tuple[str, ...] = tuple(model.phenotype_labels)
        if self.phenotype_labels != PHENOTYPES:
            raise RuntimeError(f"unexpected anny phenotypes {self.phenotype_labels}; expected {PHENOTYPES}")
        self.local_change_labels: tuple[str, ...] = tuple(model.local_change_labels)
        if sorted(self.local_change_labels) != sorted(LOCAL_CHANGES):
            raise RuntimeError(f"unexpected anny local changes {self.local_change_labels}")
        self._local_column = {label: i for i, label in enumerate(self.local_change_labels)}
        faces_all = model.faces.cpu().numpy().astype(np.int64)
        n_all = int(model.template_vertices.shape[0])
        keep = _largest_component(n_all, faces_all)
        new_index = np.full(n_all, -1, dtype=np.int64)
        new_index[keep] = np.arange(int(keep.sum()))
        self.kept_vertices = np.nonzero(keep)[0]
        self.faces = new_index[faces_all[keep[faces_all].all(axis=1)]].astype(np.int32)
        self.n_vertices = int(keep.sum())
        k = int(model.blendshapes.shape[0])
        self.template = to_studio_frame(model.template_vertices.cpu().numpy().astype(np.float64)[keep])
        bs = model.blendshapes.cpu().numpy().astype(np.float64)[:, keep]
        self.blendshapes = to_studio_frame(bs).reshape(k, -1)
        self.bone_labels: list[str] = list(model.bone_labels)
        self.bone_heads_template = to_studio_frame(model.template_bone_heads.cpu().numpy().astype(np.float64))
        self.bone_heads_blendshapes = to_studio_frame(
            model.bone_heads_blendshapes.cpu().numpy().astype(np.float64)).reshape(k, -1)
        weights = np.zeros((n_all, len(self.bone_labels)))
        np.add.at(weights, (np.arange(n_all)[:, None], model.vertex_bone_indices.cpu().numpy()),
                  model.vertex_bone_weights.cpu().numpy())
        self.bone_weights = weights[keep]
        # the torch model now only computes coefficients (small): drop its copy of the blend shapes (~50 MB)
        model.blendshapes = None
        reference = self.rest_vertices(self.coefficients(self.phenotype_vector("female")))[0]
        heads = self.bone_heads(self.coefficients(self.phenotype_vector("female")))[0]
        self.spec = anny_landmark_spec(reference, self.faces, heads, self.bone_labels, self.bone_weights)

    # -- parameters -> geometry ---------------------------------------------------------------------------------
    def phenotype_vector(self, body_hint: str = "neutral", **values: float) -> np.ndarray:
        """(6,) phenotypes of an adult of ``body_hint`` (others at anny's 0.5), with ``values`` overriding."""
        base = {"gender": GENDER_OF_HINT[body_hint], "age": ADULT_AGE, "muscle": 0.5, "weight": 0.5,
                "height": 0.5, "proportions": 0.5}
        base.update(values)
        return np.array([base[k] for k in PHENOTYPES], dtype=np.float64)

    def local_vector(self, values: Mapping[str, float] | None = None) -> np.ndarray:
        """(L,) local changes in the model's column order from ``{label: value}`` (missing labels are 0)."""
        out = np.zeros(len(self.local_change_labels))
        for label, value in (values or {}).items():
            if label not in self._local_column:
                raise ValueError(f"unknown local change {label!r}; the body model has {', '.join(LOCAL_CHANGES)}")
            out[self._local_column[label]] = float(value)
        return out

    def coefficients(self, phenotypes: np.ndarray, local_changes: np.ndarray | None = None) -> np.ndarray:
        """Blend-shape coefficients of a batch of bodies.

        Parameters
        ----------
        phenotypes : (B, 6) or (6,) float array in [0, 1], order :data:`PHENOTYPES`.
        local_changes : (B, L) or (L,) float array, order :attr:`local_change_labels`; None for all zero.

        Returns
        -------
        (B, K) float64 array.

        Notes
        -----
        Calls anny's ``Anny._get_phenotype_blendshape_coefficients`` (what its ``forward`` does before
        skinning): ~1 ms, where a full forward pass with skinning takes ~10-20 ms.
        """
        torch = self._torch
        ph = np.atleast_2d(np.asarray(phenotypes, dtype=np.float64))
        lc = np.zeros((ph.shape[0], len(self.local_change_labels))) if local_changes is None else \
            np.atleast_2d(np.asarray(local_changes, dtype=np.float64))
        b = max(ph.shape[0], lc.shape[0])
        ph = np.broadcast_to(ph, (b, ph.shape[1]))
        lc = np.broadcast_to(lc, (b, lc.shape[1]))
        with torch.no_grad():
            coeffs = self._model._get_phenotype_blendshape_coefficients(
                torch.tensor(np.array(ph), dtype=torch.float64),
                torch.tensor(np.array(lc), dtype=torch.float64),
                torch.zeros((b, 0), dtype=torch.float64),
            )
        return coeffs.cpu().numpy()

    def rest_vertices(self, coeffs: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
        """Rest vertices (metres, studio frame, *not* floor-aligned) of a batch of bodies.

        Parameters
        ----------
        coeffs : (B, K) float array, from :meth:`coefficients`.
        ids : (n,) int array, optional
            Only these vertices (much faster when a few hundred are needed).

        Returns
        -------
        (B, n, 3) float64 array (n = N without ``ids``).
        """
        c = np.atleast_2d(coeffs)
        if ids is None:
            flat = self.template.reshape(-1) + c @ self.blendshapes
            return flat.reshape(c.shape[0], -1, 3)
        cols = (3 * np.asarray(ids)[:, None] + np.arange(3)).ravel()
        flat = self.template.reshape(-1)[cols] + c @ self.blendshapes[:, cols]
        return flat.reshape(c.shape[0], -1, 3)

    def bone_heads(self, coeffs: np.ndarray) -> np.ndarray:
        """(B, J, 3) rest joint centres (metres, studio frame, not floor-aligned)."""
        c = np.atleast_2d(coeffs)
        return (self.bone_heads_template.reshape(-1) + c @ self.bone_heads_blendshapes).reshape(c.shape[0], -1, 3)


_MODEL: BodyModel | None = None
_MODEL_LOCK = threading.Lock()


def body_model() -> BodyModel:
    """The process-wide :class:`BodyModel` (built on first use: seconds warm, tens of seconds on a cold cache).

    Raises
    ------
    ImportError
        When ``anny``/``torch`` are missing (names the extra to install).
    """
    global _MODEL
    if _MODEL is None:
        with _MODEL_LOCK:
            if _MODEL is None:
                _MODEL = BodyModel()
    return _MODEL


def model_is_loaded() -> bool:
    """Whether :func:`body_model` has been built in this process already."""
    return _MODEL is not None


# -- landmarks of the anny topology ------------------------------------------------------------------------------
def _mirror(vertices: np.ndarray, index: int, candidates: np.ndarray | None = None) -> int:
    """Vertex nearest to the mirror image (x -> -x) of ``vertices[index]``."""
    target = vertices[index] * np.array([-1.0, 1.0, 1.0])
    cand = np.arange(len(vertices)) if candidates is None else candidates
    return int(cand[np.argmin(np.linalg.norm(vertices[cand] - target, axis=1))])


def anny_landmark_spec(vertices: np.ndarray, faces: np.ndarray, bone_heads: np.ndarray, bone_labels: list[str],
                       bone_weights: np.ndarray) -> BodyLandmarkSpec:
    """Find the landmarks of the anny skin topology on a reference body (an average adult woman).

    The landmarks are vertices (or candidate sets), so they move with every later body shape.

    Parameters
    ----------
    vertices : (N, 3) float, metres, studio frame ; faces : (M, 3) int
    bone_heads : (J, 3) float, metres, studio frame ; bone_labels : J names
    bone_weights : (N, J) float, skinning weight of each bone on each vertex

    Rules (left side; the right one is the mirror vertex)
    -----------------------------------------------------
    * arm vertices: skinning weight of the arm and hand bones > 0.5; the torso girths cut no edge touching them;
    * armpit: lowest vertex of the arm/torso seam (arm weight between 0.35 and 0.65);
    * bust point: most anterior torso vertex of the left chest, between the spine02 joint and the armpit;
    * waist: most lateral torso vertex at the level of the narrowest torso girth between the hip joints (+30 %
      of the way up) and 5 cm below the bust point;
    * acromion (shoulder point): highest vertex 1 cm lateral of the shoulder joint (upperarm01), within 4 cm of
      it front to back: the top of the shoulder over the lateral edge of the acromion (the deltoid's bulge,
      further out, is not the shoulder point);
    * back neck (C7): most posterior mid-line vertex at the height of the neck base joint (neck01);
    * neck plane: front, back and left neck vertices nearest to the plane 35 % up the neck
      (neck01 -> head joints), perpendicular to it;
    * elbow / wrist: outermost (upper side in the A-pose) arm vertex within 1 cm of the plane through the elbow /
      wrist joint perpendicular to the arm;
    * ankle: most lateral leg vertex at the height of the ankle joint;
    * crotch candidates: mid-line vertices between the knee and the hip joints.
    """
    v = np.asarray(vertices, dtype=np.float64)
    bone = {name: i for i, name in enumerate(bone_labels)}

    def weight(prefixes: tuple[str, ...]) -> np.ndarray:
        cols = [i for name, i in bone.items() if name.startswith(prefixes)]
        return bone_weights[:, cols].sum(axis=1)

    def head(name: str) -> np.ndarray:
        return bone_heads[bone[name]]

    edges = mesh_edges(faces)
    arm_w = weight(_ARM_BONES)
    arm = arm_w > 0.5
    torso_edges = edges[~(arm[edges[:, 0]] | arm[edges[:, 1]])]
    upper_l = weight(("upperarm01.L", "upperarm02.L")) > 0.5
    upper_arm_edges = edges[upper_l[edges[:, 0]] & upper_l[edges[:, 1]]]
    neck_w = weight(("neck01", "neck02", "neck03", "head", "spine01", "clavicle", "shoulder01")) > 0.5
    neck_edges = edges[neck_w[edges[:, 0]] & neck_w[edges[:, 1]] & ~arm[edges[:, 0]] & ~arm[edges[:, 1]]]

    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    seam = np.nonzero((arm_w > 0.35) & (arm_w < 0.65) & (x > 0))[0]
    axilla_l = int(seam[np.argmin(y[seam])])

    chest = np.nonzero(~arm & (x > 0.02) & (y > head("spine02")[1]) & (y < y[axilla_l]))[0]
    bust_l = int(chest[np.argmax(z[chest])])
    # natural waist: narrowest torso girth between the hip joints and the bust point, then the side vertex there
    y_lo = head("upperleg01.L")[1] + 0.3 * (y[bust_l] - head("upperleg01.L")[1])
    levels = np.arange(y_lo, y[bust_l] - 0.05, 0.002)
    y_waist = float(levels[np.argmin(horizontal_girths(v, torso_edges, levels))])
    side = np.nonzero(~arm & (x > 0) & (np.abs(y - y_waist) < 0.006))[0]
    waist = int(side[np.argmax(x[side])])

    sh = head("upperarm01.L")
    n0 = head("neck01")
    above = np.nonzero((np.abs(x - sh[0] - 0.01) < 0.006) & (np.abs(z - sh[2]) < 0.04) & (y > sh[1]))[0]
    acromion_l = int(above[np.argmax(y[above])])

    hd = head("head")
    midline = np.abs(x) < 0.004
    back = np.nonzero(midline & (z < n0[2]) & (np.abs(y - n0[1]) < 0.02))[0]
    back_neck = int(back[np.argmin(z[back] + 0.2 * np.abs(y[back] - n0[1]))])

    axis = (hd - n0) / np.linalg.norm(hd - n0)
    origin = n0 + 0.35 * (hd - n0)
    neck_vertices = np.unique(neck_edges)
    near = neck_vertices[np.abs((v[neck_vertices] - origin) @ axis) < 0.006]
    near = near[np.linalg.norm(v[near] - origin - np.outer((v[near] - origin) @ axis, axis), axis=1) < 0.12]
    neck_front = int(near[np.argmax(z[near])])
    neck_back = int(near[np.argmin(z[near])])
    neck_left = int(near[np.argmax(x[near])])

    def outer_point(joint: np.ndarray, direction: np.ndarray) -> int:
        up = np.array([0.0, 1.0, 0.0])
        out = up - (up @ direction) * direction
        out /= np.linalg.norm(out)
        cand = np.nonzero(arm & (x > 0) & (np.abs((v - joint) @ direction) < 0.01))[0]
        cand = cand[np.linalg.norm(v[cand] - joint, axis=1) < 0.1]
        return int(cand[np.argmax((v[cand] - joint) @ out)])

    arm_dir = head("wrist.L") - sh
    arm_dir /= np.linalg.norm(arm_dir)
    elbow_l = outer_point(head("lowerarm01.L"), arm_dir)
    wrist_l = outer_point(head("wrist.L"), arm_dir)

    ank = head("foot.L")
    near_ankle = np.nonzero((x > 0) & (np.abs(y - ank[1]) < 0.01) & (np.abs(z - ank[2]) < 0.06))[0]
    ankle_l = int(near_ankle[np.argmax(x[near_ankle])])

    knee, hip = head("lowerleg01.L"), head("upperleg01.L")
    crotch = np.nonzero(midline & ~arm & (y > knee[1]) & (y < hip[1]))[0]

    return BodyLandmarkSpec(
        edges=edges,
        torso_edges=torso_edges,
        neck_edges=neck_edges,
        left_upper_arm_edges=upper_arm_edges,
        crotch_candidates=crotch,
        bust_point=bust_l,
        waist=waist,
        axilla=(axilla_l, _mirror(v, axilla_l)),
        acromion=(acromion_l, _mirror(v, acromion_l)),
        back_neck=back_neck,
        neck_plane=(neck_front, neck_back, neck_left),
        elbow=(elbow_l, _mirror(v, elbow_l)),
        wrist=(wrist_l, _mirror(v, wrist_l)),
        ankle=(ankle_l, _mirror(v, ankle_l)),
    )


# -- bodies ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FittedBody:
    """A body mesh with its measurements, landmarks and the parameters that rebuild it.

    Attributes
    ----------
    vertices : (N, 3) float32, metres
        Studio frame: +Y up, facing +Z, the body's left = +X, feet on ``y = 0``; A-pose. Read-only.
    faces : (M, 3) int32
        Triangles (the skin; no eyes or tongue). Read-only.
    measured : dict name -> float, centimetres
        Measured on ``vertices`` with :func:`fw_kernel.geometry.body.measure.measure_body` (every key of
        ``MEASUREMENT_KEYS``), rounded to 0.1 mm.
    landmarks : dict name -> (3,) float64 metres
        ``head_top, neck, back_neck, left_shoulder, right_shoulder, chest, bust, underbust, waist, hips, crotch,
        left_elbow, right_elbow, left_wrist, right_wrist, left_ankle, right_ankle``; the girth landmarks (neck,
        chest, bust, underbust, waist, hips) are the centres of the tape's loop, the others surface points.
    params : dict
        JSON-serialisable; :func:`build_body` rebuilds the same mesh from it without fitting.
    fit : dict
        How it was obtained (requested measurements, residuals, iterations, seconds); empty for :func:`build_body`.
    """

    vertices: np.ndarray
    faces: np.ndarray
    measured: dict[str, float]
    landmarks: dict[str, np.ndarray]
    params: dict[str, Any]
    fit: dict[str, Any] = field(default_factory=dict)

    def trimesh(self) -> trimesh.Trimesh:
        """The mesh as a ``trimesh.Trimesh`` (metres, studio frame; a copy, not processed)."""
        import trimesh

        return trimesh.Trimesh(vertices=np.array(self.vertices), faces=np.array(self.faces), process=False)


def params_of(model: BodyModel, phenotypes: np.ndarray, local_changes: np.ndarray) -> dict[str, Any]:
    """JSON-serialisable parameters of one body ((6,) phenotypes, (L,) local changes in model column order)."""
    return {
        "model": MODEL_ID,
        "phenotypes": {k: round(float(v), 9) for k, v in zip(PHENOTYPES, phenotypes)},
        "local_changes": {label: round(float(local_changes[model.local_change_labels.index(label)]), 9)
                          for label in LOCAL_CHANGES},
    }


def _check_params(params: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    if not isinstance(params, Mapping):
        raise ValueError(f"params must be a dict like FittedBody.params, got {type(params).__name__}")
    if params.get("model", MODEL_ID) != MODEL_ID:
        raise ValueError(f"params are for body model {params.get('model')!r}; this is {MODEL_ID!r}")
    phen = params.get("phenotypes", {})
    local = params.get("local_changes", {})
    if not isinstance(phen, Mapping) or not isinstance(local, Mapping):
        raise ValueError("params['phenotypes'] and params['local_changes'] must be dicts of numbers")
    unknown = set(phen) - set(PHENOTYPES)
    if unknown:
        raise ValueError(f"unknown phenotypes {sorted(unknown)}; allowed: {', '.join(PHENOTYPES)}")
    out_p: dict[str, float] = {}
    for k, value in phen.items():
        low, high = PHENOTYPE_BOUNDS[k]
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= float(value) <= high:
            raise ValueError(f"phenotype {k!r} must be a number in [{low:g}, {high:g}], got {value!r}")
        out_p[k] = float(value)
    out_l: dict[str, float] = {}
    for k, value in local.items():
        if k not in LOCAL_CHANGES:
            raise ValueError(f"unknown local change {k!r}; allowed: {', '.join(LOCAL_CHANGES)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value) \
                or abs(float(value)) > 5.0:
            raise ValueError(f"local change {k!r} must be a number in [-5, 5], got {value!r}")
        out_l[k] = float(value)
    return out_p, out_l


def make_body(model: BodyModel, phenotypes: np.ndarray, local_changes: np.ndarray,
              fit: dict[str, Any] | None = None) -> tuple[FittedBody, BodyMeasurement]:
    """Mesh, measurements and landmarks of one body ((6,) phenotypes, (L,) local changes, model column order)."""
    coeffs = model.coefficients(phenotypes, local_changes)
    v = model.rest_vertices(coeffs)[0]
    v[:, 1] -= v[:, 1].min()
    vertices = v.astype(np.float32)
    measurement = measure_body(vertices.astype(np.float64), model.spec)
    vertices.flags.writeable = False
    faces = model.faces.view()
    faces.flags.writeable = False
    landmarks = {}
    for k, p in measurement.landmarks.items():
        p = np.array(p, dtype=np.float64)
        p.flags.writeable = False
        landmarks[k] = p
    body = FittedBody(
        vertices=vertices,
        faces=faces,
        measured={k: round(float(x), 2) for k, x in measurement.values.items()},
        landmarks=landmarks,
        params=params_of(model, phenotypes, local_changes),
        fit=dict(fit or {}),
    )
    return body, measurement


def build_body(params: Mapping[str, Any]) -> FittedBody:
    """Rebuild a body from :attr:`FittedBody.params` (no fitting: one evaluation of the model, ~50 ms warm).

    Parameters
    ----------
    params : dict
        ``{"model": MODEL_ID, "phenotypes": {name: value in [0, 1]}, "local_changes": {label: value}}``; a
        missing phenotype is anny's default (0.5; age: :data:`ADULT_AGE`), a missing local change is 0.

    Raises
    ------
    ValueError
        For parameters of another model, unknown names or out-of-range values.
    ImportError
        Without anny/torch (names the extra to install).
    """
    phen, local = _check_params(params)
    model = body_model()
    hint_gender = phen.pop("gender", GENDER_OF_HINT["neutral"])
    phenotypes = model.phenotype_vector("neutral", gender=hint_gender, **phen)
    body, _ = make_body(model, phenotypes, model.local_vector(local))
    return body
