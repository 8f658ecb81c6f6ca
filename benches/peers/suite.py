"""PyTorch peer of chainrule's benchmark suite (benches/suite): the same workloads, data,
initial weights, batch order and thread settings, printing one JSON line per figure with the
same fields.

The suite's runner starts this script once per workload after writing the fixtures (the
initial weights of each network, the batch order of each epoch and the deep net's batch), so
both sides start from the same bits and see the same batches:

    scripts/bench.sh                       # everything, with the ratio table
    bench-suite fixtures DIR && python3 benches/peers/suite.py mlp-train --batch 128 --fixtures DIR
"""
import argparse
import gzip
import json
import os
import statistics
import struct
import time

import numpy as np
import torch
from safetensors import safe_open
from torch import nn

DIGITS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "mnist-10k")


def read_idx(name: str, magic: int) -> bytes:
    with gzip.open(os.path.join(DIGITS, name)) as f:
        raw = f.read()
    if struct.unpack(">I", raw[:4])[0] != magic:
        raise ValueError(f"{name}: not an IDX file with magic {magic:#x}")
    return raw


def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """The bundled digits as chainrule's Dataset::from_idx reads them: v / 255 computed in
    float64, then rounded to float32; one image per row."""
    raw = read_idx("images-idx3-ubyte.gz", 0x803)
    count, rows, cols = struct.unpack(">III", raw[4:16])
    pixels = np.frombuffer(raw, np.uint8, offset=16).reshape(count, rows * cols)
    images = torch.from_numpy((pixels.astype(np.float64) / 255.0).astype(np.float32))
    labels = torch.from_numpy(np.frombuffer(read_idx("labels-idx1-ubyte.gz", 0x801), np.uint8, offset=8).astype(np.int64))
    return images, labels


def load_fixture(path: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    with safe_open(path, framework="pt") as f:
        return {name: f.get_tensor(name) for name in f.keys()}, f.metadata()


def section(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The tensors of one checkpoint section (chainrule's "{section}.{name}") by name."""
    return {k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def parameters(tensors: dict[str, torch.Tensor], sections: list[str]) -> dict[str, torch.Tensor]:
    return {k: v for k, v in tensors.items() if k.split(".")[0] not in sections}


def status_mib(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no {field} in /proc/self/status")


def record(args, workload: str, metric: str, value: float, **extra) -> None:
    fields = {"impl": "pytorch", "build": torch.__version__, "workload": workload, "threads": args.threads,
              "threads_used": torch.get_num_threads(), "metric": metric, "value": value}
    print(json.dumps({**fields, **extra}), flush=True)


def mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def mlp_train(args) -> None:
    images, labels = digits()
    tensors, meta = load_fixture(os.path.join(args.fixtures, "mlp.safetensors"))
    model = mlp()
    model.load_state_dict(parameters(tensors, ["order"]))
    orders = section(tensors, "order")
    rss_after_load = status_mib("VmRSS:")
    opt = torch.optim.SGD(model.parameters(), lr=float(meta["lr"]))
    loss_fn = nn.CrossEntropyLoss()
    n, batch = len(labels), args.batch
    seconds, losses, rss = [], [], []
    for epoch in range(args.epochs + 1):
        order = orders[f"epoch{epoch}"].long()
        start = time.perf_counter()
        loss_sum = 0.0
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            x, y = images[idx], labels[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
        seconds.append(time.perf_counter() - start)
        losses.append(loss_sum / n)
        rss.append(status_mib("VmRSS:"))
    timed = seconds[1:]
    record(args, "mlp-train", "samples_per_s", args.epochs * n / sum(timed), batch=batch,
           per_epoch=[n / s for s in timed], loss_per_epoch=losses)
    record(args, "mlp-train", "peak_rss_mib", status_mib("VmHWM:"), batch=batch, rss_after_load_mib=rss_after_load)
    record(args, "mlp-train", "rss_growth_mib", rss[-1] - rss[0], batch=batch, rss_after_epoch_mib=rss)


def mlp_infer(args) -> None:
    images, _ = digits()
    tensors, _ = load_fixture(os.path.join(args.fixtures, "mlp.safetensors"))
    model = mlp()
    model.load_state_dict(parameters(tensors, ["order"]))
    model.eval()
    n, batch = len(images), args.batch
    seconds = []
    with torch.no_grad():
        for _ in range(args.epochs + 1):
            start = time.perf_counter()
            checksum = 0.0
            for i in range(0, n, batch):
                checksum += model(images[i:i + batch]).double().sum().item()
            seconds.append(time.perf_counter() - start)
    timed = seconds[1:]
    record(args, "mlp-infer", "samples_per_s", args.epochs * n / sum(timed), batch=batch,
           per_pass=[n / s for s in timed], logit_sum=checksum)


def deep_narrow(args) -> None:
    tensors, meta = load_fixture(os.path.join(args.fixtures, "deep_narrow.safetensors"))
    layers = []
    for _ in range(10):
        layers += [nn.Linear(64, 64), nn.Sigmoid()]
    model = nn.Sequential(*layers)
    model.load_state_dict(parameters(tensors, ["data"]))
    data = section(tensors, "data")
    x, target = data["x"], data["target"]
    opt = torch.optim.SGD(model.parameters(), lr=float(meta["lr"]))
    loss_fn = nn.MSELoss()
    last_loss = 0.0

    def step() -> None:
        nonlocal last_loss
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), target)
        loss.backward()
        opt.step()
        last_loss = loss.item()

    warm_up = int(meta["warm_up_steps"])
    rounds, steps = (1, args.reps) if args.reps else (int(meta["rounds"]), int(meta["steps_per_round"]))
    for _ in range(warm_up):
        step()
    per_round = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        per_round.append((time.perf_counter() - start) * 1e6 / steps)
    record(args, "deep-narrow", "us_per_step", statistics.median(per_round), batch=64, per_round=per_round,
           steps=warm_up + rounds * steps, loss_last_step=last_loss)


def scalar_chain(args) -> None:
    ops = 10_000

    def chain() -> list[float]:
        x = torch.tensor(0.3, requires_grad=True)
        a = torch.tensor(0.5, requires_grad=True)
        b = torch.tensor(0.5, requires_grad=True)
        y = x
        for _ in range(ops // 4):
            y = torch.tanh(y * a).pow(2.0) + b
        y.backward()
        return [x.grad.item(), a.grad.item(), b.grad.item()]

    for _ in range(3):
        chain()
    ns = []
    for _ in range(args.reps or 20):
        start = time.perf_counter()
        grads = chain()
        ns.append((time.perf_counter() - start) * 1e9 / ops)
    record(args, "scalar-chain", "ns_per_op", statistics.median(ns), mean=statistics.fmean(ns), best=min(ns),
           chains=len(ns), gradients=grads)


WORKLOADS = {"mlp-train": mlp_train, "mlp-infer": mlp_infer, "deep-narrow": deep_narrow, "scalar-chain": scalar_chain}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs or passes, after one untimed")
    parser.add_argument("--reps", type=int, help="timed chains or steps (default: as the suite)")
    parser.add_argument("--fixtures", help="directory written by `bench-suite fixtures`")
    args = parser.parse_args()
    if args.workload != "scalar-chain" and not args.fixtures:
        parser.error(f"{args.workload} needs --fixtures (the initial weights and batch order)")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    WORKLOADS[args.workload](args)


if __name__ == "__main__":
    main()
