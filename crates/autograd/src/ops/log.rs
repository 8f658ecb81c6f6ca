//! Natural logarithm: `y = ln x`; dy/dx = 1/x. `ln 0 = −∞` and `ln x = NaN` for `x < 0`, as
//! IEEE 754 says; anomaly mode reports either at this op.

use crate::error::Site;
use crate::gradcheck::{Domain, OpCheck};
use crate::op::Log;
use crate::rule::elementwise::{Derivative, Elementwise};
use crate::tape::Keep;
use crate::{Float, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise natural logarithm.
    #[track_caller]
    pub fn log(&self) -> Var<'t, T> {
        self.unary(Log, Keep::Inputs, Site::caller(), T::ln)
    }
}

impl<T: Float> Derivative<T> for Log {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        x.recip()
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("log", 1, |x| Ok(x[0].log())).domain(Domain::Positive)]
}
