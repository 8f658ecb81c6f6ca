//! Natural logarithm: `y = ln x`; dy/dx = 1/x. `ln 0 = −∞` and `ln x = NaN` for `x < 0`, as
//! IEEE 754 says; anomaly mode reports either at this op.

use super::{Keep, Op};
use crate::error::Site;
use crate::rule::elementwise::{chain, Derivative, Elementwise};
use crate::rule::Ctx;
use crate::{Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise natural logarithm.
    #[track_caller]
    pub fn log(&self) -> Var<'t, T> {
        self.unary(Op::Log, Keep::Inputs, Site::caller(), T::ln)
    }
}

struct Log;

impl<T: Float> Derivative<T> for Log {
    fn derivative<E: Elementwise<T>>(&self, x: &E) -> E {
        x.recip()
    }
}

pub(super) fn backward<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    chain(&Log, ctx, g)
}
