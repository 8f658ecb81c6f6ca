//! The small pieces the optimizers are composed of, one element at a time: maximization,
//! coupled (L2) and decoupled weight decay, heavy-ball momentum, and PyTorch's `lerp` for
//! exponential moving averages.
//!
//! Each is a pure function of scalars so that an optimizer's update reads as its formula, and
//! the arithmetic is written in the order PyTorch's single-tensor (`foreach=False`) code does
//! it, which keeps `f64` trajectories within rounding of PyTorch's.

use autograd::Float;

/// `maximize`: ascend instead of descend, g ← −g.
#[inline]
pub(crate) fn direction<T: Float>(g: T, maximize: bool) -> T {
    if maximize {
        -g
    } else {
        g
    }
}

/// Coupled (L2) weight decay folded into the gradient: g ← g + λθ, the gradient of
/// L + (λ/2)‖θ‖². PyTorch's `grad.add(param, alpha=weight_decay)`.
#[inline]
pub(crate) fn l2<T: Float>(g: T, theta: T, weight_decay: T) -> T {
    g + weight_decay * theta
}

/// Decoupled weight decay (Loshchilov & Hutter): θ ← θ·(1 − ηλ), applied to the parameter
/// before and independently of the gradient step. PyTorch's `param.mul_(1 - lr * weight_decay)`
/// with the factor computed in `f64`.
#[inline]
pub(crate) fn decoupled_decay<T: Float>(theta: T, factor: T) -> T {
    theta * factor
}

/// Heavy-ball momentum, PyTorch's form: the buffer starts as the first gradient (undampened),
/// then b ← μ·b + (1 − τ)·g. Returns the new buffer. `first` is true on a parameter's first step.
#[inline]
pub(crate) fn momentum<T: Float>(buf: T, g: T, momentum: T, one_minus_dampening: T, first: bool) -> T {
    if first {
        g
    } else {
        buf * momentum + one_minus_dampening * g
    }
}

/// PyTorch's `lerp(start, end, w) = start + w·(end − start)`, computed as its CPU kernel does
/// (from the nearer end, for accuracy): used for moving averages m ← m + (1 − β)(g − m).
#[inline]
pub(crate) fn lerp<T: Float>(start: T, end: T, weight: T) -> T {
    let half = T::from_f64(0.5);
    if weight.abs() < half {
        start + weight * (end - start)
    } else {
        end - (end - start) * (T::ONE - weight)
    }
}
