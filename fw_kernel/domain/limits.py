"""Per-user tier limits (configurable through settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TierLimits:
    max_designs: int | None
    max_layers_per_design: int | None


DEFAULT_TIERS: dict[str, TierLimits] = {
    "free": TierLimits(max_designs=100, max_layers_per_design=50),
    "pro": TierLimits(max_designs=1_000, max_layers_per_design=200),
    "enterprise": TierLimits(max_designs=None, max_layers_per_design=None),
}
