//! Logistic sigmoid: `y = σ(x) = 1 / (1 + e⁻ˣ)`; dy/dx = σ(x)(1 − σ(x)) = y(1 − y).
//!
//! The forward is evaluated as `1/(1+e⁻ˣ)` for x ≥ 0 and `eˣ/(1+eˣ)` for x < 0, so neither branch
//! overflows.

use crate::op::Sigmoid;
use crate::tape::Keep;
use crate::error::Site;
use crate::kernels::sigmoid;
use crate::rule::elementwise::{Derivative, Elementwise};
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

