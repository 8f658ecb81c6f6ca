//! Reshape: the same elements in the same (row-major) order under another shape. No copy; the
//! backward reshapes the gradient back. Linear: no kinks.
//!
//! `unsqueeze`, `squeeze` and `flatten` are reshapes (composites: no gradient code).

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::Reshape;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Axis, Error, Float, Result, Shape, Var};
use smallvec::SmallVec;

impl<'t, T: Float> Var<'t, T> {
    /// The same elements under a shape with the same number of elements.
    #[track_caller]
    pub fn reshape(&self, shape: impl Into<Shape>) -> Result<Var<'t, T>> {
        self.reshape_at(shape.into(), Site::caller())
    }

    /// Inserts an axis of size 1 at `axis` (which may equal the rank, to append one; negative
    /// counts from the back among the rank + 1 places, so `-1` appends, as PyTorch).
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let x = tape.var(Tensor::zeros([2, 3]));
    /// assert_eq!(x.unsqueeze(1).unwrap().dims(), &[2, 1, 3]);
    /// assert_eq!(x.unsqueeze(2).unwrap().dims(), &[2, 3, 1]);
    /// assert_eq!(x.unsqueeze(-1).unwrap().dims(), &[2, 3, 1]);
    /// assert!(x.unsqueeze(3).is_err());
    /// ```
    #[track_caller]
    pub fn unsqueeze(&self, axis: impl Into<Axis>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let axis = axis.into().resolve_insertion("unsqueeze", self.shape(), site)?;
        self.unsqueeze_at(axis, site)
    }

    /// `unsqueeze` at a place in range (`axis ≤ rank`).
    pub(crate) fn unsqueeze_at(&self, axis: usize, site: Site) -> Result<Var<'t, T>> {
        let mut dims: SmallVec<[usize; 4]> = self.dims().into();
        dims.insert(axis, 1);
        self.reshape_at(Shape::from(dims), site)
    }

    /// Removes `axis` (negative counts from the back), which must have size 1. (PyTorch silently
    /// ignores an axis of another size; here that is an error, since it is almost always a bug.)
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let x = tape.var(Tensor::zeros([2, 1, 3]));
    /// assert_eq!(x.squeeze(1).unwrap().dims(), &[2, 3]);
    /// assert!(x.squeeze(0).is_err());
    /// ```
    #[track_caller]
    pub fn squeeze(&self, axis: impl Into<Axis>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let axis = axis.into().resolve("squeeze", self.shape(), site)?;
        if self.dims()[axis] != 1 {
            let msg = format!("axis {axis} of shape {} has size {}, not 1", self.shape(), self.dims()[axis]);
            return Err(Error::InvalidArgument { op: "squeeze", msg, site });
        }
        let mut dims: SmallVec<[usize; 4]> = self.dims().into();
        dims.remove(axis);
        self.reshape_at(Shape::from(dims), site)
    }

    /// Merges axes `start..=end` into one (PyTorch's `flatten(start_dim, end_dim)`; negative
    /// axes count from the back, so `flatten(1, -1)` keeps the first axis); a scalar becomes a
    /// 1-element vector.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let images = tape.var(Tensor::zeros([8, 1, 28, 28]));
    /// assert_eq!(images.flatten(1, 3).unwrap().dims(), &[8, 784]);
    /// assert_eq!(images.flatten(0, 3).unwrap().dims(), &[6272]);
    /// assert_eq!(images.flatten(1, -1).unwrap().dims(), &[8, 784]);
    /// ```
    #[track_caller]
    pub fn flatten(&self, start: impl Into<Axis>, end: impl Into<Axis>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        if self.rank() == 0 {
            return self.reshape_at(Shape::from([1]), site);
        }
        let start = start.into().resolve("flatten", self.shape(), site)?;
        let end = end.into().resolve("flatten", self.shape(), site)?;
        if start > end {
            let msg = format!("start axis {start} is after end axis {end}");
            return Err(Error::InvalidArgument { op: "flatten", msg, site });
        }
        let d = self.dims();
        let mut dims: SmallVec<[usize; 4]> = d[..start].into();
        dims.push(d[start..=end].iter().product());
        dims.extend_from_slice(&d[end + 1..]);
        self.reshape_at(Shape::from(dims), site)
    }

    pub(crate) fn reshape_at(&self, shape: Shape, site: Site) -> Result<Var<'t, T>> {
        if &shape == self.shape() {
            return Ok(self.clone());
        }
        if shape.checked_numel() != Some(self.numel()) {
            return Err(Error::ShapeMismatch { op: "reshape", lhs: self.shape().clone(), rhs: shape, site });
        }
        let value = self.value.reshape(shape).expect("element counts were checked");
        Ok(self.tape.record(Reshape, &[self], value, site, Keep::Nothing))
    }
}

impl<T: Float> Rule<T> for Reshape {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let from = ctx.input_shape(0);
        ctx.grad(0, || g.reshape_at(from, Site::caller()))
    }
}

impl<T: Float> Jvp<T> for Reshape {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        ctx.linear(|t| t.reshape_at(ctx.output_shape(), Site::caller()))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        OpCheck::new("reshape", 1, |x| x[0].reshape([x[0].numel()])).shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("unsqueeze / squeeze / flatten", 1, |x| {
            x[0].unsqueeze(1)?.flatten(1, 2)?.unsqueeze(0)?.squeeze(0)
        })
        .shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::check_grad2;
    use crate::{Tape, Tensor};

    #[test]
    fn shape_helpers() {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_fn([2, 3], |i| i as f64));
        let y = x.unsqueeze(0).unwrap();
        assert_eq!(y.dims(), &[1, 2, 3]);
        assert_eq!(y.squeeze(0).unwrap().dims(), &[2, 3]);
        assert_eq!(y.flatten(0, 1).unwrap().dims(), &[2, 3]);
        assert_eq!(y.flatten(1, 2).unwrap().dims(), &[1, 6]);
        assert_eq!(tape.scalar(1.0).flatten(0, 0).unwrap().dims(), &[1]);
        let e = y.squeeze(1).unwrap_err().to_string();
        assert!(e.starts_with("invalid argument to squeeze: axis 1 of shape [1, 2, 3] has size 2, not 1"), "{e}");
        let e = x.unsqueeze(3).unwrap_err().to_string();
        assert!(e.starts_with("invalid argument to unsqueeze: axis 3 out of range"), "{e}");
        assert!(y.flatten(2, 1).is_err() && y.flatten(0, 3).is_err());
        y.squeeze(0).unwrap().sum().backward().unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![1.0; 6]);
    }

    #[test]
    fn second_order_through_reshapes() {
        let x = Tensor::from_fn([2, 3], |i| i as f64 * 0.4 - 1.0);
        check_grad2(&[&x], |v| v[0].unsqueeze(1).unwrap().flatten(0, 2).unwrap().powf(3.0));
    }
}
