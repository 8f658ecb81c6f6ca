#!/usr/bin/env python3
"""Reference numbers for chainrule's `optim` crate, produced by PyTorch's own code.

Writes crates/optim/tests/fixtures/{optimizers,schedules,clip}.json:

* optimizers.json: for every optimizer and option, the parameter trajectory (values after each
  of STEPS steps, float64) on two problems, with gradients from torch.autograd (and, under
  "group_cases", trajectories with x and y in two parameter groups of different options):
    - "quadratic":  f(θ) = ½ θᵀAθ − bᵀθ, θ a 3×1 parameter named "theta";
    - "rosenbrock": f(x, y) = (1 − x)² + 100 (y − x²)², two scalar parameters "x" and "y".
  A case with "negate": true minimizes −(−f), i.e. runs `maximize=True` on the loss −f.
* schedules.json: learning-rate sequences of StepLR, MultiStepLR, ExponentialLR,
  CosineAnnealingLR, CosineAnnealingWarmRestarts (also stepped at fractional epochs), LinearLR,
  OneCycleLR and ReduceLROnPlateau (the lr of each of two parameter groups after construction,
  then after each scheduler step; and the momentum or beta1 where OneCycleLR cycles it).
Every option given in a case is checked to change that case's numbers (optimizers, schedules),
so a Rust implementation that ignored it would fail the comparison.
* clip.json: clip_grad_norm_ (total norm and clipped gradients) and clip_grad_value_.

Usage: python3 scripts/optim_fixtures.py   (from the repository root; needs torch)
"""

import json
import math
import os

import torch

STEPS = 40
OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "optim", "tests", "fixtures")

A = [[3.0, 1.0, 0.5], [1.0, 2.0, 0.3], [0.5, 0.3, 1.0]]
B = [[1.0], [-2.0], [0.5]]
PROBLEMS = {
    "quadratic": {"theta": [[1.5], [-0.5], [2.0]]},
    "rosenbrock": {"x": -1.2, "y": 1.0},
}


def loss(problem, params):
    if problem == "quadratic":
        (theta,) = params
        a = torch.tensor(A, dtype=torch.float64)
        b = torch.tensor(B, dtype=torch.float64)
        return 0.5 * (theta * (a @ theta)).sum() - (b * theta).sum()
    x, y = params
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


# Per optimizer: the learning rate for each problem, then the option sets to test (PyTorch
# keyword arguments; a value may differ per problem). Every keyword each optimizer accepts
# (except the engine switches foreach, fused, capturable, differentiable) appears in at least one
# case, and every option in a case changes that case's trajectory by more than SENSITIVITY
# (checked below), so a Rust implementation that ignored it would fail the 1e-6 comparison.
OPTIMIZERS = {
    "SGD": {
        "lr": {"quadratic": 0.1, "rosenbrock": 1e-3},
        "cases": [
            {},
            {"momentum": 0.9},
            {"momentum": 0.9, "dampening": 0.5},
            {"momentum": 0.9, "nesterov": True},
            {"weight_decay": 0.1},
            {"momentum": 0.5, "weight_decay": 0.05, "nesterov": True},
            {"maximize": True},
            {"momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01, "maximize": True},
        ],
    },
    "Adagrad": {
        "lr": {"quadratic": 0.5, "rosenbrock": 0.1},
        "cases": [
            {},
            {"lr_decay": 0.1},
            {"weight_decay": 0.1},
            {"initial_accumulator_value": {"quadratic": 0.5, "rosenbrock": 1e4}},
            {"eps": {"quadratic": 1e-2, "rosenbrock": 10.0}},
            {"maximize": True},
            {"lr_decay": 0.05, "weight_decay": 0.05, "initial_accumulator_value": {"quadratic": 0.1, "rosenbrock": 1e3},
             "eps": {"quadratic": 0.05, "rosenbrock": 5.0}},
        ],
    },
    "RMSprop": {
        "lr": {"quadratic": 0.01, "rosenbrock": 1e-3},
        "cases": [
            {},
            {"alpha": 0.9},
            {"eps": {"quadratic": 1e-3, "rosenbrock": 1.0}},
            {"weight_decay": {"quadratic": 0.1, "rosenbrock": 5.0}},
            {"momentum": 0.9},
            {"centered": True},
            {"centered": True, "momentum": 0.5},
            {"maximize": True},
            {"alpha": 0.95, "eps": {"quadratic": 1e-2, "rosenbrock": 1.0}, "weight_decay": {"quadratic": 0.01, "rosenbrock": 5.0},
             "momentum": 0.3, "centered": True, "maximize": True},
        ],
    },
    "Adam": {
        "lr": {"quadratic": 0.1, "rosenbrock": 0.02},
        "cases": [
            {},
            {"betas": [0.8, 0.99]},
            {"eps": {"quadratic": 1e-3, "rosenbrock": 1.0}},
            {"weight_decay": 0.1},
            {"betas": [0.9, 0.9], "amsgrad": True},
            {"betas": [0.9, 0.9], "amsgrad": True, "weight_decay": {"quadratic": 0.05, "rosenbrock": 1.0}},
            {"maximize": True},
            {"betas": [0.5, 0.9], "eps": {"quadratic": 1e-2, "rosenbrock": 1.0}, "weight_decay": {"quadratic": 0.01, "rosenbrock": 1.0},
             "amsgrad": True, "maximize": True},
        ],
    },
    "AdamW": {
        "lr": {"quadratic": 0.1, "rosenbrock": 0.02},
        "cases": [
            {},
            {"weight_decay": 0.1},
            {"weight_decay": 0.0},
            {"betas": [0.8, 0.99], "eps": {"quadratic": 1e-2, "rosenbrock": 1.0}},
            {"betas": [0.9, 0.9], "amsgrad": True},
            {"maximize": True},
            {"betas": [0.5, 0.9], "eps": {"quadratic": 1e-2, "rosenbrock": 1.0}, "weight_decay": 0.05, "amsgrad": True,
             "maximize": True},
        ],
    },
    "Adamax": {
        "lr": {"quadratic": 0.1, "rosenbrock": 0.02},
        "cases": [
            {},
            {"betas": [0.8, 0.99]},
            {"betas": [0.9, 0.9]},
            {"eps": {"quadratic": 0.1, "rosenbrock": 5.0}},
            {"weight_decay": {"quadratic": 0.1, "rosenbrock": 1.0}},
            {"maximize": True},
            {"betas": [0.5, 0.9], "eps": {"quadratic": 1e-2, "rosenbrock": 1.0}, "weight_decay": {"quadratic": 0.05, "rosenbrock": 1.0},
             "maximize": True},
        ],
    },
    "NAdam": {
        "lr": {"quadratic": 0.1, "rosenbrock": 0.02},
        "cases": [
            {},
            {"betas": [0.8, 0.99]},
            {"eps": {"quadratic": 1e-2, "rosenbrock": 1.0}},
            {"weight_decay": {"quadratic": 0.1, "rosenbrock": 1.0}},
            {"weight_decay": {"quadratic": 0.1, "rosenbrock": 1.0}, "decoupled_weight_decay": True},
            {"momentum_decay": 0.05},
            {"maximize": True},
            {"betas": [0.5, 0.9], "eps": {"quadratic": 1e-2, "rosenbrock": 1.0}, "weight_decay": 0.05,
             "momentum_decay": 0.2, "decoupled_weight_decay": True, "maximize": True},
        ],
    },
    "RAdam": {
        "lr": {"quadratic": 0.1, "rosenbrock": 1e-3},
        "cases": [
            {},
            {"betas": [0.8, 0.99]},
            {"betas": [0.9, 0.9]},
            {"eps": {"quadratic": 1e-2, "rosenbrock": 1.0}},
            {"weight_decay": {"quadratic": 0.1, "rosenbrock": 1.0}},
            {"weight_decay": {"quadratic": 0.1, "rosenbrock": 1.0}, "decoupled_weight_decay": True},
            {"maximize": True},
            {"betas": [0.5, 0.9], "eps": {"quadratic": 1e-2, "rosenbrock": 1.0}, "weight_decay": 0.05,
             "decoupled_weight_decay": True, "maximize": True},
        ],
    },
}

# Parameter groups, on the Rosenbrock function: x in group 0 with the optimizer's options, y in
# group 1 with some of them overridden (PyTorch's per-group dicts). Every override must change
# the trajectory.
GROUP_CASES = [
    ("SGD", {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.1}, {"lr": 5e-4, "weight_decay": 0.0}),
    ("SGD", {"lr": 1e-3}, {"momentum": 0.5, "nesterov": True}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.1}, {"lr": 0.005, "weight_decay": 0.0}),
    ("AdamW", {"lr": 0.02}, {"betas": [0.5, 0.9], "amsgrad": True}),
    ("Adam", {"lr": 0.02, "weight_decay": 0.5}, {"weight_decay": 0.0, "maximize": True}),
    ("RMSprop", {"lr": 1e-3}, {"lr": 3e-3, "centered": True}),
    ("NAdam", {"lr": 0.02}, {"momentum_decay": 0.05, "weight_decay": 0.5, "decoupled_weight_decay": True}),
]


def flat(params):
    return [v for p in params for v in p.detach().reshape(-1).tolist()]


def pytorch_kwargs(kwargs):
    kw = dict(kwargs)
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    return kw


def trajectory(opt_name, kwargs, problem, negate, group1=None):
    """With `group1`, the second parameter (y) is a parameter group of its own with these
    options overriding `kwargs`."""
    init = PROBLEMS[problem]
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in init.values()]
    kw = pytorch_kwargs(kwargs)
    if group1 is None:
        groups = params
    else:
        groups = [{"params": params[:1]}, {"params": params[1:], **pytorch_kwargs(group1)}]
    opt = getattr(torch.optim, opt_name)(groups, foreach=False, **kw)
    out = []
    for _ in range(STEPS):
        opt.zero_grad()
        f = loss(problem, params)
        (-f if negate else f).backward()
        opt.step()
        values = flat(params)
        if not all(math.isfinite(v) and abs(v) < 1e3 for v in values):
            raise SystemExit(f"{opt_name} {kwargs} on {problem} left the region: {values}")
        out.append(values)
    return {"names": list(init.keys()), "initial": flat([torch.tensor(v) for v in init.values()]), "trajectory": out}


SENSITIVITY = 1e-4


def max_rel_diff(a, b):
    return max(abs(x - y) / max(abs(x), 1e-3) for ra, rb in zip(a, b) for x, y in zip(ra, rb))


def optimizers():
    cases = []
    for name, spec in OPTIMIZERS.items():
        for options in spec["cases"]:
            for problem in PROBLEMS:
                opts = {k: (v[problem] if isinstance(v, dict) else v) for k, v in options.items()}
                kwargs = {"lr": spec["lr"][problem], **opts}
                negate = bool(opts.get("maximize", False))
                case = {"optimizer": name, "kwargs": kwargs, "problem": problem, "negate": negate}
                case.update(trajectory(name, kwargs, problem, negate))
                for key in opts:
                    if key == "maximize":  # ignoring it would ascend −f: visibly different
                        continue
                    without = {k: v for k, v in kwargs.items() if k != key}
                    try:
                        other = trajectory(name, without, problem, negate)["trajectory"]
                    except ValueError:  # e.g. nesterov without momentum
                        continue
                    d = max_rel_diff(case["trajectory"], other)
                    if d < SENSITIVITY:
                        raise SystemExit(f"{name} {kwargs} on {problem}: option {key} changes the trajectory by only {d:.2e}")
                cases.append(case)
    group_cases = []
    for name, kwargs, group1 in GROUP_CASES:
        case = {"optimizer": name, "kwargs": kwargs, "group1": group1, "problem": "rosenbrock", "negate": False}
        case.update(trajectory(name, kwargs, "rosenbrock", False, group1))
        for key in group1:
            other = trajectory(name, kwargs, "rosenbrock", False, {k: v for k, v in group1.items() if k != key})
            d = max_rel_diff(case["trajectory"], other["trajectory"])
            if d < SENSITIVITY:
                raise SystemExit(f"{name} {kwargs} group 1 {group1}: option {key} changes the trajectory by only {d:.2e}")
        group_cases.append(case)
    return {"torch": torch.__version__, "steps": STEPS, "A": A, "b": B, "cases": cases, "group_cases": group_cases}


SCHEDULES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}, 0.1, 30),
    ("StepLR", {"step_size": 1, "gamma": 0.9}, 1.0, 30),
    ("MultiStepLR", {"milestones": [3, 7, 7, 12], "gamma": 0.5}, 0.1, 20),
    ("MultiStepLR", {"milestones": [8, 2]}, 1.0, 12),
    ("ExponentialLR", {"gamma": 0.9}, 0.1, 40),
    ("ExponentialLR", {"gamma": 1.0}, 0.1, 10),
    ("CosineAnnealingLR", {"T_max": 10}, 0.1, 35),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}, 0.05, 40),
    ("CosineAnnealingLR", {"T_max": 1, "eta_min": 0.01}, 0.1, 8),
    ("CosineAnnealingWarmRestarts", {"T_0": 5}, 0.1, 30),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.001}, 0.05, 40),
    ("CosineAnnealingWarmRestarts", {"T_0": 1, "T_mult": 3}, 0.1, 20),
    ("LinearLR", {}, 0.1, 10),
    ("LinearLR", {"start_factor": 0.1, "total_iters": 10}, 0.01, 20),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 6}, 0.5, 12),
    ("LinearLR", {"start_factor": 0.5, "end_factor": 0.0, "total_iters": 4}, 1.0, 8),
    # OneCycleLR steps per batch, to its last step; its momentum (SGD's, or Adam's beta1) cycles.
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 30}, 0.1, 30),
    ("OneCycleLR", {"max_lr": 1.0, "epochs": 4, "steps_per_epoch": 10, "pct_start": 0.25, "anneal_strategy": "linear",
                    "div_factor": 10.0, "final_div_factor": 100.0}, 0.1, 40),
    ("OneCycleLR", {"max_lr": [0.5, 0.2], "total_steps": 40, "three_phase": True, "base_momentum": 0.8,
                    "max_momentum": 0.9}, 0.1, 40),
    ("OneCycleLR", {"max_lr": 0.2, "total_steps": 20, "cycle_momentum": False}, 0.1, 20),
    ("OneCycleLR", {"max_lr": 0.05, "total_steps": 25, "pct_start": 0.4, "optimizer": "Adam"}, 0.1, 25),
]

# CosineAnnealingWarmRestarts stepped at fractional epochs (PyTorch's `step(epoch + i / iters)`).
FRACTIONAL = [
    ({"T_0": 2, "T_mult": 2, "eta_min": 0.001}, 0.1, [e + i / 4 for e in range(10) for i in range(1, 5)]),
    ({"T_0": 3}, 0.1, [e + i / 5 for e in range(8) for i in range(5)][1:]),
]

# Group 1's rate is this multiple of group 0's, so that each group's sequence is checked.
GROUP1_SCALE = 3.0

# Metrics fed to ReduceLROnPlateau: improvements, plateaus, tiny (sub-threshold) improvements.
METRICS = [10.0, 9.0, 8.5, 8.5, 8.6, 8.4999, 8.7, 8.8, 7.0, 7.0, 7.0, 7.0, 7.0, 6.0, 6.0, 5.9995,
           6.1, 6.2, 6.3, 6.4, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 4.0, 4.0] + [4.0] * 14 + [3.0, 3.1]
# The same story for a metric to maximize (an accuracy-like rise with the same plateaus).
METRICS_UP = [20.0 - m for m in METRICS]
PLATEAU = [
    {},
    {"patience": 2},
    {"patience": 1, "factor": 0.5, "cooldown": 2},
    {"patience": 0, "factor": 0.5, "min_lr": 0.02},
    {"patience": 1, "threshold": 0.3, "threshold_mode": "abs"},
    {"mode": "max", "patience": 2, "factor": 0.3},
    {"mode": "max", "patience": 1, "threshold": 0.5, "threshold_mode": "abs", "cooldown": 1},
    {"patience": 0, "factor": 0.9, "eps": 0.005},
]


def lr_sequence(name, kwargs, base_lr, epochs, metrics=None, step_epochs=None):
    """The rates of both parameter groups (and group 0's momentum where OneCycleLR cycles it)
    after construction, then after each of `epochs` scheduler steps (ReduceLROnPlateau steps with
    the given metrics; with `step_epochs`, `step(epoch)` at each of them)."""
    kwargs = dict(kwargs)
    optimizer = kwargs.pop("optimizer", "SGD")
    p, q = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    groups = [{"params": [p]}, {"params": [q], "lr": base_lr * GROUP1_SCALE}]
    opt = getattr(torch.optim, optimizer)(groups, lr=base_lr)
    sched = getattr(torch.optim.lr_scheduler, name)(opt, **kwargs)
    momentum_key = "betas" if optimizer != "SGD" else "momentum"

    def record():
        g0, g1 = opt.param_groups
        m = g0[momentum_key]
        return g0["lr"], g1["lr"], m[0] if isinstance(m, tuple) else m

    out = [record()]
    for i in range(len(step_epochs) if step_epochs else epochs):
        if name == "ReduceLROnPlateau":
            sched.step(metrics[i])
        else:
            opt.step()  # no gradient: a no-op that keeps the scheduler's order check quiet
            sched.step(step_epochs[i]) if step_epochs else sched.step()
        out.append(record())
    return out


def schedules():
    out = []
    cases = [(name, kwargs, base_lr, epochs, None, None) for name, kwargs, base_lr, epochs in SCHEDULES]
    for kwargs in PLATEAU:
        metrics = METRICS_UP if kwargs.get("mode") == "max" else METRICS
        cases.append(("ReduceLROnPlateau", kwargs, 0.1, len(metrics), metrics, None))
    for kwargs, base_lr, step_epochs in FRACTIONAL:
        cases.append(("CosineAnnealingWarmRestarts", kwargs, base_lr, len(step_epochs), None, step_epochs))
    for name, kwargs, base_lr, epochs, metrics, step_epochs in cases:
        seq = lr_sequence(name, kwargs, base_lr, epochs, metrics, step_epochs)
        # As for the optimizers: every option given must change the sequence (of rates or
        # momenta), or the case could not tell an implementation that ignores it from one that
        # honours it.
        for key in kwargs:
            if key == "optimizer":  # which optimizer the schedule drives, not one of its options
                continue
            try:
                other = lr_sequence(name, {k: v for k, v in kwargs.items() if k != key}, base_lr, epochs, metrics,
                                    step_epochs)
            except (TypeError, ValueError):  # a required argument (StepLR's step_size, OneCycleLR's max_lr, …)
                continue
            if other == seq:
                raise SystemExit(f"{name} {kwargs}: option {key} does not change the learning rates")
        case = {"scheduler": name, "kwargs": kwargs, "base_lr": base_lr, "group1_lr": base_lr * GROUP1_SCALE,
                "lrs": [r[0] for r in seq], "lrs_group1": [r[1] for r in seq]}
        if name == "OneCycleLR" and kwargs.get("cycle_momentum", True):
            case["momentums"] = [r[2] for r in seq]
        if metrics is not None:
            case["metrics"] = metrics
        if step_epochs is not None:
            case["step_epochs"] = step_epochs
        out.append(case)
    return {"torch": torch.__version__, "cases": out}


def clip():
    g = torch.Generator().manual_seed(0)
    shapes = {"w": [3, 4], "b": [4], "s": []}
    grads = {k: (torch.randn(s, generator=g, dtype=torch.float64) * 2.0) for k, s in shapes.items()}
    norm_cases = []
    for norm_type in [2.0, 1.0, 3.0, math.inf]:
        for max_norm in [0.5, 1e3]:
            params = []
            for k, s in shapes.items():
                p = torch.zeros(s, dtype=torch.float64, requires_grad=True)
                p.grad = grads[k].clone()
                params.append(p)
            total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
            norm_cases.append({
                "max_norm": max_norm,
                "norm_type": "inf" if math.isinf(norm_type) else norm_type,
                "total_norm": total.item(),
                "clipped": {k: p.grad.reshape(-1).tolist() for k, p in zip(shapes, params)},
            })
    value_cases = []
    for clip_value in [0.5, 1.5, 100.0]:
        params = []
        for k, s in shapes.items():
            p = torch.zeros(s, dtype=torch.float64, requires_grad=True)
            p.grad = grads[k].clone()
            params.append(p)
        torch.nn.utils.clip_grad_value_(params, clip_value)
        value_cases.append({"clip_value": clip_value,
                            "clipped": {k: p.grad.reshape(-1).tolist() for k, p in zip(shapes, params)}})
    return {
        "torch": torch.__version__,
        "shapes": shapes,
        "grads": {k: v.reshape(-1).tolist() for k, v in grads.items()},
        "norm": norm_cases,
        "value": value_cases,
    }


def main():
    torch.set_default_dtype(torch.float64)
    os.makedirs(OUT, exist_ok=True)
    for name, make in [("optimizers", optimizers), ("schedules", schedules), ("clip", clip)]:
        path = os.path.join(OUT, f"{name}.json")
        data = make()  # before opening: a failed check must not leave a truncated fixture
        with open(path, "w") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
        print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
