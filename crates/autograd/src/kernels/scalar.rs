//! Scalar functions that both a forward kernel and a derivative formula evaluate (the
//! derivative of `softplus` is `sigmoid`, `elu`'s clamps its exponent, `abs`'s is `sign`).

use crate::Float;

/// σ(x), stable for large |x|.
pub(crate) fn sigmoid<T: Float>(x: T) -> T {
    if x >= T::ZERO {
        T::ONE / (T::ONE + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::ONE + e)
    }
}

/// `min(max(x, lo), hi)`, keeping NaN.
#[inline]
pub(crate) fn clamp<T: Float>(x: T, lo: T, hi: T) -> T {
    let y = if x < lo { lo } else { x };
    if y > hi {
        hi
    } else {
        y
    }
}

/// sign(x) ∈ {−1, 0, 1}.
pub(crate) fn sign<T: Float>(x: T) -> T {
    if x > T::ZERO {
        T::ONE
    } else if x < T::ZERO {
        -T::ONE
    } else {
        T::ZERO
    }
}
