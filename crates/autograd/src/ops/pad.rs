//! Zero padding along one axis: `pad(axis, before, after)` puts `before` zeros, then `x`, then
//! `after` zeros along `axis`. Backward: `narrow` the gradient to the middle. `narrow` is its
//! adjoint, so both are differentiable at every order. Linear: no kinks.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::{resized, Lanes};
use crate::op::Pad;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::tensor::check_result;
use crate::{Axis, Error, Float, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Pads with `before` zeros at the start and `after` zeros at the end of `axis` (negative
    /// counts from the back).
    #[track_caller]
    pub fn pad(&self, axis: impl Into<Axis>, before: usize, after: usize) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let axis = axis.into().resolve("pad", self.shape(), site)?;
        self.pad_at(axis, before, after, site)
    }

    /// `pad` along an axis in range.
    pub(crate) fn pad_at(&self, axis: usize, before: usize, after: usize, site: Site) -> Result<Var<'t, T>> {
        if before == 0 && after == 0 {
            return Ok(self.clone());
        }
        let lanes = Lanes::new(self.shape(), axis);
        let (n, inner, x) = (lanes.len, lanes.inner, self.value.data());
        let Some(m) = n.checked_add(before).and_then(|m| m.checked_add(after)) else {
            let msg = format!("{before} + {after} zeros around axis {axis} of shape {}", self.shape());
            return Err(Error::InvalidArgument { op: "pad", msg, site });
        };
        let out_shape = resized(self.shape(), axis, m);
        check_result::<T>("pad", &out_shape, site)?;
        let value = Tensor::zeroed_with(out_shape, |out| {
            if n * inner == 0 {
                return;
            }
            for (o, chunk) in x.chunks_exact(n * inner).enumerate() {
                let dst = (o * m + before) * inner;
                out[dst..dst + n * inner].copy_from_slice(chunk);
            }
        });
        Ok(self.tape.record(Pad { axis, before }, &[self], value, site, Keep::Nothing))
    }
}

impl<T: Float> Rule<T> for Pad {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let (axis, before) = (self.axis, self.before);
        let n = ctx.input_shape(0)[axis];
        ctx.grad(0, || g.narrow_at(axis, before, n, Site::caller()))
    }
}

impl<T: Float> Jvp<T> for Pad {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let (axis, before) = (self.axis, self.before);
        let after = ctx.output_shape()[axis] - ctx.input_shape(0)[axis] - before;
        ctx.linear(|t| t.pad_at(axis, before, after, Site::caller()))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("pad", 1, |x| x[0].pad(1, 1, 2)).shapes(&[&[&[2, 3]], &[&[2, 1, 2]]])]
}
