#!/usr/bin/env python3
"""PyTorch reference values for autograd's ops that follow PyTorch's calling conventions.

Writes crates/autograd/tests/fixtures/parity.json, read by crates/autograd/tests/pytorch_parity.rs:

- matmul: torch.matmul on vector operands, broadcast batch axes and transposed (`.mT`) operands:
  the product, and the gradients of sum(product * r) for a fixed incoming gradient r (not all
  ones), which for broadcast operands are summed over the repeated batch axes;
- gather, scatter_add, index_add, index_select: values and gradients with several indices per
  lane, repeated indices, an index smaller than the input along other axes, a source larger
  than the index (scatter_add uses only the part the index covers; PyTorch's backward fails
  there, so its gradient is taken through the source sliced to the index's shape, the same
  function), negative dims;
- logsumexp, sum, mean, amax, amin over several dims, negative dims, keepdim; softmax and
  log_softmax along dim=-1: values and gradients;
- argmax, argmin (ties and NaN: the first maximum, NaN counting as the largest) and topk
  (largest and smallest, sorted and not): values, indices and the gradient of the values.
  PyTorch leaves the order among tied topk elements unspecified; the test compares indices only
  for the cases marked "distinct" (no ties), values always.

Every tensor is stored as {"shape": [...], "data": [...]} (row-major, float64; indices as ints;
NaN, which JSON cannot write, as null). Numbers are written with repr() through the json
module, which round-trips float64 exactly.

Run from the repository root: python3 scripts/autograd_parity_fixtures.py (needs numpy, torch).
Deterministic: fixed seeds.
"""

import json
import math
import pathlib

import numpy as np
import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/autograd/tests/fixtures/parity.json"
torch.set_num_threads(1)
rng = np.random.default_rng(12)


def tensor(shape, lo=-2.0, hi=2.0):
    return torch.tensor(rng.uniform(lo, hi, shape), dtype=torch.float64)


def leaf(shape, lo=-2.0, hi=2.0):
    return tensor(shape, lo, hi).requires_grad_()


def dump(t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}
    return {"shape": list(t.shape), "data": [None if math.isnan(v) else float(v) for v in t.reshape(-1).tolist()]}


def backward(out, *inputs):
    """The gradients of sum(out * r) with respect to `inputs`, and r."""
    r = tensor(out.shape)
    grads = torch.autograd.grad((out * r).sum(), inputs, allow_unused=True)
    return r, [torch.zeros_like(x) if g is None else g for x, g in zip(inputs, grads)]


def matmul_cases():
    cases = []
    shapes = [
        ([3], [3, 2], False, False),
        ([2, 3], [3], False, False),
        ([3], [3], False, False),
        ([3], [4, 3, 2], False, False),
        ([4, 2, 3], [3], False, False),
        ([2, 3, 4], [1, 4, 5], False, False),
        ([3, 4], [2, 4, 5], False, False),
        ([5, 1, 3, 4], [2, 4, 2], False, False),
        ([2, 3, 4], [4, 5], False, False),
        ([2, 4, 3], [4, 5], True, False),
        ([3, 4], [2, 5, 4], False, True),
        ([2, 1, 4, 3], [3, 2, 4], True, True),
        ([2, 3], [3, 4], False, False),
    ]
    for a_shape, b_shape, ta, tb in shapes:
        a, b = leaf(a_shape), leaf(b_shape)
        op_a = a.mT if ta else a
        op_b = b.mT if tb else b
        out = torch.matmul(op_a, op_b)
        r, (ga, gb) = backward(out, a, b)
        cases.append(
            {
                "a": dump(a),
                "b": dump(b),
                "transpose_a": ta,
                "transpose_b": tb,
                "out": dump(out),
                "r": dump(r),
                "grad_a": dump(ga),
                "grad_b": dump(gb),
            }
        )
    return cases


def index(shape, high):
    return torch.tensor(rng.integers(0, high, shape), dtype=torch.int64)


def gather_cases():
    cases = []
    for x_shape, dim, idx_shape in [
        ([3, 4], 1, [3, 6]),  # several indices per row, repeats
        ([3, 4], 0, [5, 4]),
        ([2, 3, 4], -1, [2, 3, 2]),
        ([2, 3, 4], 1, [1, 5, 3]),  # an index smaller than x along the other axes
        ([4, 3], -2, [2, 2]),
        ([5], 0, [7]),
    ]:
        x = leaf(x_shape)
        idx = index(idx_shape, x_shape[dim])
        out = torch.gather(x, dim, idx)
        r, (gx,) = backward(out, x)
        cases.append({"x": dump(x), "dim": dim, "index": dump(idx), "out": dump(out), "r": dump(r), "grad_x": dump(gx)})
    return cases


def scatter_add_cases():
    cases = []
    for x_shape, dim, idx_shape, src_shape in [
        ([3, 4], 1, [3, 6], [3, 6]),
        ([3, 4], 0, [5, 4], [5, 4]),
        ([2, 3, 4], -1, [2, 2, 3], [2, 3, 5]),  # a source larger than the index
        ([4, 3], -2, [2, 2], [3, 3]),
        ([5], 0, [7], [7]),
    ]:
        x, src = leaf(x_shape), leaf(src_shape)
        idx = index(idx_shape, x_shape[dim])
        out = x.scatter_add(dim, idx, src)
        # With a source larger than the index, PyTorch computes the value, but its backward fails
        # (ScatterAddBackward0 returns a gradient of the index's shape). Slicing the source to the
        # index's shape first is the same function, and PyTorch differentiates that one.
        used = src[tuple(slice(0, n) for n in idx_shape)]
        assert torch.equal(out, x.scatter_add(dim, idx, used))
        r, (gx, gs) = backward(x.scatter_add(dim, idx, used), x, src)
        cases.append(
            {
                "x": dump(x),
                "dim": dim,
                "index": dump(idx),
                "src": dump(src),
                "out": dump(out),
                "r": dump(r),
                "grad_x": dump(gx),
                "grad_src": dump(gs),
            }
        )
    return cases


def index_add_cases():
    cases = []
    for x_shape, dim, count in [([4, 3], 0, 6), ([2, 5, 3], 1, 4), ([2, 3, 4], -1, 7), ([5], 0, 3)]:
        size = x_shape[dim]
        src_shape = list(x_shape)
        src_shape[dim] = count
        x, src = leaf(x_shape), leaf(src_shape)
        idx = index([count], size)
        out = x.index_add(dim, idx, src)
        r, (gx, gs) = backward(out, x, src)
        sel = torch.index_select(x, dim, idx)
        rs, (gsel,) = backward(sel, x)
        cases.append(
            {
                "x": dump(x),
                "dim": dim,
                "index": dump(idx),
                "source": dump(src),
                "out": dump(out),
                "r": dump(r),
                "grad_x": dump(gx),
                "grad_source": dump(gs),
                "select": dump(sel),
                "select_r": dump(rs),
                "select_grad_x": dump(gsel),
            }
        )
    return cases


def reduction_cases():
    cases = []
    ops = {
        "logsumexp": lambda x, d, k: torch.logsumexp(x, d, keepdim=k),
        "sum": lambda x, d, k: x.sum(d, keepdim=k),
        "mean": lambda x, d, k: x.mean(d, keepdim=k),
        "amax": lambda x, d, k: x.amax(d, keepdim=k),
        "amin": lambda x, d, k: x.amin(d, keepdim=k),
    }
    for op, f in ops.items():
        for shape, dims, keepdim in [
            ([2, 3, 4], [0, 1], False),
            ([2, 3, 4], [0, -1], True),
            ([2, 3, 4], [-1], False),
            ([2, 3, 4], [2, 0, 1], False),
            ([3, 4], [-2, -1], True),
            ([2, 3, 2, 2], [1, 3], False),
        ]:
            x = leaf(shape)
            if op == "logsumexp" and shape == [3, 4]:
                x = (x.detach() * 400).requires_grad_()  # large values: stability
            out = f(x, tuple(dims), keepdim)
            r, (gx,) = backward(out, x)
            cases.append(
                {"op": op, "x": dump(x), "dims": dims, "keepdim": keepdim, "out": dump(out), "r": dump(r), "grad_x": dump(gx)}
            )
    for op, f in {"softmax": torch.softmax, "log_softmax": torch.log_softmax}.items():
        for shape, dim in [([2, 3, 4], -1), ([2, 3, 4], -2), ([3, 4], -2)]:
            x = leaf(shape)
            out = f(x, dim)
            r, (gx,) = backward(out, x)
            cases.append(
                {"op": op, "x": dump(x), "dims": [dim], "keepdim": False, "out": dump(out), "r": dump(r), "grad_x": dump(gx)}
            )
    return cases


def argmax_cases():
    nan = float("nan")
    inputs = [
        [[0.2, 0.7, 0.7], [3.0, -1.0, 3.0], [nan, 1.0, nan], [-1.0, -1.0, -1.0]],
        [[[1.0, 5.0], [5.0, 1.0]], [[2.0, 2.0], [0.0, nan]], [[-3.0, 4.0], [4.0, 4.0]]],
    ]
    cases = []
    for data in inputs:
        x = torch.tensor(data, dtype=torch.float64)
        for dim in range(-x.dim(), x.dim()):
            for keepdim in [False, True]:
                cases.append(
                    {
                        "x": dump(x),
                        "dim": dim,
                        "keepdim": keepdim,
                        "argmax": dump(torch.argmax(x, dim, keepdim=keepdim)),
                        "argmin": dump(torch.argmin(x, dim, keepdim=keepdim)),
                    }
                )
    return cases


def topk_cases():
    cases = []
    for shape, k, dim in [([3, 6], 3, -1), ([5, 4], 2, 0), ([2, 3, 5], 5, 2), ([2, 5, 3], 1, 1), ([7], 4, 0)]:
        for largest in [True, False]:
            for sorted_ in [True, False]:
                x = leaf(shape)
                values, indices = torch.topk(x, k, dim, largest=largest, sorted=sorted_)
                r, (gx,) = backward(values, x)
                cases.append(
                    {
                        "x": dump(x),
                        "k": k,
                        "dim": dim,
                        "largest": largest,
                        "sorted": sorted_,
                        "distinct": True,
                        "values": dump(values),
                        "indices": dump(indices),
                        "r": dump(r),
                        "grad_x": dump(gx),
                    }
                )
    # Ties: the values are PyTorch's; the order among tied elements is unspecified there.
    x = torch.tensor([[1.0, 3.0, 3.0, 2.0, 3.0], [0.0, 0.0, 1.0, 1.0, -1.0]], dtype=torch.float64, requires_grad=True)
    for largest in [True, False]:
        values, indices = torch.topk(x, 2, -1, largest=largest)
        r, (gx,) = backward(values, x)
        cases.append(
            {
                "x": dump(x),
                "k": 2,
                "dim": -1,
                "largest": largest,
                "sorted": True,
                "distinct": False,
                "values": dump(values),
                "indices": dump(indices),
                "r": dump(r),
                "grad_x": dump(gx),
            }
        )
    return cases


def main():
    fixture = {
        "made_by": "scripts/autograd_parity_fixtures.py",
        "torch": torch.__version__,
        "matmul": matmul_cases(),
        "gather": gather_cases(),
        "scatter_add": scatter_add_cases(),
        "index_add": index_add_cases(),
        "reductions": reduction_cases(),
        "argmax": argmax_cases(),
        "topk": topk_cases(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, separators=(",", ":"), allow_nan=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
