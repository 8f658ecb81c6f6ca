//! Subtraction: `y = a − b`; ∂y/∂a = 1, ∂y/∂b = −1.

use super::{Keep, Op};
use crate::error::Site;
use crate::rule::Ctx;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `self − rhs`, broadcasting (NumPy rules).
    #[track_caller]
    pub fn sub(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary(rhs, Op::Sub, Keep::Nothing, Site::caller(), |a, b| a - b)
    }
}

pub(super) fn backward<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    ctx.grad(0, || Ok(g.clone()))?;
    ctx.grad(1, || Ok(g.neg()))
}
