//! Summing down to a shape: `sum_to(shape)` sums the input down to a shape that broadcasts to
//! it. Its backward broadcasts the gradient back: `broadcast_to`, its adjoint. Linear: no kinks.
//!
//! Every reduction by summing is a `sum_to` (plus a free reshape when the reduced axes are
//! dropped), so this op is the one place where gradients of repeated elements are summed. The
//! sums and means below are such composites: no gradient code of their own.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::sum_to;
use crate::op::SumTo;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Axes, Error, Float, Result, Shape, Var};

impl<'t, T: Float> Var<'t, T> {
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
        Ok(self.tape.record(SumTo, &[self], value, site, Keep::Nothing))
    }
    /// The sum of all elements, as a scalar (rank 0).
    #[track_caller]
    pub fn sum(&self) -> Var<'t, T> {
        let site = Site::caller();
        self.sum_to_at(&Shape::from(vec![1; self.rank()]), site)
            .and_then(|s| s.reshape_at(Shape::scalar(), site))
            .expect("every shape sums to all-ones")
    }

    /// Sums over `axes` (one axis or several; negative ones count from the back); with
    /// `keepdim` the reduced axes stay as size 1. An empty list sums nothing, as NumPy (PyTorch
    /// sums everything for `dim=()`).
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_fn([2, 3, 2], |i| i as f64));
    /// assert_eq!(x.sum_axes(&[0, -1], false).unwrap().value().to_vec(), vec![14., 22., 30.]);
    /// assert_eq!(x.sum_axes(1, true).unwrap().dims(), &[2, 1, 2]);
    /// ```
    #[track_caller]
    pub fn sum_axes(&self, axes: impl Into<Axes>, keepdim: bool) -> Result<Var<'t, T>> {
        self.sum_axes_at("sum_axes", &axes.into(), keepdim, Site::caller())
    }

    fn sum_axes_at(&self, op: &'static str, axes: &Axes, keepdim: bool, site: Site) -> Result<Var<'t, T>> {
        let axes = axes.resolve(op, self.shape(), site)?;
        let kept = self.shape().reduced(&axes, true);
        let summed = self.sum_to_at(&kept, site)?;
        if keepdim {
            Ok(summed)
        } else {
            summed.reshape_at(self.shape().reduced(&axes, false), site)
        }
    }

    /// The mean of all elements, as a scalar.
    #[track_caller]
    pub fn mean(&self) -> Var<'t, T> {
        let n = T::from_usize(self.numel());
        self.sum().mul_scalar(T::ONE / n)
    }

    /// The mean over `axes` (one axis or several; negative ones count from the back); with
    /// `keepdim` the reduced axes stay as size 1.
    #[track_caller]
    pub fn mean_axes(&self, axes: impl Into<Axes>, keepdim: bool) -> Result<Var<'t, T>> {
        let summed = self.sum_axes_at("mean_axes", &axes.into(), keepdim, Site::caller())?;
        let n = T::from_usize(self.numel() / summed.numel().max(1));
        Ok(summed.mul_scalar(T::ONE / n))
    }
}

impl<T: Float> Rule<T> for SumTo {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let from = ctx.input_shape(0);
        ctx.grad(0, || g.broadcast_at(&from, Site::caller()))
    }
}

impl<T: Float> Jvp<T> for SumTo {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let to = ctx.output_shape();
        ctx.linear(|t| t.sum_to_at(&to, Site::caller()))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        OpCheck::new("sum_to", 1, |x| x[0].sum_to([2, 1])).shapes(&[&[&[2, 3]], &[&[3, 2, 3]]]),
        OpCheck::new("sum", 1, |x| Ok(x[0].sum())),
        OpCheck::new("sum_axes", 1, |x| x[0].sum_axes(&[0], false)).shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("sum_axes (keepdim)", 1, |x| x[0].sum_axes(&[0, 2], true)).shapes(&[&[&[2, 3, 2]]]),
        OpCheck::new("mean", 1, |x| Ok(x[0].mean())),
        OpCheck::new("mean_axes", 1, |x| x[0].mean_axes(&[1], true)).shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
    ]
}
