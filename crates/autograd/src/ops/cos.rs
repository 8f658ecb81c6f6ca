//! Cosine: `y = cos x`; dy/dx = −sin x.

use super::{Keep, Op};
use crate::error::Site;
use crate::rule::elementwise::{chain, Derivative, Elementwise};
use crate::rule::Ctx;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise cosine.
    #[track_caller]
    pub fn cos(&self) -> Var<'t, T> {
        self.unary(Op::Cos, Keep::Inputs, Site::caller(), T::cos)
    }
}

struct Cos;

impl<T: Float> Derivative<T> for Cos {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        x.sin().neg()
    }
}

pub(super) fn backward<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    chain(&Cos, ctx, g)
}
