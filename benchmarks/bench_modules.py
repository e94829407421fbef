"""Nonlinearities, normalisations, pools (and dropout) of ``steerable.nn`` against plain torch.

Every module is timed for one training step without optimiser: forward + backward (train mode,
the input requires grad, a fixed output gradient), on a C8 type (SO(2) for the Fourier
nonlinearity) of ``--fields`` fields (default 64) on a ``--batch`` x ``--size`` x ``--size``
grid (default 16 x 32 x 32), against a plain-torch module computing the same function on the
same number of channels: the physical limit of the equivariant module (e.g. InnerBatchNorm vs
``BatchNorm2d``, NormNonLinearity vs a norm-and-scale written in torch, GroupPooling vs a
reshape + amax, ReLU vs ``torch.relu``).

Field types (C8): ``regular`` = fields x regular (8 channels each); ``irreps`` = fields x the
2-dimensional irreps 1, 2, 3 in turn (norm-type modules); ``induced`` = fields x Ind_{C4}^{C8}
of C4's irrep 1 (4 channels, 2 blocks of 2); gates are trivial (or quotient C8/C4) fields.

Ratios come from interleaved repeats in one process (steerable, plain, steerable, ...), so
machine load affects both sides alike; the target is steerable / plain <= 1.5. Modules that
``steerable.nn`` does not provide (yet) are listed as skipped with a note.

    python benchmarks/bench_modules.py [--repeats 5] [--batch 16] [--size 32] [--fields 64]
                                       [--only NAME] [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import sys

import torch
import torch.nn.functional as F

import steerable.nn as snn
from steerable import gspaces

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import interleaved  # noqa: E402

TARGET = 1.5


# ------------------------------------------------------------------ plain-torch counterparts
class _Fn(torch.nn.Module):
    """A plain module from a function of tensors (no parameters)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


class _PlainNormAct(torch.nn.Module):
    """Norm nonlinearity: x * relu(|x| - b) / |x| per block of ``d`` channels (``k`` blocks per
    field share the field's bias)."""

    def __init__(self, fields: int, d: int, k: int = 1):
        super().__init__()
        self.fields, self.d, self.k = fields, d, k
        self.bias = torch.nn.Parameter(torch.zeros(1, fields, 1, 1, 1, 1))

    def forward(self, x):
        b, c, *s = x.shape
        v = x.view(b, self.fields, self.k, self.d, *s)
        n = v.square().sum(dim=3, keepdim=True).clamp_min(1e-24).sqrt()
        return (v * (F.relu(n - self.bias) / n)).view(b, c, *s)


class _PlainGate(torch.nn.Module):
    """v * sigmoid(g + b): one gate channel (or ``k`` for induced fields) per gated block."""

    def __init__(self, fields: int, d: int, k: int = 1, bias: bool = True, two_inputs: bool = False):
        super().__init__()
        self.fields, self.d, self.k, self.two_inputs = fields, d, k, two_inputs
        self.bias = torch.nn.Parameter(torch.zeros(1, fields, 1, 1, 1, 1)) if bias else None

    def forward(self, x, v=None):
        if not self.two_inputs:
            g, v = x[:, : self.fields * self.k], x[:, self.fields * self.k :]
        else:
            g = x
        b, _, *s = v.shape
        g = g.view(b, self.fields, self.k, 1, *s)
        if self.bias is not None:
            g = g + self.bias
        return (v.view(b, self.fields, self.k, self.d, *s) * torch.sigmoid(g)).view(b, -1, *s)


class _PlainVectorField(torch.nn.Module):
    """max over each regular field's channels and the angle of the argmax -> a 2D vector."""

    def __init__(self, fields: int, n: int):
        super().__init__()
        self.fields, self.n = fields, n
        angles = torch.arange(n) * (2 * math.pi / n)
        self.register_buffer("cos", torch.cos(angles), persistent=False)
        self.register_buffer("sin", torch.sin(angles), persistent=False)

    def forward(self, x):
        b, _, *s = x.shape
        m, idx = x.view(b, self.fields, self.n, *s).max(dim=2)
        return torch.stack([m * self.cos[idx], m * self.sin[idx]], dim=2).view(b, 2 * self.fields, *s)


class _PlainFourier(torch.nn.Module):
    """Per field: samples = A c, function, coefficients = A_inv samples (batched matmuls)."""

    def __init__(self, A, A_inv, fields: int, fn):
        super().__init__()
        self.register_buffer("A", A.detach().clone(), persistent=False)
        self.register_buffer("A_inv", A_inv.detach().clone(), persistent=False)
        self.fields, self.fn = fields, fn

    def forward(self, x):
        b, _, *s = x.shape
        t = x.reshape(b, self.fields, self.A.shape[1], -1)
        out = torch.matmul(self.A_inv, self.fn(torch.matmul(self.A, t)))
        return out.reshape(b, -1, *s)


class _PlainNormMaxPool(torch.nn.Module):
    """Max pooling of each field's squared norm with indices, then a gather of its channels."""

    def __init__(self, fields: int, d: int, kernel: int):
        super().__init__()
        self.fields, self.d, self.kernel = fields, d, kernel

    def forward(self, x):
        b, c, h, w = x.shape
        v = x.view(b, self.fields, self.d, h, w)
        _, idx = F.max_pool2d(v.square().sum(2), self.kernel, return_indices=True)  # (B, F, h', w')
        ho, wo = idx.shape[-2:]
        idx = idx.view(b, self.fields, 1, ho * wo).expand(b, self.fields, self.d, ho * wo)
        return v.reshape(b, self.fields, self.d, h * w).gather(3, idx).view(b, c, ho, wo)


def _norm_pool(fields, d, k=1):
    def fn(x):
        b, _, *s = x.shape
        n = x.view(b, fields, k, d, *s).square().sum(dim=3).clamp_min(1e-24).sqrt()
        return n.amax(dim=2) if k > 1 else n.squeeze(2)

    return _Fn(fn)


def _group_max(fields, n):
    return _Fn(lambda x: x.view(x.shape[0], fields, n, *x.shape[2:]).amax(dim=2))


def _buffer(module, suffix):
    return next(b for name, b in module.named_buffers() if name.split(".")[-1] == suffix)


# ------------------------------------------------------------------ the cases
def _types(fields: int):
    gs = gspaces.rot2dOnR2(8)
    G = gs.fibergroup
    ind = gs.induced_repr(4, G.subgroup(4)[0].irrep(1))
    irreps = [gs.irrep(1 + i % 3) for i in range(fields)]
    return {
        "gs": gs,
        "regular": snn.FieldType(gs, [gs.regular_repr] * fields),
        "irreps": snn.FieldType(gs, irreps),
        "induced": snn.FieldType(gs, [ind] * fields),
        "trivial": snn.FieldType(gs, [gs.trivial_repr] * fields),
        "quotient": snn.FieldType(gs, [gs.quotient_repr(4)] * fields),
    }


def _cases(fields: int):
    """name -> (module class name, builder). A builder returns (steerable module, its input
    type(s), the plain module); ``input type(s)`` is a FieldType or a tuple of them."""
    T = _types(fields)
    reg, irr, ind, triv, quo = T["regular"], T["irreps"], T["induced"], T["trivial"], T["quotient"]
    n = fields

    def fourier(cls, fn, quotient=False):
        def build():
            if quotient:
                m = getattr(snn, cls)(T["gs"], 2, n, [(k,) for k in range(5)])
            else:
                gso = gspaces.rot2dOnR2(-1, maximum_frequency=4)
                m = getattr(snn, cls)(gso, n, [(k,) for k in range(4)], "regular", N=16)
            return m, m.in_type, _PlainFourier(_buffer(m, "A"), _buffer(m, "A_inv"), n, fn)

        return build

    def blur(x, m):
        return F.conv2d(x, m.filter, None, m.stride, m.blur_padding, 1, x.shape[1])

    cases = {
        # --- nonlinearities
        "ReLU": lambda: (snn.ReLU(reg), reg, _Fn(torch.relu)),
        "ELU": lambda: (snn.ELU(reg), reg, _Fn(F.elu)),
        "LeakyReLU": lambda: (snn.LeakyReLU(reg), reg, _Fn(F.leaky_relu)),
        "PointwiseNonLinearity": lambda: (snn.PointwiseNonLinearity(reg, "p_relu"), reg, _Fn(torch.relu)),
        "NormNonLinearity": lambda: (snn.NormNonLinearity(irr), irr, _PlainNormAct(n, 2)),
        "InducedNormNonLinearity": lambda: (snn.InducedNormNonLinearity(ind), ind, _PlainNormAct(n, 2, 2)),
        "GatedNonLinearity1": lambda: (snn.GatedNonLinearity1(triv + irr), triv + irr, _PlainGate(n, 2)),
        "GatedNonLinearity2": lambda: (
            snn.GatedNonLinearity2((triv, irr)),
            (triv, irr),
            _PlainGate(n, 2, two_inputs=True),
        ),
        "GatedNonLinearityUniform": lambda: (
            snn.GatedNonLinearityUniform(triv + snn.FieldType(T["gs"], [T["gs"].irrep(1)] * n)),
            triv + snn.FieldType(T["gs"], [T["gs"].irrep(1)] * n),
            _PlainGate(n, 2, bias=False),
        ),
        "InducedGatedNonLinearity1": lambda: (
            snn.InducedGatedNonLinearity1(quo + ind),
            quo + ind,
            _PlainGate(n, 2, k=2),
        ),
        "ConcatenatedNonLinearity": lambda: (
            snn.ConcatenatedNonLinearity(reg, "c_relu"),
            reg,
            _Fn(lambda x: torch.cat([F.relu(x), F.relu(-x)], dim=1)),
        ),
        "VectorFieldNonLinearity": lambda: (snn.VectorFieldNonLinearity(reg), reg, _PlainVectorField(n, 8)),
        "FourierPointwise": fourier("FourierPointwise", lambda t: F.relu(t, inplace=True)),
        "FourierELU": fourier("FourierELU", lambda t: F.elu(t, inplace=True)),
        "QuotientFourierPointwise": fourier(
            "QuotientFourierPointwise", lambda t: F.relu(t, inplace=True), quotient=True
        ),
        "QuotientFourierELU": fourier("QuotientFourierELU", lambda t: F.elu(t, inplace=True), quotient=True),
        # --- normalisation
        "InnerBatchNorm": lambda: (snn.InnerBatchNorm(reg), reg, torch.nn.BatchNorm2d(reg.size)),
        "NormBatchNorm": lambda: (snn.NormBatchNorm(irr), irr, torch.nn.BatchNorm2d(irr.size)),
        "InducedNormBatchNorm": lambda: (snn.InducedNormBatchNorm(ind), ind, torch.nn.BatchNorm2d(ind.size)),
        "GNormBatchNorm": lambda: (snn.GNormBatchNorm(reg), reg, torch.nn.BatchNorm2d(reg.size)),
        "IIDBatchNorm2d": lambda: (snn.IIDBatchNorm2d(reg), reg, torch.nn.BatchNorm2d(reg.size)),
        "FieldNorm": lambda: (snn.FieldNorm(reg), reg, torch.nn.GroupNorm(n, reg.size)),
        # --- dropout
        "PointwiseDropout": lambda: (snn.PointwiseDropout(reg, 0.5), reg, torch.nn.Dropout(0.5)),
        "FieldDropout": lambda: (
            snn.FieldDropout(reg, 0.5),
            reg,
            _Fn(
                lambda x: (
                    x.view(x.shape[0], n, 8, *x.shape[2:])
                    * F.dropout(x.new_ones(x.shape[0], n, 1, *x.shape[2:]), 0.5)
                ).view(x.shape)
            ),
        ),
        # --- pooling
        "GroupPooling": lambda: (snn.GroupPooling(reg), reg, _group_max(n, 8)),
        "MaxPoolChannels": lambda: (snn.MaxPoolChannels(reg, 8), reg, _group_max(n, 8)),
        "NormPool": lambda: (snn.NormPool(irr), irr, _norm_pool(n, 2)),
        "InducedNormPool": lambda: (snn.InducedNormPool(ind), ind, _norm_pool(n, 2, 2)),
        "NormMaxPool": lambda: (snn.NormMaxPool(irr, 2), irr, _PlainNormMaxPool(n, 2, 2)),
        "PointwiseMaxPool2D": lambda: (
            snn.PointwiseMaxPool2D(reg, 2),
            reg,
            _Fn(lambda x: F.max_pool2d(x, 2)),
        ),
        "PointwiseAvgPool2D": lambda: (
            snn.PointwiseAvgPool2D(reg, 2),
            reg,
            _Fn(lambda x: F.avg_pool2d(x, 2)),
        ),
        "PointwiseMaxPoolAntialiased2D": _antialiased_max(reg, blur),
        "PointwiseAvgPoolAntialiased2D": _antialiased_avg(reg),
        "PointwiseAdaptiveAvgPool2D": lambda: (
            snn.PointwiseAdaptiveAvgPool2D(reg, 4),
            reg,
            _Fn(lambda x: F.adaptive_avg_pool2d(x, 4)),
        ),
        "PointwiseAdaptiveMaxPool2D": lambda: (
            snn.PointwiseAdaptiveMaxPool2D(reg, 4),
            reg,
            _Fn(lambda x: F.adaptive_max_pool2d(x, 4)),
        ),
    }
    return cases


def _antialiased_max(reg, blur):
    def build():
        m = snn.PointwiseMaxPoolAntialiased2D(reg, 2, stride=2)
        return m, reg, _Fn(lambda x: blur(F.max_pool2d(x, 2, 1), m))

    return build


def _antialiased_avg(reg):
    def build():
        m = snn.PointwiseAvgPoolAntialiased2D(reg, sigma=0.66, stride=2)
        return m, reg, _Fn(lambda x: F.conv2d(x, m.filter, None, m.stride, m.padding, 1, x.shape[1]))

    return build


# names listed in the API whose timing here needs a setting this benchmark does not build
NOT_BENCHMARKED = {
    "TensorProductModule": "a quadratic map of the whole type: no same-cost plain counterpart at this width",
    "PointwiseMaxPool3D": "3D module (this benchmark is 2D)",
    "PointwiseAvgPool3D": "3D module (this benchmark is 2D)",
    "PointwiseMaxPoolAntialiased3D": "3D module (this benchmark is 2D)",
    "PointwiseAvgPoolAntialiased3D": "3D module (this benchmark is 2D)",
    "PointwiseAdaptiveAvgPool3D": "3D module (this benchmark is 2D)",
    "PointwiseAdaptiveMaxPool3D": "3D module (this benchmark is 2D)",
    "IIDBatchNorm1d": "1D/3D variant of IIDBatchNorm2d",
    "IIDBatchNorm3d": "1D/3D variant of IIDBatchNorm2d",
}


# ------------------------------------------------------------------ timing
def _step(fn, inputs, grad_holder):
    """forward + backward with a fixed random output gradient (drawn on the first call)."""

    def run():
        for x in inputs:
            x.grad = None
        out = fn(*inputs)
        if grad_holder.get("g") is None:
            grad_holder["g"] = torch.randn_like(out)
        out.backward(grad_holder["g"])

    return run


def _make_inputs(types, batch, size, gen):
    return [torch.randn(batch, t.size, size, size, generator=gen).requires_grad_(True) for t in types]


def bench_case(build, batch: int, size: int, repeats: int) -> dict:
    ours, types, plain = build()
    types = types if isinstance(types, tuple) else (types,)
    ours.train()
    plain.train()
    gen = torch.Generator().manual_seed(0)
    x_ours = _make_inputs(types, batch, size, gen)
    x_plain = [x.detach().clone().requires_grad_(True) for x in x_ours]

    def run_ours(*xs):
        return ours(*[t(x) for t, x in zip(types, xs)]).tensor

    # same output shape on both sides: the plain module is a faithful counterpart
    with torch.no_grad():
        shape_ours, shape_plain = run_ours(*x_ours).shape, plain(*x_plain).shape
    if shape_ours != shape_plain:
        raise RuntimeError(f"output shapes differ: steerable {tuple(shape_ours)}, plain {tuple(shape_plain)}")
    res = interleaved({"steerable": _step(run_ours, x_ours, {}), "plain": _step(plain, x_plain, {})}, repeats)
    res["channels"] = sum(t.size for t in types)
    return res


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--fields", type=int, default=64)
    p.add_argument("--only", default=None, help="run only the modules whose name contains this")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    torch.manual_seed(0)
    print(
        f"# bench_modules  {datetime.date.today()}  {platform.processor() or platform.machine()}  "
        f"{os.cpu_count()} cpus  torch {torch.__version__}  threads {torch.get_num_threads()}\n"
    )
    print(
        f"forward + backward, train mode, batch {args.batch}, {args.size}x{args.size}, "
        f"{args.fields} fields (interleaved medians of {args.repeats})\n"
    )
    print("| module | channels in | steerable | plain | wall ratio | CPU ratio | target | met |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    results, notes = {}, []
    for name, build in _cases(args.fields).items():
        if args.only and args.only.lower() not in name.lower():
            continue
        if not hasattr(snn, name):
            notes.append(f"- {name}: skipped, not in steerable.nn yet")
            continue
        try:
            r = bench_case(build, args.batch, args.size, args.repeats)
        except Exception as exc:  # a module still in development must not stop the others
            notes.append(f"- {name}: skipped, {type(exc).__name__}: {exc}")
            continue
        results[name] = r
        (ws, cs), (wp, cp) = r["steerable"], r["plain"]
        ratio = ws / wp
        print(
            f"| {name} | {r['channels']} | {ws * 1e3:.1f} ms | {wp * 1e3:.1f} ms | {ratio:.2f}x | "
            f"{cs / cp:.2f}x | <= {TARGET}x | {'yes' if ratio <= TARGET else 'NO'} |",
            flush=True,
        )
    if not args.only:
        for name, why in NOT_BENCHMARKED.items():
            if hasattr(snn, name):
                notes.append(f"- {name}: not benchmarked ({why})")
    if notes:
        print("\n" + "\n".join(notes))
    print(f"\n# load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": results, "notes": notes}, f, indent=1, default=str)


if __name__ == "__main__":
    sys.exit(main())
