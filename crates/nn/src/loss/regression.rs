//! Elementwise regression losses on the residual `r = x − y`: squared (MSE), absolute (L1), and
//! the two that are quadratic near 0 and linear beyond a threshold (Huber, smooth L1).
//!
//! Huber and smooth L1 switch branches with a mask (`where_`): the quadratic branch where
//! `|r|` is below the threshold, the linear one from the threshold on, so at `|r| = δ` the
//! derivative is the linear branch's (equal to the quadratic's: the losses are C¹) and the
//! second derivative is the linear branch's 0, as PyTorch's double backward.

use super::{check_same_shape, reduce, Reduction};
use crate::{Error, Result};
use autograd::{Float, Site, Var};

/// Mean squared error, elementwise `(x − y)²` between values of the same shape; `Mean` divides
/// by the number of elements, as PyTorch.
#[track_caller]
pub fn mse_loss<'t, T: Float>(input: &Var<'t, T>, target: &Var<'t, T>, reduction: Reduction) -> Result<Var<'t, T>> {
    check_same_shape("mse_loss", input, target, Site::caller())?;
    let diff = input.sub(target)?;
    Ok(reduce(diff.mul(&diff)?, reduction))
}

/// Mean absolute error, elementwise `|x − y|` (PyTorch's `l1_loss`). The derivative at
/// `x = y` is 0 (autograd's `abs′(0) = 0`, as PyTorch).
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::{l1_loss, Reduction};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::vector(&[1.0, 2.0, -1.0]));
/// let loss = l1_loss(&x, &tape.constant(Tensor::vector(&[1.0, 0.0, 0.0])), Reduction::Sum).unwrap();
/// assert_eq!(loss.item(), 3.0);
/// loss.backward().unwrap();
/// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, -1.0]);
/// ```
#[track_caller]
pub fn l1_loss<'t, T: Float>(input: &Var<'t, T>, target: &Var<'t, T>, reduction: Reduction) -> Result<Var<'t, T>> {
    check_same_shape("l1_loss", input, target, Site::caller())?;
    Ok(reduce(input.sub(target)?.abs(), reduction))
}

/// Huber loss (Huber, 1964) with threshold `delta` > 0, elementwise on `r = x − y`:
/// `½r²` where `|r| < δ`, `δ·(|r| − ½δ)` elsewhere (PyTorch's `huber_loss`). Quadratic for
/// small residuals, linear (so robust to outliers) for large ones; ∂l/∂x is `r` clipped to
/// `[−δ, δ]`. At `|r| = δ` the derivative is `±δ` and the second derivative 0, as PyTorch.
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::{huber_loss, Reduction};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::vector(&[0.5, 3.0, -1.0]));
/// let loss = huber_loss(&x, &tape.constant(Tensor::zeros([3])), 1.0, Reduction::None).unwrap();
/// assert_eq!(loss.value().to_vec(), vec![0.125, 2.5, 0.5]);
/// loss.sum().backward().unwrap();
/// assert_eq!(x.grad().unwrap().to_vec(), vec![0.5, 1.0, -1.0]);
/// ```
#[track_caller]
pub fn huber_loss<'t, T: Float>(
    input: &Var<'t, T>,
    target: &Var<'t, T>,
    delta: f64,
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    let site = Site::caller();
    check_same_shape("huber_loss", input, target, site)?;
    if !(delta > 0.0 && delta.is_finite()) {
        return Err(Error::config_at("huber_loss", format!("delta must be positive and finite, got {delta}"), site));
    }
    let r = input.sub(target)?;
    let delta = T::from_f64(delta);
    let abs = r.abs();
    let half_r2 = r.mul(&r)?.mul_scalar(T::from_f64(0.5));
    let linear = abs.add_scalar(-delta * T::from_f64(0.5)).mul_scalar(delta);
    Ok(reduce(quadratic_below(&abs, delta, &half_r2, &linear)?, reduction))
}

/// Smooth L1 loss (Girshick, 2015, Fast R-CNN) with threshold `beta` ≥ 0, elementwise on
/// `r = x − y`: `½r²/β` where `|r| < β`, `|r| − ½β` elsewhere (PyTorch's `smooth_l1_loss`).
/// It is Huber's loss divided by β, so its slope beyond β is 1 whatever β; `β = 0` is
/// [`l1_loss`], as PyTorch. At `|r| = β` the derivative is `±1` and the second derivative 0.
#[track_caller]
pub fn smooth_l1_loss<'t, T: Float>(
    input: &Var<'t, T>,
    target: &Var<'t, T>,
    beta: f64,
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    let site = Site::caller();
    check_same_shape("smooth_l1_loss", input, target, site)?;
    if !(beta >= 0.0 && beta.is_finite()) {
        return Err(Error::config_at("smooth_l1_loss", format!("beta must be finite and ≥ 0, got {beta}"), site));
    }
    let r = input.sub(target)?;
    if beta == 0.0 {
        return Ok(reduce(r.abs(), reduction));
    }
    let beta = T::from_f64(beta);
    let abs = r.abs();
    let half_r2_over_beta = r.mul(&r)?.mul_scalar(T::from_f64(0.5) / beta);
    let linear = abs.add_scalar(-beta * T::from_f64(0.5));
    Ok(reduce(quadratic_below(&abs, beta, &half_r2_over_beta, &linear)?, reduction))
}

/// `quadratic` where `|r| < threshold`, `linear` elsewhere (`abs_r` is `|r|`).
#[track_caller]
fn quadratic_below<'t, T: Float>(
    abs_r: &Var<'t, T>,
    threshold: T,
    quadratic: &Var<'t, T>,
    linear: &Var<'t, T>,
) -> Result<Var<'t, T>> {
    let inside = abs_r.lt(&abs_r.scalar(threshold))?;
    Ok(Var::where_(&inside, quadratic, linear)?)
}
