//! Parameter penalties as graph nodes, to add to a loss:
//!
//! - [`l2_penalty`]: `λ/2 · Σ θ²`, whose gradient is `λ·θ` (weight decay);
//! - [`l1_penalty`]: `λ · Σ |θ|`, whose gradient is `λ·sign(θ)` (0 at θ = 0, autograd's
//!   convention for `abs`), which pushes weights to exactly zero.
//!
//! Each takes the parameters it applies to, explicitly: nothing is selected behind the
//! caller's back. Usually only the weights that multiply a layer's input are penalized, not
//! biases or per-feature scales (a bias does not multiply an input, so shrinking it does not
//! reduce the model's sensitivity to its inputs); [`weight_matrices`] selects those by their
//! rank, whatever the parameters are called. To penalize anything else, pass your own list
//! (for instance from [`Module::named_parameters`]).
//!
//! ```
//! use autograd::{Tape, Tensor};
//! use nn::{l2_penalty, weight_matrices, LinearConfig, Module};
//! use rand::{rngs::StdRng, SeedableRng};
//!
//! let layer = LinearConfig::new(3, 2).init::<f64>(&mut StdRng::seed_from_u64(0)).unwrap();
//! let tape = Tape::new();
//! let penalty = l2_penalty(&tape, &weight_matrices(&layer), 0.1).unwrap();
//! penalty.backward().unwrap();
//! let w = layer.weight.value();
//! assert!(layer.weight.grad().unwrap().max_abs_diff(&w.map(|v| 0.1 * v)) < 1e-15); // λθ
//! assert!(layer.bias.as_ref().unwrap().grad().is_none()); // biases are left out
//! ```

use crate::{Error, Module, Result};
use autograd::{Float, Parameter, Site, Tape, Var};

/// The parameters of `module` of rank 2 or more, in [`Module::parameters`] order: the weight
/// matrices (and higher-rank kernels) that multiply a layer's input, the usual set for weight
/// decay. Biases, PReLU slopes and per-feature scales (vectors and scalars) are left out,
/// whatever their names.
///
/// The rule is the one nanoGPT's `configure_optimizers` uses to split parameters into decayed
/// and not decayed (`p.dim() >= 2`). For the built-in layers it selects `Linear`'s and `Maxout`'s
/// `weight` and nothing else. A module whose input-multiplying parameter is a vector (a
/// diagonal layer) or whose matrix should not be decayed (an embedding, by some recipes) needs
/// its own list.
///
/// ```
/// use nn::{weight_matrices, LinearConfig, Module, PRelu, Sequential};
/// use rand::{rngs::StdRng, SeedableRng};
/// let mut rng = StdRng::seed_from_u64(0);
/// let model = Sequential::<f32>::new()
///     .push(LinearConfig::new(4, 3).init(&mut rng).unwrap())
///     .push(PRelu::per_channel(3, 0.25).unwrap())
///     .push(LinearConfig::new(3, 2).init(&mut rng).unwrap());
/// let selected = weight_matrices(&model);
/// let params = model.named_parameters();
/// let names: Vec<&str> =
///     params.iter().filter(|(_, p)| selected.iter().any(|s| s.same_as(p))).map(|(n, _)| n.as_str()).collect();
/// assert_eq!(names, ["0.weight", "2.weight"]);
/// ```
pub fn weight_matrices<T: Float, M: Module<T> + ?Sized>(module: &M) -> Vec<Parameter<T>> {
    module.parameters().into_iter().filter(|p| p.value().rank() >= 2).collect()
}

/// The old name of [`weight_matrices`], which selected parameters by a name ending in
/// `"weight"`. It now selects by rank, which is the same set for every built-in layer.
#[deprecated(note = "selection is by rank now; use `weight_matrices`, or pass the parameters explicitly")]
pub fn weights<T: Float, M: Module<T> + ?Sized>(module: &M) -> Vec<Parameter<T>> {
    weight_matrices(module)
}

fn check_lambda(what: &'static str, lambda: f64, site: Site) -> Result<()> {
    if lambda.is_finite() && lambda >= 0.0 {
        Ok(())
    } else {
        Err(Error::config_at(what, format!("λ must be finite and non-negative, got {lambda}"), site))
    }
}

/// `λ/2 · Σ_p Σ θ²` over `params`, as a scalar on `tape` (0 if `params` is empty). Its
/// gradient with respect to each θ is `λ·θ`. Frozen parameters enter as constants.
#[track_caller]
pub fn l2_penalty<'t, T: Float>(tape: &'t Tape<T>, params: &[Parameter<T>], lambda: f64) -> Result<Var<'t, T>> {
    check_lambda("l2_penalty", lambda, Site::caller())?;
    penalty(tape, params, T::from_f64(lambda / 2.0), Norm::SquaredL2)
}

/// `λ · Σ_p Σ |θ|` over `params`, as a scalar on `tape` (0 if `params` is empty). Its gradient
/// with respect to each θ is `λ·sign(θ)`, 0 at θ = 0. Frozen parameters enter as constants.
#[track_caller]
pub fn l1_penalty<'t, T: Float>(tape: &'t Tape<T>, params: &[Parameter<T>], lambda: f64) -> Result<Var<'t, T>> {
    check_lambda("l1_penalty", lambda, Site::caller())?;
    penalty(tape, params, T::from_f64(lambda), Norm::L1)
}

/// The term each parameter contributes.
enum Norm {
    /// Σ θ².
    SquaredL2,
    /// Σ |θ|.
    L1,
}

/// `scale · Σ_p norm(θ_p)`. No closures between the caller and the ops, so that the ops are
/// recorded at the caller's line.
#[track_caller]
fn penalty<'t, T: Float>(tape: &'t Tape<T>, params: &[Parameter<T>], scale: T, norm: Norm) -> Result<Var<'t, T>> {
    let mut total: Option<Var<'t, T>> = None;
    for p in params {
        let theta = tape.param(p);
        let term = match norm {
            Norm::SquaredL2 => theta.mul(&theta)?.sum(),
            Norm::L1 => theta.abs().sum(),
        };
        total = Some(match total {
            Some(acc) => acc.add(&term)?,
            None => term,
        });
    }
    Ok(match total {
        Some(total) => total.mul_scalar(scale),
        None => tape.scalar(T::ZERO),
    })
}
