"""Geometry and surface appearance (numpy, trimesh).

- ``body/``: the anny body model (``model``), fitting to measurements (``fit``), tape measurements (``measure``),
  size charts (``sizes``), body parts for garments (``parts``);
- ``photo/``: measurements from a front and a side photo;
- ``garment/``: garments, trims (elements, accessories) and the swept tubes they are built on;
- ``texture/``: procedural prints, fabric weaves and maps, colours, blend modes;
- shared: ``hull`` (planar convex hulls), ``sections`` (plane sections and girths of meshes), ``png``.

Submodules are imported explicitly (``from fw_kernel.geometry.texture.textures import pattern_image``); importing
this package loads nothing heavy.
"""
