//! Log-softmax along one axis, fused (the composition `x − logsumexp(x)` is slower and
//! numerically worse): `yᵢ = xᵢ − m − ln Σⱼ e^(xⱼ − m)` with `m = maxⱼ xⱼ`; backward
//! `∂L/∂x = g − eʸ ⊙ Σ g`, the sum along the axis.
//!
//! Smooth: no kinks. First-order backward runs as one fused pass per lane; with `create_graph`
//! the same formula is recorded as `Var` ops, so every order works.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::{along_axis, backward_along_axis, lane_max};
use crate::op::LogSoftmax;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Axis, Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Log-softmax along `axis` (negative counts from the back): `x − logsumexp(x)`, computed
    /// stably.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![0.0, 0.0, 0.0, 0.0], [2, 2]).unwrap());
    /// let y = x.log_softmax(1).unwrap();
    /// assert!((y.value().at(&[0, 1]) + 2f64.ln()).abs() < 1e-15);
    /// assert_eq!(x.log_softmax(-1).unwrap().value(), y.value());
    /// ```
    #[track_caller]
    pub fn log_softmax(&self, axis: impl Into<Axis>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let axis = axis.into().resolve("log_softmax", self.shape(), site)?;
        let value = along_axis(&self.value, axis, log_softmax_lane);
        Ok(self.tape.record(LogSoftmax { axis }, &[self], value, site, Keep::Output))
    }
}

fn log_softmax_lane<T: Float>(x: &[T], y: &mut [T]) {
    let m = lane_max(x);
    let log_sum = x.iter().map(|&x| (x - m).exp()).sum::<T>().ln();
    for (y, &x) in y.iter_mut().zip(x) {
        *y = x - m - log_sum;
    }
}

impl<T: Float> Rule<T> for LogSoftmax {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let axis = self.axis;
        let y = ctx.saved(0).clone();
        ctx.grad(0, || {
            if g.tape.is_recording() && (g.is_tracked() || y.is_tracked()) {
                return g.sub(&y.exp().mul(&g.sum_axes(&[axis], true)?)?);
            }
            Ok(g.constant(backward_along_axis(&g.value, &y.value, axis, |g, y, dx| {
                let total = g.iter().copied().sum::<T>();
                for ((dx, &g), &y) in dx.iter_mut().zip(g).zip(y) {
                    *dx = g - y.exp() * total;
                }
            })))
        })
    }
}

impl<T: Float> Jvp<T> for LogSoftmax {
    /// `ẏ = ẋ − Σ e^y·ẋ`, the sum along the axis.
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let y = ctx.saved(0);
        ctx.linear(|t| t.sub(&y.exp().mul(t)?.sum_axes(&[self.axis], true)?))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        OpCheck::new("log_softmax", 1, |x| x[0].log_softmax(1)).shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("log_softmax (axis 0)", 1, |x| x[0].log_softmax(0)).shapes(&[&[&[4]], &[&[3, 2]]]),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_all_close, check_grad, check_grad2, t};
    use crate::{Tape, Tensor};

    fn input() -> Tensor<f64> {
        t(&[1., 2., 3., -1., 0.5, 1000.], &[2, 3])
    }

    fn r() -> Tensor<f64> {
        t(&[1., -2., 0.5, 3., 1., -1.], &[2, 3])
    }

    // Reference values from PyTorch 2.15 (float64), as in `softmax.rs`:
    // y = torch.log_softmax(x, 1); (y * r).sum().backward()
    #[test]
    fn log_softmax_matches_pytorch() {
        let tape = Tape::new();
        let x = tape.var(input());
        let y = x.log_softmax(1).unwrap();
        let expected = [-2.4076059644443806, -1.4076059644443804, -0.4076059644443804, -1001.0, -999.5, 0.0];
        assert_all_close(y.value().data(), &expected, 1e-15);
        y.mul(&tape.constant(r())).unwrap().sum().backward().unwrap();
        let expected = [1.0450152865851903, -1.8776357644726012, 0.8326204778874109, 3.0, 1.0, -4.0];
        assert_all_close(x.grad().unwrap().data(), &expected, 1e-15);
    }

    #[test]
    fn gradients_by_finite_differences() {
        let x = t(&[0.3, -1.2, 0.8, 2.0, -0.5, 0.1, 0.7, -0.9, 1.4, 0.2, -0.3, 0.6], &[2, 3, 2]);
        for axis in 0..3 {
            check_grad(&[&x], |v| v[0].log_softmax(axis).unwrap());
            check_grad2(&[&x], |v| v[0].log_softmax(axis).unwrap());
        }
    }

    #[test]
    fn bad_axis_is_an_error() {
        let tape = Tape::<f32>::new();
        let x = tape.var(Tensor::zeros([2, 3]));
        let e = x.log_softmax(2).unwrap_err().to_string();
        assert!(e.starts_with("invalid argument to log_softmax: axis 2 out of range for shape [2, 3]"), "{e}");
    }
}
