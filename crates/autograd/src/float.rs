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
    /// Which of the two types this is (its name prints as the safetensors format spells it,
    /// `F32` or `F64`).
    const DTYPE: DType;
    /// The value's bytes, little-endian: its bits exactly (a NaN keeps its payload and its
    /// signalling bit), for files and the wire.
    type Bytes: AsRef<[u8]> + for<'a> TryFrom<&'a [u8], Error = std::array::TryFromSliceError>;
    /// The value's little-endian bytes ([`Float::Bytes`]).
    fn to_le_bytes(self) -> Self::Bytes;
    /// The value whose little-endian bytes these are.
    ///
    /// ```
    /// use autograd::{DType, Float};
    /// let bytes = Float::to_le_bytes(1.5f32);
    /// assert_eq!(<f32 as Float>::from_le_bytes(bytes), 1.5);
    /// // From a buffer: chunks of the type's size.
    /// let buffer: Vec<u8> = [1.0f64, -2.0].iter().flat_map(|v| Float::to_le_bytes(*v)).collect();
    /// let size = f64::DTYPE.size();
    /// assert_eq!(size, 8);
    /// let back: Vec<f64> =
    ///     buffer.chunks_exact(size).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))).collect();
    /// assert_eq!(back, [1.0, -2.0]);
    /// assert_eq!(f32::DTYPE, DType::F32);
    /// ```
    fn from_le_bytes(bytes: Self::Bytes) -> Self;
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

/// The element type of a tensor, as a value: for code that reads and writes files, where the
/// type is data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

impl DType {
    /// The name the safetensors format (and PyTorch's checkpoint formats) gives it.
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "F32",
            DType::F64 => "F64",
        }
    }

    /// The size of one element in bytes.
    pub fn size(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 => 8,
        }
    }
}

impl Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

mod private {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

macro_rules! impl_float {
    ($t:ident, $dtype:expr, $exp:path) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const DTYPE: DType = $dtype;
            type Bytes = [u8; std::mem::size_of::<$t>()];
            #[inline]
            fn to_le_bytes(self) -> Self::Bytes {
                $t::to_le_bytes(self)
            }
            #[inline]
            fn from_le_bytes(bytes: Self::Bytes) -> Self {
                $t::from_le_bytes(bytes)
            }
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
impl_float!(f32, DType::F32, crate::kernels::exp_f32);
impl_float!(f64, DType::F64, f64::exp);
