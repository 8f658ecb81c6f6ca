//! Negation: `y = −x`; dy/dx = −1.

use crate::error::Site;
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
