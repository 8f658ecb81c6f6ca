//! Slicing along one axis: `narrow(axis, start, len)`, `y[…, j, …] = x[…, start + j, …]` for
//! `j < len`. Backward: `pad` the gradient with zeros back to the input's size. `pad` is its
//! adjoint, so both are differentiable at every order. Linear: no kinks.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::{resized, Lanes};
use crate::op::Narrow;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Axis, Error, Float, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// The `len` elements from `start` along `axis` (PyTorch's `narrow`, a slice without step;
    /// a negative axis counts from the back).
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_fn([2, 4], |i| i as f64));
    /// let y = x.narrow(1, 1, 2).unwrap();
    /// assert_eq!(y.value().to_vec(), vec![1., 2., 5., 6.]);
    /// y.sum().backward().unwrap();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0., 1., 1., 0., 0., 1., 1., 0.]);
    /// ```
    #[track_caller]
    pub fn narrow(&self, axis: impl Into<Axis>, start: usize, len: usize) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let axis = axis.into().resolve("narrow", self.shape(), site)?;
        self.narrow_at(axis, start, len, site)
    }

    /// `narrow` along an axis in range.
    pub(crate) fn narrow_at(&self, axis: usize, start: usize, len: usize, site: Site) -> Result<Var<'t, T>> {
        let lanes = Lanes::new(self.shape(), axis);
        if !matches!(start.checked_add(len), Some(end) if end <= lanes.len) {
            let msg = format!(
                "start {start} + length {len} exceeds size {} of axis {axis} in shape {}",
                lanes.len,
                self.shape()
            );
            return Err(Error::InvalidArgument { op: "narrow", msg, site });
        }
        if len == lanes.len {
            return Ok(self.clone());
        }
        let (n, inner, x) = (lanes.len, lanes.inner, self.value.data());
        let value = Tensor::zeroed_with(resized(self.shape(), axis, len), |out| {
            if len * inner == 0 {
                return;
            }
            for (o, chunk) in out.chunks_exact_mut(len * inner).enumerate() {
                let src = (o * n + start) * inner;
                chunk.copy_from_slice(&x[src..src + len * inner]);
            }
        });
        Ok(self.tape.record(Narrow { axis, start }, &[self], value, site, Keep::Nothing))
    }
}

impl<T: Float> Rule<T> for Narrow {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let (axis, start) = (self.axis, self.start);
        let n = ctx.input_shape(0)[axis];
        let after = n - start - g.dims()[axis];
        ctx.grad(0, || g.pad_at(axis, start, after, Site::caller()))
    }
}

impl<T: Float> Jvp<T> for Narrow {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let len = ctx.output_shape()[self.axis];
        ctx.linear(|t| t.narrow_at(self.axis, self.start, len, Site::caller()))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("narrow", 1, |x| x[0].narrow(1, 1, 2)).shapes(&[&[&[2, 4]], &[&[2, 3, 2]]])]
}

#[cfg(test)]
mod tests {
    use crate::testing::{check_grad, check_grad2};
    use crate::{Tape, Tensor};

    #[test]
    fn narrow_and_pad_values() {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_fn([2, 3, 2], |i| i as f64));
        let y = x.narrow(1, 1, 2).unwrap();
        assert_eq!(y.dims(), &[2, 2, 2]);
        assert_eq!(y.value().to_vec(), vec![2., 3., 4., 5., 8., 9., 10., 11.]);
        let p = x.narrow(0, 1, 1).unwrap().pad(2, 1, 0).unwrap();
        assert_eq!(p.dims(), &[1, 3, 3]);
        assert_eq!(p.value().to_vec(), vec![0., 6., 7., 0., 8., 9., 0., 10., 11.]);
        p.sum().backward().unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), [[0.; 6], [1.; 6]].concat());
        assert_eq!(x.narrow(1, 3, 0).unwrap().dims(), &[2, 0, 2]);
    }

    #[test]
    fn gradients_by_finite_differences() {
        let x = Tensor::from_fn([2, 3, 2], |i| (i as f64 * 0.7).sin());
        check_grad(&[&x], |v| v[0].narrow(1, 1, 2).unwrap());
        check_grad2(&[&x], |v| v[0].narrow(2, 1, 1).unwrap().powf(3.0));
        check_grad2(&[&x], |v| v[0].pad(0, 1, 2).unwrap().powf(3.0));
        check_grad2(&[&x], |v| v[0].pad(1, 0, 1).unwrap().narrow(1, 1, 3).unwrap().powf(3.0));
    }

    #[test]
    fn out_of_range_is_an_error() {
        let tape = Tape::<f32>::new();
        let x = tape.var(Tensor::zeros([2, 4]));
        let e = x.narrow(1, 3, 2).unwrap_err().to_string();
        assert!(
            e.starts_with("invalid argument to narrow: start 3 + length 2 exceeds size 4 of axis 1 in shape [2, 4]"),
            "{e}"
        );
        assert!(x.narrow(2, 0, 1).is_err());
        assert!(x.narrow(0, usize::MAX, 2).is_err());
        assert!(x.pad(2, 1, 1).is_err());
        assert!(x.pad(1, usize::MAX, 1).is_err());
    }
}
