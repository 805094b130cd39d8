"""The exact sRGB output encoding patched into a copy of pyrender's mesh shader (issue #16)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from fw_kernel.adapters import render_pyrender


def test_the_mesh_shader_copy_encodes_exact_srgb_and_the_rest_is_unchanged() -> None:
    spec = importlib.util.find_spec("pyrender")
    assert spec is not None and spec.origin is not None
    package = Path(spec.origin).parent
    folder = Path(render_pyrender.shader_dir(str(package)) or "")
    mesh = (folder / "mesh.frag").read_text()
    assert "pow(color.xyz, vec3(1.0/2.2))" not in mesh and "fw_linear_to_srgb(color.xyz)" in mesh
    assert "0.0031308" in mesh and "1.0 / 2.4" in mesh and mesh.count("void main()") == 1
    for shader in (package / "shaders").iterdir():                      # every other shader copied as it is
        if shader.name != "mesh.frag":
            assert (folder / shader.name).read_bytes() == shader.read_bytes(), shader.name
    assert render_pyrender.shader_dir(str(package)) == str(folder)       # made once per process


def test_an_unknown_shader_keeps_pyrender_s_own_encoding_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "shaders").mkdir()
    (tmp_path / "shaders" / "mesh.frag").write_text("void main() { frag_color = vec4(1.0); }\n")
    with pytest.warns(UserWarning, match="approximate sRGB"):
        assert render_pyrender.shader_dir(str(tmp_path)) is None
