//! Cross-entropy and negative log-likelihood over class indices (with class weights, an ignored
//! label and label smoothing, as PyTorch), and cross-entropy against probability targets.

use super::{reduce, Reduction};
use crate::activation::log_softmax;
use crate::{Error, Result};
use autograd::{Float, Indices, Site, Tensor, Var};

/// Cross-entropy of logits `[N, C]` against class indices: `lᵢ = −log softmax(xᵢ)[yᵢ]`.
/// [`CrossEntropyLoss`] adds class weights, an ignored label and label smoothing.
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
#[track_caller]
pub fn cross_entropy<'t, T: Float>(logits: &Var<'t, T>, labels: &[usize], reduction: Reduction) -> Result<Var<'t, T>> {
    CrossEntropyLoss { reduction, ..CrossEntropyLoss::default() }.forward(logits, labels)
}

/// Cross-entropy of logits `[N, C]` against target distributions of the same shape (one-hot
/// rows, label-smoothed rows, a teacher's probabilities): `lᵢ = −Σ_c yᵢc · log softmax(xᵢ)[c]`.
/// `Mean` averages over the `N` samples, as PyTorch. The targets may be tracked values: the
/// gradient reaches them too.
#[track_caller]
pub fn cross_entropy_soft<'t, T: Float>(
    logits: &Var<'t, T>,
    targets: &Var<'t, T>,
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    CrossEntropyLoss { reduction, ..CrossEntropyLoss::default() }.forward_soft(logits, targets)
}

/// Negative log-likelihood of log-probabilities `[N, C]` (e.g. from [`log_softmax`]) against
/// class indices: `lᵢ = −xᵢ[yᵢ]`. `nll_loss(log_softmax(x, 1)?, y)` equals `cross_entropy(x, y)`.
/// [`NllLoss`] adds class weights and an ignored label.
#[track_caller]
pub fn nll_loss<'t, T: Float>(log_probs: &Var<'t, T>, labels: &[usize], reduction: Reduction) -> Result<Var<'t, T>> {
    NllLoss { reduction, ..NllLoss::default() }.forward(log_probs, labels)
}

/// Cross-entropy with PyTorch's options (`torch.nn.CrossEntropyLoss`): class weights, a label
/// to ignore, label smoothing and the reduction. `Default` is plain cross-entropy with `Mean`.
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::{CrossEntropyLoss, Reduction};
/// let tape = Tape::<f64>::new();
/// let logits = tape.var(Tensor::from_vec(vec![2.0, 0.5, -1.0, 0.1, 0.2, 3.0], [2, 3]).unwrap());
/// let loss = CrossEntropyLoss {
///     weight: Some(Tensor::vector(&[1.0, 2.0, 0.5])),
///     ignore_index: Some(255), // e.g. the "void" label of a segmentation mask
///     label_smoothing: 0.1,
///     ..Default::default()
/// };
/// let l = loss.forward(&logits, &[1, 255]).unwrap(); // the second sample is ignored
/// // Only sample 0 counts, and the weighted mean divides by its weight, w[1] = 2.
/// let sample0 = CrossEntropyLoss { reduction: Reduction::Sum, ..loss.clone() }.forward(&logits, &[1, 255]).unwrap();
/// assert!((l.item() - sample0.item() / 2.0).abs() < 1e-15);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CrossEntropyLoss<T: Float = f32> {
    /// A weight per class, `[C]` (PyTorch's `weight`): sample `i` counts `w[yᵢ]` times, and the
    /// weighted `Mean` divides by `Σᵢ w[yᵢ]` over the samples not ignored. `None`: all 1.
    /// With probability targets, `Mean` still divides by `N`, as PyTorch.
    pub weight: Option<Tensor<T>>,
    /// A label that marks a sample to leave out (PyTorch's `ignore_index`; its default −100
    /// cannot be a `usize`, and `None` ignores nothing). An ignored sample's loss is 0, it
    /// gets no gradient, and it does not count in the `Mean`; its label need not be a valid
    /// class. Not allowed with probability targets, as in PyTorch.
    pub ignore_index: Option<usize>,
    /// ε in `[0, 1]` (PyTorch's `label_smoothing`): the target puts `1 − ε` on the label and
    /// spreads ε uniformly over the `C` classes. For a sample not ignored, PyTorch's formula is
    ///
    /// `lᵢ = (1 − ε)·(−w[yᵢ]·log pᵢ[yᵢ]) + (ε/C)·(−Σ_c w_c·log pᵢ[c])`
    ///
    /// and `Mean` divides `Σᵢ lᵢ` by `Σᵢ w[yᵢ]`. Without weights this is the cross-entropy
    /// against the smoothed distribution. With weights it is not that distribution's weighted
    /// cross-entropy: the smoothing term weights each class by its own weight `w_c`, not by
    /// the label's `w[yᵢ]`, while both terms share the denominator `Σ w[yᵢ]`.
    pub label_smoothing: f64,
    /// How per-sample losses combine.
    pub reduction: Reduction,
}

impl<T: Float> Default for CrossEntropyLoss<T> {
    fn default() -> Self {
        CrossEntropyLoss { weight: None, ignore_index: None, label_smoothing: 0.0, reduction: Reduction::Mean }
    }
}

impl<T: Float> CrossEntropyLoss<T> {
    /// The loss of logits `[N, C]` against `N` class indices (each in `0..C` or equal to
    /// [`ignore_index`](CrossEntropyLoss::ignore_index)).
    ///
    /// Fails if the logits are not `[N, C]`, the number of labels is not `N`, a label is out of
    /// range, the weight is not `[C]` of finite values, ε is outside `[0, 1]`, or a `Mean`
    /// has total weight 0.
    #[track_caller]
    pub fn forward<'t>(&self, logits: &Var<'t, T>, labels: &[usize]) -> Result<Var<'t, T>> {
        let site = Site::caller();
        check_smoothing(self.label_smoothing, site)?;
        check_matrix("cross_entropy", logits, site)?;
        let log_probs = log_softmax(logits, 1)?;
        let targets = Targets { labels, weight: self.weight.as_ref(), ignore_index: self.ignore_index };
        class_loss("cross_entropy", &log_probs, &targets, self.label_smoothing, self.reduction, site)
    }

    /// The loss of logits `[N, C]` against target distributions `[N, C]`:
    /// `lᵢ = −Σ_c w_c·ỹᵢc·log softmax(xᵢ)[c]` with `ỹ = (1 − ε)·y + ε/C`; `Mean` divides by
    /// `N` (with or without weights, as PyTorch). Fails if the shapes differ or are not
    /// `[N, C]`, if the weight is not `[C]` of finite values, if ε is outside `[0, 1]`, or if
    /// [`ignore_index`](CrossEntropyLoss::ignore_index) is set.
    #[track_caller]
    pub fn forward_soft<'t>(&self, logits: &Var<'t, T>, targets: &Var<'t, T>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        check_smoothing(self.label_smoothing, site)?;
        check_matrix("cross_entropy_soft", logits, site)?;
        if targets.shape() != logits.shape() {
            let expected = format!("targets of the logits' shape {}", logits.shape());
            return Err(Error::InputShape {
                layer: "cross_entropy_soft",
                expected,
                got: targets.shape().clone(),
                site,
            });
        }
        if let Some(ignored) = self.ignore_index {
            let msg = format!("ignore_index ({ignored}) applies to class indices, not to probability targets");
            return Err(Error::config_at("cross_entropy_soft", msg, site));
        }
        let classes = logits.dims()[1];
        let log_probs = log_softmax(logits, 1)?;
        let eps = self.label_smoothing;
        let targets = match eps > 0.0 {
            true => targets.mul_scalar(T::from_f64(1.0 - eps)).add_scalar(T::from_f64(eps / classes as f64)),
            false => targets.clone(),
        };
        let mut terms = targets.mul(&log_probs)?;
        if let Some(w) = &self.weight {
            check_class_weight("cross_entropy_soft", w, classes, site)?;
            terms = terms.mul(&logits.constant(w.clone()))?;
        }
        Ok(reduce(terms.sum_axes(&[1], false)?.neg(), self.reduction))
    }
}

/// Negative log-likelihood with PyTorch's options (`torch.nn.NLLLoss`): class weights, a label
/// to ignore and the reduction, with the same meaning as in [`CrossEntropyLoss`].
/// `Default` is plain NLL with `Mean`.
#[derive(Clone, Debug, PartialEq)]
pub struct NllLoss<T: Float = f32> {
    /// A weight per class, `[C]`; the weighted `Mean` divides by `Σᵢ w[yᵢ]` over the samples
    /// not ignored. `None`: all 1.
    pub weight: Option<Tensor<T>>,
    /// A label that marks a sample to leave out (see [`CrossEntropyLoss::ignore_index`]).
    pub ignore_index: Option<usize>,
    /// How per-sample losses combine.
    pub reduction: Reduction,
}

impl<T: Float> Default for NllLoss<T> {
    fn default() -> Self {
        NllLoss { weight: None, ignore_index: None, reduction: Reduction::Mean }
    }
}

impl<T: Float> NllLoss<T> {
    /// The loss of log-probabilities `[N, C]` against `N` class indices:
    /// `lᵢ = −w[yᵢ]·xᵢ[yᵢ]`, 0 for an ignored sample. Fails as
    /// [`CrossEntropyLoss::forward`] does.
    #[track_caller]
    pub fn forward<'t>(&self, log_probs: &Var<'t, T>, labels: &[usize]) -> Result<Var<'t, T>> {
        let site = Site::caller();
        check_matrix("nll_loss", log_probs, site)?;
        let targets = Targets { labels, weight: self.weight.as_ref(), ignore_index: self.ignore_index };
        class_loss("nll_loss", log_probs, &targets, 0.0, self.reduction, site)
    }
}

/// Class-index targets with their options.
struct Targets<'a, T: Float> {
    labels: &'a [usize],
    weight: Option<&'a Tensor<T>>,
    ignore_index: Option<usize>,
}

impl<T: Float> Targets<'_, T> {
    fn ignored(&self, label: usize) -> bool {
        self.ignore_index == Some(label)
    }
}

/// The common core of the class-index losses, on log-probabilities `[N, C]`: per sample
/// `(1 − ε)·(−w[yᵢ]·lpᵢ[yᵢ]) + (ε/C)·(−Σ_c w_c·lpᵢ[c])`, 0 for an ignored sample, reduced
/// with the weighted mean where there are weights or ignored samples.
#[track_caller]
fn class_loss<'t, T: Float>(
    loss: &'static str,
    log_probs: &Var<'t, T>,
    targets: &Targets<'_, T>,
    smoothing: f64,
    reduction: Reduction,
    site: Site,
) -> Result<Var<'t, T>> {
    let (batch, classes) = (log_probs.dims()[0], log_probs.dims()[1]);
    let labels = targets.labels;
    if labels.len() != batch {
        return Err(Error::LabelCount { loss, labels: labels.len(), batch, site });
    }
    let out_of_range = labels.iter().enumerate().find(|&(_, &l)| l >= classes && !targets.ignored(l));
    if let Some((sample, &label)) = out_of_range {
        return Err(Error::LabelOutOfRange { loss, sample, label, classes, site });
    }
    if let Some(w) = targets.weight {
        check_class_weight(loss, w, classes, site)?;
    }
    let any_ignored = labels.iter().any(|&l| targets.ignored(l));
    // An ignored sample's label may not be a class: it picks class 0, and a `where_` replaces its
    // loss by 0 at the end (a mask multiplication would turn a −∞ log-probability into NaN).
    let picks: Vec<usize> = labels.iter().map(|&l| if targets.ignored(l) { 0 } else { l }).collect();
    let picked = log_probs.gather(1, &Indices::column(&picks))?.reshape([batch])?;
    // Each sample's weight: its class's weight, 0 if ignored; `None` when all are 1, so the
    // plain loss records no multiplication.
    let sample_weights = (targets.weight.is_some() || any_ignored).then(|| {
        Tensor::from_fn([batch], |i| match (targets.ignored(labels[i]), targets.weight) {
            (true, _) => T::ZERO,
            (false, Some(w)) => w.data()[labels[i]],
            (false, None) => T::ONE,
        })
    });
    let mut losses = match (targets.weight, &sample_weights) {
        (Some(_), Some(sw)) => picked.mul(&log_probs.constant(sw.clone()))?.neg(),
        _ => picked.neg(),
    };
    if smoothing > 0.0 {
        let weighted = match targets.weight {
            Some(w) => log_probs.mul(&log_probs.constant(w.clone()))?,
            None => log_probs.clone(),
        };
        let uniform = weighted.sum_axes(&[1], false)?.neg();
        let (on_label, spread) = (T::from_f64(1.0 - smoothing), T::from_f64(smoothing / classes as f64));
        losses = losses.mul_scalar(on_label).add(&uniform.mul_scalar(spread))?;
    }
    if any_ignored {
        let kept = Tensor::from_fn([batch], |i| if targets.ignored(labels[i]) { T::ZERO } else { T::ONE });
        losses = Var::where_(&log_probs.constant(kept), &losses, &log_probs.scalar(T::ZERO))?;
    }
    match (reduction, &sample_weights) {
        (Reduction::Mean, Some(sw)) => {
            let total = sw.data().iter().fold(T::ZERO, |acc, &w| acc + w);
            if total == T::ZERO {
                return Err(Error::ZeroTotalWeight { loss, site });
            }
            Ok(losses.sum().mul_scalar(T::ONE / total))
        }
        (Reduction::Mean, None) if batch == 0 => Err(Error::ZeroTotalWeight { loss, site }),
        _ => Ok(reduce(losses, reduction)),
    }
}

/// Checks that `x` is `[N, C]`.
fn check_matrix<T: Float>(loss: &'static str, x: &Var<'_, T>, site: Site) -> Result<()> {
    if x.rank() == 2 {
        return Ok(());
    }
    Err(Error::InputShape { layer: loss, expected: "[N, classes]".into(), got: x.shape().clone(), site })
}

fn check_class_weight<T: Float>(loss: &'static str, w: &Tensor<T>, classes: usize, site: Site) -> Result<()> {
    if w.dims() != [classes] {
        let msg = format!("weight must have one entry per class, [{classes}], got {}", w.shape());
        return Err(Error::config_at(loss, msg, site));
    }
    if let Some(v) = w.data().iter().find(|v| !v.is_finite()) {
        return Err(Error::config_at(loss, format!("weight must be finite, got {}", v.to_f64()), site));
    }
    Ok(())
}

fn check_smoothing(eps: f64, site: Site) -> Result<()> {
    if (0.0..=1.0).contains(&eps) {
        return Ok(());
    }
    Err(Error::config_at("cross_entropy", format!("label_smoothing must be in [0, 1], got {eps}"), site))
}
