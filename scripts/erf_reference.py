"""Reference values of the error function for the tests of autograd's `erf`.

Writes crates/autograd/tests/fixtures/erf.txt:

- `f64 x erf(x)` and `f32 x erf(x)`: erf at the exact value of x, computed with mpmath at 60
  significant digits and rounded to the nearest f64 (f32), at points covering every branch of
  the algorithm (FreeBSD's s_erf.c: |x| below 2^-28, 0.84375, 1.25, 1/0.35, 6 and beyond, their
  edges, subnormals, infinities) and at seeded random points. Python's math.erf and PyTorch's
  torch.erf are checked against the same values (they agree to within 1 ulp in float64).
- `grad x r dx`: PyTorch's float64 gradient of sum(erf(x) * r), the incoming gradient r not all
  ones, against which the backward rule is pinned.

Numbers are written with repr(), the shortest string that reads back to the same float (Rust's
`str::parse` rounds correctly, so the values cross over exactly).

Run: python3 scripts/erf_reference.py (needs mpmath, numpy, torch).
"""

import math
from pathlib import Path

import mpmath
import numpy as np
import torch

mpmath.mp.dps = 60
OUT = Path(__file__).resolve().parent.parent / "crates/autograd/tests/fixtures/erf.txt"


def erf_exact(x: float):
    if math.isinf(x):
        return mpmath.mpf(1 if x > 0 else -1)
    return mpmath.erf(mpmath.mpf(x))


def signed(y: float, x: float) -> float:
    # erf is odd: erf(±0) = ±0, which mpmath (no signed zero) cannot say.
    return x if x == 0 else y


def f64_points(rng: np.random.Generator) -> list[float]:
    edges = [2.0**-28, 0.84375, 1.25, 1 / 0.35, 6.0, 28.0]
    points = [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1e-300, 1e-20, 1e-10, 0.5, 1.0, 2.0, 3.0, 5.9]
    points += [1e10, 1e300, math.inf]
    for e in edges:
        points += [math.nextafter(e, 0.0), e, math.nextafter(e, math.inf)]
    for lo, hi in [(0.0, 2.0**-28), (2.0**-28, 0.84375), (0.84375, 1.25), (1.25, 1 / 0.35), (1 / 0.35, 6.0), (6.0, 10.0)]:
        points += list(rng.uniform(lo, hi, 150))
    points += list(10.0 ** rng.uniform(-30, 3, 300))
    signs = rng.choice([-1.0, 1.0], len(points))
    return [float(s * p) for s, p in zip(signs, points)] + [-p for p in points[:12]]


def f32_points(rng: np.random.Generator) -> list[float]:
    points = [0.0, 1e-45, 1.1754944e-38, 1e-20, 2.0**-28, 0.84375, 1.25, 1 / 0.35, 6.0, 9.0, 3e38, math.inf]
    for lo, hi in [(0.0, 0.84375), (0.84375, 1.25), (1.25, 1 / 0.35), (1 / 0.35, 6.0), (6.0, 10.0)]:
        points += list(rng.uniform(lo, hi, 100))
    points += list(10.0 ** rng.uniform(-30, 1.5, 150))
    signs = rng.choice([-1.0, 1.0], len(points))
    return [float(np.float32(s * p)) for s, p in zip(signs, points)]


def ulps64(a: float, b: float) -> int:
    ia, ib = (np.array([v], dtype=np.float64).view(np.int64)[0] for v in (a, b))
    ia = ia if ia >= 0 else -(ia & 0x7FFFFFFFFFFFFFFF)
    ib = ib if ib >= 0 else -(ib & 0x7FFFFFFFFFFFFFFF)
    return abs(int(ia) - int(ib))


def main() -> None:
    rng = np.random.default_rng(20240917)
    lines = [
        "# erf(x), correctly rounded (mpmath, 60 digits); made by scripts/erf_reference.py",
        "# f64 <x> <erf(x)> | f32 <x> <erf(x)> | grad <x> <r> <d/dx sum(erf(x) * r)> (PyTorch, float64)",
    ]
    worst_math, worst_torch = 0, 0
    for x in f64_points(rng):
        y = signed(float(erf_exact(x)), x)
        worst_math = max(worst_math, ulps64(math.erf(x), y))
        worst_torch = max(worst_torch, ulps64(torch.erf(torch.tensor(x, dtype=torch.float64)).item(), y))
        lines.append(f"f64 {x!r} {y!r}")
    for x in f32_points(rng):
        with mpmath.workprec(24):  # round to f32's 24-bit significand once, not via f64
            y = +erf_exact(x)
        lines.append(f"f32 {x!r} {signed(float(np.float32(float(y))), x)!r}")
    x = torch.tensor([-3.0, -1.2, -0.4, 0.0, 1e-9, 0.3, 0.84375, 1.7, 2.9, 6.5], dtype=torch.float64, requires_grad=True)
    r = torch.tensor([1.0, -2.0, 0.5, 3.0, -1.0, 1.5, 2.0, -0.5, 4.0, 1.0], dtype=torch.float64)
    (torch.erf(x) * r).sum().backward()
    for xi, ri, gi in zip(x.tolist(), r.tolist(), x.grad.tolist()):
        lines.append(f"grad {xi!r} {ri!r} {gi!r}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 2} values to {OUT}")
    print(f"largest error against them: math.erf {worst_math} ulp, torch.erf {worst_torch} ulp (float64)")
    assert worst_math <= 1 and worst_torch <= 1


if __name__ == "__main__":
    main()
