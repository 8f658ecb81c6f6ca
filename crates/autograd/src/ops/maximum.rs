//! Elementwise maximum of two tensors, broadcasting (NumPy rules): `y = max(a, b)`; ∂y/∂a = 1
//! where a > b, ∂y/∂b = 1 where b > a, and at a tie (a = b, the kink) the gradient is split
//! evenly, ½ to each, as PyTorch (`maximum`'s derivative) and JAX. NaN propagates to the output
//! and sends no gradient to either input. Gradient checks treat `a = b` as a kink.
//!
//! The weights are piecewise constant, so the rule is `g · w` with constant `w` and
//! differentiates again; the same weights declare the kinks. `minimum.rs` reuses the kernel,
//! the rule and the kinks with the comparison reversed.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::Maximum;
use crate::rule::{Branches, Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Float, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Elementwise `max(self, rhs)`, broadcasting; ties split the gradient evenly.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let a = tape.var(Tensor::vector(&[1., 2., 3.]));
    /// let b = tape.var(Tensor::vector(&[0., 2., 4.]));
    /// let y = a.maximum(&b).unwrap();
    /// assert_eq!(y.value().to_vec(), vec![1., 2., 4.]);
    /// y.sum().backward().unwrap();
    /// assert_eq!(a.grad().unwrap().to_vec(), vec![1., 0.5, 0.]);
    /// assert_eq!(b.grad().unwrap().to_vec(), vec![0., 0.5, 1.]);
    /// ```
    #[track_caller]
    pub fn maximum(&self, rhs: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary(rhs, Maximum, Keep::Inputs, Site::caller(), |a, b| pick(Which::Max, a, b))
    }
}

#[derive(Clone, Copy)]
pub(super) enum Which {
    Max,
    Min,
}

/// The larger (smaller) of `a` and `b`; NaN if either is.
#[inline]
pub(super) fn pick<T: Float>(which: Which, a: T, b: T) -> T {
    let a_wins = match which {
        Which::Max => a > b,
        Which::Min => a < b,
    };
    if a_wins || a == b {
        a
    } else if a.is_nan() || b.is_nan() {
        a + b
    } else {
        b
    }
}

/// The share of the gradient that goes to `a`: 1 if it wins, ½ at a tie, 0 otherwise.
#[inline]
fn share<T: Float>(which: Which, a: T, b: T) -> T {
    let a_wins = match which {
        Which::Max => a > b,
        Which::Min => a < b,
    };
    if a_wins {
        T::ONE
    } else if a == b {
        T::from_f64(0.5)
    } else {
        T::ZERO
    }
}

/// The rule of both `maximum` and `minimum`.
pub(super) fn backward<'t, T: Float>(which: Which, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    let (a, b) = (ctx.saved(0).clone(), ctx.saved(1).clone());
    let composed = g.tape.is_recording() && g.is_tracked();
    // ∂L/∂x = g · share(x, other): fused, or as `g · w` with constant weights w.
    let through = |x: &Tensor<T>, other: &Tensor<T>| -> Result<Var<'t, T>> {
        if composed {
            g.mul(&g.constant(x.zip_map(other, |x, o| share(which, x, o))))
        } else {
            Ok(g.constant(g.value.zip3_map(x, other, |g, x, o| g * share(which, x, o))))
        }
    };
    ctx.grad(0, || through(&a.value, &b.value))?;
    ctx.grad(1, || through(&b.value, &a.value))
}

/// The kinks of both `maximum` and `minimum`: an element's branch is the share of the gradient
/// that goes to `a` (1, ½ or 0), which changes exactly where the winner does.
/// `ẏ = w(a, b)·ȧ + w(b, a)·ḃ` with the backward's shares `w` (½ each at a tie).
pub(super) fn jvp<'t, T: Float>(which: Which, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
    let (a, b) = (ctx.saved(0), ctx.saved(1));
    ctx.sum_over_inputs(|i, t| {
        let (x, other) = if i == 0 { (a, b) } else { (b, a) };
        if t.tape.is_recording() && t.is_tracked() {
            t.mul(&t.constant(x.value.zip_map(&other.value, |x, o| share(which, x, o))))
        } else {
            Ok(t.constant(t.value.zip3_map(&x.value, &other.value, |t, x, o| t * share(which, x, o))))
        }
    })
}

pub(super) fn branches<T: Float>(which: Which, saved: &[&Tensor<T>], labels: &mut Branches) {
    labels.note_values(&saved[0].zip_map(saved[1], |a, b| share(which, a, b)));
}

impl<T: Float> Rule<T> for Maximum {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        backward(Which::Max, ctx, g)
    }

    fn branches(&self, saved: &[&Tensor<T>], labels: &mut Branches) {
        branches(Which::Max, saved, labels)
    }
}

impl<T: Float> Jvp<T> for Maximum {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        jvp(Which::Max, ctx)
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("maximum", 2, |x| x[0].maximum(&x[1])).broadcasting()]
}

#[cfg(test)]
mod tests {
    use crate::testing::{check_grad, check_grad2, kinks, t};
    use crate::{Tape, Tensor};

    // PyTorch 2.15: a = [1, 2, 3, -1], b = [0, 2, 4, -1], r = [1, 2, 3, 4]
    // (torch.maximum(a, b) * r).sum().backward() -> a.grad [1, 1, 0, 2], b.grad [0, 1, 3, 2]
    #[test]
    fn ties_split_evenly_as_pytorch() {
        let tape = Tape::new();
        let r = tape.constant(t(&[1., 2., 3., 4.], &[4]));
        let a = tape.var(t(&[1., 2., 3., -1.], &[4]));
        let b = tape.var(t(&[0., 2., 4., -1.], &[4]));
        let y = a.maximum(&b).unwrap();
        assert_eq!(y.value().to_vec(), vec![1., 2., 4., -1.]);
        y.mul(&r).unwrap().sum().backward().unwrap();
        assert_eq!(a.grad().unwrap().to_vec(), vec![1., 1., 0., 2.]);
        assert_eq!(b.grad().unwrap().to_vec(), vec![0., 1., 3., 2.]);

        let a = tape.var(t(&[1., 2., 3., -1.], &[4]));
        let b = tape.var(t(&[0., 2., 4., -1.], &[4]));
        let y = a.minimum(&b).unwrap();
        assert_eq!(y.value().to_vec(), vec![0., 2., 3., -1.]);
        y.mul(&r).unwrap().sum().backward().unwrap();
        assert_eq!(a.grad().unwrap().to_vec(), vec![0., 1., 3., 2.]);
        assert_eq!(b.grad().unwrap().to_vec(), vec![1., 1., 0., 2.]);
    }

    #[test]
    fn broadcasting_and_nan() {
        let tape = Tape::new();
        let a = tape.var(t(&[1., 5., -2., 0.5, 3., 0.], &[2, 3]));
        let b = tape.var(t(&[0.5], &[1]));
        let y = a.maximum(&b).unwrap();
        assert_eq!(y.value().to_vec(), vec![1., 5., 0.5, 0.5, 3., 0.5]);
        y.sum().backward().unwrap();
        assert_eq!(a.grad().unwrap().to_vec(), vec![1., 1., 0., 0.5, 1., 0.]);
        assert_eq!(b.grad().unwrap().to_vec(), vec![2.5]);
        let n = tape.constant(t(&[f64::NAN, 1.0], &[2]));
        let m = tape.constant(t(&[1.0, f64::NAN], &[2]));
        assert!(n.maximum(&m).unwrap().value().data().iter().all(|v| v.is_nan()));
        assert!(n.minimum(&m).unwrap().value().data().iter().all(|v| v.is_nan()));
        let e = a.maximum(&tape.constant(Tensor::zeros([4]))).unwrap_err().to_string();
        assert!(e.starts_with("shape mismatch in maximum, lhs: [2, 3], rhs: [4]"), "{e}");
    }

    #[test]
    fn gradients_by_finite_differences_and_kink() {
        let a = t(&[-1.3, 0.4, 2.0, -0.2, 0.9, 1.1], &[2, 3]);
        let b = t(&[0.3, -0.5, 2.2], &[3]);
        check_grad(&[&a, &b], |v| v[0].maximum(&v[1]).unwrap());
        check_grad(&[&a, &b], |v| v[0].minimum(&v[1]).unwrap());
        check_grad2(&[&a, &b], |v| v[0].maximum(&v[1]).unwrap().powf(3.0));
        check_grad2(&[&a, &b], |v| v[0].minimum(&v[1]).unwrap().powf(3.0));
        // A tie is a kink; so is one of minimum's.
        assert_eq!(kinks(&[0.3, 1.0, 2.0], |x| x.maximum(&x.scalar(1.0)).unwrap()), [1]);
        assert_eq!(kinks(&[0.3, 1.0, 2.0], |x| x.minimum(&x.scalar(2.0)).unwrap()), [2]);
    }
}
