//! Hyperbolic tangent: `y = tanh x`; dy/dx = 1 − y² (from the saved output).

use super::{Keep, Op};
use crate::error::Site;
use crate::rule::elementwise::{chain, Derivative, Elementwise};
use crate::rule::Ctx;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `tanh x`.
    #[track_caller]
    pub fn tanh(&self) -> Var<'t, T> {
        self.unary(Op::Tanh, Keep::Output, Site::caller(), T::tanh)
    }
}

struct Tanh;

impl<T: Float> Derivative<T> for Tanh {
    fn derivative<E: Elementwise<T>>(&self, y: &E) -> E {
        y.mul(y).neg().add_scalar(T::ONE)
    }
}

pub(super) fn backward<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    chain(&Tanh, ctx, g)
}
