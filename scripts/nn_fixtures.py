#!/usr/bin/env python3
"""Reference fixtures for the `nn` crate's tests (crates/nn/tests/fixtures/).

Run from the repository root:  python3 scripts/nn_fixtures.py
Needs numpy, safetensors and torch (CPU). Deterministic: fixed seeds, one thread. The tests
never run Python; they read the files this script wrote and that are committed with it.

Writes:
- small_numpy.safetensors / small_numpy.json: a 3-4-2 MLP's parameters written by Python's
  `safetensors.numpy.save_file` (no torch involved), in PyTorch's `nn.Sequential` naming, plus
  the forward output numpy computes for a fixed input. The Rust test loads the file into a
  `Sequential` and must reproduce the parameters bit for bit and the output to 1e-6.
- mlp_784_256_128_10.safetensors: a 784-256-128-10 ReLU MLP (PyTorch's default init, seed 0),
  its parameters under their `state_dict()` names and, in two sections declared in the header
  metadata (key "chainrule.sections"), the reference data: `fixture.input` [16, 784],
  `fixture.labels` [16] (class indices stored as float32), `fixture.logits` [16, 10] (the
  forward pass), `fixture.loss` [] (mean cross-entropy) and `grad.<name>` (the gradient of
  every parameter).
- losses.json: PyTorch's values and input gradients, in float64, for every loss and reduction
  on small inputs, including logits of 1e4.
"""

import json
import pathlib

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import save_file as save_torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates" / "nn" / "tests" / "fixtures"
torch.set_num_threads(1)


def small_numpy():
    rng = np.random.default_rng(7)
    params = {
        "0.weight": rng.standard_normal((4, 3)).astype(np.float32),
        "0.bias": rng.standard_normal(4).astype(np.float32),
        "2.weight": rng.standard_normal((2, 4)).astype(np.float32),
        "2.bias": rng.standard_normal(2).astype(np.float32),
    }
    x = rng.standard_normal((5, 3)).astype(np.float32)
    h = np.maximum(x.astype(np.float64) @ params["0.weight"].T + params["0.bias"], 0.0)
    y = h @ params["2.weight"].T.astype(np.float64) + params["2.bias"]
    save_numpy(params, str(OUT / "small_numpy.safetensors"))
    doc = {
        # float32 bit patterns, so the comparison does not depend on decimal parsing.
        "param_bits": {k: v.view(np.uint32).ravel().tolist() for k, v in params.items()},
        "input_bits": x.view(np.uint32).ravel().tolist(),
        "input_shape": list(x.shape),
        "output": y.ravel().tolist(),
    }
    (OUT / "small_numpy.json").write_text(json.dumps(doc, indent=1) + "\n")


def mlp():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)
    )
    x = torch.rand(16, 784)  # pixel-like inputs in [0, 1)
    labels = torch.randint(0, 10, (16,))
    logits = model(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    tensors = {name: p.detach().clone() for name, p in model.named_parameters()}
    tensors["fixture.input"] = x
    tensors["fixture.labels"] = labels.to(torch.float32)
    tensors["fixture.logits"] = logits.detach().clone()
    tensors["fixture.loss"] = loss.detach().clone()
    for name, p in model.named_parameters():
        tensors[f"grad.{name}"] = p.grad.detach().clone()
    save_torch(tensors, str(OUT / "mlp_784_256_128_10.safetensors"), metadata={"chainrule.sections": "fixture,grad"})


def losses():
    d = torch.float64
    logits = torch.tensor([[1.0, -2.0, 0.5, 3.0], [0.0, 0.1, -0.3, 2.0], [-1.5, 2.5, 0.2, -0.7]], dtype=d)
    labels = torch.tensor([3, 0, 1])
    probs = torch.softmax(torch.tensor([[0.2, 1.0, -1.0, 0.0], [2.0, 0.0, 0.5, -1.0], [0.0, 0.0, 0.0, 0.0]], dtype=d), 1)
    bce_x = torch.tensor([[0.0, -3.0, 2.5], [40.0, -40.0, 0.7]], dtype=d)
    bce_y = torch.tensor([[1.0, 0.0, 0.3], [0.0, 1.0, 1.0]], dtype=d)
    mse_x = torch.tensor([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]], dtype=d)
    mse_y = torch.tensor([[0.0, -1.5], [1.0, 1.0], [0.25, -0.5]], dtype=d)
    big = torch.tensor([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]], dtype=d)
    big_labels = torch.tensor([1, 2])

    cases = {
        "cross_entropy": (logits, lambda x, r: F.cross_entropy(x, labels, reduction=r)),
        "cross_entropy_soft": (logits, lambda x, r: F.cross_entropy(x, probs, reduction=r)),
        "nll_loss": (logits, lambda x, r: F.nll_loss(F.log_softmax(x, 1), labels, reduction=r)),
        "binary_cross_entropy_with_logits": (bce_x, lambda x, r: F.binary_cross_entropy_with_logits(x, bce_y, reduction=r)),
        "mse_loss": (mse_x, lambda x, r: F.mse_loss(x, mse_y, reduction=r)),
        "cross_entropy_big": (big, lambda x, r: F.cross_entropy(x, big_labels, reduction=r)),
    }
    out = {
        "inputs": {
            "logits": logits.tolist(),
            "labels": labels.tolist(),
            "probs": probs.tolist(),
            "bce_x": bce_x.tolist(),
            "bce_y": bce_y.tolist(),
            "mse_x": mse_x.tolist(),
            "mse_y": mse_y.tolist(),
            "big": big.tolist(),
            "big_labels": big_labels.tolist(),
        },
        "cases": {},
    }
    for name, (x0, f) in cases.items():
        for r in ["mean", "sum", "none"]:
            x = x0.clone().requires_grad_(True)
            value = f(x, r)
            # A fixed, non-uniform grad-output so that per-sample gradients are distinguishable.
            seed = torch.arange(1, value.numel() + 1, dtype=d).reshape(value.shape)
            (value * seed).sum().backward()
            out["cases"][f"{name}/{r}"] = {
                "value": value.detach().reshape(-1).tolist(),
                "seed": seed.reshape(-1).tolist(),
                "grad": x.grad.reshape(-1).tolist(),
            }
    (OUT / "losses.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    small_numpy()
    mlp()
    losses()
    for f in sorted(OUT.iterdir()):
        print(f"{f.relative_to(OUT.parent.parent.parent.parent)}: {f.stat().st_size} bytes")
