//! Subtraction: `y = a − b`; ∂y/∂a = 1, ∂y/∂b = −1.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::Sub;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `self − rhs`, broadcasting (NumPy rules).
    #[track_caller]
    pub fn sub(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary(rhs, Sub, Keep::Nothing, Site::caller(), |a, b| a - b)
    }
}

impl<T: Float> Rule<T> for Sub {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        ctx.grad(0, || Ok(g.clone()))?;
        ctx.grad(1, || Ok(g.neg()))
    }
}

impl<T: Float> Jvp<T> for Sub {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        ctx.sum_over_inputs(|i, t| Ok(if i == 0 { t.clone() } else { t.neg() }))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("sub", 2, |x| x[0].sub(&x[1])).broadcasting()]
}
