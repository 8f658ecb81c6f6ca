"""PyTorch side of benches/optimizers.rs: one optimizer step over a 784x256 f32 weight whose
gradient is set, CPU, one thread; the median step time and nanoseconds per element for each
optimizer and variant. `foreach=False` is PyTorch's single-tensor loop, the closest to
chainrule's; with one parameter the default (`foreach`) differs little.

Run: python3 benches/peers/optimizers.py [steps]
"""
import sys
import time

import torch

ROWS, COLS = 256, 784
VARIANTS = [
    ("sgd", torch.optim.SGD, dict(lr=0.01)),
    ("sgd momentum", torch.optim.SGD, dict(lr=0.01, momentum=0.9)),
    ("sgd nesterov", torch.optim.SGD, dict(lr=0.01, momentum=0.9, nesterov=True)),
    ("sgd momentum weight_decay", torch.optim.SGD, dict(lr=0.01, momentum=0.9, weight_decay=1e-4)),
    ("adam", torch.optim.Adam, dict()),
    ("adam amsgrad", torch.optim.Adam, dict(amsgrad=True)),
    ("adamw", torch.optim.AdamW, dict()),
    ("rmsprop", torch.optim.RMSprop, dict()),
    ("rmsprop centered momentum", torch.optim.RMSprop, dict(centered=True, momentum=0.9)),
    ("adagrad", torch.optim.Adagrad, dict()),
    ("adamax", torch.optim.Adamax, dict()),
    ("nadam", torch.optim.NAdam, dict()),
    ("radam", torch.optim.RAdam, dict()),
]


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    torch.set_num_threads(1)
    i = torch.arange(ROWS * COLS, dtype=torch.int64)
    value = (((i * 7919) % 2003).float() / 1000.0 - 1.0).reshape(ROWS, COLS)
    gradient = (((i * 104_729) % 1999).float() / 5e5 - 2e-3).reshape(ROWS, COLS)
    print(f"pytorch {torch.__version__}: optimizer step over a {ROWS}x{COLS} f32 weight, 1 thread, "
          f"median of {steps} steps")
    for name, optimizer, options in VARIANTS:
        weight = torch.nn.Parameter(value.clone())
        weight.grad = gradient.clone()
        opt = optimizer([weight], foreach=False, **options)
        times = []
        with torch.no_grad():
            for step in range(steps + 5):
                started = time.perf_counter()
                opt.step()
                if step >= 5:
                    times.append(time.perf_counter() - started)
        times.sort()
        median = times[len(times) // 2]
        print(f"{name:<28} {median * 1e6:8.1f} µs per step {median * 1e9 / (ROWS * COLS):6.3f} ns per element")


if __name__ == "__main__":
    main()
