"""Weight initialisation of steerable layers (vectorised: no Python loop per weight)."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["generalized_he_init", "deltaorthonormal_init", "he_scales"]


def he_scales(expansion) -> np.ndarray:
    """Per-weight standard deviations of the generalised He initialisation.

    Every output channel receives sum_e w_e^2 |B_e row|^2 of variance; choosing
    Var(w_e) = 1 / (N_o |B_e|^2 / d_o), with N_o the number of basis elements feeding the
    output block o, gives each output channel variance ~ 1 per unit input variance (times the
    usual factor 2 for ReLU networks, applied by the caller)."""
    return expansion.he_scales()


def generalized_he_init(weights: torch.Tensor, expansion, gain: float = 2.0, generator=None) -> None:
    """In-place He initialisation of a steerable layer's ``weights`` given its basis expansion."""
    scales = torch.as_tensor(he_scales(expansion), dtype=weights.dtype, device=weights.device)
    with torch.no_grad():
        noise = torch.randn(weights.shape, generator=generator, dtype=weights.dtype, device="cpu").to(
            weights.device
        )
        weights.copy_(noise * scales * np.sqrt(gain))


def deltaorthonormal_init(weights: torch.Tensor, expansion, generator=None) -> None:
    """Delta-orthogonal initialisation: only the basis elements supported on the kernel's centre
    (radius 0) are used, with weights making the centre tap norm-preserving on average; all other
    weights are zero (Xiao et al. 2018, generalised to steerable filters)."""
    radius = torch.as_tensor(expansion.attributes["radius"], device=weights.device)
    scales = torch.as_tensor(he_scales(expansion), dtype=weights.dtype, device=weights.device)
    centre = radius < 1e-9
    if not bool(centre.any()):
        raise ValueError("deltaorthonormal_init needs basis elements on the ring of radius 0")
    with torch.no_grad():
        noise = torch.randn(weights.shape, generator=generator, dtype=weights.dtype, device="cpu").to(
            weights.device
        )
        weights.copy_(torch.where(centre, noise * scales, torch.zeros_like(weights)))
