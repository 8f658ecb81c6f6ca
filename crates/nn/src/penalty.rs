//! Parameter penalties as graph nodes, to add to a loss:
//!
//! - [`l2_penalty`]: `λ/2 · Σ θ²`, whose gradient is `λ·θ` (weight decay);
//! - [`l1_penalty`]: `λ · Σ |θ|`, whose gradient is `λ·sign(θ)` (0 at θ = 0, autograd's
//!   convention for `abs`), which pushes weights to exactly zero.
//!
//! Each takes the parameters to penalize. By convention only weights are penalized, not
//! biases (a bias does not multiply an input, so shrinking it does not reduce the model's
//! sensitivity to its inputs); [`weights`] selects them from a model.
//!
//! ```
//! use autograd::{Tape, Tensor};
//! use nn::{l2_penalty, weights, LinearConfig, Module};
//! use rand::{rngs::StdRng, SeedableRng};
//!
//! let layer = LinearConfig::new(3, 2).init::<f64>(&mut StdRng::seed_from_u64(0)).unwrap();
//! let tape = Tape::new();
//! let penalty = l2_penalty(&tape, &weights(&layer), 0.1).unwrap();
//! penalty.backward().unwrap();
//! let w = layer.weight.value();
//! assert!(layer.weight.grad().unwrap().max_abs_diff(&w.map(|v| 0.1 * v)) < 1e-15); // λθ
//! assert!(layer.bias.as_ref().unwrap().grad().is_none()); // biases are left out
//! ```

use crate::{Error, Module, Result};
use autograd::{Float, Parameter, Tape, Var};

/// The parameters of `module` whose local name is `"weight"` (`"0.weight"`, `"linear.weight"`):
/// the usual set for weight decay. Biases, PReLU slopes and other parameters are left out; pass
/// your own list to penalize them too.
pub fn weights<T: Float, M: Module<T> + ?Sized>(module: &M) -> Vec<Parameter<T>> {
    module
        .named_parameters()
        .into_iter()
        .filter(|(name, _)| name.rsplit('.').next() == Some("weight"))
        .map(|(_, p)| p)
        .collect()
}

fn check_lambda(what: &'static str, lambda: f64) -> Result<()> {
    if lambda.is_finite() && lambda >= 0.0 {
        Ok(())
    } else {
        Err(Error::config(what, format!("λ must be finite and non-negative, got {lambda}")))
    }
}

/// `λ/2 · Σ_p Σ θ²` over `params`, as a scalar on `tape` (0 if `params` is empty). Its
/// gradient with respect to each θ is `λ·θ`. Frozen parameters enter as constants.
pub fn l2_penalty<'t, T: Float>(tape: &'t Tape<T>, params: &[Parameter<T>], lambda: f64) -> Result<Var<'t, T>> {
    check_lambda("l2_penalty", lambda)?;
    penalty(tape, params, T::from_f64(lambda / 2.0), |theta| Ok(theta.mul(theta)?.sum()))
}

/// `λ · Σ_p Σ |θ|` over `params`, as a scalar on `tape` (0 if `params` is empty). Its gradient
/// with respect to each θ is `λ·sign(θ)`, 0 at θ = 0. Frozen parameters enter as constants.
pub fn l1_penalty<'t, T: Float>(tape: &'t Tape<T>, params: &[Parameter<T>], lambda: f64) -> Result<Var<'t, T>> {
    check_lambda("l1_penalty", lambda)?;
    penalty(tape, params, T::from_f64(lambda), |theta| Ok(theta.abs().sum()))
}

fn penalty<'t, T: Float>(
    tape: &'t Tape<T>,
    params: &[Parameter<T>],
    scale: T,
    term: impl Fn(&Var<'t, T>) -> Result<Var<'t, T>>,
) -> Result<Var<'t, T>> {
    let mut total: Option<Var<'t, T>> = None;
    for p in params {
        let t = term(&tape.param(p))?;
        total = Some(match total {
            Some(acc) => acc.add(&t)?,
            None => t,
        });
    }
    Ok(match total {
        Some(total) => total.mul_scalar(scale),
        None => tape.scalar(T::ZERO),
    })
}
