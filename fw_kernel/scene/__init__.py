"""The renderer-neutral scene of a design (``trimesh.Scene`` with PBR materials): see :mod:`.build`."""
