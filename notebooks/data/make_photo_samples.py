"""Regenerate the sample photos of ``04_avatar_from_photos.ipynb``: a fitted body rendered by the project.

Run: ``PYOPENGL_PLATFORM=egl .venv/bin/python notebooks/data/make_photo_samples.py`` (render + body extras, EGL).
The body is the women's size M of ``fw_kernel.geometry.body.sizes``; nobody real is photographed.
"""

from __future__ import annotations

from pathlib import Path

from fw_kernel.adapters.photo_studio import PhotoSetup, SyntheticPhotos
from fw_kernel.geometry.body.fit import fit_body
from fw_kernel.geometry.body.sizes import size_measurements

HERE = Path(__file__).resolve().parent


def main() -> None:
    body = fit_body(size_measurements("M", "female", height=168), "female")
    photos = SyntheticPhotos()
    front = PhotoSetup(width=600, height=800, background="clutter", background_seed=7,
                       background_color=(214, 206, 190), skin=(198, 134, 96), light_azimuth_deg=25.0, jpeg_quality=85)
    side = PhotoSetup(width=600, height=800, background="gradient", background_seed=8,
                      background_color=(190, 200, 214), skin=(198, 134, 96), light_azimuth_deg=-20.0,
                      jpeg_quality=85)
    (HERE / "sample_front.jpg").write_bytes(photos.photo(body, front, "front"))
    (HERE / "sample_side.jpg").write_bytes(photos.photo(body, side, "side"))
    print({k: body.measured[k] for k in ("height", "bust", "waist", "hips", "inseam")})


if __name__ == "__main__":
    main()
