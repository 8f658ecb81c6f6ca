//! Multiplication: `y = a·b`; ∂y/∂a = b, ∂y/∂b = a. Also `y = c·x` for a scalar constant `c`.

use super::{Keep, Op};
use crate::error::Site;
use crate::rule::Ctx;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `self · rhs`, broadcasting (NumPy rules).
    #[track_caller]
    pub fn mul(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary(rhs, Op::Mul, Keep::Inputs, Site::caller(), |a, b| a * b)
    }

    /// `c · self` for a scalar constant `c`.
    #[track_caller]
    pub fn mul_scalar(&self, c: T) -> Var<'t, T> {
        self.unary(Op::MulScalar(c), Keep::Nothing, Site::caller(), |x| x * c)
    }
}

pub(super) fn backward<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    let (a, b) = (ctx.saved(0).clone(), ctx.saved(1).clone());
    ctx.grad(0, || g.mul(&b))?;
    ctx.grad(1, || g.mul(&a))
}

pub(super) fn backward_scalar<'t, T: Float>(c: T, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    ctx.grad(0, || Ok(g.mul_scalar(c)))
}
