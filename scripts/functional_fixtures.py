"""Reference Jacobians and Hessians for the tests of autograd's functional transforms.

Writes crates/autograd/tests/fixtures/functional.txt. Each case is a function that the Rust
test (crates/autograd/tests/functional.rs) writes again with chainrule's ops, its inputs, and
PyTorch's derivatives at those inputs, in float64:

- Jacobians from torch.func.jacrev (every input of the function, argnums=all);
- Hessians from torch.autograd.functional.hessian (every pair of inputs).

Format, one item per line, values written with repr() (the shortest string that reads back to
the same float, so they cross over to Rust exactly):

    case <name>
    input <index> <dims, comma-separated or "-" for a scalar> <values...>
    jacobian <output> <input> <dims> <values...>
    hessian <input> <input> <dims> <values...>

Run: python3 scripts/functional_fixtures.py (needs torch).
"""

from pathlib import Path

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parent.parent / "crates/autograd/tests/fixtures/functional.txt"


def tensor(values, shape):
    return torch.tensor(values, dtype=torch.float64).reshape(shape)


# --- The functions (the Rust test spells each one with the same ops) -------------------------


def mlp(x, w1, b1, w2):
    """A two-layer network: W2·tanh(W1·x + b1)."""
    return w2 @ torch.tanh(w1 @ x + b1)


def log_softmax_rows(z):
    """log-softmax along the last axis of a [2, 3] matrix."""
    return F.log_softmax(z, dim=1)


def two_outputs(a, b):
    """Two outputs: (a·b, exp(a) summed with b broadcast)."""
    return a * b, (torch.exp(a) + b).sum()


def logistic_loss(w, b):
    """Mean logistic loss of a linear classifier on fixed data."""
    x = tensor([0.5, -1.0, 2.0, 1.5, 0.3, -0.7, -1.2, 0.8, 0.1, 0.9, -0.4, 1.1], (4, 3))
    y = tensor([1.0, -1.0, 1.0, -1.0], (4,))
    return F.softplus(-y * (x @ w + b)).mean()


def mixed(x):
    """Σ sin(x)·x² + logsumexp of the rows, summed."""
    return (torch.sin(x) * x**2).sum() + torch.logsumexp(x, dim=1).sum()


def gradient_penalty(w):
    """‖∂/∂x Σ tanh(W·x)‖² at a fixed x: a function of W that contains a gradient."""
    x = tensor([0.3, -0.8, 1.1], (3,)).requires_grad_(True)
    out = torch.tanh(w @ x).sum()
    (gx,) = torch.autograd.grad(out, x, create_graph=True)
    return (gx**2).sum()


def cases():
    g = torch.Generator().manual_seed(7)

    def sample(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    return [
        ("mlp", mlp, [sample(4), sample(3, 4), sample(3), sample(2, 3)], "jacobian"),
        ("log_softmax_rows", log_softmax_rows, [sample(2, 3)], "jacobian"),
        ("two_outputs", two_outputs, [sample(2, 3), sample(3)], "jacobian"),
        ("logistic_loss", logistic_loss, [sample(3), sample(())], "hessian"),
        ("mixed", mixed, [sample(2, 3)], "hessian"),
        ("gradient_penalty", gradient_penalty, [sample(2, 3)], "hessian"),
    ]


def line(*parts):
    return " ".join(parts)


def dims(t):
    return ",".join(str(d) for d in t.shape) if t.dim() > 0 else "-"


def values(t):
    return " ".join(repr(v) for v in t.detach().reshape(-1).tolist())


def main():
    lines = [
        "# Jacobians (torch.func.jacrev) and Hessians (torch.autograd.functional.hessian), float64;",
        "# made by scripts/functional_fixtures.py",
    ]
    for name, f, inputs, kind in cases():
        lines.append(line("case", name))
        for k, x in enumerate(inputs):
            lines.append(line("input", str(k), dims(x), values(x)))
        if kind == "jacobian":
            jac = torch.func.jacrev(f, argnums=tuple(range(len(inputs))))(*inputs)
            if not isinstance(f(*inputs), tuple):
                jac = (jac,)
            for o, per_input in enumerate(jac):
                for i, block in enumerate(per_input):
                    lines.append(line("jacobian", str(o), str(i), dims(block), values(block)))
        else:
            hess = torch.autograd.functional.hessian(f, tuple(inputs))
            for i, row in enumerate(hess):
                for j, block in enumerate(row):
                    lines.append(line("hessian", str(i), str(j), dims(block), values(block)))
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
