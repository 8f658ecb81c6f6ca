"""PyTorch side of benches/recompute.rs: one training step of a 32-layer MLP of 1024 ReLU units,
batch 256, f32, plain and with torch.utils.checkpoint over every k layers; peak RSS (VmHWM,
reset before each step through /proc/self/clear_refs, Linux only) and the median step time,
CPU, one thread, the variants interleaved.

The allocator keeps memory a step freed for the next, so the peak RSS of a variant measured after
another is at least that one's: to compare it, run one variant per process.

Run: python3 benches/peers/recompute.py [steps] [K]   (K: only that variant, 0 is plain)
"""
import statistics
import sys
import time

import torch
from torch.utils.checkpoint import checkpoint

LAYERS, WIDTH, BATCH = 32, 1024, 256
SEGMENTS = (0, 8, 4, 1)


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    variants = (int(sys.argv[2]),) if len(sys.argv) > 2 else SEGMENTS
    torch.set_num_threads(1)
    torch.manual_seed(0)
    layers = [torch.nn.Linear(WIDTH, WIDTH) for _ in range(LAYERS)]
    x = torch.rand(BATCH, WIDTH) * 2 - 1

    def run(chunk, h):
        for layer in chunk:
            h = torch.relu(layer(h))
        return h

    def step(per_segment):
        h = x
        if per_segment == 0:
            h = run(layers, h)
        else:
            for i in range(0, LAYERS, per_segment):
                chunk = layers[i : i + per_segment]
                h = checkpoint(lambda h, chunk=chunk: run(chunk, h), h, use_reentrant=False)
        loss = h.pow(2).sum() / (BATCH * WIDTH)
        loss.backward()

    step(variants[0])
    seconds = {k: [] for k in variants}
    rss = {k: None for k in variants}
    for _ in range(steps):
        for k in variants:
            for layer in layers:
                layer.zero_grad(set_to_none=False)
            reset = reset_peak_rss()
            start = time.perf_counter()
            step(k)
            seconds[k].append(time.perf_counter() - start)
            if reset:
                rss[k] = max(rss[k] or 0, peak_rss_mib())
    first = statistics.median(seconds[variants[0]])
    print(f"pytorch {torch.__version__}: {LAYERS} layers of {WIDTH} (ReLU), batch {BATCH}, f32, {steps} steps each")
    print(f"{'variant':<22} {'peak RSS (MiB)':>14} {'step (s)':>12} {'vs first':>10}")
    for k in variants:
        name = "plain" if k == 0 else f"checkpoint every {k}"
        t = statistics.median(seconds[k])
        r = "n/a" if rss[k] is None else f"{rss[k]:.0f}"
        print(f"{name:<22} {r:>14} {t:>12.3f} {t / first:>9.2f}x")


if __name__ == "__main__":
    main()
