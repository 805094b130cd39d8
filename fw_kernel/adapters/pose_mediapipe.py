"""Pose landmarks and person masks with MediaPipe (the ``photo`` extra; the only module importing mediapipe).

``mediapipe==0.10.21`` legacy ``solutions.pose`` (BlazePose GHUM, ``model_complexity=1``) with its segmentation
head, and ``solutions.selfie_segmentation`` to count the people in a photo. Their models ship inside the wheel:
nothing is ever downloaded. Images go in as C-contiguous RGB uint8.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .require_ import require_driver

LANDMARK_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)
"""BlazePose's 33 landmarks, in its order (left/right are the person's)."""


_MIRROR = np.arange(33)
for _a, _b in ((1, 4), (2, 5), (3, 6), (7, 8), (9, 10), *((i, i + 1) for i in range(11, 33, 2))):
    _MIRROR[_a], _MIRROR[_b] = _b, _a


@dataclass(frozen=True)
class PoseDetection:
    """What the detector finds in one photo.

    Attributes
    ----------
    landmarks : (33, 3) float64 or None
        Pixel x, pixel y (origin top-left) and visibility in [0, 1] of each of :data:`LANDMARK_NAMES`; None when
        no person was found.
    mask : (H, W) float32 or None
        Person probability per pixel (the pose model's segmentation), None when no person was found.
    people : int
        Separate people the whole-image segmentation sees (large blobs).
    people_mask : (H, W) float32
        That whole-image person probability.
    agreement : float
        Intersection over union of ``mask`` and ``people_mask`` (both > 0.5): low when the person does not stand
        out from the background (one of the two models lost a leg or took in a piece of background).
    """

    landmarks: np.ndarray | None
    mask: np.ndarray | None
    people: int
    people_mask: np.ndarray
    agreement: float = 1.0


DARKER_RETRIES = (2.0, 4.0)
"""Gammas of the darker copies a photo is searched again in when no person was found in it."""


def _darkened(image: np.ndarray, gamma: float = 2.0) -> np.ndarray:
    """(H, W, 3) uint8 photo with gamma ``gamma`` applied (darker mid-tones, highlights kept apart)."""
    lut = np.round(255.0 * (np.arange(256) / 255.0) ** gamma).astype(np.uint8)
    return lut[image]


class MediaPipePose:
    """Implements ``ports.PoseDetector``. Models load on first use (~0.1 s); thread-safe (one photo at a time)."""

    def __init__(self, min_detection_confidence: float = 0.5) -> None:
        self._mp = require_driver("mediapipe", "photo")
        self._cv2 = require_driver("cv2", "photo")
        self._min_confidence = min_detection_confidence
        self._pose = None
        self._selfie = None
        self._lock = threading.Lock()

    def _models(self) -> tuple[object, object]:
        if self._pose is None:
            self._pose = self._mp.solutions.pose.Pose(
                static_image_mode=True, model_complexity=1, enable_segmentation=True,
                min_detection_confidence=self._min_confidence)
            # model_selection=0: the general model (256x256), for people at any distance
            self._selfie = self._mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
        return self._pose, self._selfie

    def detect(self, image: np.ndarray) -> PoseDetection:
        """Landmarks, person mask and head count of an (H, W, 3) uint8 RGB photo.

        The whole-image segmentation finds the person first; the pose model then runs on a crop around them
        (15 % margin), where it finds the landmarks and the mask more reliably than on a small figure in a
        large photo. ``agreement`` (IoU of the two masks) tells how well the person stands out.
        """
        img = np.ascontiguousarray(image, dtype=np.uint8)
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f"expected an (H, W, 3) RGB image, got shape {img.shape}")
        found = self._detect(img)
        # an over-exposed pale body shows no face and blends into a light background: the whole detection
        # again on darker copies (the person is then found in the darker photo; same pixels, same geometry)
        for gamma in DARKER_RETRIES:
            if found.landmarks is not None:
                break
            found = self._detect(_darkened(img, gamma))
        return found

    def _detect(self, img: np.ndarray) -> PoseDetection:
        h, w = img.shape[:2]
        with self._lock:
            pose, selfie = self._models()
            people_mask = np.asarray(selfie.process(img).segmentation_mask, dtype=np.float32)  # type: ignore
            labels, areas = self._components(people_mask)
            y0, y1, x0, x1 = 0, h, 0, w
            if areas.size:
                ys, xs = np.nonzero(labels == int(np.argmax(areas)) + 1)
                margin = int(0.15 * (ys.max() - ys.min() + 1))
                y0, y1 = max(int(ys.min()) - margin, 0), min(int(ys.max()) + margin + 1, h)
                x0, x1 = max(int(xs.min()) - margin, 0), min(int(xs.max()) + margin + 1, w)
            # the pose detector sometimes misses a person it finds mirrored, in the whole photo, or darkened
            # (an over-exposed pale body shows no face: gamma 2 brings its features back): try those
            for flip, (fy0, fy1, fx0, fx1), dark in (
                    (False, (y0, y1, x0, x1), False), (True, (y0, y1, x0, x1), False), (False, (0, h, 0, w), False),
                    (False, (y0, y1, x0, x1), True)):
                src = _darkened(img) if dark else img
                part = np.ascontiguousarray(src[fy0:fy1, fx0:fx1][:, ::-1] if flip else src[fy0:fy1, fx0:fx1])
                result = pose.process(part)  # type: ignore[attr-defined]
                if result.pose_landmarks is not None and result.segmentation_mask is not None:
                    break
        people = self._count_people(people_mask)
        if result.pose_landmarks is None or result.segmentation_mask is None:
            return PoseDetection(None, None, people, people_mask)
        y0, y1, x0, x1 = fy0, fy1, fx0, fx1
        ch, cw = part.shape[:2]
        lms = np.array([[p.x * cw, y0 + p.y * ch, p.visibility] for p in result.pose_landmarks.landmark],
                       dtype=np.float64)
        seg = np.asarray(result.segmentation_mask, dtype=np.float32)
        if flip:  # back to the photo: mirror x, and the person's left is again their left
            lms[:, 0] = cw - lms[:, 0]
            lms = lms[_MIRROR]
            seg = seg[:, ::-1]
        lms[:, 0] += x0
        mask = np.zeros((h, w), dtype=np.float32)
        mask[y0:y1, x0:x1] = seg
        a, b = mask > 0.5, people_mask > 0.5
        agreement = float((a & b).sum() / max((a | b).sum(), 1))
        mask = self._largest_blob(mask)
        # the pose model's mask has sharp edges but sometimes loses the lower legs; the whole-image one keeps
        # them (blurrier, and it takes in more background): below the pose mask's lowest row, take it there
        rows = np.nonzero((mask > 0.5).any(axis=1))[0]
        if rows.size and rows[-1] < h - 1:
            below = rows[-1] + 1
            mask[below:] = people_mask[below:]
            mask = self._largest_blob(mask)
        return PoseDetection(lms, mask, people, people_mask, agreement)

    def _components(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n, labels, stats, _ = self._cv2.connectedComponentsWithStats((mask > 0.5).astype(np.uint8), connectivity=8)
        return labels, stats[1:, self._cv2.CC_STAT_AREA] if n > 1 else np.zeros(0, dtype=np.int64)

    def _count_people(self, mask: np.ndarray) -> int:
        """Blobs of at least half the largest one's area and 1 % of the photo (a person, not a chair or a hand)."""
        _, areas = self._components(mask)
        if areas.size == 0:
            return 0
        big = areas >= max(areas.max() / 2.0, 0.01 * mask.size)
        return int(big.sum())

    def _largest_blob(self, mask: np.ndarray) -> np.ndarray:
        """The mask with everything but its largest connected blob zeroed (stray pixels, a second person)."""
        labels, areas = self._components(mask)
        if areas.size <= 1:
            return mask
        keep = labels == (int(np.argmax(areas)) + 1)
        return np.where(keep, mask, 0.0).astype(np.float32)
