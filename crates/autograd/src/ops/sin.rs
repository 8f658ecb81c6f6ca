//! Sine: `y = sin x`; dy/dx = cos x.

use super::{Keep, Op};
use crate::error::Site;
use crate::rule::elementwise::{chain, Derivative, Elementwise};
use crate::rule::Ctx;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise sine.
    #[track_caller]
    pub fn sin(&self) -> Var<'t, T> {
        self.unary(Op::Sin, Keep::Inputs, Site::caller(), T::sin)
    }
}

struct Sin;

impl<T: Float> Derivative<T> for Sin {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        x.cos()
    }
}

pub(super) fn backward<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    chain(&Sin, ctx, g)
}
