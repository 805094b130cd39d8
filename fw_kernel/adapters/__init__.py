"""Adapters: the only place that imports storage, cache, queue and rendering libraries (lazily)."""
