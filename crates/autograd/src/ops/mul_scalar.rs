//! Scaling by a constant: `y = c·x` for a scalar `c`; dy/dx = c.
//!
//! Negation is this op with `c = −1` (a composite: as fast as a primitive of its own, measured
//! by `benches/composites.rs`, and the same at ±0).

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::MulScalar;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Float, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// `c · self` for a scalar constant `c`.
    #[track_caller]
    pub fn mul_scalar(&self, c: T) -> Var<'t, T> {
        self.unary(MulScalar { c }, Keep::Nothing, Site::caller(), |x| x * c)
    }

    /// Elementwise `−self`: `self.mul_scalar(−1)`.
    #[track_caller]
    pub fn neg(&self) -> Var<'t, T> {
        self.mul_scalar(-T::ONE)
    }
}

impl<T: Float> Rule<T> for MulScalar<T> {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        if ctx.traced() {
            ctx.note_local(0, Tensor::scalar(self.c));
        }
        ctx.grad(0, || Ok(g.mul_scalar(self.c)))
    }
}

impl<T: Float> Jvp<T> for MulScalar<T> {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        ctx.linear(|t| Ok(t.mul_scalar(self.c)))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("mul_scalar", 1, |x| Ok(x[0].mul_scalar(-1.3)))]
}
