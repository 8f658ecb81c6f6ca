//! Rectified linear unit: `y = max(x, 0)`; dy/dx = 1 if x > 0 else 0. At the kink x = 0 the
//! derivative is 0, as in PyTorch and JAX. Gradient checks treat `x = 0` as a kink. NaN stays
//! NaN (and sends no gradient), as PyTorch.

use crate::error::Site;
use crate::gradcheck::{Domain, OpCheck};
use crate::op::Relu;
use crate::rule::elementwise::{Derivative, Elementwise};
use crate::tape::Keep;
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `max(x, 0)`.
    #[track_caller]
    pub fn relu(&self) -> Var<'t, T> {
        // `x < 0 ? 0 : x` rather than `x > 0 ? x : 0`, so NaN passes through as in PyTorch.
        self.unary(Relu, Keep::Inputs, Site::caller(), |x| if x < T::ZERO { T::ZERO } else { x })
    }
}

impl<T: Float> Derivative<T> for Relu {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        x.piecewise(|x| if x > T::ZERO { T::ONE } else { T::ZERO })
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("relu", 1, |x| Ok(x[0].relu())).domain(Domain::AwayFromZero(0.1))]
}
