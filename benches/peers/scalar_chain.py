"""PyTorch side of benches/scalar_chain.rs: the same chain of 10,000 scalar ops (mul, tanh,
pow 2, add), forward + backward, in nanoseconds per op. CPU, one thread, eager autograd.

Run: python3 benches/peers/scalar_chain.py
"""
import time

import torch

OPS = 10_000


def chain(x0: float) -> float:
    x = torch.tensor(x0, requires_grad=True)
    c = torch.tensor(0.5)
    y = x
    for _ in range(OPS // 4):
        y = y * c
        y = torch.tanh(y)
        y = y.pow(2.0)
        y = y + c
    y.backward()
    return x.grad.item()


def main() -> None:
    torch.set_num_threads(1)
    for _ in range(3):
        chain(0.3)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        chain(0.3)
        times.append((time.perf_counter() - start) * 1e9 / OPS)
    print(f"pytorch {torch.__version__} scalar chain, {OPS} ops, forward + backward: "
          f"{sum(times) / len(times):.1f} ns/op (mean of {len(times)}), {min(times):.1f} ns/op (best)")


if __name__ == "__main__":
    main()
