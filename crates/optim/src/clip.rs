//! Gradient clipping, as PyTorch's `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`.
//!
//! Both act in place on the parameters' gradient buffers, between the backward pass and the
//! optimizer step; parameters without a gradient are skipped, as in PyTorch (the optimizer's
//! `step` is where a missing gradient is reported).
//!
//! ```
//! use autograd::{Parameter, Tensor};
//! use optim::clip_grad_norm;
//!
//! let w = Parameter::new(Tensor::<f64>::zeros([2]));
//! w.set_grad(Some(Tensor::vector(&[3.0, 4.0])));
//! let total = clip_grad_norm([&w], 1.0, 2.0).unwrap();
//! assert_eq!(total, 5.0);
//! let g = w.grad().unwrap().to_vec();
//! assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6); // rescaled to norm ≈ 1
//! ```

use crate::error::{self, Error, Result, Site};
use autograd::{Float, Parameter, Tensor};
use std::borrow::Borrow;

/// Rescales all gradients together so that their global norm is at most `max_norm`, and
/// returns the global norm before clipping.
///
/// The global norm of order p (`norm_type`, 2 for the Euclidean norm, `f64::INFINITY` for the
/// largest magnitude) is the norm of the vector of every gradient's norm, i.e. of all gradient
/// elements concatenated. Every gradient is multiplied by
/// `min(1, max_norm / (total + 1e-6))`, PyTorch's factor.
///
/// `max_norm = f64::INFINITY` clips nothing and only measures the norm, as in PyTorch (a
/// common way to log it).
///
/// Unlike PyTorch's default, a NaN or infinite total norm is an error
/// ([`Error::NonFiniteNorm`], PyTorch's `error_if_nonfinite=True`) and leaves the gradients
/// untouched, so a diverging run is noticed instead of filling the parameters with NaN.
/// Fails also if `max_norm` is negative or NaN, or `norm_type` is not positive.
#[track_caller]
pub fn clip_grad_norm<T: Float, P: Borrow<Parameter<T>>>(
    params: impl IntoIterator<Item = P>,
    max_norm: f64,
    norm_type: f64,
) -> Result<f64> {
    let site = Site::caller();
    error::check("clip_grad_norm", "max_norm", max_norm, max_norm >= 0.0, ">= 0 (or infinity)", site)?;
    error::check("clip_grad_norm", "norm_type", norm_type, norm_type > 0.0, "> 0 (or infinity)", site)?;
    let params: Vec<P> = params.into_iter().collect();
    // Taken, not cloned, so that scaling them in place does not copy storage the parameter
    // still shares; every one is put back below, scaled or not.
    let grads: Vec<(usize, Tensor<T>)> =
        params.iter().enumerate().filter_map(|(i, p)| p.borrow().take_grad().map(|g| (i, g))).collect();
    let norms = grads.iter().map(|(_, g)| norm(g.data().iter().map(|v| v.to_f64()), norm_type));
    let total = norm(norms, norm_type);
    let coefficient = max_norm / (total + 1e-6);
    let scale = (total.is_finite() && coefficient < 1.0).then(|| T::from_f64(coefficient));
    for (i, mut g) in grads {
        if let Some(c) = scale {
            g.data_mut().iter_mut().for_each(|v| *v *= c);
        }
        params[i].borrow().set_grad(Some(g));
    }
    if !total.is_finite() {
        return Err(Error::NonFiniteNorm { norm_type, total, site });
    }
    Ok(total)
}

/// The p-norm of some values: (Σ|v|ᵖ)^(1/p), max |v| for p = ∞, √(Σv²) for p = 2.
fn norm(values: impl Iterator<Item = f64>, p: f64) -> f64 {
    if p == f64::INFINITY {
        // NaN must win, as in PyTorch (f64::max would drop it); once m is NaN nothing replaces it.
        values.map(f64::abs).fold(0.0, |m, a| if a > m || a.is_nan() { a } else { m })
    } else if p == 2.0 {
        values.map(|v| v * v).sum::<f64>().sqrt()
    } else if p == 1.0 {
        values.map(f64::abs).sum()
    } else {
        values.map(|v| v.abs().powf(p)).sum::<f64>().powf(1.0 / p)
    }
}

/// Clamps every gradient element into [−`clip_value`, `clip_value`] (NaN stays NaN); fails if
/// `clip_value` is negative, not finite, or overflows the element type.
#[track_caller]
pub fn clip_grad_value<T: Float, P: Borrow<Parameter<T>>>(
    params: impl IntoIterator<Item = P>,
    clip_value: f64,
) -> Result<()> {
    error::non_negative_in::<T>("clip_grad_value", "clip_value", clip_value, Site::caller())?;
    let (hi, lo) = (T::from_f64(clip_value), T::from_f64(-clip_value));
    for p in params {
        let p = p.borrow();
        if let Some(mut g) = p.take_grad() {
            for v in g.data_mut() {
                if *v > hi {
                    *v = hi;
                } else if *v < lo {
                    *v = lo;
                }
            }
            p.set_grad(Some(g));
        }
    }
    Ok(())
}
