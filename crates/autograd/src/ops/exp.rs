//! Exponential: `y = eˣ`; dy/dx = eˣ = y (from the saved output, so no second `exp`).

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::Exp;
use crate::rule::elementwise::{Derivative, Elementwise};
use crate::tape::Keep;
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `eˣ`.
    #[track_caller]
    pub fn exp(&self) -> Var<'t, T> {
        self.unary(Exp, Keep::Output, Site::caller(), T::exp)
    }
}

impl<T: Float> Derivative<T> for Exp {
    fn derivative<E: Elementwise<T>>(&self, y: &E) -> E {
        y.clone()
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("exp", 1, |x| Ok(x[0].exp()))]
}
