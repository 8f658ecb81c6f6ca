//! Slicing along one axis and its adjoint.
//!
//! - `narrow(axis, start, len)`: `y[…, j, …] = x[…, start + j, …]` for `j < len`. Backward:
//!   `pad` the gradient with zeros back to the input's size.
//! - `pad(axis, before, after)`: `before` zeros, then `x`, then `after` zeros along `axis`.
//!   Backward: `narrow` the gradient to the middle.
//!
//! Each is the other's adjoint, so both directions are differentiable at every order. Linear:
//! no kinks.

use super::{check_axis, Keep, Op};
use crate::error::Site;
use crate::kernels::{resized, Lanes};
use crate::rule::Ctx;
use crate::{Error, Float, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// The `len` elements from `start` along `axis` (PyTorch's `narrow`, a slice without step).
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
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Result<Var<'t, T>> {
        self.narrow_at(axis, start, len, Site::caller())
    }

    /// Pads with `before` zeros at the start and `after` zeros at the end of `axis`.
    #[track_caller]
    pub fn pad(&self, axis: usize, before: usize, after: usize) -> Result<Var<'t, T>> {
        self.pad_at(axis, before, after, Site::caller())
    }

    pub(crate) fn narrow_at(&self, axis: usize, start: usize, len: usize, site: Site) -> Result<Var<'t, T>> {
        check_axis("narrow", axis, self.shape(), site)?;
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
        Ok(self.tape.record(Op::Narrow { axis, start }, &[self], value, site, Keep::Nothing))
    }

    pub(crate) fn pad_at(&self, axis: usize, before: usize, after: usize, site: Site) -> Result<Var<'t, T>> {
        check_axis("pad", axis, self.shape(), site)?;
        if before == 0 && after == 0 {
            return Ok(self.clone());
        }
        let lanes = Lanes::new(self.shape(), axis);
        let (n, inner, x) = (lanes.len, lanes.inner, self.value.data());
        let Some(m) = n.checked_add(before).and_then(|m| m.checked_add(after)) else {
            let msg = format!("{before} + {after} zeros around axis {axis} of shape {}", self.shape());
            return Err(Error::InvalidArgument { op: "pad", msg, site });
        };
        let value = Tensor::zeroed_with(resized(self.shape(), axis, m), |out| {
            if n * inner == 0 {
                return;
            }
            for (o, chunk) in x.chunks_exact(n * inner).enumerate() {
                let dst = (o * m + before) * inner;
                out[dst..dst + n * inner].copy_from_slice(chunk);
            }
        });
        Ok(self.tape.record(Op::Pad { axis, before }, &[self], value, site, Keep::Nothing))
    }
}

pub(super) fn backward_narrow<'t, T: Float>(
    axis: usize,
    start: usize,
    ctx: &mut Ctx<'_, 't, T>,
    g: &Var<'t, T>,
) -> Result<()> {
    let n = ctx.input_shape(0)[axis];
    let after = n - start - g.dims()[axis];
    ctx.grad(0, || g.pad_at(axis, start, after, Site::caller()))
}

pub(super) fn backward_pad<'t, T: Float>(
    axis: usize,
    before: usize,
    ctx: &mut Ctx<'_, 't, T>,
    g: &Var<'t, T>,
) -> Result<()> {
    let n = ctx.input_shape(0)[axis];
    ctx.grad(0, || g.narrow_at(axis, before, n, Site::caller()))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_grad, check_grad2};
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
