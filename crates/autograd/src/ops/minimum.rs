//! Elementwise minimum of two tensors, broadcasting (NumPy rules): `y = min(a, b)`;
//! ∂y/∂a = 1 where a < b, ∂y/∂b = 1 where b < a, and at a tie (the kink) the gradient is split
//! evenly, ½ to each, as PyTorch and JAX. NaN propagates to the output and sends no gradient.
//! The kernel and the rule are `maximum`'s with the comparison reversed. Gradient checks treat
//! `a = b` as a kink.

use super::maximum::{backward, branches, jvp, pick, Which};
use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::Minimum;
use crate::rule::{Branches, Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Float, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `min(self, rhs)`, broadcasting; ties split the gradient evenly.
    #[track_caller]
    pub fn minimum(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary(rhs, Minimum, Keep::Inputs, Site::caller(), |a, b| pick(Which::Min, a, b))
    }
}

impl<T: Float> Rule<T> for Minimum {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        backward(Which::Min, ctx, g)
    }

    fn branches(&self, saved: &[&Tensor<T>], labels: &mut Branches) {
        branches(Which::Min, saved, labels)
    }
}

impl<T: Float> Jvp<T> for Minimum {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        jvp(Which::Min, ctx)
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("minimum", 2, |x| x[0].minimum(&x[1])).broadcasting()]
}
