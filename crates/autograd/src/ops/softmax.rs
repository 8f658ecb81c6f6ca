//! Softmax along one axis, fused (the composition is slower): `yᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m)`
//! with `m = maxⱼ xⱼ` (so no exponential overflows); backward `∂L/∂x = y ⊙ (g − Σ g ⊙ y)`, the
//! sum along the axis.
//!
//! Smooth: no kinks. First-order backward runs as one fused pass per lane; with `create_graph`
//! the same formula is recorded as `Var` ops, so every order works.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::{along_axis, backward_along_axis, lane_max};
use crate::op::Softmax;
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Axis, Float, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Softmax along `axis` (negative counts from the back: `-1` is the last): non-negative
    /// values summing to 1 along it. One axis, as PyTorch's `softmax(dim)`.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![1000.0, 1000.0], [1, 2]).unwrap());
    /// assert_eq!(x.softmax(1).unwrap().value().to_vec(), vec![0.5, 0.5]); // no overflow
    /// assert_eq!(x.softmax(-1).unwrap().value().to_vec(), vec![0.5, 0.5]);
    /// assert!(x.softmax(2).is_err());
    /// ```
    #[track_caller]
    pub fn softmax(&self, axis: impl Into<Axis>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let axis = axis.into().resolve("softmax", self.shape(), site)?;
        let value = along_axis(&self.value, axis, softmax_lane);
        Ok(self.tape.record(Softmax { axis }, &[self], value, site, Keep::Output))
    }
}

fn softmax_lane<T: Float>(x: &[T], y: &mut [T]) {
    let m = lane_max(x);
    let mut sum = T::ZERO;
    for (y, &x) in y.iter_mut().zip(x) {
        *y = (x - m).exp();
        sum += *y;
    }
    for y in y.iter_mut() {
        *y /= sum;
    }
}

impl<T: Float> Rule<T> for Softmax {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let axis = self.axis;
        let y = ctx.saved(0).clone();
        ctx.grad(0, || {
            if g.tape.is_recording() && (g.is_tracked() || y.is_tracked()) {
                let dot = g.mul(&y)?.sum_axes(&[axis], true)?;
                return y.mul(&g.sub(&dot)?);
            }
            Ok(g.constant(backward_along_axis(&g.value, &y.value, axis, |g, y, dx| {
                let dot = g.iter().zip(y).map(|(&g, &y)| g * y).sum::<T>();
                for ((dx, &g), &y) in dx.iter_mut().zip(g).zip(y) {
                    *dx = y * (g - dot);
                }
            })))
        })
    }
}

impl<T: Float> Jvp<T> for Softmax {
    /// `ẏ = y·(ẋ − Σ y·ẋ)`, the sum along the axis.
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        let y = ctx.saved(0);
        ctx.linear(|t| y.mul(&t.sub(&t.mul(y)?.sum_axes(&[self.axis], true)?)?))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        OpCheck::new("softmax", 1, |x| x[0].softmax(1)).shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("softmax (axis 0)", 1, |x| x[0].softmax(0)).shapes(&[&[&[4]], &[&[3, 2]]]),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_all_close, check_grad, check_grad2, t};
    use crate::{grad_with, GradOptions, Tape, Tensor};

    fn input() -> Tensor<f64> {
        t(&[1., 2., 3., -1., 0.5, 1000.], &[2, 3])
    }

    fn r() -> Tensor<f64> {
        t(&[1., -2., 0.5, 3., 1., -1.], &[2, 3])
    }

    // Reference values from PyTorch 2.15 (float64):
    // x = torch.tensor([[1., 2., 3.], [-1., 0.5, 1000.]]); r = torch.tensor([[1., -2., 0.5], [3., 1., -1.]])
    // y = torch.softmax(x, 1); (y * r).sum().backward()
    #[test]
    fn softmax_matches_pytorch() {
        let tape = Tape::new();
        let x = tape.var(input());
        let y = x.softmax(1).unwrap();
        let expected = [0.09003057317038045, 0.2447284710547976, 0.6652409557748218, 0.0, 0.0, 1.0];
        assert_all_close(y.value().data(), &expected, 1e-16);
        y.mul(&tape.constant(r())).unwrap().sum().backward().unwrap();
        let expected = [0.09604514583293235, -0.47310763853503385, 0.3770624927021015, 0.0, 0.0, 0.0];
        assert_all_close(x.grad().unwrap().data(), &expected, 1e-16);

        // Along axis 0 (lanes with a stride).
        let tape = Tape::new();
        let x = tape.var(input());
        let y = x.softmax(0).unwrap();
        let expected = [0.8807970779778823, 0.8175744761936437, 0.0, 0.11920292202211755, 0.18242552380635632, 1.0];
        assert_all_close(y.value().data(), &expected, 1e-16);
        y.mul(&tape.constant(r())).unwrap().sum().backward().unwrap();
        let expected = [-0.20998717080701285, -0.44743935621099856, 0.0, 0.20998717080701304, 0.4474393562109985, 0.0];
        assert_all_close(x.grad().unwrap().data(), &expected, 1e-15);
    }

    #[test]
    fn gradients_by_finite_differences() {
        let x = t(&[0.3, -1.2, 0.8, 2.0, -0.5, 0.1, 0.7, -0.9, 1.4, 0.2, -0.3, 0.6], &[2, 3, 2]);
        for axis in 0..3 {
            check_grad(&[&x], |v| v[0].softmax(axis).unwrap());
            check_grad2(&[&x], |v| v[0].softmax(axis).unwrap());
        }
    }

    #[test]
    fn softmax_jacobian_rows_sum_to_zero() {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::vector(&[0.1, -2.0, 1.5, 0.4]));
        let y = x.softmax(0).unwrap();
        for i in 0..4 {
            let pick = tape.constant(Tensor::from_fn([4], |j| (i == j) as u8 as f64));
            let yi = y.mul(&pick).unwrap().sum();
            let [d] = grad_with(&[&yi], None, &[&x], GradOptions::retain_graph()).unwrap().try_into().unwrap();
            assert!(d.value().data().iter().sum::<f64>().abs() < 1e-16);
        }
    }

    #[test]
    fn bad_axis_is_an_error() {
        let tape = Tape::<f32>::new();
        let x = tape.var(Tensor::zeros([2, 3]));
        let e = x.softmax(2).unwrap_err().to_string();
        assert!(e.starts_with("invalid argument to softmax: axis 2 out of range for shape [2, 3]"), "{e}");
        assert!(tape.scalar(1.0).softmax(0).is_err());
    }
}
