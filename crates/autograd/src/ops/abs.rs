//! Absolute value: `y = |x|`; dy/dx = sign(x), with sign(0) = 0 at the kink (as PyTorch and
//! JAX). Gradient checks treat `x = 0` as a kink.

use super::{Keep, Op};
use crate::error::Site;
use crate::kernels::{sign, sign_branch};
use crate::rule::elementwise::{chain, Derivative, Elementwise};
use crate::rule::Ctx;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `|x|`.
    #[track_caller]
    pub fn abs(&self) -> Var<'t, T> {
        if self.tape.probing_branches() {
            self.tape.note_branches(self.value.data().iter().map(|&x| sign_branch(x)));
        }
        self.unary(Op::Abs, Keep::Inputs, Site::caller(), T::abs)
    }
}

struct Abs;

impl<T: Float> Derivative<T> for Abs {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        x.piecewise(sign)
    }
}

pub(super) fn backward<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    chain(&Abs, ctx, g)
}
