//! Reshape: the same elements in the same (row-major) order under another shape. No copy; the
//! backward reshapes the gradient back.

use super::{Keep, Op};
use crate::backward::Ctx;
use crate::error::Site;
use crate::{Error, Float, Result, Shape, Var};

impl<'t, T: Float> Var<'t, T> {
    /// The same elements under a shape with the same number of elements.
    #[track_caller]
    pub fn reshape(&self, shape: impl Into<Shape>) -> Result<Var<'t, T>> {
        self.reshape_at(shape.into(), Site::caller())
    }

    pub(crate) fn reshape_at(&self, shape: Shape, site: Site) -> Result<Var<'t, T>> {
        if &shape == self.shape() {
            return Ok(self.clone());
        }
        if shape.numel() != self.numel() {
            return Err(Error::ShapeMismatch { op: "reshape", lhs: self.shape().clone(), rhs: shape, site });
        }
        let value = self.value.reshape(shape).expect("element counts were checked");
        Ok(self.tape.record(Op::Reshape, &[self], value, site, Keep::Nothing))
    }
}

pub(super) fn backward<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    let from = ctx.input_shape(0);
    ctx.grad(0, || g.reshape_at(from, Site::caller()))
}
