"""Bodies: the anny body model, fitting to measurements, tape measurements on the mesh, size charts, body parts."""
