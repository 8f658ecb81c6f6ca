//! Elementwise ops of one input, stated by their derivative: the formula is written once,
//! generically over [`Elementwise`] values, and evaluated two ways:
//!
//! - on scalars, fused into one pass `∂L/∂x = g · f′(s)` over the gradient and the saved tensor
//!   `s`: what every first-order backward uses (one allocation, no intermediate tensors);
//! - on [`Var`]s, as recorded ops: what `create_graph` uses, so the derivative can be
//!   differentiated again.
//!
//! An op whose row in the table says `derivative` implements only [`Derivative`]; its backward
//! rule and its forward-mode rule are [`Unary`]'s, below.

use super::{Branches, Ctx, Jvp, JvpCtx, Rule};
use crate::op::Unary;
use crate::{kernels, Float, Result, Tensor, Var};

/// Arithmetic available both on scalars and on `Var`s of one shape.
pub(crate) trait Elementwise<T: Float>: Clone {
    fn add(&self, other: &Self) -> Self;
    fn mul(&self, other: &Self) -> Self;
    fn neg(&self) -> Self;
    fn recip(&self) -> Self;
    fn add_scalar(&self, c: T) -> Self;
    fn mul_scalar(&self, c: T) -> Self;
    fn powf(&self, p: T) -> Self;
    fn exp(&self) -> Self;
    fn sin(&self) -> Self;
    fn cos(&self) -> Self;
    fn sigmoid(&self) -> Self;
    /// `min(max(x, lo), hi)`, with derivative 1 where `lo ≤ x ≤ hi`, 0 elsewhere.
    fn clamp(&self, lo: T, hi: T) -> Self;
    /// A piecewise-constant function of the value (a mask, a slope, a sign). On `Var`s the
    /// result is a constant: its derivative is zero wherever it is defined.
    fn piecewise(&self, f: impl Fn(T) -> T) -> Self;
}

impl<T: Float> Elementwise<T> for T {
    #[inline]
    fn add(&self, other: &Self) -> Self {
        *self + *other
    }
    #[inline]
    fn mul(&self, other: &Self) -> Self {
        *self * *other
    }
    #[inline]
    fn neg(&self) -> Self {
        -*self
    }
    #[inline]
    fn recip(&self) -> Self {
        T::ONE / *self
    }
    #[inline]
    fn add_scalar(&self, c: T) -> Self {
        *self + c
    }
    #[inline]
    fn mul_scalar(&self, c: T) -> Self {
        *self * c
    }
    #[inline]
    fn powf(&self, p: T) -> Self {
        Float::powf(*self, p)
    }
    #[inline]
    fn exp(&self) -> Self {
        Float::exp(*self)
    }
    #[inline]
    fn sin(&self) -> Self {
        Float::sin(*self)
    }
    #[inline]
    fn cos(&self) -> Self {
        Float::cos(*self)
    }
    #[inline]
    fn sigmoid(&self) -> Self {
        kernels::sigmoid(*self)
    }
    #[inline]
    fn clamp(&self, lo: T, hi: T) -> Self {
        kernels::clamp(*self, lo, hi)
    }
    #[inline]
    fn piecewise(&self, f: impl Fn(T) -> T) -> Self {
        f(*self)
    }
}

const SAME_SHAPE: &str = "derivative formulas combine values of one shape";

impl<'t, T: Float> Elementwise<T> for Var<'t, T> {
    fn add(&self, other: &Self) -> Self {
        Var::add(self, other).expect(SAME_SHAPE)
    }
    fn mul(&self, other: &Self) -> Self {
        Var::mul(self, other).expect(SAME_SHAPE)
    }
    fn neg(&self) -> Self {
        Var::neg(self)
    }
    fn recip(&self) -> Self {
        Var::powf(self, -T::ONE)
    }
    fn add_scalar(&self, c: T) -> Self {
        Var::add_scalar(self, c)
    }
    fn mul_scalar(&self, c: T) -> Self {
        Var::mul_scalar(self, c)
    }
    fn powf(&self, p: T) -> Self {
        Var::powf(self, p)
    }
    fn exp(&self) -> Self {
        Var::exp(self)
    }
    fn sin(&self) -> Self {
        Var::sin(self)
    }
    fn cos(&self) -> Self {
        Var::cos(self)
    }
    fn sigmoid(&self) -> Self {
        Var::sigmoid(self)
    }
    fn clamp(&self, lo: T, hi: T) -> Self {
        Var::clamp(self, lo, hi)
    }
    fn piecewise(&self, f: impl Fn(T) -> T) -> Self {
        self.constant(self.value.map(f))
    }
}

/// An elementwise op's derivative as a function of the one tensor it saved (its input or its
/// output, as the op chose when recording).
pub(crate) trait Derivative<T: Float> {
    fn derivative<E: Elementwise<T>>(&self, saved: &E) -> E;
}

impl<T: Float, D: Derivative<T>> Rule<T> for Unary<D> {
    #[inline]
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        chain(&self.0, ctx, g)
    }

    /// The kinks are where the derivative's pieces change: each element's label is the trail of
    /// values its `piecewise` (and `clamp`) calls took. A derivative without pieces (a smooth op)
    /// notes nothing.
    fn branches(&self, saved: &[&Tensor<T>], branches: &mut Branches) {
        for &s in saved[0].data() {
            let piece = self.0.derivative(&Piece { value: s, label: NO_PIECE });
            if piece.label != NO_PIECE {
                branches.note(piece.label);
            }
        }
    }
}

impl<T: Float, D: Derivative<T>> Jvp<T> for Unary<D> {
    #[inline]
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        ctx.linear(|t| tangent(&self.0, ctx.saved(0), t))
    }
}

/// A scalar that remembers the pieces of a piecewise definition it went through: evaluating a
/// derivative formula on it gives, besides the value, a label of the branch it took.
#[derive(Clone, Copy)]
struct Piece<T> {
    value: T,
    label: u64,
}

/// The label of a value that went through no piece.
const NO_PIECE: u64 = 0;

impl<T: Float> Piece<T> {
    fn map(&self, f: impl Fn(T) -> T) -> Self {
        Piece { value: f(self.value), label: self.label }
    }

    fn zip(&self, other: &Self, f: impl Fn(T, T) -> T) -> Self {
        let label = match (self.label, other.label) {
            (NO_PIECE, label) | (label, NO_PIECE) => label,
            (a, b) => mix(a, b),
        };
        Piece { value: f(self.value, other.value), label }
    }

    /// The same value, on a piece labelled `piece` as well.
    fn on(self, piece: u64) -> Self {
        Piece { value: self.value, label: mix(self.label, piece) }
    }
}

/// Folds a piece into a label; never `NO_PIECE`.
fn mix(label: u64, piece: u64) -> u64 {
    (label.rotate_left(23) ^ piece).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1
}

impl<T: Float> Elementwise<T> for Piece<T> {
    fn add(&self, other: &Self) -> Self {
        self.zip(other, |a, b| a + b)
    }
    fn mul(&self, other: &Self) -> Self {
        self.zip(other, |a, b| a * b)
    }
    fn neg(&self) -> Self {
        self.map(|x| -x)
    }
    fn recip(&self) -> Self {
        self.map(|x| T::ONE / x)
    }
    fn add_scalar(&self, c: T) -> Self {
        self.map(|x| x + c)
    }
    fn mul_scalar(&self, c: T) -> Self {
        self.map(|x| x * c)
    }
    fn powf(&self, p: T) -> Self {
        self.map(|x| x.powf(p))
    }
    fn exp(&self) -> Self {
        self.map(T::exp)
    }
    fn sin(&self) -> Self {
        self.map(T::sin)
    }
    fn cos(&self) -> Self {
        self.map(T::cos)
    }
    fn sigmoid(&self) -> Self {
        self.map(kernels::sigmoid)
    }
    fn clamp(&self, lo: T, hi: T) -> Self {
        let x = self.value;
        self.map(|x| kernels::clamp(x, lo, hi)).on((x < lo) as u64 + 2 * (x > hi) as u64)
    }
    fn piecewise(&self, f: impl Fn(T) -> T) -> Self {
        let piece = self.map(f);
        piece.on(piece.value.to_f64().to_bits())
    }
}

/// `∂L/∂x = g · f′(saved)`: fused when nothing is being recorded, composed otherwise.
pub(crate) fn chain<'t, T: Float, D: Derivative<T>>(d: &D, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    let s = ctx.saved(0).clone();
    if ctx.traced() {
        ctx.note_local(0, s.value.map(|s| d.derivative(&s)));
    }
    ctx.grad(0, || {
        if g.tape.is_recording() && (g.is_tracked() || s.is_tracked()) {
            g.mul(&d.derivative(&s))
        } else {
            Ok(g.constant(g.value.zip_map(&s.value, |g, s| g * d.derivative(&s))))
        }
    })
}

/// `ẏ = f′(saved) · ẋ`, the forward-mode counterpart of [`chain`]: fused when nothing is being
/// recorded, composed otherwise.
pub(crate) fn tangent<'t, T: Float, D: Derivative<T>>(d: &D, s: &Var<'t, T>, t: &Var<'t, T>) -> Result<Var<'t, T>> {
    if t.tape.is_recording() && (t.is_tracked() || s.is_tracked()) {
        t.mul(&d.derivative(s))
    } else {
        Ok(t.constant(t.value.zip_map(&s.value, |t, s| t * d.derivative(&s))))
    }
}
