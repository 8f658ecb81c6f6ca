//! Losses as graph nodes: each returns a [`Var`] on the input's tape, so `loss.backward()`
//! differentiates through it with no gradient code here.
//!
//! | loss | input | target | per-sample loss `lᵢ` |
//! | --- | --- | --- | --- |
//! | [`cross_entropy`] | logits `[N, C]` | class indices | `−log softmax(xᵢ)[yᵢ]` |
//! | [`cross_entropy_soft`] | logits `[N, C]` | probabilities `[N, C]` | `−Σ_c yᵢc · log softmax(xᵢ)[c]` |
//! | [`nll_loss`] | log-probabilities `[N, C]` | class indices | `−xᵢ[yᵢ]` |
//! | [`binary_cross_entropy_with_logits`] | logits, any shape | probabilities, same shape | −y·log σ(x) − (1 − y)·log(1 − σ(x)) |
//! | [`mse_loss`] | any shape | same shape | (x − y)² |
//!
//! [`Reduction`] turns the per-sample losses into the result: `Mean` (the default, as PyTorch),
//! `Sum` (the lecture's total loss L = Σᵢ lᵢ) or `None` (the per-sample losses: `[N]` for the
//! class losses, elementwise for BCE and MSE, as PyTorch).
//!
//! Numerical stability: cross-entropy goes through log-softmax, i.e. `x − max − log Σ e^(x − max)`,
//! so logits of 1e4 give a finite loss and gradient; BCE with logits is `softplus(x) − x·y`
//! with autograd's stable softplus.

use crate::activation::log_softmax;
use crate::{Error, Result};
use autograd::{Float, Var};

/// How per-sample losses combine into the result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// The mean over samples (class losses) or elements (BCE, MSE). PyTorch's default.
    #[default]
    Mean,
    /// The sum: the lecture's total loss L = Σᵢ lᵢ.
    Sum,
    /// No reduction: the per-sample (or per-element) losses.
    None,
}

fn reduce<'t, T: Float>(losses: Var<'t, T>, reduction: Reduction) -> Var<'t, T> {
    match reduction {
        Reduction::Mean => losses.mean(),
        Reduction::Sum => losses.sum(),
        Reduction::None => losses,
    }
}

/// Checks `[N, C]` input and `N` labels in `0..C`.
fn check_labels<T: Float>(loss: &'static str, x: &Var<'_, T>, labels: &[usize]) -> Result<()> {
    if x.rank() != 2 {
        return Err(Error::InputShape { layer: loss, expected: "[N, classes]".into(), got: x.shape().clone() });
    }
    let (batch, classes) = (x.dims()[0], x.dims()[1]);
    if labels.len() != batch {
        return Err(Error::LabelCount { loss, labels: labels.len(), batch });
    }
    if let Some((sample, &label)) = labels.iter().enumerate().find(|(_, &l)| l >= classes) {
        return Err(Error::LabelOutOfRange { loss, sample, label, classes });
    }
    Ok(())
}

/// `x[i, labels[i]]` for each row, as a `[N]` value (the caller checked the labels).
fn pick<'t, T: Float>(x: &Var<'t, T>, labels: &[usize]) -> Result<Var<'t, T>> {
    Ok(x.gather(1, labels)?.reshape([labels.len()])?)
}

/// Cross-entropy of logits `[N, C]` against class indices: `lᵢ = −log softmax(xᵢ)[yᵢ]`.
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::{cross_entropy, Reduction};
/// let tape = Tape::<f64>::new();
/// let logits = tape.var(Tensor::from_vec(vec![1e4, 0.0, 0.0, 1e4], [2, 2]).unwrap());
/// let loss = cross_entropy(&logits, &[1, 1], Reduction::Mean).unwrap();
/// assert_eq!(loss.item(), 5e3); // finite, even for huge logits
/// loss.backward().unwrap();
/// assert!(!logits.grad().unwrap().has_non_finite());
/// assert!(cross_entropy(&logits, &[0, 2], Reduction::Mean).is_err()); // label out of range
/// ```
pub fn cross_entropy<'t, T: Float>(logits: &Var<'t, T>, labels: &[usize], reduction: Reduction) -> Result<Var<'t, T>> {
    check_labels("cross_entropy", logits, labels)?;
    let log_probs = log_softmax(logits, 1)?;
    Ok(reduce(pick(&log_probs, labels)?.neg(), reduction))
}

/// Cross-entropy of logits `[N, C]` against target distributions of the same shape (one-hot
/// rows, label-smoothed rows, a teacher's probabilities): `lᵢ = −Σ_c yᵢc · log softmax(xᵢ)[c]`.
/// `Mean` averages over the `N` samples, as PyTorch.
pub fn cross_entropy_soft<'t, T: Float>(
    logits: &Var<'t, T>,
    targets: &Var<'t, T>,
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    if logits.rank() != 2 {
        let got = logits.shape().clone();
        return Err(Error::InputShape { layer: "cross_entropy_soft", expected: "[N, classes]".into(), got });
    }
    if targets.shape() != logits.shape() {
        let expected = format!("targets of the logits' shape {}", logits.shape());
        return Err(Error::InputShape { layer: "cross_entropy_soft", expected, got: targets.shape().clone() });
    }
    let log_probs = log_softmax(logits, 1)?;
    let losses = targets.mul(&log_probs)?.sum_axes(&[1], false)?.neg();
    Ok(reduce(losses, reduction))
}

/// Negative log-likelihood of log-probabilities `[N, C]` (e.g. from
/// [`log_softmax`]) against class indices: `lᵢ = −xᵢ[yᵢ]`.
/// `nll_loss(log_softmax(x, 1)?, y)` equals `cross_entropy(x, y)`.
pub fn nll_loss<'t, T: Float>(log_probs: &Var<'t, T>, labels: &[usize], reduction: Reduction) -> Result<Var<'t, T>> {
    check_labels("nll_loss", log_probs, labels)?;
    Ok(reduce(pick(log_probs, labels)?.neg(), reduction))
}

/// Binary cross-entropy of logits against targets in [0, 1] of the same shape, elementwise:
/// `l = −y·log σ(x) − (1 − y)·log(1 − σ(x)) = softplus(x) − x·y`.
///
/// softplus(x) = log(1 + eˣ) is autograd's stable `softplus` (no overflow for large x, no
/// precision lost for very negative x), whose derivative is exactly σ(x) everywhere,
/// including x = 0, so ∂l/∂x = σ(x) − y.
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::{binary_cross_entropy_with_logits, Reduction};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::vector(&[0.0, 800.0, -800.0]));
/// let y = tape.constant(Tensor::vector(&[1.0, 1.0, 0.0]));
/// let loss = binary_cross_entropy_with_logits(&x, &y, Reduction::Sum).unwrap();
/// assert!((loss.item() - std::f64::consts::LN_2).abs() < 1e-15);
/// loss.backward().unwrap();
/// assert_eq!(x.grad().unwrap().to_vec(), vec![-0.5, 0.0, 0.0]); // σ(x) − y
/// ```
pub fn binary_cross_entropy_with_logits<'t, T: Float>(
    logits: &Var<'t, T>,
    targets: &Var<'t, T>,
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    if targets.shape() != logits.shape() {
        let expected = format!("targets of the logits' shape {}", logits.shape());
        let got = targets.shape().clone();
        return Err(Error::InputShape { layer: "binary_cross_entropy_with_logits", expected, got });
    }
    let losses = logits.softplus().sub(&logits.mul(targets)?)?;
    Ok(reduce(losses, reduction))
}

/// Mean squared error, elementwise `(x − y)²` between values of the same shape; `Mean` divides
/// by the number of elements, as PyTorch.
pub fn mse_loss<'t, T: Float>(input: &Var<'t, T>, target: &Var<'t, T>, reduction: Reduction) -> Result<Var<'t, T>> {
    if target.shape() != input.shape() {
        let expected = format!("a target of the input's shape {}", input.shape());
        return Err(Error::InputShape { layer: "mse_loss", expected, got: target.shape().clone() });
    }
    let diff = input.sub(target)?;
    Ok(reduce(diff.mul(&diff)?, reduction))
}
