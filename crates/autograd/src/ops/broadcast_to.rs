//! Broadcasting: `broadcast_to(shape)` repeats the input along its size-1 (or missing leading)
//! axes, as NumPy. Its backward sums the gradient back to the input's shape: `sum_to`, its
//! adjoint. Every elementwise op of two inputs broadcasts its operands through this op first, so
//! no elementwise backward rule reasons about shapes. Linear: no kinks.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::broadcast;
use crate::op::BroadcastTo;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::tensor::check_result;
use crate::{Error, Float, Result, Shape, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Repeats the value to `shape` under NumPy's broadcasting rules.
    #[track_caller]
    pub fn broadcast_to(&self, shape: impl Into<Shape>) -> Result<Var<'t, T>> {
        self.broadcast_at(&shape.into(), Site::caller())
    }

    /// The same as [`broadcast_to`](Var::broadcast_to) (PyTorch's name; it copies here, since
    /// tensors are contiguous).
    #[track_caller]
    pub fn expand(&self, shape: impl Into<Shape>) -> Result<Var<'t, T>> {
        self.broadcast_at(&shape.into(), Site::caller())
    }

    pub(crate) fn broadcast_at(&self, shape: &Shape, site: Site) -> Result<Var<'t, T>> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        if !self.shape().broadcasts_to(shape) {
            return Err(Error::ShapeMismatch {
                op: "broadcast_to",
                lhs: self.shape().clone(),
                rhs: shape.clone(),
                site,
            });
        }
        // The one op that makes a value larger than its input (every elementwise op of two
        // inputs broadcasts through it): a target too large to allocate is an error here.
        check_result::<T>("broadcast_to", shape, site)?;
        let value = broadcast(&self.value, shape);
        Ok(self.tape.record(BroadcastTo, &[self], value, site, Keep::Nothing))
    }
}

impl<T: Float> Rule<T> for BroadcastTo {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let from = ctx.input_shape(0);
        ctx.grad(0, || g.sum_to_at(&from, Site::caller()))
    }
}

impl<T: Float> Jvp<T> for BroadcastTo {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let to = ctx.output_shape();
        ctx.linear(|t| t.broadcast_at(&to, Site::caller()))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        OpCheck::new("broadcast_to", 1, |x| x[0].broadcast_to([2, 2, 3])).shapes(&[&[&[3]], &[&[2, 1]], &[&[]]]),
        OpCheck::new("broadcast_to (expand)", 1, |x| x[0].expand([3, 2])).shapes(&[&[&[3, 1]], &[&[2]]]),
    ]
}
