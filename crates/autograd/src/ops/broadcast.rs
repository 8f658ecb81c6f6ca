//! Broadcasting and its adjoint, the only two ops that change a shape by repeating or summing.
//!
//! - `broadcast_to(shape)`: repeats the input along its size-1 (or missing leading) axes, as
//!   NumPy. Its backward sums the gradient back to the input's shape: `sum_to`.
//! - `sum_to(shape)`: sums the input down to a shape it broadcasts from. Its backward
//!   broadcasts the gradient back: `broadcast_to`.
//!
//! Every elementwise binary op broadcasts its operands through `broadcast_to` first, and every
//! reduction over axes is a `sum_to` (plus a free reshape), so this file is the one place where
//! gradients are summed over repeated elements.

use super::{Keep, Op};
use crate::error::Site;
use crate::kernels::{broadcast, sum_to};
use crate::rule::Ctx;
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
        // A target whose element count overflows usize broadcasts in name only: refuse it.
        if !self.shape().broadcasts_to(shape) || shape.checked_numel().is_none() {
            return Err(Error::ShapeMismatch {
                op: "broadcast_to",
                lhs: self.shape().clone(),
                rhs: shape.clone(),
                site,
            });
        }
        let value = broadcast(&self.value, shape);
        Ok(self.tape.record(Op::BroadcastTo, &[self], value, site, Keep::Nothing))
    }

    /// Sums the value down to `shape`, which must broadcast to the value's shape: the adjoint of
    /// [`broadcast_to`](Var::broadcast_to).
    #[track_caller]
    pub fn sum_to(&self, shape: impl Into<Shape>) -> Result<Var<'t, T>> {
        self.sum_to_at(&shape.into(), Site::caller())
    }

    pub(crate) fn sum_to_at(&self, shape: &Shape, site: Site) -> Result<Var<'t, T>> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        if !shape.broadcasts_to(self.shape()) || shape.checked_numel().is_none() {
            return Err(Error::ShapeMismatch { op: "sum_to", lhs: self.shape().clone(), rhs: shape.clone(), site });
        }
        let value = sum_to(&self.value, shape);
        Ok(self.tape.record(Op::SumTo, &[self], value, site, Keep::Nothing))
    }
}

pub(super) fn backward_broadcast<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    let from = ctx.input_shape(0);
    ctx.grad(0, || g.sum_to_at(&from, Site::caller()))
}

pub(super) fn backward_sum_to<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    let from = ctx.input_shape(0);
    ctx.grad(0, || g.broadcast_at(&from, Site::caller()))
}
