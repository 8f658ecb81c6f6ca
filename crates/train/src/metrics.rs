//! Classification metrics as values: [`argmax`], [`accuracy`], [`top_k_accuracy`],
//! [`ConfusionMatrix`], and the [`Metric`] trait for adding one's own.
//!
//! Every metric here reads logits (or probabilities: anything whose largest entry is the
//! predicted class) as an `[N, C]` tensor, one row per sample, with `N` class labels.
//!
//! # One tie rule
//! A row's predicted class is its **first** largest entry: `[0.2, 0.7, 0.7]` predicts class 1,
//! as `torch.argmax` and NumPy's `argmax` do. NaN counts as larger than every number (so a row
//! holding a NaN predicts the first NaN, again as both of them), which makes a diverged model
//! score as the wrong class instead of disappearing from the count. The rule is autograd's
//! ([`Tensor::argmax`] and [`Tensor::topk`], which these metrics call), so
//! `top_k_accuracy(.., 1)` equals [`accuracy`] on every input, and a prediction made here is the
//! one `argmax` gives anywhere else.

use crate::{Error, Result};
use autograd::{Float, Tensor};
use std::fmt;

/// Checks that `logits` is `[N, C]` with `C ≥ 1`; returns `C`.
fn classes(metric: &str, logits: &Tensor<impl Float>) -> Result<usize> {
    if logits.rank() != 2 || logits.dims()[1] == 0 {
        let msg = format!("logits must be [N, classes] with at least one class, got shape {}", logits.shape());
        return Err(Error::InvalidArgument { op: "metric", msg: format!("{metric}: {msg}") });
    }
    Ok(logits.dims()[1])
}

/// Checks that `logits` is `[N, C]` with `C ≥ 1` and that there are `N` labels; returns `C`.
fn check(metric: &str, logits: &Tensor<impl Float>, labels: &[usize]) -> Result<usize> {
    let classes = classes(metric, logits)?;
    let rows = logits.dims()[0];
    if rows != labels.len() {
        return Err(Error::MetricLength { metric: metric.to_string(), predictions: rows, labels: labels.len() });
    }
    Ok(classes)
}

/// The predicted class of each row of an `[N, C]` tensor: the index of its first largest entry
/// (see [the tie rule](self#one-tie-rule)).
///
/// ```
/// use autograd::Tensor;
/// let logits = Tensor::<f32>::from_vec(vec![0.2, 0.7, 0.7, 3.0, -1.0, 0.0], [2, 3]).unwrap();
/// assert_eq!(train::metrics::argmax(&logits).unwrap(), [1, 0]); // ties go to the first
/// ```
///
/// Fails if the tensor is not `[N, C]` with `C ≥ 1`.
pub fn argmax<T: Float>(logits: &Tensor<T>) -> Result<Vec<usize>> {
    classes("argmax", logits)?;
    Ok(logits.argmax(1, false)?.to_vec())
}

/// The fraction of rows whose predicted class ([`argmax`]) is the label: in `[0, 1]`, 0 for no
/// rows.
///
/// ```
/// use autograd::Tensor;
/// use train::metrics::accuracy;
/// let logits = Tensor::<f32>::from_vec(vec![0.1, 0.9, 0.5, 0.5, 2.0, 1.0], [3, 2]).unwrap();
/// assert_eq!(accuracy(&logits, &[1, 1, 0]).unwrap(), 2.0 / 3.0); // the tied row predicts class 0
/// assert!(accuracy(&logits, &[1, 1]).is_err()); // 3 predictions, 2 labels
/// ```
///
/// Fails if the logits are not `[N, C]` or there are not `N` labels.
pub fn accuracy<T: Float>(logits: &Tensor<T>, labels: &[usize]) -> Result<f64> {
    top_k_accuracy(logits, labels, 1)
}

/// The fraction of rows whose label is among the `k` highest-ranked classes, ranked by value
/// with ties going to the lower class index (the rule of [`argmax`]): the label's rank is the
/// number of classes above it plus the number of lower-indexed classes equal to it. A label
/// that is not a class (`≥ C`) is never among them. `k ≥ C` gives 1.
///
/// ```
/// use autograd::Tensor;
/// use train::metrics::top_k_accuracy;
/// let logits = Tensor::<f64>::from_vec(vec![0.1, 0.5, 0.4, 0.3, 0.3, 0.3], [2, 3]).unwrap();
/// assert_eq!(top_k_accuracy(&logits, &[2, 2], 1).unwrap(), 0.0);
/// assert_eq!(top_k_accuracy(&logits, &[2, 2], 2).unwrap(), 0.5); // row 2: class 2 ranks third
/// assert_eq!(top_k_accuracy(&logits, &[2, 2], 3).unwrap(), 1.0);
/// ```
///
/// Fails if the logits are not `[N, C]`, there are not `N` labels, or `k` is 0.
pub fn top_k_accuracy<T: Float>(logits: &Tensor<T>, labels: &[usize], k: usize) -> Result<f64> {
    let name = if k == 1 { "accuracy".to_string() } else { format!("top_{k}_accuracy") };
    let classes = check(&name, logits, labels)?;
    if k == 0 {
        return Err(Error::invalid("top_k_accuracy", "k must be at least 1, got 0"));
    }
    if labels.is_empty() {
        return Ok(0.0);
    }
    // The k highest-ranked classes of each row, by autograd's rule (ties to the lower index).
    let k = k.min(classes);
    let (_, top) = logits.topk(k, 1, true)?;
    let hits = top.data().chunks_exact(k).zip(labels).filter(|(top, label)| top.contains(label)).count();
    Ok(hits as f64 / labels.len() as f64)
}

/// A metric computed from a whole dataset's logits and labels, so that a run can report it
/// beside the loss and accuracy (its [`name`](Metric::name) becomes a column of the
/// [`History`](crate::History), `val_`-prefixed on the validation data).
///
/// ```
/// use autograd::{Float, Tensor};
/// use train::metrics::{argmax, Metric};
///
/// /// The fraction of samples predicted as class 0: a check for a collapsed classifier.
/// struct ShareOfZeros;
/// impl<T: Float> Metric<T> for ShareOfZeros {
///     fn name(&self) -> String {
///         "share_of_zeros".into()
///     }
///     fn compute(&self, logits: &Tensor<T>, labels: &[usize]) -> train::Result<f64> {
///         let predicted = argmax(logits)?;
///         Ok(predicted.iter().filter(|&&c| c == 0).count() as f64 / labels.len().max(1) as f64)
///     }
/// }
///
/// let logits = Tensor::<f32>::from_vec(vec![1.0, 0.0, 0.0, 1.0], [2, 2]).unwrap();
/// assert_eq!(ShareOfZeros.compute(&logits, &[0, 0]).unwrap(), 0.5);
/// ```
pub trait Metric<T: Float = f32> {
    /// The metric's name in histories and progress lines (`"top_5_accuracy"`); letters,
    /// digits and `_`.
    fn name(&self) -> String;

    /// The metric over `[N, C]` logits and `N` labels. Should fail on mismatched lengths (the
    /// helpers of this module do).
    fn compute(&self, logits: &Tensor<T>, labels: &[usize]) -> Result<f64>;
}

/// [`top_k_accuracy`] as a [`Metric`], named `top_{k}_accuracy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopKAccuracy(pub usize);

impl<T: Float> Metric<T> for TopKAccuracy {
    fn name(&self) -> String {
        format!("top_{}_accuracy", self.0)
    }

    fn compute(&self, logits: &Tensor<T>, labels: &[usize]) -> Result<f64> {
        top_k_accuracy(logits, labels, self.0)
    }
}

/// Counts of (true class, predicted class) pairs: row `i`, column `j` counts the samples of
/// class `i` predicted as class `j` (scikit-learn's layout), predictions by [`argmax`].
///
/// ```
/// use autograd::Tensor;
/// use train::metrics::ConfusionMatrix;
/// let logits = Tensor::<f32>::from_vec(vec![0.9, 0.1, 0.2, 0.8, 0.7, 0.3], [3, 2]).unwrap();
/// let m = ConfusionMatrix::new(&logits, &[0, 1, 1], 2).unwrap();
/// assert_eq!(m.count(1, 0), 1); // one sample of class 1 taken for a 0
/// assert_eq!(m.row(1), &[1, 1]);
/// assert_eq!(m.accuracy(), 2.0 / 3.0);
/// assert_eq!(m.recall(), [Some(1.0), Some(0.5)]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    classes: usize,
    counts: Vec<usize>,
}

impl ConfusionMatrix {
    /// The matrix of `[N, C]` logits against `N` labels over `classes` classes (normally `C`).
    ///
    /// Fails if the logits are not `[N, C]`, there are not `N` labels, or a label or a
    /// predicted class is not below `classes`.
    pub fn new<T: Float>(logits: &Tensor<T>, labels: &[usize], classes: usize) -> Result<Self> {
        check("confusion matrix", logits, labels)?;
        ConfusionMatrix::from_predictions(&argmax(logits)?, labels, classes)
    }

    /// The matrix of predicted classes against labels, both `N` long, over `classes` classes.
    ///
    /// Fails if the lengths differ or a class is not below `classes`.
    pub fn from_predictions(predicted: &[usize], labels: &[usize], classes: usize) -> Result<Self> {
        if predicted.len() != labels.len() {
            let (predictions, labels) = (predicted.len(), labels.len());
            return Err(Error::MetricLength { metric: "confusion matrix".into(), predictions, labels });
        }
        let mut counts = vec![0; classes * classes];
        for (i, (&p, &y)) in predicted.iter().zip(labels).enumerate() {
            if p >= classes || y >= classes {
                let msg = format!("sample {i} has label {y} and prediction {p}, not both below {classes} classes");
                return Err(Error::invalid("ConfusionMatrix", msg));
            }
            counts[y * classes + p] += 1;
        }
        Ok(ConfusionMatrix { classes, counts })
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// How many samples of class `actual` were predicted as `predicted`. Panics if either is not
    /// below [`classes`](ConfusionMatrix::classes), as slice indexing does.
    pub fn count(&self, actual: usize, predicted: usize) -> usize {
        assert!(actual < self.classes && predicted < self.classes, "class out of range");
        self.counts[actual * self.classes + predicted]
    }

    /// The predictions for the samples of class `actual`, by predicted class.
    pub fn row(&self, actual: usize) -> &[usize] {
        &self.counts[actual * self.classes..(actual + 1) * self.classes]
    }

    /// The number of samples counted.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// The fraction on the diagonal (0 for an empty matrix): the same number as [`accuracy`].
    pub fn accuracy(&self) -> f64 {
        let correct: usize = (0..self.classes).map(|c| self.count(c, c)).sum();
        correct as f64 / self.total().max(1) as f64
    }

    /// Per class, the fraction of its samples predicted correctly; `None` for a class with no
    /// samples.
    pub fn recall(&self) -> Vec<Option<f64>> {
        (0..self.classes)
            .map(|c| {
                let n: usize = self.row(c).iter().sum();
                (n > 0).then(|| self.count(c, c) as f64 / n as f64)
            })
            .collect()
    }
}

/// A table: one row per true class, one column per predicted class.
impl fmt::Display for ConfusionMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.counts.iter().max().map_or(1, |m| m.to_string().len()).max(self.classes.to_string().len());
        write!(f, "{:>w$} |", "", w = width)?;
        for c in 0..self.classes {
            write!(f, " {c:>width$}")?;
        }
        writeln!(f)?;
        for actual in 0..self.classes {
            write!(f, "{actual:>width$} |")?;
            for n in self.row(actual) {
                write!(f, " {n:>width$}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(rows: &[&[f32]]) -> Tensor<f32> {
        let c = rows[0].len();
        Tensor::from_vec(rows.concat(), [rows.len(), c]).unwrap()
    }

    #[test]
    fn ties_go_to_the_first_largest_and_nan_ranks_highest() {
        let logits = t(&[&[1.0, 1.0, 0.0], &[0.0, 2.0, 2.0], &[f32::NAN, 5.0, f32::NAN], &[-1.0, f32::NAN, 9.0]]);
        assert_eq!(argmax(&logits).unwrap(), [0, 1, 0, 1]);
        // The three rules the repository used before disagreed exactly here: a strict `>` scan
        // (first maximum), "label's value ≥ every value" (a tie counts as right), and PyTorch's.
        assert_eq!(accuracy(&logits, &[1, 2, 1, 2]).unwrap(), 0.0);
        assert_eq!(accuracy(&logits, &[0, 1, 0, 1]).unwrap(), 1.0);
    }

    #[test]
    fn top_1_is_accuracy_and_top_c_is_everything() {
        let logits =
            t(&[&[0.3, 0.3, 0.1, 0.3], &[f32::NAN, 0.0, 1.0, 1.0], &[4.0, 3.0, 2.0, 1.0], &[0.0, 0.0, 0.0, 0.0]]);
        for labels in [[0, 0, 0, 0], [1, 2, 3, 3], [2, 0, 1, 0], [3, 3, 3, 1]] {
            assert_eq!(top_k_accuracy(&logits, &labels, 1).unwrap(), accuracy(&logits, &labels).unwrap());
            assert_eq!(top_k_accuracy(&logits, &labels, 4).unwrap(), 1.0);
            assert_eq!(top_k_accuracy(&logits, &labels, 9).unwrap(), 1.0);
        }
        // Ranks in row 0: class 0 first, 1 second, 3 third (ties by index), 2 fourth.
        let row0 = t(&[&[0.3, 0.3, 0.1, 0.3]]);
        let rank = |label| (1..=4).find(|&k| top_k_accuracy(&row0, &[label], k).unwrap() == 1.0).unwrap();
        assert_eq!([rank(0), rank(1), rank(2), rank(3)], [1, 2, 4, 3]);
    }

    #[test]
    fn mismatched_lengths_and_bad_shapes_are_errors() {
        let logits = t(&[&[0.0, 1.0], &[1.0, 0.0], &[0.5, 0.5]]);
        let err = accuracy(&logits, &[0, 1]).unwrap_err();
        assert!(matches!(err, Error::MetricLength { predictions: 3, labels: 2, .. }));
        assert_eq!(err.to_string(), "accuracy: 3 predictions but 2 labels");
        let err = top_k_accuracy(&logits, &[0; 4], 2).unwrap_err();
        assert_eq!(err.to_string(), "top_2_accuracy: 3 predictions but 4 labels");
        let err = ConfusionMatrix::from_predictions(&[0, 1], &[1], 2).unwrap_err();
        assert_eq!(err.to_string(), "confusion matrix: 2 predictions but 1 labels");
        assert!(top_k_accuracy(&logits, &[0, 0, 0], 0).is_err());
        let flat = Tensor::<f32>::zeros([6]);
        assert_eq!(
            accuracy(&flat, &[0; 6]).unwrap_err().to_string(),
            "invalid argument to metric: accuracy: logits must be [N, classes] with at least one class, got shape [6]"
        );
        assert!(ConfusionMatrix::from_predictions(&[2], &[0], 2).is_err());
    }

    #[test]
    fn the_confusion_matrix_agrees_with_accuracy() {
        let logits = t(&[&[0.9, 0.1, 0.0], &[0.1, 0.8, 0.1], &[0.5, 0.4, 0.1], &[0.0, 0.0, 1.0], &[0.3, 0.3, 0.3]]);
        let labels = [0, 1, 1, 2, 2];
        let m = ConfusionMatrix::new(&logits, &labels, 3).unwrap();
        assert_eq!(m.accuracy(), accuracy(&logits, &labels).unwrap());
        assert_eq!((m.row(0), m.row(1), m.row(2)), (&[1, 0, 0][..], &[1, 1, 0][..], &[1, 0, 1][..]));
        assert_eq!(m.total(), 5);
        assert_eq!(m.recall(), [Some(1.0), Some(0.5), Some(0.5)]);
        assert_eq!(m.to_string(), "  | 0 1 2\n0 | 1 0 0\n1 | 1 1 0\n2 | 1 0 1\n");
    }
}
