"""Helpers of the normalisation tests: gspaces, a loop-per-field reference implementation of the
batch statistics, and checks (equivariance in train and eval mode, export, state) shared by the
NormBatchNorm / InducedNormBatchNorm / GNormBatchNorm / IIDBatchNorm / FieldNorm tests."""

from __future__ import annotations

import copy
import pickle

import torch

from steerable import group, gspaces, nn

from ._helpers import EXACT

# name -> (gspace factory, spatial shape of the test inputs)
GSPACES = {
    "C8": (lambda: gspaces.rot2dOnR2(8), (5, 5)),
    "D4": (lambda: gspaces.flipRot2dOnR2(4), (5, 5)),
    "SO2": (lambda: gspaces.rot2dOnR2(-1, maximum_frequency=3), (5, 5)),
    "SO3": (lambda: gspaces.rot3dOnR3(), (3, 3, 3)),
    "Octa": (lambda: gspaces.octaOnR3(), (3, 3, 3)),
    "SO3_0D": (lambda: gspaces.no_base_space(group.so3_group()), ()),
}
# the number of exact testing elements of each (2D: quarter turns (and flips); 3D: cube rotations)
N_ELEMENTS = {"C8": 4, "D4": 8, "SO2": 4, "SO3": 24, "Octa": 24, "SO3_0D": None}


def randomise(module, seed: int = 1) -> None:
    """Non-trivial affine parameters and running statistics (so that eval mode tests something)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in list(module.named_parameters()) + list(module.named_buffers()):
            if name in ("weight", "running_var"):
                t.copy_(torch.rand(t.shape, generator=gen, dtype=t.dtype) * 1.5 + 0.5)
            elif name in ("bias", "running_mean"):
                t.copy_(torch.randn(t.shape, generator=gen, dtype=t.dtype))


def random_input(field_type, spatial, batch: int = 3, seed: int = 0, offset: float = 1.5):
    """float64 input with a non-zero mean and channel-dependent scales (so that centring and
    scaling are visible)."""
    gen = torch.Generator().manual_seed(seed)
    shape = (batch, field_type.size) + tuple(spatial)
    scale = torch.rand(field_type.size, generator=gen, dtype=torch.float64) * 2 + 0.5
    scale = scale.reshape(1, -1, *([1] * len(spatial)))
    return torch.randn(shape, generator=gen, dtype=torch.float64) * scale + offset


def assert_equivariant_modes(module, spatial, n_elements=None, modes=("train", "eval"), batch: int = 3):
    """f(g x) == g f(x) in float64 on the gspace's testing elements, in train mode (batch
    statistics) and eval mode (running statistics), with randomised parameters."""
    model = copy.deepcopy(module).double()
    randomise(model)
    t = model.in_type
    x = t(random_input(t, spatial, batch))
    elements = list(t.testing_elements)
    if n_elements is not None:
        assert len(elements) == n_elements
    for mode in modes:
        getattr(model, mode)()
        with torch.no_grad():
            y = model(x)
            assert y.tensor.abs().max() > 1e-2, "vacuous test: the output is (nearly) zero"
            for g in elements:
                err = (model(x.transform(g)).tensor - y.transform(g).tensor).abs().max()
                assert err < EXACT, f"{mode} mode, element {g}: error {float(err):.3e}"


def assert_export_matches(module, spatial, steps: int = 2):
    """The export computes the same function in train mode (outputs and updated buffers) and in
    eval mode, in float64 to 1e-12, and has the same state_dict keys."""
    model = copy.deepcopy(module).double()
    randomise(model)
    t = model.in_type
    exported = model.export()
    assert not isinstance(exported, nn.EquivariantModule)
    assert list(exported.state_dict()) == list(model.state_dict())
    for p in exported.parameters():
        assert p.dtype == torch.float64
    for k in range(steps):
        x = random_input(t, spatial, seed=10 + k)
        y = model(t(x)).tensor
        assert (exported(x) - y).abs().max() <= 1e-12 * y.abs().max()
    for (name, a), b in zip(model.state_dict().items(), exported.state_dict().values()):
        assert torch.equal(a, b), name
    model.eval()
    exported = model.export()
    assert not exported.training
    x = random_input(t, spatial, seed=20)
    y = model(t(x)).tensor
    assert (exported(x) - y).abs().max() <= 1e-12 * y.abs().max()


def assert_state_round_trip(module, spatial):
    """state_dict keys equal in train and eval; a fresh module loading the state_dict, a deepcopy
    and a pickled copy compute the same outputs."""
    model = copy.deepcopy(module).double()
    t = model.in_type
    model.train()
    for k in range(2):
        model(t(random_input(t, spatial, seed=30 + k)))
    randomise(model, seed=5)
    keys_train = list(model.state_dict())
    model.eval()
    assert list(model.state_dict()) == keys_train
    x = t(random_input(t, spatial, seed=40))
    y = model(x).tensor
    fresh = type(model)(t).double().eval()
    fresh.load_state_dict(model.state_dict())
    for other in (fresh, copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert torch.equal(other(x).tensor, y)


def assert_float32(module, spatial):
    """Works in float32 (as built) and in float64 after .double() with exact constants."""
    t = module.in_type
    x = random_input(t, spatial)
    y32 = copy.deepcopy(module).eval()(t(x.float())).tensor
    y64 = copy.deepcopy(module).double().eval()(t(x)).tensor
    assert y32.dtype == torch.float32
    assert (y32.double() - y64).abs().max() < 1e-5 * y64.abs().max()


# ------------------------------------------------------------------ reference statistics
def irrep_blocks(rep):
    """``[(start, end, is_trivial)]`` of the irrep blocks of ``rep`` in its irrep basis."""
    G = rep.group
    out, start = [], 0
    for i in rep.irreps:
        d = G.irrep(*i).size
        out.append((start, start + d, i == G.trivial_representation.id))
        start += d
    return out


def slots(kind: str, rep):
    """The statistics of one field, independently of the library's layout: a list of variance
    slots ``(channels, [mean groups])`` in the basis given by ``uses_basis(kind)``."""
    n = rep.size
    every = list(range(n))
    if kind in ("norm", "induced"):
        trivial = rep.is_trivial() if kind == "norm" else rep.attributes["induced_repr"].is_trivial()
        return [(every, [every] if trivial else [])]
    blocks = irrep_blocks(rep)
    if kind == "gnorm":
        return [(list(range(s, e)), [list(range(s, e))] if triv else []) for s, e, triv in blocks]
    if kind in ("iid", "field"):
        return [(every, [[s] for s, e, triv in blocks if triv])]
    raise ValueError(kind)


def uses_basis(kind: str) -> bool:
    return kind in ("gnorm", "iid", "field")


def reference(kind, field_type, x, weight=None, bias=None, running=None, eps=1e-5):
    """Loop-per-field batch normalisation. Returns ``(y, means, biased vars, unbiased vars)`` with
    the statistics in field order (then slot order); with ``running=(mean, var)`` the output uses
    those instead of the batch statistics."""
    x = x.double()
    y = torch.empty_like(x)
    means, biased, unbiased = [], [], []
    mi = vi = 0
    for rep, s, e in zip(field_type.representations, field_type.fields_start, field_type.fields_end):
        q = (
            torch.tensor(rep.change_of_basis)
            if uses_basis(kind)
            else torch.eye(rep.size, dtype=torch.float64)
        )
        z = torch.einsum("ji,bj...->bi...", q, x[:, s:e])  # Q^T f
        out = torch.zeros_like(z)
        for chs, groups in slots(kind, rep):
            zc = z[:, chs].clone()
            for grp in groups:
                cols = [chs.index(c) for c in grp]
                m = z[:, grp].mean() if running is None else running[0][mi]
                means.append(z[:, grp].mean())
                zc[:, cols] -= m
                if bias is not None:
                    out[:, grp] += bias[mi]
                mi += 1
            ss = (zc**2).sum()
            biased.append(ss / zc.numel())
            unbiased.append(ss / (zc.numel() - len(groups)))
            v = biased[-1] if running is None else running[1][vi]
            w = 1.0 if weight is None else weight[vi]
            out[:, chs] += zc * (w / torch.sqrt(v + eps))
            vi += 1
        y[:, s:e] = torch.einsum("ij,bj...->bi...", q, out)
    return y, torch.stack(means) if means else torch.zeros(0), torch.stack(biased), torch.stack(unbiased)


def assert_matches_reference(kind, module, spatial, momentum):
    """Three training steps, then eval: outputs and running statistics against ``reference``."""
    model = copy.deepcopy(module).double()
    randomise(model)
    t = model.in_type
    with torch.no_grad():
        model.running_var.fill_(1.0)
        if model.running_mean is not None:
            model.running_mean.zero_()
    rm = torch.zeros_like(model.running_mean) if model.running_mean is not None else torch.zeros(0)
    rv = torch.ones_like(model.running_var)
    w = model.weight.detach()
    b = None if model.bias is None else model.bias.detach()
    with torch.no_grad():
        for k in range(3):
            x = random_input(t, spatial, seed=50 + k)
            y = model(t(x)).tensor
            y_ref, m, _, v = reference(kind, t, x, w, b)
            assert (y - y_ref).abs().max() < 1e-12
            f = 1.0 / (k + 1) if momentum is None else momentum
            rm, rv = (1 - f) * rm + f * m, (1 - f) * rv + f * v
            if model.running_mean is not None:
                assert (model.running_mean - rm).abs().max() < 1e-13
            assert (model.running_var - rv).abs().max() < 1e-13
        assert int(model.num_batches_tracked) == 3
        model.eval()
        x = random_input(t, spatial, seed=60)
        y = model(t(x)).tensor
        y_ref = reference(kind, t, x, w, b, running=(rm, rv))[0]
        assert (y - y_ref).abs().max() < 1e-12
        # eval mode leaves the statistics alone
        assert (model.running_var - rv).abs().max() < 1e-13 and int(model.num_batches_tracked) == 3
