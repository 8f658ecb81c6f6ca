//! Exponential: `y = eˣ`; dy/dx = eˣ = y (from the saved output, so no second `exp`).

use super::{Keep, Op};
use crate::error::Site;
use crate::rule::elementwise::{chain, Derivative, Elementwise};
use crate::rule::Ctx;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `eˣ`.
    #[track_caller]
    pub fn exp(&self) -> Var<'t, T> {
        self.unary(Op::Exp, Keep::Output, Site::caller(), T::exp)
    }
}

struct Exp;

impl<T: Float> Derivative<T> for Exp {
    fn derivative<E: Elementwise<T>>(&self, y: &E) -> E {
        y.clone()
    }
}

pub(super) fn backward<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    chain(&Exp, ctx, g)
}
