"""PyTorch side of benches/mlp.rs: MLP 784-256-128-10 (ReLU, cross-entropy), plain SGD
(lr 0.01), batch 128, synthetic data, CPU, one thread; samples per second.

Run: python3 benches/peers/mlp.py
"""
import time

import torch
from torch import nn

BATCH, BATCHES, STEPS = 128, 32, 400


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    batches = [(torch.rand(BATCH, 784), torch.randint(0, 10, (BATCH,))) for _ in range(BATCHES)]

    def step(i: int) -> None:
        x, y = batches[i % BATCHES]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for i in range(50):
        step(i)
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        for i in range(STEPS):
            step(i)
        best = max(best, STEPS * BATCH / (time.perf_counter() - start))
    print(f"pytorch {torch.__version__} MLP 784-256-128-10, SGD, batch {BATCH}, one thread: {best:.0f} samples/s")


if __name__ == "__main__":
    main()
