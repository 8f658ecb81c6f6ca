"""PyTorch side of benches/matmul.rs: C = A·B for n×n f32 matrices, forward + backward
(three GEMMs), in GFLOP/s, CPU, one thread.

Run: python3 benches/peers/matmul.py
"""
import time

import torch


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    for n in (512, 1024):
        reps = 60 if n <= 512 else 12
        a = torch.rand(n, n).mul_(2).sub_(1).requires_grad_()
        b = torch.rand(n, n).mul_(2).sub_(1).requires_grad_()
        seed = torch.ones(n, n)
        best = float("inf")
        for i in range(reps + 1):
            start = time.perf_counter()
            c = a @ b
            torch.autograd.grad([c], [a, b], [seed])
            if i:
                best = min(best, time.perf_counter() - start)
        flops = 3 * 2 * n**3
        print(f"pytorch {torch.__version__} matmul {n}x{n} f32, forward + backward: {flops / best / 1e9:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
