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
  on small inputs, including logits of 1e4; cross-entropy and NLL with class weights,
  ignore_index and label smoothing alone and combined; BCE with weight and pos_weight; L1,
  Huber, smooth L1 (beta > 0 and beta = 0); KL divergence with probability and log-probability
  targets and every reduction, batchmean included. Regression residuals stay away from the
  Huber/smooth-L1 thresholds (the kinks are pinned by literal tests instead).
- activations.json: SiLU, Mish, exact GELU and tanh-GELU on a grid of inputs: values, first derivatives
  times a fixed grad-output, and second derivatives times the same grad-output, in float64.
"""

import json
import pathlib
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import save_file as save_torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates" / "nn" / "tests" / "fixtures"
torch.set_num_threads(1)
# kl_div's reduction="mean" warns that it is not the KL divergence; the fixture records it anyway.
warnings.filterwarnings("ignore", message="reduction: 'mean' divides the total loss")


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
    class_weight = torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=d)
    # Sample 1 carries the ignored label 7, which is not a class (as a "void" label would be).
    ignored_labels = torch.tensor([3, 7, 1])
    pos_weight = torch.tensor([2.0, 0.5, 3.0], dtype=d)
    bce_weight = torch.tensor([[1.0], [0.25]], dtype=d)
    # Residuals x − y: both sides of 0 and of the thresholds 0.5 and 1, none within 0.05 of them.
    reg_x = torch.tensor([[0.3, -1.2, 2.0, 0.05], [-0.2, 0.9, -3.5, 0.7]], dtype=d)
    reg_y = torch.tensor([[0.0, 0.0, 0.25, 0.4], [-0.55, 0.0, -1.0, 0.1]], dtype=d)
    kl_input = F.log_softmax(torch.tensor([[0.2, 1.0, -1.0], [2.0, 0.0, 0.5]], dtype=d), 1)
    kl_target = torch.tensor([[0.0, 0.7, 0.3], [0.5, 0.25, 0.25]], dtype=d)  # a zero: 0·log 0 = 0
    kl_log_target = torch.log(torch.tensor([[0.1, 0.6, 0.3], [0.5, 0.25, 0.25]], dtype=d))

    cases = {
        "cross_entropy": (logits, lambda x, r: F.cross_entropy(x, labels, reduction=r)),
        "cross_entropy_soft": (logits, lambda x, r: F.cross_entropy(x, probs, reduction=r)),
        "nll_loss": (logits, lambda x, r: F.nll_loss(F.log_softmax(x, 1), labels, reduction=r)),
        "binary_cross_entropy_with_logits": (bce_x, lambda x, r: F.binary_cross_entropy_with_logits(x, bce_y, reduction=r)),
        "mse_loss": (mse_x, lambda x, r: F.mse_loss(x, mse_y, reduction=r)),
        "cross_entropy_big": (big, lambda x, r: F.cross_entropy(x, big_labels, reduction=r)),
        "cross_entropy_weighted": (logits, lambda x, r: F.cross_entropy(x, labels, weight=class_weight, reduction=r)),
        "cross_entropy_ignored": (logits, lambda x, r: F.cross_entropy(x, ignored_labels, ignore_index=7, reduction=r)),
        "cross_entropy_ignored_class": (logits, lambda x, r: F.cross_entropy(x, labels, ignore_index=0, reduction=r)),
        "cross_entropy_smoothed": (logits, lambda x, r: F.cross_entropy(x, labels, label_smoothing=0.2, reduction=r)),
        "cross_entropy_weighted_smoothed": (
            logits,
            lambda x, r: F.cross_entropy(x, labels, weight=class_weight, label_smoothing=0.2, reduction=r),
        ),
        "cross_entropy_weighted_ignored_smoothed": (
            logits,
            lambda x, r: F.cross_entropy(
                x, ignored_labels, weight=class_weight, ignore_index=7, label_smoothing=0.2, reduction=r
            ),
        ),
        "cross_entropy_soft_weighted_smoothed": (
            logits,
            lambda x, r: F.cross_entropy(x, probs, weight=class_weight, label_smoothing=0.2, reduction=r),
        ),
        "nll_loss_weighted_ignored": (
            logits,
            lambda x, r: F.nll_loss(F.log_softmax(x, 1), ignored_labels, weight=class_weight, ignore_index=7, reduction=r),
        ),
        "bce_pos_weight": (
            bce_x,
            lambda x, r: F.binary_cross_entropy_with_logits(x, bce_y, pos_weight=pos_weight, reduction=r),
        ),
        "bce_weight_pos_weight": (
            bce_x,
            lambda x, r: F.binary_cross_entropy_with_logits(x, bce_y, weight=bce_weight, pos_weight=pos_weight, reduction=r),
        ),
        "l1_loss": (reg_x, lambda x, r: F.l1_loss(x, reg_y, reduction=r)),
        "huber_loss_1": (reg_x, lambda x, r: F.huber_loss(x, reg_y, delta=1.0, reduction=r)),
        "huber_loss_0.5": (reg_x, lambda x, r: F.huber_loss(x, reg_y, delta=0.5, reduction=r)),
        "smooth_l1_loss_1": (reg_x, lambda x, r: F.smooth_l1_loss(x, reg_y, beta=1.0, reduction=r)),
        "smooth_l1_loss_0.5": (reg_x, lambda x, r: F.smooth_l1_loss(x, reg_y, beta=0.5, reduction=r)),
        "smooth_l1_loss_0": (reg_x, lambda x, r: F.smooth_l1_loss(x, reg_y, beta=0.0, reduction=r)),
        "kl_div": (kl_input, lambda x, r: F.kl_div(x, kl_target, reduction=r)),
        "kl_div_log_target": (kl_input, lambda x, r: F.kl_div(x, kl_log_target, reduction=r, log_target=True)),
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
            "class_weight": class_weight.tolist(),
            "ignored_labels": ignored_labels.tolist(),
            "pos_weight": pos_weight.tolist(),
            "bce_weight": bce_weight.tolist(),
            "reg_x": reg_x.tolist(),
            "reg_y": reg_y.tolist(),
            "kl_input": kl_input.tolist(),
            "kl_target": kl_target.tolist(),
            "kl_log_target": kl_log_target.tolist(),
        },
        "cases": {},
    }
    for name, (x0, f) in cases.items():
        reductions = ["mean", "sum", "none"] + (["batchmean"] if name.startswith("kl_div") else [])
        for r in reductions:
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


def activations():
    d = torch.float64
    x0 = torch.tensor([-6.0, -2.5, -1.0, -0.3, 0.0, 0.2, 0.7, 1.0, 2.5, 6.0], dtype=d)
    seed = torch.linspace(0.5, 2.0, x0.numel(), dtype=d)  # a grad-output that is not all ones
    functions = {
        "silu": F.silu,
        "mish": F.mish,
        "gelu": lambda x: F.gelu(x, approximate="none"),
        "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    }
    out = {"x": x0.tolist(), "seed": seed.tolist(), "cases": {}}
    for name, f in functions.items():
        x = x0.clone().requires_grad_(True)
        y = f(x)
        (grad,) = torch.autograd.grad((y * seed).sum(), x, create_graph=True)
        # Elementwise, so the Hessian of Σ seed·f(x) is diagonal: d/dx of Σ grad is seed·f''(x).
        (grad2,) = torch.autograd.grad(grad.sum(), x)
        out["cases"][name] = {"value": y.tolist(), "grad": grad.tolist(), "grad2": grad2.tolist()}
    (OUT / "activations.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    small_numpy()
    mlp()
    losses()
    activations()
    for f in sorted(OUT.iterdir()):
        print(f"{f.relative_to(OUT.parent.parent.parent.parent)}: {f.stat().st_size} bytes")
