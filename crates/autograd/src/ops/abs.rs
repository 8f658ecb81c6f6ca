//! Absolute value: `y = |x|`; dy/dx = sign(x), with sign(0) = 0 at the kink (as PyTorch and
//! JAX). Gradient checks treat `x = 0` as a kink.

use super::unary::{chain, Derivative, Elementwise};
use super::{Keep, Op};
use crate::backward::Ctx;
use crate::error::Site;
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

/// Which side of 0 a value is on: the kink of `abs` and `sign`.
pub(super) fn sign_branch<T: Float>(x: T) -> u64 {
    (x > T::ZERO) as u64 + 2 * (x < T::ZERO) as u64
}

/// sign(x) ∈ {−1, 0, 1}.
pub(super) fn sign<T: Float>(x: T) -> T {
    if x > T::ZERO {
        T::ONE
    } else if x < T::ZERO {
        -T::ONE
    } else {
        T::ZERO
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
