//! Adding a constant: `y = x + c` for a scalar `c`; dy/dx = 1.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::AddScalar;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// `self + c` for a scalar constant `c`.
    #[track_caller]
    pub fn add_scalar(&self, c: T) -> Var<'t, T> {
        self.unary(AddScalar, Keep::Nothing, Site::caller(), |x| x + c)
    }
}

impl<T: Float> Rule<T> for AddScalar {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        ctx.grad(0, || Ok(g.clone()))
    }
}

impl<T: Float> Jvp<T> for AddScalar {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        ctx.linear(|t| Ok(t.clone()))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("add_scalar", 1, |x| Ok(x[0].add_scalar(0.7)))]
}
