"""The design domain: plain Python, no storage, rendering or widget library (checked by import-linter)."""
