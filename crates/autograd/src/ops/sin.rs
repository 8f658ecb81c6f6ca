//! Sine: `y = sin x`; dy/dx = cos x.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::Sin;
use crate::rule::elementwise::{Derivative, Elementwise};
use crate::tape::Keep;
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise sine.
    #[track_caller]
    pub fn sin(&self) -> Var<'t, T> {
        self.unary(Sin, Keep::Inputs, Site::caller(), T::sin)
    }
}

impl<T: Float> Derivative<T> for Sin {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        x.cos()
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("sin", 1, |x| Ok(x[0].sin()))]
}
