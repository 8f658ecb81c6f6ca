//! Concatenation: `concat(xs, axis)` puts the inputs one after another along `axis` (all other
//! axes equal). Backward: input `i` gets the `narrow` of the gradient at its offset (read from
//! the inputs' shapes), so every order works. Linear: no kinks.
//!
//! `stack(xs, axis)` joins inputs of one shape along a new axis: a composite, `unsqueeze` then
//! `concat`.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::{resized, Lanes};
use crate::op::Concat;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::tensor::check_result;
use crate::{Axis, Error, Float, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Concatenates `xs` along `axis` (negative counts from the back); all other axes must
    /// agree.
    ///
    /// ```
    /// use autograd::{Tape, Tensor, Var};
    /// let tape = Tape::<f64>::new();
    /// let a = tape.var(Tensor::from_vec(vec![1., 2.], [1, 2]).unwrap());
    /// let b = tape.var(Tensor::from_vec(vec![3., 4., 5., 6.], [2, 2]).unwrap());
    /// let c = Var::concat(&[&a, &b], 0).unwrap();
    /// assert_eq!(c.dims(), &[3, 2]);
    /// assert_eq!(c.value().to_vec(), vec![1., 2., 3., 4., 5., 6.]);
    /// ```
    #[track_caller]
    pub fn concat(xs: &[&Var<'t, T>], axis: impl Into<Axis>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let Some(first) = xs.first() else {
            return Err(Error::InvalidArgument { op: "concat", msg: "no tensors to concatenate".into(), site });
        };
        let axis = axis.into().resolve("concat", first.shape(), site)?;
        for x in xs {
            first.same_tape(x, "concat", site)?;
            let agree = x.rank() == first.rank()
                && x.dims().iter().zip(first.dims()).enumerate().all(|(k, (a, b))| k == axis || a == b);
            if !agree {
                return Err(Error::ShapeMismatch {
                    op: "concat",
                    lhs: first.shape().clone(),
                    rhs: x.shape().clone(),
                    site,
                });
            }
        }
        if xs.len() == 1 {
            return Ok((*first).clone());
        }
        if xs.len() > u16::MAX as usize {
            let msg = format!("{} tensors; at most {} can be joined in one call", xs.len(), u16::MAX);
            return Err(Error::InvalidArgument { op: "concat", msg, site });
        }
        let Some(total) = xs.iter().try_fold(0usize, |sum, x| sum.checked_add(x.dims()[axis])) else {
            let msg = format!("the sizes along axis {axis} add up to more than usize can count");
            return Err(Error::InvalidArgument { op: "concat", msg, site });
        };
        let outer = Lanes::new(first.shape(), axis).outer;
        let chunks: Vec<(&[T], usize)> = xs.iter().map(|x| (x.value.data(), x.numel() / outer.max(1))).collect();
        let out_shape = resized(first.shape(), axis, total);
        check_result::<T>("concat", &out_shape, site)?;
        let value = Tensor::zeroed_with(out_shape, |out| {
            let mut dst = 0;
            for o in 0..outer {
                for &(data, len) in &chunks {
                    out[dst..dst + len].copy_from_slice(&data[o * len..(o + 1) * len]);
                    dst += len;
                }
            }
        });
        Ok(first.tape.record(Concat { axis }, xs, value, site, Keep::Nothing))
    }

    /// Stacks `xs` (all of one shape) along a new axis inserted at `axis` (≤ their rank; `-1`
    /// appends it, as PyTorch).
    ///
    /// ```
    /// use autograd::{Tape, Tensor, Var};
    /// let tape = Tape::<f64>::new();
    /// let a = tape.var(Tensor::vector(&[1., 2.]));
    /// let b = tape.var(Tensor::vector(&[3., 4.]));
    /// assert_eq!(Var::stack(&[&a, &b], 0).unwrap().dims(), &[2, 2]);
    /// let s = Var::stack(&[&a, &b], 1).unwrap();
    /// assert_eq!(s.value().to_vec(), vec![1., 3., 2., 4.]);
    /// ```
    #[track_caller]
    pub fn stack(xs: &[&Var<'t, T>], axis: impl Into<Axis>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let Some(first) = xs.first() else {
            return Err(Error::InvalidArgument { op: "stack", msg: "no tensors to stack".into(), site });
        };
        if let Some(x) = xs.iter().find(|x| x.shape() != first.shape()) {
            return Err(Error::ShapeMismatch { op: "stack", lhs: first.shape().clone(), rhs: x.shape().clone(), site });
        }
        let axis = axis.into().resolve_insertion("stack", first.shape(), site)?;
        let expanded = xs.iter().map(|x| x.unsqueeze_at(axis, site)).collect::<Result<Vec<_>>>()?;
        let refs: Vec<&Var<'t, T>> = expanded.iter().collect();
        Var::concat(&refs, axis)
    }
}

impl<T: Float> Rule<T> for Concat {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let axis = self.axis;
        let site = Site::caller();
        let mut start = 0;
        for i in 0..ctx.arity() {
            let len = ctx.input_shape(i)[axis];
            ctx.grad(i, || g.narrow_at(axis, start, len, site))?;
            start += len;
        }
        Ok(())
    }
}

impl<T: Float> Jvp<T> for Concat {
    /// The concatenation of the tangents (zeros for inputs without one).
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let tangents: Vec<Var<'t, T>> = (0..ctx.arity()).map(|i| ctx.tangent_or_zeros(i)).collect();
        let refs: Vec<&Var<'t, T>> = tangents.iter().collect();
        Var::concat(&refs, self.axis).map(Some)
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        OpCheck::new("concat", 3, |x| Var::concat(&[&x[0], &x[1], &x[2]], 0))
            .shapes(&[&[&[2, 3], &[1, 3], &[2, 3]], &[&[1], &[3], &[2]]]),
        OpCheck::new("concat (stack)", 2, |x| Var::stack(&[&x[0], &x[1]], 1))
            .shapes(&[&[&[2, 3], &[2, 3]], &[&[3], &[3]]]),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::{check_grad, check_grad2};
    use crate::{Tape, Tensor, Var};

    #[test]
    fn concat_along_a_middle_axis_and_gradients() {
        let tape = Tape::<f64>::new();
        let a = tape.var(Tensor::from_fn([2, 1, 2], |i| i as f64));
        let b = tape.constant(Tensor::from_fn([2, 2, 2], |i| 10.0 + i as f64));
        let c = tape.var(Tensor::from_fn([2, 0, 2], |_| 0.0));
        let y = Var::concat(&[&a, &b, &c], 1).unwrap();
        assert_eq!(y.dims(), &[2, 3, 2]);
        assert_eq!(y.value().to_vec(), vec![0., 1., 10., 11., 12., 13., 2., 3., 14., 15., 16., 17.]);
        y.mul(&tape.constant(Tensor::from_fn([2, 3, 2], |i| i as f64))).unwrap().sum().backward().unwrap();
        assert_eq!(a.grad().unwrap().to_vec(), vec![0., 1., 6., 7.]);
        assert_eq!(c.grad().unwrap().dims(), &[2, 0, 2]);
    }

    #[test]
    fn gradients_by_finite_differences() {
        let a = Tensor::from_fn([2, 3], |i| (i as f64 * 0.7).sin());
        let b = Tensor::from_fn([2, 1], |i| i as f64 - 0.4);
        let c = Tensor::from_fn([2, 3], |i| (i as f64 * 1.3).cos());
        check_grad(&[&a, &b], |v| Var::concat(&[&v[0], &v[1], &v[0]], 1).unwrap());
        check_grad2(&[&a, &b], |v| Var::concat(&[&v[1], &v[0]], 1).unwrap().powf(3.0));
        check_grad2(&[&a, &c], |v| Var::stack(&[&v[0], &v[1]], 1).unwrap().powf(3.0));
        check_grad(&[&a, &c], |v| Var::stack(&[&v[0], &v[1]], 2).unwrap());
    }

    #[test]
    fn mismatches_are_errors() {
        let tape = Tape::<f32>::new();
        let a = tape.var(Tensor::zeros([2, 3]));
        let b = tape.var(Tensor::zeros([3, 3]));
        let e = Var::concat(&[&a, &b], 1).unwrap_err().to_string();
        assert!(e.starts_with("shape mismatch in concat, lhs: [2, 3], rhs: [3, 3]"), "{e}");
        assert_eq!(Var::concat(&[&a, &b], 0).unwrap().dims(), &[5, 3]);
        assert!(Var::concat(&[&a, &b], 2).is_err());
        assert!(Var::<f32>::concat(&[], 0).is_err());
        let e = Var::stack(&[&a, &b], 0).unwrap_err().to_string();
        assert!(e.starts_with("shape mismatch in stack, lhs: [2, 3], rhs: [3, 3]"), "{e}");
        assert!(Var::stack(&[&a, &a], 3).is_err());
        assert_eq!(Var::stack(&[&a, &a], 2).unwrap().dims(), &[2, 3, 2]);
        assert_eq!(Var::stack(&[&a, &a], -1).unwrap().dims(), &[2, 3, 2]);
        assert_eq!(Var::stack(&[&a, &a], -3).unwrap().dims(), &[2, 2, 3]);
        assert!(Var::stack(&[&a, &a], -4).is_err());
        assert_eq!(Var::concat(&[&a, &b], -2).unwrap().dims(), &[5, 3]);
    }
}
