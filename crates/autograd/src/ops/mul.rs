//! Multiplication: `y = a·b`; ∂y/∂a = b, ∂y/∂b = a.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::Mul;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `self · rhs`, broadcasting (NumPy rules).
    #[track_caller]
    pub fn mul(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary(rhs, Mul, Keep::Inputs, Site::caller(), |a, b| a * b)
    }
}

impl<T: Float> Rule<T> for Mul {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let (a, b) = (ctx.saved(0).clone(), ctx.saved(1).clone());
        if ctx.traced() {
            ctx.note_local(0, b.value().clone());
            ctx.note_local(1, a.value().clone());
        }
        ctx.grad(0, || g.mul(&b))?;
        ctx.grad(1, || g.mul(&a))
    }
}

impl<T: Float> Jvp<T> for Mul {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let (a, b) = (ctx.saved(0), ctx.saved(1));
        ctx.sum_over_inputs(|i, t| t.mul(if i == 0 { b } else { a }))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("mul", 2, |x| x[0].mul(&x[1])).broadcasting()]
}
