//! Addition: `y = a + b`; ∂y/∂a = 1, ∂y/∂b = 1. Also `y = x + c` for a scalar constant `c`.

use super::{Keep, Op};
use crate::error::Site;
use crate::rule::Ctx;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `self + rhs`, broadcasting (NumPy rules).
    #[track_caller]
    pub fn add(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary(rhs, Op::Add, Keep::Nothing, Site::caller(), |a, b| a + b)
    }

    /// `self + c` for a scalar constant `c`.
    #[track_caller]
    pub fn add_scalar(&self, c: T) -> Var<'t, T> {
        self.unary(Op::AddScalar, Keep::Nothing, Site::caller(), |x| x + c)
    }
}

pub(super) fn backward<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    ctx.grad(0, || Ok(g.clone()))?;
    ctx.grad(1, || Ok(g.clone()))
}

pub(super) fn backward_scalar<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    ctx.grad(0, || Ok(g.clone()))
}
