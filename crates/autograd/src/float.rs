//! The element types a tensor can hold: `f32` for training, `f64` for gradient checks.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A floating-point element type: implemented for `f32` and `f64`, and sealed.
///
/// The methods are the scalar math the kernels need.
pub trait Float:
    private::Sealed
    + Copy
    + Send
    + Sync
    + 'static
    + Debug
    + Display
    + Default
    + PartialEq
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// The type's name as the safetensors format spells it (`"F32"`, `"F64"`).
    const DTYPE: &'static str;
    /// Converts from `f64`, rounding to nearest.
    fn from_f64(v: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// Converts a count (sizes, divisors of means).
    fn from_usize(v: usize) -> Self {
        Self::from_f64(v as f64)
    }
    /// eˣ (for `f32`, within 1 ulp of the exact value, computed without a library call so that
    /// loops vectorize; for `f64`, the standard library's).
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// ln(1 + x), accurate near 0.
    fn ln_1p(self) -> Self;
    /// eˣ − 1, accurate near 0.
    fn exp_m1(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// xᵖ for a real exponent.
    fn powf(self, p: Self) -> Self;
    /// The larger of two values (the non-NaN one if one is NaN).
    fn max(self, other: Self) -> Self;
    /// The smaller of two values (the non-NaN one if one is NaN).
    fn min(self, other: Self) -> Self;
    /// Neither infinite nor NaN.
    fn is_finite(self) -> bool;
    /// Is NaN.
    fn is_nan(self) -> bool;
    /// −∞.
    fn neg_infinity() -> Self;
    /// +∞.
    fn infinity() -> Self;
}

mod private {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

macro_rules! impl_float {
    ($t:ident, $dtype:literal, $exp:path) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const DTYPE: &'static str = $dtype;
            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                $t::ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                $t::ln_1p(self)
            }
            #[inline]
            fn exp_m1(self) -> Self {
                $t::exp_m1(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                $t::tanh(self)
            }
            #[inline]
            fn sin(self) -> Self {
                $t::sin(self)
            }
            #[inline]
            fn cos(self) -> Self {
                $t::cos(self)
            }
            #[inline]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline]
            fn powf(self, p: Self) -> Self {
                $t::powf(self, p)
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline]
            fn min(self, other: Self) -> Self {
                $t::min(self, other)
            }
            #[inline]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            #[inline]
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
            #[inline]
            fn neg_infinity() -> Self {
                $t::NEG_INFINITY
            }
            #[inline]
            fn infinity() -> Self {
                $t::INFINITY
            }
        }
    };
}

// f32's eˣ is chainrule's own (within 1 ulp, branch-free, so elementwise loops vectorize: see
// `kernels/exp.rs`); f64 keeps the library's, for the gradient checks.
impl_float!(f32, "F32", crate::kernels::exp_f32);
impl_float!(f64, "F64", f64::exp);
