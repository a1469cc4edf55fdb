#!/usr/bin/env python3
"""Ring all-reduce cost model for data-parallel training (README, "Several processes and machines").

    python3 bench/ddp_cost_model.py                       # the table with the default inputs below
    python3 bench/ddp_cost_model.py --lenet-step 0.050 --loopback-gbs 3.0 --alpha-us 6

A ring all-reduce of P bytes over N processes sends 2(N-1) messages of P/N bytes per process
(reduce-scatter, then all-gather), so with per-message latency a and per-process link bandwidth B:

    T(N) = 2(N-1) a + 2 (N-1)/N * P / B

The bandwidth term tends to 2P/B and stops growing with N; the latency term grows linearly, which is
why MPI switches to recursive doubling / Rabenseifner (2 log2(N) a + 2 (N-1)/N P/B) for small messages
and large N; each cell gives "ring / recursive doubling". A step that computes for t seconds per process and then waits T(N)
runs at efficiency t / (t + T(N)) (no overlap: a lower bound; DistributedDataParallel's buckets hide
up to the backward's share of t, about two thirds, when the model has several buckets).

Inputs default to the figures measured by `dotnet run -c Release --project bench/Nabla.Bench -- ddp`
(ddp-*-np1 samples_per_s gives t = 256 / samples_per_s; gradient_bytes; allreduce_ms at np 2) on the
2-core machine of this repository, and to ResNet-18 (11,175,370 parameters, `nabla summary resnet18`)
at batch 64 per process with an assumed 1.6 s per step on one core.
"""
import argparse, math

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--mlp-step", type=float, default=0.0083, help="seconds per MLP step (batch 256) on one process")
p.add_argument("--lenet-step", type=float, default=0.0646, help="seconds per LeNet step (batch 256) on one process")
p.add_argument("--resnet-step", type=float, default=1.6, help="seconds per ResNet-18 step (batch 64, 96 px) on one process")
p.add_argument("--loopback-gbs", type=float, default=3.0, help="loopback all-reduce bandwidth, GB/s (MPICH, quiet machine: ../shared/MPI.md)")
p.add_argument("--alpha-us", type=float, default=20.0, help="latency per message across machines, microseconds")
args = p.parse_args()

models = [("MLP", 814_120, args.mlp_step), ("LeNet", 246_824, args.lenet_step), ("ResNet-18", 11_175_370 * 4, args.resnet_step)]
links = [(f"loopback, {args.loopback_gbs:g} GB/s", args.loopback_gbs * 1e9, 6e-6), ("100 Gb/s", 12.5e9, args.alpha_us * 1e-6),
         ("10 Gb/s", 1.25e9, args.alpha_us * 1e-6), ("1 Gb/s", 0.125e9, args.alpha_us * 1e-6)]

def ring(n, size, bandwidth, alpha):
    return 2 * (n - 1) * alpha + 2 * (n - 1) / n * size / bandwidth

def doubling(n, size, bandwidth, alpha):
    return 2 * math.log2(n) * alpha + 2 * (n - 1) / n * size / bandwidth

print("| model | gradient | step on 1 process | link | N = 2 | 8 | 64 | 256 |")
print("|---|---|---|---|---|---|---|---|")
for name, size, step in models:
    for link, bandwidth, alpha in links:
        sizes = (2,) if link.startswith("loopback") else (2, 8, 64, 256)
        cells = [f"{step / (step + ring(n, size, bandwidth, alpha)):.2f} / {step / (step + doubling(n, size, bandwidth, alpha)):.2f}" for n in sizes]
        print(f"| {name} | {size / 1e6:.2f} MB | {step * 1e3:.1f} ms | {link} | " + " | ".join(cells + [""] * (4 - len(cells))) + " |")
