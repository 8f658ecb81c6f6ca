//! Log-sum-exp along one axis, fused and stable: `y = m + ln Σᵢ e^(xᵢ − m)` with `m = maxᵢ xᵢ`,
//! so no exponential overflows. Backward: `∂L/∂xᵢ = g · e^(xᵢ − y)` (the softmax of the lane).
//!
//! Smooth: no kinks. A lane of all −∞ (or an empty lane) gives −∞, a lane holding +∞ gives +∞,
//! as PyTorch. The op is recorded with the reduced axis kept (size 1); without `keepdim` a free
//! reshape follows, so the backward never needs to know which axis was reduced.

use super::check_axis;
use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::{for_each_row, lane_max, map_lanes, Lanes};
use crate::op::Logsumexp;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Float, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// `ln Σ eˣ` along `axis`, computed stably; with `keepdim` the axis stays as size 1.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![1000.0, 1000.0], [2]).unwrap());
    /// let y = x.logsumexp(0, false).unwrap();
    /// assert_eq!(y.item(), 1000.0 + 2f64.ln()); // no overflow
    /// ```
    #[track_caller]
    pub fn logsumexp(&self, axis: usize, keepdim: bool) -> Result<Var<'t, T>> {
        let site = Site::caller();
        check_axis("logsumexp", axis, self.shape(), site)?;
        let lanes = Lanes::new(self.shape(), axis);
        let kept = self.shape().reduced(&[axis], true);
        let value = Tensor::zeroed_with(kept, |out| {
            map_lanes([self.value.data()], lanes, out, 1, |[x], y| y[0] = logsumexp(x))
        });
        let y = self.tape.record(Logsumexp, &[self], value, site, Keep::InputsAndOutput);
        if keepdim {
            Ok(y)
        } else {
            y.reshape_at(self.shape().reduced(&[axis], false), site)
        }
    }
}

/// `ln Σ eˣ` of one lane.
fn logsumexp<T: Float>(x: &[T]) -> T {
    let m = lane_max(x);
    if !m.is_finite() {
        return m; // −∞ (all −∞ or empty), +∞, or NaN
    }
    m + x.iter().map(|&x| (x - m).exp()).sum::<T>().ln()
}

impl<T: Float> Rule<T> for Logsumexp {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let (x, y) = (ctx.saved(0).clone(), ctx.saved(1).clone());
        ctx.grad(0, || {
            if g.tape.is_recording() && (g.is_tracked() || x.is_tracked() || y.is_tracked()) {
                return g.mul(&x.sub(&y)?.exp());
            }
            // Fused: g and y repeat along the reduced axis of x.
            let (xs, gs, ys) = (x.value.data(), g.value.data(), y.value.data());
            let row_len = x.dims().last().copied().unwrap_or(1);
            let value = Tensor::zeroed_with(x.shape().clone(), |dx| {
                let mut start = 0;
                for_each_row(y.shape(), x.shape(), |offset, step| {
                    for j in 0..row_len {
                        let k = offset + j * step;
                        dx[start + j] = gs[k] * (xs[start + j] - ys[k]).exp();
                    }
                    start += row_len;
                });
            });
            Ok(g.constant(value))
        })
    }
}

impl<T: Float> Jvp<T> for Logsumexp {
    /// `ẏ = Σ softmax(x)·ẋ` over the reduced axis, with `softmax(x) = e^(x − y)`.
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let (x, y) = (ctx.saved(0), ctx.saved(1));
        let to = ctx.output_shape();
        ctx.linear(|t| t.mul(&x.sub(y)?.exp())?.sum_to_at(&to, Site::caller()))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        OpCheck::new("logsumexp", 1, |x| x[0].logsumexp(1, false)).shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("logsumexp (axis 0, keepdim)", 1, |x| x[0].logsumexp(0, true)).shapes(&[&[&[3, 2]]]),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_all_close, check_grad, check_grad2, t};
    use crate::{Tape, Tensor};

    // PyTorch 2.15 (float64): x = torch.tensor([[1., 2., 3.], [-1., 0.5, 1000.]]);
    // y = torch.logsumexp(x, 1); (y * torch.tensor([2., -1.])).sum().backward()
    #[test]
    fn matches_pytorch() {
        let tape = Tape::new();
        let x = tape.var(t(&[1., 2., 3., -1., 0.5, 1000.], &[2, 3]));
        let y = x.logsumexp(1, false).unwrap();
        assert_eq!(y.dims(), &[2]);
        assert_all_close(y.value().data(), &[3.4076059644443806, 1000.0], 1e-15);
        y.mul(&tape.constant(Tensor::vector(&[2., -1.]))).unwrap().sum().backward().unwrap();
        let expected = [0.18006114634076087, 0.48945694210959517, 1.3304819115496433, -0.0, -0.0, -1.0];
        assert_all_close(x.grad().unwrap().data(), &expected, 1e-15);
        assert_eq!(x.logsumexp(0, true).unwrap().dims(), &[1, 3]);
    }

    #[test]
    fn infinities_as_pytorch() {
        let tape = Tape::<f64>::new();
        let x = tape.constant(t(&[f64::NEG_INFINITY, f64::NEG_INFINITY, f64::INFINITY, 1.0], &[2, 2]));
        let y = x.logsumexp(1, false).unwrap();
        assert_eq!(y.value().to_vec(), vec![f64::NEG_INFINITY, f64::INFINITY]);
    }

    #[test]
    fn gradients_by_finite_differences() {
        let x = t(&[0.3, -1.2, 0.8, 2.0, -0.5, 0.1, 0.7, -0.9, 1.4, 0.2, -0.3, 0.6], &[2, 3, 2]);
        for axis in 0..3 {
            for keepdim in [false, true] {
                check_grad(&[&x], |v| v[0].logsumexp(axis, keepdim).unwrap());
                check_grad2(&[&x], |v| v[0].logsumexp(axis, keepdim).unwrap());
            }
        }
    }

    #[test]
    fn bad_axis_is_an_error() {
        let tape = Tape::<f32>::new();
        let e = tape.var(Tensor::zeros([2])).logsumexp(1, false).unwrap_err().to_string();
        assert!(e.starts_with("invalid argument to logsumexp: axis 1 out of range for shape [2]"), "{e}");
    }
}
