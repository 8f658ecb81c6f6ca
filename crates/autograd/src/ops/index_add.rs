//! Adding slices into zeros, the adjoint of `index_select`: view the output as
//! `[outer, size, inner]` around `axis`; `y = zeros; y[o, index[j], i] += x[o, j, i]`. Backward:
//! `index_select`. Linear: no kinks.

use super::gather::check_range;
use super::gather::spread;
use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::{resized, Lanes};
use crate::op::{AxisIndex, IndexAdd};
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Axis, Error, Float, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// The adjoint of [`index_select`](Var::index_select): a tensor of zeros with `self`'s shape
    /// except `size` along `axis`, into which slice `j` of `self` is added at position `index[j]`.
    #[track_caller]
    pub fn index_add(&self, axis: impl Into<Axis>, index: &[usize], size: usize) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let axis = axis.into().resolve("index_add", self.shape(), site)?;
        self.index_add_at(AxisIndex::new(axis, index), size, site)
    }

    pub(super) fn index_add_at(&self, index: AxisIndex, size: usize, site: Site) -> Result<Var<'t, T>> {
        let axis = index.axis();
        let lanes = Lanes::new(self.shape(), axis);
        if lanes.len != index.positions().len() {
            let msg = format!("{} indices for axis {axis} of the source {}", index.positions().len(), self.shape());
            return Err(Error::InvalidArgument { op: "index_add", msg, site });
        }
        check_range("index_add", index.positions(), axis, size, site)?;
        let (m, inner) = (lanes.len, lanes.inner);
        let x = self.value.data();
        let value = Tensor::zeroed_with(resized(self.shape(), axis, size), |out| {
            for o in 0..lanes.outer {
                for (j, &k) in index.positions().iter().enumerate() {
                    let src = (o * m + j) * inner;
                    let dst = (o * size + k) * inner;
                    for (d, &s) in out[dst..dst + inner].iter_mut().zip(&x[src..src + inner]) {
                        *d += s;
                    }
                }
            }
        });
        Ok(self.tape.record(IndexAdd { index }, &[self], value, site, Keep::Nothing))
    }
}

impl<T: Float> Rule<T> for IndexAdd {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        ctx.grad(0, || g.index_select_at(self.index.clone(), Site::caller()))
    }
}

impl<T: Float> Jvp<T> for IndexAdd {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let size = ctx.output_shape()[self.index.axis()];
        ctx.linear(|t| t.index_add_at(self.index.clone(), size, Site::caller()))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("index_add", 1, |x| x[0].index_add(1, &spread(x[0].dims()[1], 2), 2))
        .shapes(&[&[&[2, 3]], &[&[2, 4, 2]]])]
}
