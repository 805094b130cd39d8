"""Garments, elements and accessories generated on a body (swept tubes around body axes)."""
