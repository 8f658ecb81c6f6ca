//! [`evaluate`] and [`predict`]: a trained model on data, batch by batch, without recording a
//! tape and with dropout in evaluation mode.

use crate::data::{Batch, DataLoader, Dataset};
use crate::metrics::{self, ConfusionMatrix, Metric};
use crate::{Error, Result};
use autograd::{Float, Tape, Tensor, Var};
use nn::Module;

/// A loss as [`Fit`](crate::Fit) and [`evaluate`] take it: from a batch's logits and the batch
/// (its labels, indices and images) to a scalar on the logits' tape. Any closure of this shape
/// plugs in: a penalty added, a weighting of classes, a loss of one's own. [`cross_entropy`] is
/// the usual one.
pub type LossFn<'a, T> = dyn for<'t> Fn(&Var<'t, T>, &Batch<T>) -> nn::Result<Var<'t, T>> + 'a;

/// The mean cross-entropy of a batch's logits against its labels: the loss of a classifier
/// (`nn::cross_entropy` with `Reduction::Mean`, in the shape [`LossFn`] asks for).
pub fn cross_entropy<'t, T: Float>(logits: &Var<'t, T>, batch: &Batch<T>) -> nn::Result<Var<'t, T>> {
    nn::cross_entropy(logits, &batch.labels, nn::Reduction::Mean)
}

/// The value of a loss, which must hold one number.
pub(crate) fn loss_value<T: Float>(loss: &Var<'_, T>) -> Result<f64> {
    if loss.numel() != 1 {
        return Err(Error::LossNotScalar { shape: loss.shape().clone() });
    }
    Ok(loss.value().data()[0].to_f64())
}

/// A model's results on a dataset: loss and accuracy, and the logits and labels to compute
/// any other metric from.
#[derive(Clone, Debug)]
pub struct Evaluation<T: Float = f32> {
    /// The loss per sample: each batch's loss weighted by its size (for a mean-reduced loss,
    /// the mean over the whole dataset).
    pub loss: f64,
    /// The fraction of samples whose first largest logit is the label ([`metrics::accuracy`]).
    pub accuracy: f64,
    /// The model's output, `[N, C]`, in the dataset's order.
    pub logits: Tensor<T>,
    /// The dataset's labels.
    pub labels: Vec<usize>,
}

impl<T: Float> Evaluation<T> {
    /// Any [`Metric`] on these logits and labels.
    pub fn metric(&self, metric: &dyn Metric<T>) -> Result<f64> {
        metric.compute(&self.logits, &self.labels)
    }

    /// The confusion matrix over the logits' classes.
    pub fn confusion_matrix(&self) -> Result<ConfusionMatrix> {
        let classes = self.logits.dims().get(1).copied().unwrap_or(0);
        ConfusionMatrix::new(&self.logits, &self.labels, classes)
    }
}

/// Runs `model` over `data` in batches of `batch_size`, in order, without recording (nothing
/// here needs a gradient) and in evaluation mode (dropout off); every module gets its previous
/// mode back afterwards. Returns the loss under `loss`, the accuracy, and the logits.
///
/// ```
/// use autograd::Tensor;
/// use nn::{LinearConfig, Module};
/// use rand::{rngs::StdRng, SeedableRng};
/// use train::data::Dataset;
///
/// let model = LinearConfig::new(2, 3).init::<f32>(&mut StdRng::seed_from_u64(0))?;
/// let data = Dataset::new(Tensor::from_fn([5, 2], |i| i as f32), vec![0, 1, 2, 1, 0], 3)?;
/// let result = train::evaluate(&model, &data, 2, train::cross_entropy)?;
/// assert_eq!(result.logits.dims(), &[5, 3]);
/// assert_eq!(result.accuracy, train::metrics::accuracy(&result.logits, data.labels())?);
/// assert!(result.loss > 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Fails if the dataset is empty, `batch_size` is 0, the model or the loss fails, or the loss
/// is not a scalar.
pub fn evaluate<T, M, L>(model: &M, data: &Dataset<T>, batch_size: usize, loss: L) -> Result<Evaluation<T>>
where
    T: Float,
    M: Module<T> + ?Sized,
    L: for<'t> Fn(&Var<'t, T>, &Batch<T>) -> nn::Result<Var<'t, T>>,
{
    evaluate_with(model, data, batch_size, &loss)
}

/// [`evaluate`] with the loss as a trait object (what [`Fit`](crate::Fit) holds).
pub(crate) fn evaluate_with<T: Float, M: Module<T> + ?Sized>(
    model: &M,
    data: &Dataset<T>,
    batch_size: usize,
    loss: &LossFn<'_, T>,
) -> Result<Evaluation<T>> {
    if data.is_empty() {
        return Err(Error::EmptyDataset { op: "evaluate" });
    }
    let loader = DataLoader::new(data, batch_size)?;
    let _eval = eval_mode(model);
    let mut tape = Tape::new();
    let (mut loss_sum, mut logits, mut width) = (0.0, Vec::new(), None);
    for batch in loader.epoch(0) {
        {
            let (out, batch_loss) = tape.no_grad(|| -> Result<_> {
                let out = model.forward(&tape.constant(batch.images.clone()))?;
                let value = loss_value(&loss(&out, &batch)?)?;
                Ok((out, value))
            })?;
            width = Some(check_rows(out.value(), batch.len(), width)?);
            loss_sum += batch_loss * batch.len() as f64;
            logits.extend_from_slice(out.value().data());
        }
        tape.clear();
    }
    let classes = width.expect("a non-empty dataset has a batch");
    let logits = Tensor::from_vec(logits, [data.len(), classes]).expect("every batch gave rows of `classes` logits");
    let accuracy = metrics::accuracy(&logits, data.labels())?;
    Ok(Evaluation { loss: loss_sum / data.len() as f64, accuracy, logits, labels: data.labels().to_vec() })
}

/// Checks that a model's output for `rows` samples is `[rows, C]`, with the `C` of earlier
/// batches if any; returns `C`.
pub(crate) fn check_rows<T: Float>(out: &Tensor<T>, rows: usize, width: Option<usize>) -> Result<usize> {
    let c = out.dims().get(1).copied().unwrap_or(0);
    if out.rank() != 2 || out.dims()[0] != rows || width.is_some_and(|w| w != c) {
        let expected = match width {
            Some(w) => format!("[{rows}, {w}]"),
            None => format!("[{rows}, classes]"),
        };
        return Err(Error::OutputShape { expected, got: out.shape().clone() });
    }
    Ok(c)
}

/// The model's output for every row of `inputs` (`[N, D]`), computed in batches of
/// `batch_size` without recording and in evaluation mode (every module gets its previous mode
/// back afterwards). For a classifier, the logits: [`metrics::argmax`] turns them into classes.
///
/// ```
/// use autograd::Tensor;
/// use nn::{DropoutConfig, LinearConfig, Module, Sequential};
/// use rand::{rngs::StdRng, SeedableRng};
///
/// let mut rng = StdRng::seed_from_u64(0);
/// let model = Sequential::<f32>::new()
///     .push(LinearConfig::new(4, 3).init(&mut rng)?)
///     .push(DropoutConfig::new(0.5).init(&mut rng)?);
/// let x = Tensor::rand_normal([10, 4], 0.0, 1.0, &mut rng);
/// let a = train::predict(&model, &x, 3)?;
/// let b = train::predict(&model, &x, 3)?;
/// assert_eq!(a, b); // no dropout in evaluation mode
/// // Another batch size may round differently (the GEMM kernel's blocking depends on it).
/// assert!(train::predict(&model, &x, 10)?.max_abs_diff(&a) < 1e-5);
/// assert_eq!(model.get(1).unwrap().own_training(), Some(true)); // the mode is given back
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Fails if `inputs` is not `[N, D]`, `batch_size` is 0, the model fails, or its output for
/// a batch is not one row per input. No inputs give a `[0, 0]` tensor: the model is not run.
pub fn predict<T: Float, M: Module<T> + ?Sized>(model: &M, inputs: &Tensor<T>, batch_size: usize) -> Result<Tensor<T>> {
    if inputs.rank() != 2 {
        return Err(Error::invalid("predict", format!("inputs must be [N, D], got shape {}", inputs.shape())));
    }
    if batch_size == 0 {
        return Err(Error::invalid("predict", "batch_size must be at least 1, got 0"));
    }
    let (n, d) = (inputs.dims()[0], inputs.dims()[1]);
    let _eval = eval_mode(model);
    let mut tape = Tape::new();
    let (mut out, mut width) = (Vec::new(), None);
    for start in (0..n).step_by(batch_size) {
        let rows = batch_size.min(n - start);
        let x = Tensor::from_vec(inputs.data()[start * d..(start + rows) * d].to_vec(), [rows, d])
            .expect("rows × D values of an [N, D] tensor");
        {
            let y = tape.no_grad(|| model.forward(&tape.constant(x)))?;
            width = Some(check_rows(y.value(), rows, width)?);
            out.extend_from_slice(y.value().data());
        }
        tape.clear();
    }
    Ok(Tensor::from_vec(out, [n, width.unwrap_or(0)]).expect("n rows of `width` outputs"))
}

/// Remembers every module's own mode and gives it back when dropped. A module that does not
/// report its mode ([`Module::own_training`] is `None`) is given back training mode, the mode
/// every module starts in.
pub(crate) struct RestoreModes<'a, T: Float, M: Module<T> + ?Sized> {
    model: &'a M,
    modes: Vec<Option<bool>>,
    _element: std::marker::PhantomData<T>,
}

impl<'a, T: Float, M: Module<T> + ?Sized> RestoreModes<'a, T, M> {
    /// Remembers the modes of `model`'s tree.
    pub(crate) fn save(model: &'a M) -> Self {
        RestoreModes { model, modes: modes(model), _element: std::marker::PhantomData }
    }
}

impl<T: Float, M: Module<T> + ?Sized> Drop for RestoreModes<'_, T, M> {
    fn drop(&mut self) {
        restore(self.model, &mut self.modes.iter());
    }
}

/// Puts `model` in evaluation mode until the returned guard drops.
pub(crate) fn eval_mode<T: Float, M: Module<T> + ?Sized>(model: &M) -> RestoreModes<'_, T, M> {
    let guard = RestoreModes::save(model);
    model.eval();
    guard
}

/// Every module's own mode, depth first (a module before its children).
pub(crate) fn modes<T: Float, M: Module<T> + ?Sized>(module: &M) -> Vec<Option<bool>> {
    fn walk<T: Float, M: Module<T> + ?Sized>(module: &M, out: &mut Vec<Option<bool>>) {
        out.push(module.own_training());
        module.visit_children(&mut |_, child| walk(child, out));
    }
    let mut out = Vec::new();
    walk(module, &mut out);
    out
}

/// Sets every module's own mode from `modes` (as [`modes`] listed them).
pub(crate) fn restore<'m, T: Float, M: Module<T> + ?Sized>(
    module: &M,
    modes: &mut impl Iterator<Item = &'m Option<bool>>,
) {
    let mode = modes.next().expect("the tree has not changed since its modes were read");
    module.set_own_training(mode.unwrap_or(true));
    module.visit_children(&mut |_, child| restore(child, modes));
}

#[cfg(test)]
mod tests {
    use super::*;
    use nn::{DropoutConfig, LinearConfig, Sequential};
    use rand::{rngs::StdRng, SeedableRng};

    fn model() -> Sequential<f64> {
        let mut rng = StdRng::seed_from_u64(3);
        Sequential::new()
            .push(LinearConfig::new(3, 4).init(&mut rng).unwrap())
            .push(DropoutConfig::new(0.5).init_seeded(1).unwrap())
            .push(Sequential::new().push(DropoutConfig::new(0.2).init_seeded(2).unwrap()))
    }

    fn data() -> Dataset<f64> {
        let images = Tensor::rand_normal([7, 3], 0.0, 1.0, &mut StdRng::seed_from_u64(0));
        Dataset::new(images, vec![0, 1, 2, 3, 0, 1, 2], 4).unwrap()
    }

    #[test]
    fn batches_do_not_change_the_result_and_modes_come_back() {
        let model = model();
        model.get(2).unwrap().eval(); // a mixed tree: outer dropout training, inner in eval
        let before = modes(&model);
        let whole = evaluate(&model, &data(), 7, cross_entropy).unwrap();
        let batched = evaluate(&model, &data(), 2, cross_entropy).unwrap();
        assert_eq!(modes(&model), before);
        assert_eq!(before, [None, Some(true), Some(true), None, Some(false)]);
        assert_eq!(whole.logits, batched.logits);
        assert!((whole.loss - batched.loss).abs() < 1e-12);
        // The loss is the mean cross-entropy over all 7 samples, computed in one go here.
        let tape = Tape::new();
        model.eval();
        let logits = model.forward(&tape.constant(data().images().clone())).unwrap();
        let direct = nn::cross_entropy(&logits, data().labels(), nn::Reduction::Mean).unwrap().item();
        assert!((whole.loss - direct).abs() < 1e-12);
        assert_eq!(logits.value(), &whole.logits);
        assert_eq!(predict(&model, data().images(), 3).unwrap(), whole.logits);
    }

    #[test]
    fn a_loss_that_is_not_a_scalar_is_an_error() {
        // Per-sample losses: no reduction.
        let err = evaluate(&model(), &data(), 4, |logits, batch| {
            nn::cross_entropy(logits, &batch.labels, nn::Reduction::None)
        })
        .unwrap_err();
        assert!(matches!(err, Error::LossNotScalar { .. }));
        assert_eq!(
            err.to_string(),
            "the loss must be a scalar, but the loss function returned shape [4] \
             (reduce it, e.g. with Reduction::Mean)"
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        let (_, empty) = data().split_at(7).unwrap();
        assert_eq!(
            evaluate(&model(), &empty, 4, cross_entropy).unwrap_err().to_string(),
            "evaluate needs a non-empty dataset, got 0 samples"
        );
        assert!(evaluate(&model(), &data(), 0, cross_entropy).is_err());
        assert!(predict(&model(), &Tensor::zeros([3]), 2).is_err());
        assert!(predict(&model(), data().images(), 0).is_err());
        assert_eq!(predict(&model(), &Tensor::zeros([0, 3]), 2).unwrap().dims(), &[0, 0]);
    }
}
