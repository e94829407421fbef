"""``steerable check``: quick self-checks of the group layer and the C8 tutorial CNN (seconds)."""

from __future__ import annotations

import time

__all__ = ["run_checks"]


def run_checks(out=print) -> bool:
    """Build every group, check its irreps' homomorphism property and the C8 tutorial CNN."""
    import numpy as np

    from steerable import group as G
    from steerable import testing

    out("steerable check: groups, irreps and their identities (float64)\n")
    rows = []
    factories = [
        ("C8", lambda: G.cyclic_group(8)),
        ("D16", lambda: G.dihedral_group(16)),
        ("SO(2)", lambda: G.so2_group(6)),
        ("O(2)", lambda: G.o2_group(6)),
        ("SO(3)", lambda: G.so3_group(6)),
        ("O(3)", lambda: G.o3_group(3)),
        ("Tetra", G.tetra_group),
        ("Octa", G.octa_group),
        ("Ico", G.ico_group),
        ("FullIco", G.full_ico_group),
    ]
    worst_overall = 0.0
    for label, make in factories:
        start = time.perf_counter()
        group = make()
        irreps = group.irreps()
        elements = testing.testing_elements(group)[:12] + testing.random_elements(group, 4)
        worst = 0.0
        for irrep in irreps:
            mats = irrep.matrices(elements)
            prod = irrep.matrices([a @ b for a in elements for b in elements])
            pairs = np.einsum("aij,bjk->abik", mats, mats).reshape(prod.shape)
            worst = max(worst, float(np.abs(pairs - prod).max()))
        seconds = time.perf_counter() - start
        worst_overall = max(worst_overall, worst)
        order = group.order() if group.order() > 0 else "inf"
        dims = ",".join(str(r.size) for r in irreps)
        rows.append((label, str(order), str(len(irreps)), dims, f"{worst:.1e}", f"{seconds * 1e3:.0f} ms"))
    header = ("group", "order", "#irreps", "irrep dims", "max |rho(a)rho(b)-rho(ab)|", "time")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        out("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    so3 = G.so3_group()
    cg = so3._clebsh_gordan_coeff(1, 1, 2)
    out(
        f"\nSO(3): 1 (x) 1 = {[l for (l,), _ in so3._tensor_product_irreps(1, 1)]}, "
        f"CG(1,1->2) shape {cg.shape}"
    )
    out("Ico irreps restricted from SO(3) l=3:", so3.irrep(3).restrict("ico").irreps)
    ok = worst_overall < 1e-9
    out(f"\nall homomorphism checks {'passed' if ok else 'FAILED'} (worst error {worst_overall:.1e})")
    return ok and _check_layers(out)


def _check_layers(out) -> bool:
    """Build the escnn tutorial's C8 CNN and check its invariance to quarter turns."""
    import torch

    from steerable.models import C8SteerableCNN

    out("\nsteerable.nn: the C8 rotated-MNIST CNN of the escnn tutorial")
    torch.manual_seed(0)
    start = time.perf_counter()
    model = C8SteerableCNN().eval()
    built = time.perf_counter() - start
    params = sum(p.numel() for p in model.parameters())
    x = torch.randn(4, 1, 29, 29)
    with torch.no_grad():
        y = model(x)
        errors = [float((model(torch.rot90(x, k, (2, 3))) - y).abs().max()) for k in (1, 2, 3)]
        plain = model.export().eval()
        export_error = float((plain(x) - y).abs().max())
    scale = float(y.abs().max())
    out(f"  built in {built * 1e3:.0f} ms, {params:,} parameters")
    out(
        f"  logits under 90/180/270-degree rotations of the input: max change "
        f"{max(errors):.1e} (logit scale {scale:.1e}, float32)"
    )
    out(f"  export() to plain torch (Conv2d, BatchNorm2d, ...): max difference {export_error:.1e}")
    ok = max(errors) < 1e-4 * max(scale, 1.0) and export_error < 1e-4 * max(scale, 1.0)
    out(f"  invariance and export checks {'passed' if ok else 'FAILED'}")
    return ok
