//! Logistic sigmoid: `y = σ(x) = 1 / (1 + e⁻ˣ)`; dy/dx = σ(x)(1 − σ(x)) = y(1 − y).
//!
//! The forward is evaluated as `1/(1+e⁻ˣ)` for x ≥ 0 and `eˣ/(1+eˣ)` for x < 0, so neither branch
//! overflows.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::sigmoid;
use crate::op::Sigmoid;
use crate::rule::elementwise::{Derivative, Elementwise};
use crate::tape::Keep;
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise logistic sigmoid.
    #[track_caller]
    pub fn sigmoid(&self) -> Var<'t, T> {
        self.unary(Sigmoid, Keep::Output, Site::caller(), sigmoid)
    }
}

impl<T: Float> Derivative<T> for Sigmoid {
    fn derivative<E: Elementwise<T>>(&self, y: &E) -> E {
        y.mul(&y.neg().add_scalar(T::ONE))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("sigmoid", 1, |x| Ok(x[0].sigmoid()))]
}
