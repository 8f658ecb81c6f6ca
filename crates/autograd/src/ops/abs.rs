//! Absolute value: `y = |x|`; dy/dx = sign(x), with sign(0) = 0 at the kink (as PyTorch and
//! JAX). Gradient checks treat `x = 0` as a kink.

use crate::error::Site;
use crate::gradcheck::{Domain, OpCheck};
use crate::kernels::sign;
use crate::op::Abs;
use crate::rule::elementwise::{Derivative, Elementwise};
use crate::tape::Keep;
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `|x|`.
    #[track_caller]
    pub fn abs(&self) -> Var<'t, T> {
        self.unary(Abs, Keep::Inputs, Site::caller(), T::abs)
    }
}

impl<T: Float> Derivative<T> for Abs {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        x.piecewise(sign)
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("abs", 1, |x| Ok(x[0].abs())).domain(Domain::AwayFromZero(0.1))]
}
