//! Negation: `y = −x`; dy/dx = −1.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::Neg;
use crate::rule::{Ctx, Rule};
use crate::tape::Keep;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `−self`.
    #[track_caller]
    pub fn neg(&self) -> Var<'t, T> {
        self.unary(Neg, Keep::Nothing, Site::caller(), |x| -x)
    }
}

impl<T: Float> Rule<T> for Neg {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        ctx.grad(0, || Ok(g.neg()))
    }
}

/// This op's rows of the gradient-check table: each is gradchecked and gradgradchecked over its
/// shapes, with inputs sampled from its domain (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("neg", 1, |x| Ok(x[0].neg()))]
}
