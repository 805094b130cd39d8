"""Surface appearance: procedural print patterns, fabric weaves and their maps, colours, layer blend modes."""
