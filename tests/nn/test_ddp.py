"""DistributedDataParallel with 2 CPU processes (gloo): replicas built independently agree on
parameter order and shapes, and stay identical after training steps."""

import os
import socket
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _build():
    from steerable import gspaces, nn

    gs = gspaces.flipRot2dOnR2(4)
    t_in = nn.FieldType(gs, [gs.trivial_repr])
    t_mid = nn.FieldType(gs, [gs.regular_repr] * 2 + [gs.irrep(1, 1)])
    t_reg = nn.FieldType(gs, [gs.regular_repr] * 3)
    return nn.SequentialModule(
        nn.R2Conv(t_in, t_mid, 3, padding=1),
        nn.R2Conv(t_mid, t_reg, 3, padding=1),
        nn.InnerBatchNorm(t_reg),
        nn.ReLU(t_reg),
        nn.GroupPooling(t_reg),
    )


def _worker(rank: int, world: int, port: int, out_dir: str):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        # different seeds on purpose: DDP must broadcast rank 0's parameters
        torch.manual_seed(100 + rank)
        model = _build()
        names = [(n, tuple(p.shape)) for n, p in model.named_parameters()]
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
        t_in = model.in_type
        for step in range(2):
            g = torch.Generator().manual_seed(1000 * step + rank)  # each rank its own data
            x = t_in(torch.randn(2, 1, 7, 7, generator=g))
            loss = ddp(x).tensor.square().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
        torch.save({"names": names, "params": flat}, os.path.join(out_dir, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


def test_two_process_ddp_keeps_replicas_identical():
    with tempfile.TemporaryDirectory() as out_dir:
        mp.spawn(_worker, args=(2, _free_port(), out_dir), nprocs=2, join=True)
        r0 = torch.load(os.path.join(out_dir, "rank0.pt"), weights_only=True)
        r1 = torch.load(os.path.join(out_dir, "rank1.pt"), weights_only=True)
    assert r0["names"] == r1["names"]  # deterministic parameter order and shapes
    assert r0["params"].numel() > 0
    torch.testing.assert_close(r0["params"], r1["params"], rtol=0, atol=0)
