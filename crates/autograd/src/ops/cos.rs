//! Cosine: `y = cos x`; dy/dx = −sin x.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::Cos;
use crate::rule::elementwise::{Derivative, Elementwise};
use crate::tape::Keep;
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise cosine.
    #[track_caller]
    pub fn cos(&self) -> Var<'t, T> {
        self.unary(Cos, Keep::Inputs, Site::caller(), T::cos)
    }
}

impl<T: Float> Derivative<T> for Cos {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        x.sin().neg()
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("cos", 1, |x| Ok(x[0].cos()))]
}
