//! Log-sum-exp over one or more axes, fused and stable: `y = m + ln Σᵢ e^(xᵢ − m)` with
//! `m = maxᵢ xᵢ` over each group of elements reduced together, so no exponential overflows.
//! Backward: `∂L/∂xᵢ = g · e^(xᵢ − y)` (the softmax of the group).
//!
//! Smooth: no kinks. A group of all −∞ (or an empty group) gives −∞, a group holding +∞ gives
//! +∞, as PyTorch. The op is recorded with the reduced axes kept (size 1); without `keepdim` a
//! free reshape follows, so the backward never needs to know which axes were reduced. An empty
//! list of axes reduces nothing (the result is `x`), as NumPy's `axis=()`; PyTorch 2.15 rejects
//! `logsumexp(x, dim=())`.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::{for_each_pair, for_each_row, lane_max, map_lanes, Lanes};
use crate::op::Logsumexp;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Axes, Float, Result, Shape, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// `ln Σ eˣ` over `axes` (one axis or several; negative ones count from the back), computed
    /// stably; with `keepdim` the reduced axes stay as size 1.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![1000.0, 1000.0], [2]).unwrap());
    /// let y = x.logsumexp(0, false).unwrap();
    /// assert_eq!(y.item(), 1000.0 + 2f64.ln()); // no overflow
    /// let m = tape.var(Tensor::from_vec(vec![0.0, 0.0, 0.0, 0.0], [2, 2]).unwrap());
    /// assert_eq!(m.logsumexp(&[0, -1], false).unwrap().item(), 4f64.ln()); // both axes
    /// ```
    #[track_caller]
    pub fn logsumexp(&self, axes: impl Into<Axes>, keepdim: bool) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let axes = axes.into().resolve("logsumexp", self.shape(), site)?;
        let kept = self.shape().reduced(&axes, true);
        let value = match axes[..] {
            [axis] => {
                let lanes = Lanes::new(self.shape(), axis);
                Tensor::zeroed_with(kept, |out| {
                    map_lanes([self.value.data()], lanes, out, 1, |[x], y| y[0] = logsumexp(x))
                })
            }
            _ => logsumexp_groups(&self.value, kept),
        };
        let y = self.tape.record(Logsumexp, &[self], value, site, Keep::InputsAndOutput);
        if keepdim {
            Ok(y)
        } else {
            y.reshape_at(self.shape().reduced(&axes, false), site)
        }
    }
}

/// `ln Σ eˣ` over the groups of `x` that reduce to each element of `kept` (`x`'s shape with the
/// reduced axes set to 1): a pass for the maxima, one for the sums of exponentials.
fn logsumexp_groups<T: Float>(x: &Tensor<T>, kept: Shape) -> Tensor<T> {
    let xs = x.data();
    let mut sums = vec![T::ZERO; kept.numel()];
    Tensor::zeroed_with(kept.clone(), |m| {
        m.fill(T::neg_infinity());
        for_each_pair(&kept, x.shape(), |i, k| {
            if xs[i] > m[k] || xs[i].is_nan() {
                m[k] = xs[i];
            }
        });
        for_each_pair(&kept, x.shape(), |i, k| sums[k] += (xs[i] - m[k]).exp());
        for (m, &sum) in m.iter_mut().zip(&sums) {
            if m.is_finite() {
                *m += sum.ln(); // otherwise −∞ (all −∞ or empty), +∞, or NaN, as one lane
            }
        }
    })
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
    /// `ẏ = Σ softmax(x)·ẋ` over the reduced axes, with `softmax(x) = e^(x − y)`.
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
        OpCheck::new("logsumexp (two axes)", 1, |x| x[0].logsumexp(&[0, -1], false)).shapes(&[&[&[2, 3, 2]]]),
        OpCheck::new("logsumexp (all axes, keepdim)", 1, |x| x[0].logsumexp(&[1, 0], true)).shapes(&[&[&[3, 2]]]),
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
        for axes in [&[0, 2][..], &[1, -1], &[0, 1, 2]] {
            check_grad(&[&x], |v| v[0].logsumexp(axes, false).unwrap());
            check_grad2(&[&x], |v| v[0].logsumexp(axes, true).unwrap());
        }
    }

    #[test]
    fn several_axes_agree_with_the_composition() {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_fn([2, 3, 2], |i| (i as f64 * 1.7).sin() * 3.0));
        for axes in [&[0, 1][..], &[0, 2], &[-1, -2], &[2, 0, 1], &[]] {
            for keepdim in [false, true] {
                let fused = x.logsumexp(axes, keepdim).unwrap();
                let composed = x.exp().sum_axes(axes, keepdim).unwrap().log();
                assert_eq!(fused.dims(), composed.dims(), "{axes:?}");
                assert_all_close(fused.value().data(), composed.value().data(), 1e-14);
            }
        }
        // Groups of −∞, +∞ and NaN, and an empty group, as one lane of each.
        let inf = f64::INFINITY;
        let y = tape.constant(t(&[-inf, -inf, -inf, -inf, 1.0, inf, 2.0, 3.0, f64::NAN, 0.0, 1.0, 2.0], &[3, 2, 2]));
        let v = y.logsumexp(&[1, 2], false).unwrap().value().to_vec();
        assert_eq!(&v[..2], &[-inf, inf]);
        assert!(v[2].is_nan());
        let empty = tape.constant(Tensor::<f64>::zeros([2, 0, 3]));
        assert_eq!(empty.logsumexp(&[1, 2], false).unwrap().value().to_vec(), vec![-inf, -inf]);
    }

    #[test]
    fn bad_axis_is_an_error() {
        let tape = Tape::<f32>::new();
        let e = tape.var(Tensor::zeros([2])).logsumexp(1, false).unwrap_err().to_string();
        assert!(e.starts_with("invalid argument to logsumexp: axis 1 out of range for shape [2]"), "{e}");
        let x = tape.var(Tensor::zeros([2, 3]));
        let e = x.logsumexp(&[0, -2], false).unwrap_err().to_string();
        assert!(e.starts_with("invalid argument to logsumexp: axes 0 and -2 both name axis 0"), "{e}");
        assert!(x.logsumexp(-3, false).is_err());
    }
}
