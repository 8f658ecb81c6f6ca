//! Scalar functions that both a forward kernel and a derivative formula evaluate (the
//! derivative of `softplus` is `sigmoid`, `elu`'s clamps its exponent, `abs`'s is `sign`,
//! `powf`'s is `powf`).

use crate::Float;

/// σ(x), stable for large |x|: 1/(1 + e⁻ˣ) for x ≥ 0, eˣ/(1 + eˣ) below, both from e^(−|x|),
/// which never overflows. Written without a branch on the data, so loops over it vectorize.
#[inline]
pub(crate) fn sigmoid<T: Float>(x: T) -> T {
    let e = (-x.abs()).exp();
    let d = T::ONE + e;
    let (positive, negative) = (T::ONE / d, e / d);
    if x >= T::ZERO {
        positive
    } else {
        negative
    }
}

/// xᵖ, with the exponents 1 and 2 as multiplications: the same correctly rounded result as the
/// library's `powf` (checked over every `f32`), without a library call per element. `x²` is the
/// common case (squared errors, the square of a norm).
#[inline]
pub(crate) fn powf<T: Float>(x: T, p: T) -> T {
    if p == T::ONE + T::ONE {
        x * x
    } else if p == T::ONE {
        x
    } else {
        x.powf(p)
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
