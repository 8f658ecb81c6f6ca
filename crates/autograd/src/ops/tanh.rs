//! Hyperbolic tangent: `y = tanh x`; dy/dx = 1 − y² (from the saved output).

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::Tanh;
use crate::rule::elementwise::{Derivative, Elementwise};
use crate::tape::Keep;
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `tanh x`.
    #[track_caller]
    pub fn tanh(&self) -> Var<'t, T> {
        self.unary(Tanh, Keep::Output, Site::caller(), T::tanh)
    }
}

impl<T: Float> Derivative<T> for Tanh {
    fn derivative<E: Elementwise<T>>(&self, y: &E) -> E {
        y.mul(y).neg().add_scalar(T::ONE)
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("tanh", 1, |x| Ok(x[0].tanh()))]
}
