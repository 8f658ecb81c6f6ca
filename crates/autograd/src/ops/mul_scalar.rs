//! Scaling by a constant: `y = c·x` for a scalar `c`; dy/dx = c.

use crate::error::Site;
use crate::op::MulScalar;
use crate::rule::{Ctx, Rule};
use crate::tape::Keep;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// `c · self` for a scalar constant `c`.
    #[track_caller]
    pub fn mul_scalar(&self, c: T) -> Var<'t, T> {
        self.unary(MulScalar { c }, Keep::Nothing, Site::caller(), |x| x * c)
    }
}

impl<T: Float> Rule<T> for MulScalar<T> {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        ctx.grad(0, || Ok(g.mul_scalar(self.c)))
    }
}
