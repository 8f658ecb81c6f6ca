//! Scattering into zeros, the adjoint of `gather`: view the output as `[outer, size, inner]`
//! around `axis`; `y = zeros; y[o, index[o·inner + i], i] += x[o, 0, i]`. Backward: `gather`.
//! Linear: no kinks.

use super::gather::spread;
use super::gather::{check_positions, check_range};
use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::{resized, Lanes};
use crate::op::{AxisIndex, ScatterAdd};
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Axis, Error, Float, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// The adjoint of [`gather`](Var::gather): a tensor of zeros with `self`'s shape except
    /// `size` along `axis` (where `self` has size 1), into which each element of `self` is added
    /// at the position `index` gives for it.
    #[track_caller]
    pub fn scatter_add(&self, axis: impl Into<Axis>, index: &[usize], size: usize) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let axis = axis.into().resolve("scatter_add", self.shape(), site)?;
        self.scatter_add_at(AxisIndex::new(axis, index), size, site)
    }

    pub(super) fn scatter_add_at(&self, index: AxisIndex, size: usize, site: Site) -> Result<Var<'t, T>> {
        let axis = index.axis();
        if self.dims()[axis] != 1 {
            let msg = format!("axis {axis} of the source {} must have size 1", self.shape());
            return Err(Error::InvalidArgument { op: "scatter_add", msg, site });
        }
        let lanes = Lanes::new(self.shape(), axis);
        check_positions("scatter_add", index.positions(), lanes, self.shape(), axis, site)?;
        check_range("scatter_add", index.positions(), axis, size, site)?;
        let inner = lanes.inner;
        let shape = resized(self.shape(), axis, size);
        let x = self.value.data();
        let value = Tensor::zeroed_with(shape, |out| {
            for (p, &k) in index.positions().iter().enumerate() {
                out[(p / inner * size + k) * inner + p % inner] += x[p];
            }
        });
        Ok(self.tape.record(ScatterAdd { index }, &[self], value, site, Keep::Nothing))
    }
}

impl<T: Float> Rule<T> for ScatterAdd {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        ctx.grad(0, || g.gather_at(self.index.clone(), Site::caller()))
    }
}

impl<T: Float> Jvp<T> for ScatterAdd {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let size = ctx.output_shape()[self.index.axis()];
        ctx.linear(|t| t.scatter_add_at(self.index.clone(), size, Site::caller()))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("scatter_add", 1, |x| x[0].scatter_add(1, &spread(x[0].numel(), 3), 3))
        .shapes(&[&[&[4, 1]], &[&[2, 1, 2]]])]
}
