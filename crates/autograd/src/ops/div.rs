//! Division: `y = a / b`; ∂y/∂a = 1/b, ∂y/∂b = −a/b², computed as `−(g/b)·(a/b)`, which
//! stays finite wherever `y` is (b² alone can underflow).

use crate::error::Site;
use crate::gradcheck::{Domain, OpCheck};
use crate::op::Div;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `self / rhs`, broadcasting (NumPy rules). Division by zero gives ±∞ or NaN
    /// as IEEE 754 says (anomaly mode reports it).
    #[track_caller]
    pub fn div(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary(rhs, Div, Keep::Inputs, Site::caller(), |a, b| a / b)
    }
}

impl<T: Float> Rule<T> for Div {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let (a, b) = (ctx.saved(0).clone(), ctx.saved(1).clone());
        if ctx.traced() {
            ctx.note_local(0, b.value().map(|b| T::ONE / b));
            ctx.note_local(1, a.value().zip_map(b.value(), |a, b| -a / (b * b)));
        }
        let g_over_b = g.div(&b)?;
        ctx.grad(1, || Ok(g_over_b.mul(&a.div(&b)?)?.neg()))?;
        ctx.grad(0, || Ok(g_over_b))
    }
}

impl<T: Float> Jvp<T> for Div {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let (a, b) = (ctx.saved(0), ctx.saved(1));
        ctx.sum_over_inputs(|i, t| {
            let t_over_b = t.div(b)?;
            if i == 0 {
                Ok(t_over_b)
            } else {
                Ok(t_over_b.mul(&a.div(b)?)?.neg())
            }
        })
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("div", 2, |x| x[0].div(&x[1])).domains(&[Domain::Real, Domain::AwayFromZero(0.5)]).broadcasting()]
}
