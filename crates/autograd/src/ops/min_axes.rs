//! Min over axes: `y = min_{i ∈ group} xᵢ`, and (a composite) over all elements, `min`. The
//! kernel and the rule are `max_axes`'s with the comparison reversed: ties split the gradient
//! evenly among the elements equal to the minimum, as PyTorch's `amin` and JAX; NaN propagates
//! and sends no gradient. Kinks: where the set of minimal elements changes.

use super::max_axes::{backward, branches, jvp, Extremum};
use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::MinAxes;
use crate::rule::{Branches, Ctx, Jvp, JvpCtx, Rule};
use crate::{Axes, Float, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// The minimum over `axes` (one axis or several; negative ones count from the back), as
    /// PyTorch's `amin`; with `keepdim` the reduced axes stay as size 1. Ties split the gradient
    /// evenly. An empty axis among `axes` is an error.
    #[track_caller]
    pub fn min_axes(&self, axes: impl Into<Axes>, keepdim: bool) -> Result<Var<'t, T>> {
        self.extremum(Extremum::Min, &axes.into(), keepdim, Site::caller())
    }

    /// The smallest element, as a scalar. Ties split the gradient evenly. An empty tensor is an
    /// error, as an empty axis is in [`min_axes`](Var::min_axes) (and as in PyTorch).
    #[track_caller]
    pub fn min(&self) -> Result<Var<'t, T>> {
        self.extremum_all(Extremum::Min, Site::caller())
    }
}

impl<T: Float> Rule<T> for MinAxes {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        backward(ctx, g)
    }

    fn branches(&self, saved: &[&Tensor<T>], labels: &mut Branches) {
        branches(saved, labels)
    }
}

impl<T: Float> Jvp<T> for MinAxes {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        jvp(ctx)
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        OpCheck::new("min_axes", 1, |x| x[0].min_axes(&[0], true)).shapes(&[&[&[2, 3]], &[&[3, 2, 2]]]),
        OpCheck::new("min", 1, |x| x[0].min()).shapes(&[&[&[4]], &[&[2, 3]]]),
    ]
}
