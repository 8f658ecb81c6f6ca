//! Logistic sigmoid: `y = σ(x) = 1 / (1 + e⁻ˣ)`; dy/dx = σ(x)(1 − σ(x)) = y(1 − y).
//!
//! The forward is evaluated as `1/(1+e⁻ˣ)` for x ≥ 0 and `eˣ/(1+eˣ)` for x < 0, so neither branch
//! overflows.

use super::{Keep, Op};
use crate::error::Site;
use crate::kernels::sigmoid;
use crate::rule::elementwise::{chain, Derivative, Elementwise};
use crate::rule::Ctx;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise logistic sigmoid.
    #[track_caller]
    pub fn sigmoid(&self) -> Var<'t, T> {
        self.unary(Op::Sigmoid, Keep::Output, Site::caller(), sigmoid)
    }
}

struct Sigmoid;

impl<T: Float> Derivative<T> for Sigmoid {
    fn derivative<E: Elementwise<T>>(&self, y: &E) -> E {
        y.mul(&y.neg().add_scalar(T::ONE))
    }
}

pub(super) fn backward<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    chain(&Sigmoid, ctx, g)
}
