//! Softmax and log-softmax along one axis, fused (the compositions are slower and, for
//! log-softmax, numerically worse).
//!
//! - `softmax`: `yᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m)` with `m = maxⱼ xⱼ` (so no exponential
//!   overflows); backward `∂L/∂x = y ⊙ (g − Σ g ⊙ y)`, the sum along the axis.
//! - `log_softmax`: `yᵢ = xᵢ − m − ln Σⱼ e^(xⱼ − m)`; backward `∂L/∂x = g − eʸ ⊙ Σ g`.
//!
//! Both are smooth: no kinks. First-order backward runs as one fused pass per lane; with
//! `create_graph` the same formulas are recorded as `Var` ops, so every order works.

use super::{check_axis, Keep, Op};
use crate::error::Site;
use crate::kernels::{lane_max, map_lanes, Lanes};
use crate::rule::Ctx;
use crate::{Float, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// Softmax along `axis`: non-negative values summing to 1 along it.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![1000.0, 1000.0], [1, 2]).unwrap());
    /// assert_eq!(x.softmax(1).unwrap().value().to_vec(), vec![0.5, 0.5]); // no overflow
    /// assert!(x.softmax(2).is_err());
    /// ```
    #[track_caller]
    pub fn softmax(&self, axis: usize) -> Result<Var<'t, T>> {
        let site = Site::caller();
        check_axis("softmax", axis, self.shape(), site)?;
        let value = along_axis(&self.value, axis, softmax_lane);
        Ok(self.tape.record(Op::Softmax(axis), &[self], value, site, Keep::Output))
    }

    /// Log-softmax along `axis`: `x − logsumexp(x)`, computed stably.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![0.0, 0.0, 0.0, 0.0], [2, 2]).unwrap());
    /// let y = x.log_softmax(1).unwrap();
    /// assert!((y.value().at(&[0, 1]) + 2f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn log_softmax(&self, axis: usize) -> Result<Var<'t, T>> {
        let site = Site::caller();
        check_axis("log_softmax", axis, self.shape(), site)?;
        let value = along_axis(&self.value, axis, log_softmax_lane);
        Ok(self.tape.record(Op::LogSoftmax(axis), &[self], value, site, Keep::Output))
    }
}

/// Applies a lane kernel to every lane of `x` along `axis`, into a tensor of `x`'s shape.
fn along_axis<T: Float>(x: &Tensor<T>, axis: usize, kernel: impl Fn(&[T], &mut [T])) -> Tensor<T> {
    let lanes = Lanes::new(x.shape(), axis);
    Tensor::zeroed_with(x.shape().clone(), |out| map_lanes([x.data()], lanes, out, lanes.len, |[x], y| kernel(x, y)))
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

fn log_softmax_lane<T: Float>(x: &[T], y: &mut [T]) {
    let m = lane_max(x);
    let log_sum = x.iter().map(|&x| (x - m).exp()).sum::<T>().ln();
    for (y, &x) in y.iter_mut().zip(x) {
        *y = x - m - log_sum;
    }
}

/// Applies a backward lane kernel `(g, y) ↦ ∂L/∂x` to every lane of `g` and `y`.
fn backward_along_axis<T: Float>(
    g: &Tensor<T>,
    y: &Tensor<T>,
    axis: usize,
    kernel: impl Fn(&[T], &[T], &mut [T]),
) -> Tensor<T> {
    let lanes = Lanes::new(g.shape(), axis);
    Tensor::zeroed_with(g.shape().clone(), |out| {
        map_lanes([g.data(), y.data()], lanes, out, lanes.len, |[g, y], dx| kernel(g, y, dx))
    })
}

/// Whether a backward rule must record its formula (`create_graph` with a tracked operand);
/// otherwise the fused kernel computes the same numbers in one pass.
fn composed<T: Float>(g: &Var<'_, T>, saved: &Var<'_, T>) -> bool {
    g.tape.is_recording() && (g.is_tracked() || saved.is_tracked())
}

pub(super) fn backward_softmax<'t, T: Float>(axis: usize, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    let y = ctx.saved(0).clone();
    ctx.grad(0, || {
        if composed(g, &y) {
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

pub(super) fn backward_log_softmax<'t, T: Float>(axis: usize, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    let y = ctx.saved(0).clone();
    ctx.grad(0, || {
        if composed(g, &y) {
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

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_all_close, check_grad, check_grad2, t};
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
            check_grad(&[&x], |v| v[0].softmax(axis).unwrap());
            check_grad(&[&x], |v| v[0].log_softmax(axis).unwrap());
            check_grad2(&[&x], |v| v[0].softmax(axis).unwrap());
            check_grad2(&[&x], |v| v[0].log_softmax(axis).unwrap());
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
        let e = x.log_softmax(2).unwrap_err().to_string();
        assert!(e.starts_with("invalid argument to log_softmax: axis 2 out of range for shape [2, 3]"), "{e}");
        assert!(tape.scalar(1.0).softmax(0).is_err());
    }
}
