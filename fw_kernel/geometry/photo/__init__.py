"""Measurements from a front and a side photo (silhouette sections, calibrated girth models)."""
