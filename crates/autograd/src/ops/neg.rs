//! Negation: `y = −x`; ∂y/∂x = −1.

use super::{Keep, Op};
use crate::error::Site;
use crate::rule::Ctx;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `−self`.
    #[track_caller]
    pub fn neg(&self) -> Var<'t, T> {
        self.unary(Op::Neg, Keep::Nothing, Site::caller(), |x| -x)
    }
}

pub(super) fn backward<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    ctx.grad(0, || Ok(g.neg()))
}
