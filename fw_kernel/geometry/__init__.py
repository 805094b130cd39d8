"""Geometry and surface appearance: procedural textures, fabric maps and layer compositing (numpy only).

Submodules are imported explicitly (``from fw_kernel.geometry.textures import pattern_image``); importing this
package loads nothing heavy.
"""
