//! Losses as graph nodes: each returns a [`Var`] on the input's tape, so `loss.backward()`
//! differentiates through it (at any order) with no gradient code here. Each is PyTorch's
//! function of the same name, with the same reductions, weights and conventions at kinks.
//!
//! | loss | input | target | per-element loss `lᵢ` | `Mean` divides by |
//! | --- | --- | --- | --- | --- |
//! | [`cross_entropy`], [`CrossEntropyLoss`] | logits `[N, C]` | class indices | `−w[yᵢ]·log softmax(xᵢ)[yᵢ]` | `Σ w[yᵢ]` over the targets not ignored |
//! | [`cross_entropy_soft`], [`CrossEntropyLoss::forward_soft`] | logits `[N, C]` | probabilities `[N, C]` | `−Σ_c w_c·yᵢc·log softmax(xᵢ)[c]` | `N` |
//! | [`nll_loss`], [`NllLoss`] | log-probabilities `[N, C]` | class indices | `−w[yᵢ]·xᵢ[yᵢ]` | `Σ w[yᵢ]` over the targets not ignored |
//! | [`binary_cross_entropy_with_logits`], [`BceWithLogitsLoss`] | logits, any shape | probabilities, same shape | `w·[(1 − y)·x + (1 + (p − 1)·y)·softplus(−x)]` | the number of elements |
//! | [`mse_loss`] | any shape | same shape | `(x − y)²` | the number of elements |
//! | [`l1_loss`] | any shape | same shape | `\|x − y\|` | the number of elements |
//! | [`huber_loss`] | any shape | same shape | `½r²` if `\|r\| < δ`, else `δ·(\|r\| − ½δ)` | the number of elements |
//! | [`smooth_l1_loss`] | any shape | same shape | `½r²/β` if `\|r\| < β`, else `\|r\| − ½β` | the number of elements |
//! | [`kl_div`], [`KlDivLoss`] | log-probabilities, any shape | probabilities (or log-probabilities), same shape | `y·(log y − x)` | see [`KlReduction`] |
//!
//! Weights default to 1 (`w` the class weights, `p` BCE's `pos_weight`); `r = x − y`. Class
//! losses can ignore a label ([`CrossEntropyLoss::ignore_index`]) and cross-entropy can smooth
//! its labels ([`CrossEntropyLoss::label_smoothing`]; the formula, PyTorch's, is on the field).
//!
//! [`Reduction`] turns the per-element losses into the result: `Mean` (the default, as
//! PyTorch), `Sum` (the total loss L = Σᵢ lᵢ) or `None` (the per-sample losses: `[N]` for the
//! class losses, elementwise for the others, as PyTorch). A weighted `Mean` divides by the sum
//! of the weights, not by `N`; when that sum is 0 (every target ignored) the mean is an
//! [`Error::ZeroTotalWeight`], where PyTorch returns NaN.
//!
//! Kinks, as PyTorch: `l1_loss` has derivative 0 at `r = 0`. At `|r| = δ` (Huber) or `|r| = β`
//! (smooth L1) the first derivative is continuous (`δ·sign r`, `sign r`) and the second is
//! taken from the linear side (0). `smooth_l1_loss` with `β = 0` is `l1_loss`.
//!
//! Numerical stability: cross-entropy goes through log-softmax, `x − max − log Σ e^(x − max)`,
//! so logits of 1e4 give a finite loss and gradient; BCE with logits uses autograd's stable
//! softplus; `kl_div` never evaluates `0·log 0`.
//!
//! Every loss is `#[track_caller]`: its ops are recorded, and its errors reported, at the
//! caller's line. Layout: `classification.rs` (cross-entropy, NLL), `binary.rs` (BCE with
//! logits), `regression.rs` (MSE, L1, Huber, smooth L1), `divergence.rs` (KL).

mod binary;
mod classification;
mod divergence;
mod regression;

pub use binary::{binary_cross_entropy_with_logits, BceWithLogitsLoss};
pub use classification::{cross_entropy, cross_entropy_soft, nll_loss, CrossEntropyLoss, NllLoss};
pub use divergence::{kl_div, KlDivLoss, KlReduction};
pub use regression::{huber_loss, l1_loss, mse_loss, smooth_l1_loss};

use crate::{Error, Result};
use autograd::{Float, Site, Var};

/// How per-sample losses combine into the result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// The mean over samples (class losses) or elements (the others); a weighted mean for
    /// class losses with weights or an ignored label. PyTorch's default.
    #[default]
    Mean,
    /// The sum: the total loss L = Σᵢ lᵢ.
    Sum,
    /// No reduction: the per-sample (or per-element) losses.
    None,
}

/// Applies an unweighted `reduction`.
#[track_caller]
fn reduce<'t, T: Float>(losses: Var<'t, T>, reduction: Reduction) -> Var<'t, T> {
    match reduction {
        Reduction::Mean => losses.mean(),
        Reduction::Sum => losses.sum(),
        Reduction::None => losses,
    }
}

/// Checks that `target` has `input`'s shape.
fn check_same_shape<T: Float>(loss: &'static str, input: &Var<'_, T>, target: &Var<'_, T>, site: Site) -> Result<()> {
    if target.shape() == input.shape() {
        return Ok(());
    }
    let expected = format!("a target of the input's shape {}", input.shape());
    Err(Error::InputShape { layer: loss, expected, got: target.shape().clone(), site })
}

/// Whether a tensor of shape `from` broadcasts to exactly `to` (NumPy rules: align the last
/// axes; each of `from`'s is 1 or equal).
fn broadcasts_to(from: &[usize], to: &[usize]) -> bool {
    from.len() <= to.len() && from.iter().rev().zip(to.iter().rev()).all(|(&f, &t)| f == 1 || f == t)
}
