//! [`Callback`]: code that [`Fit`](crate::Fit) runs at fixed points of training, to watch it,
//! change its course or stop it.
//!
//! See [`Callback`] for when each hook runs.

use crate::{EpochRecord, Error, History, Result};
use autograd::{Float, Tensor};
use nn::Module;

/// What a callback sees after a batch's backward pass, before the optimizer step.
pub struct BatchContext<'a, T: Float = f32> {
    /// The epoch, counting from 1.
    pub epoch: usize,
    /// The batch's index in the epoch, counting from 0.
    pub batch: usize,
    /// The number of batches in the epoch.
    pub batches: usize,
    /// The batch's loss.
    pub loss: f64,
    /// The learning rate the coming optimizer step will use.
    pub lr: f64,
    /// The model, its parameters holding this batch's gradients (`p.grad()`; in a
    /// data-parallel run, already combined across the ranks).
    pub model: &'a dyn Module<T>,
    /// This process's rank in a data-parallel run
    /// ([`Fit::data_parallel`](crate::Fit::data_parallel)), 0 otherwise; `loss` is then the
    /// loss of this rank's share of the batch.
    pub rank: usize,
    pub(crate) stop: &'a mut Option<String>,
}

impl<T: Float> BatchContext<'_, T> {
    /// Ends the run after the current epoch, for `reason` (kept in the history).
    pub fn stop(&mut self, reason: impl Into<String>) {
        self.stop.get_or_insert(reason.into());
    }
}

/// What a callback sees at the end of an epoch.
pub struct EpochContext<'a, T: Float = f32> {
    /// The epoch's record: its metrics (`"val_loss"`, …), learning rate and time.
    pub record: &'a EpochRecord,
    /// The model after the epoch's last step.
    pub model: &'a dyn Module<T>,
    /// This process's rank in a data-parallel run, 0 otherwise: only rank 0 writes files.
    pub rank: usize,
    pub(crate) stop: &'a mut Option<String>,
}

impl<T: Float> EpochContext<'_, T> {
    /// The epoch, counting from 1.
    pub fn epoch(&self) -> usize {
        self.record.epoch
    }

    /// Ends the run after this epoch, for `reason` (kept in the history).
    pub fn stop(&mut self, reason: impl Into<String>) {
        self.stop.get_or_insert(reason.into());
    }
}

/// What a callback sees at the beginning and at the end of a run.
pub struct TrainContext<'a, T: Float = f32> {
    /// The model.
    pub model: &'a dyn Module<T>,
    /// The names every epoch's record will have (`"loss"`, `"accuracy"`, `"val_loss"`, …), so a
    /// callback can check the metric it watches before the first epoch.
    pub metrics: &'a [String],
    /// The history so far: empty at the beginning of a fresh run, the saved epochs when
    /// resuming, every epoch at the end. A callback may set
    /// [`best_epoch`](History::best_epoch) at the end.
    pub history: &'a mut History,
    /// This process's rank in a data-parallel run, 0 otherwise: only rank 0 writes files.
    pub rank: usize,
}

/// A callback's saved progress: named numbers and named tensors, stored in the training-state
/// checkpoint (numbers exactly, as text in the file's metadata).
#[derive(Clone, Debug, PartialEq)]
pub struct CallbackState<T: Float = f32> {
    /// Counters and best values.
    pub numbers: Vec<(String, f64)>,
    /// Tensors (early stopping's best weights), under names without `','`.
    pub tensors: Vec<(String, Tensor<T>)>,
}

impl<T: Float> Default for CallbackState<T> {
    fn default() -> Self {
        CallbackState { numbers: Vec::new(), tensors: Vec::new() }
    }
}

impl<T: Float> CallbackState<T> {
    /// Whether there is nothing to save.
    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty() && self.tensors.is_empty()
    }

    /// A saved number, or an error naming the callback and the entry.
    pub fn number(&self, callback: &str, name: &str) -> Result<f64> {
        self.numbers.iter().find(|(n, _)| n == name).map(|&(_, v)| v).ok_or_else(|| Error::CallbackState {
            callback: callback.to_string(),
            msg: format!("the saved state has no {name:?}"),
        })
    }
}

/// Code run by [`Fit`](crate::Fit) at fixed points of training, to watch it, change its course
/// or stop it. Every hook has a default that does nothing, so a callback implements only what it
/// needs.
///
/// The points, in order:
///
/// ```text
/// on_train_begin
/// for each epoch:
///     for each batch:  forward, loss, backward
///                      after_backward          ← gradients are in the parameters' buffers
///                      optimizer step          (consumes them)
///     validation, learning-rate schedule
///     on_epoch_end                             ← the epoch's record (metrics, lr, time)
///     training state saved, history written
/// on_train_end                                 ← early stopping restores its best weights here
/// ```
///
/// Any hook may ask the run to stop ([`BatchContext::stop`], [`EpochContext::stop`]): the
/// current epoch finishes (validation, callbacks, saving) and the run ends, recording the reason
/// in [`History::stopped`](crate::History::stopped). A hook that returns an error ends the run
/// with that error at once.
///
/// A callback whose decisions depend on what it has seen (early stopping's best value and
/// patience count) saves that in [`Callback::state`], so that a resumed run decides exactly
/// as an uninterrupted one would.
///
/// ```
/// use train::{BatchContext, Callback};
///
/// /// The largest gradient norm of each parameter over the run: a check for exploding
/// /// gradients. Runs after backward, while the gradients are still there.
/// #[derive(Default)]
/// struct MaxGradNorm(std::collections::BTreeMap<String, f64>);
///
/// impl Callback for MaxGradNorm {
///     fn after_backward(&mut self, ctx: &mut BatchContext<'_>) -> train::Result<()> {
///         for (name, p) in ctx.model.named_parameters() {
///             let g = p.grad().expect("the backward pass filled every gradient");
///             let norm = g.data().iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
///             let max = self.0.entry(name).or_insert(0.0);
///             *max = max.max(norm);
///         }
///         Ok(())
///     }
/// }
/// ```
pub trait Callback<T: Float = f32> {
    /// A name unique among the run's callbacks, made of letters, digits and `_`: it keys the
    /// callback's saved state in a checkpoint. Defaults to the type's name.
    fn name(&self) -> String {
        let full = std::any::type_name::<Self>();
        let base = full.split('<').next().unwrap_or(full);
        base.rsplit("::").next().unwrap_or(base).to_string()
    }

    /// Before the first epoch (of this call to [`Fit::run`](crate::Fit::run), so after the
    /// saved state is loaded when resuming).
    fn on_train_begin(&mut self, ctx: &mut TrainContext<'_, T>) -> Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// After each batch's backward pass and before the optimizer step consumes the gradients.
    fn after_backward(&mut self, ctx: &mut BatchContext<'_, T>) -> Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// After each epoch's validation and learning-rate schedule step.
    fn on_epoch_end(&mut self, ctx: &mut EpochContext<'_, T>) -> Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// After the last epoch, or after the epoch a callback stopped the run.
    fn on_train_end(&mut self, ctx: &mut TrainContext<'_, T>) -> Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// The progress to save for resuming. The default has none.
    fn state(&self) -> CallbackState<T> {
        CallbackState::default()
    }

    /// Restores progress saved by [`state`](Callback::state). The default accepts only an
    /// empty state.
    fn load_state(&mut self, state: CallbackState<T>) -> Result<()> {
        if state.is_empty() {
            Ok(())
        } else {
            Err(Error::CallbackState {
                callback: self.name(),
                msg: "it keeps no state, but the checkpoint holds some".into(),
            })
        }
    }
}

type BatchHook<'a, T> = Box<dyn FnMut(&mut BatchContext<'_, T>) -> Result<()> + 'a>;
type EpochHook<'a, T> = Box<dyn FnMut(&mut EpochContext<'_, T>) -> Result<()> + 'a>;

/// A closure as a callback ([`Fit::after_backward`](crate::Fit::after_backward),
/// [`Fit::on_epoch_end`](crate::Fit::on_epoch_end)).
pub(crate) enum Lambda<'a, T: Float> {
    AfterBackward(String, BatchHook<'a, T>),
    EpochEnd(String, EpochHook<'a, T>),
}

impl<T: Float> Callback<T> for Lambda<'_, T> {
    fn name(&self) -> String {
        match self {
            Lambda::AfterBackward(name, _) | Lambda::EpochEnd(name, _) => name.clone(),
        }
    }

    fn after_backward(&mut self, ctx: &mut BatchContext<'_, T>) -> Result<()> {
        match self {
            Lambda::AfterBackward(_, f) => f(ctx),
            Lambda::EpochEnd(..) => Ok(()),
        }
    }

    fn on_epoch_end(&mut self, ctx: &mut EpochContext<'_, T>) -> Result<()> {
        match self {
            Lambda::EpochEnd(_, f) => f(ctx),
            Lambda::AfterBackward(..) => Ok(()),
        }
    }
}

/// Whether a metric should go down (a loss) or up (an accuracy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

impl Mode {
    /// Keras's `"auto"`: [`Mode::Max`] for a name containing `acc` (`"val_accuracy"`,
    /// `"top_5_accuracy"`), else [`Mode::Min`] (losses and errors).
    pub fn infer(metric: &str) -> Mode {
        if metric.contains("acc") {
            Mode::Max
        } else {
            Mode::Min
        }
    }

    /// Whether `value` improves on `best` by more than `min_delta` (≥ 0): `value < best −
    /// min_delta` for [`Mode::Min`], `value > best + min_delta` for [`Mode::Max`]. NaN never
    /// improves.
    pub fn improves(self, value: f64, best: f64, min_delta: f64) -> bool {
        match self {
            Mode::Min => value < best - min_delta,
            Mode::Max => value > best + min_delta,
        }
    }

    /// The starting "best": one every number improves on.
    pub(crate) fn worst(self) -> f64 {
        match self {
            Mode::Min => f64::INFINITY,
            Mode::Max => f64::NEG_INFINITY,
        }
    }
}

/// Checks that `metric` is one of the run's metric names.
pub(crate) fn check_monitor(owner: &str, metric: &str, available: &[String]) -> Result<()> {
    if metric == "lr" || available.iter().any(|m| m == metric) {
        Ok(())
    } else {
        Err(Error::UnknownMetric {
            owner: owner.to_string(),
            metric: metric.to_string(),
            available: available.to_vec(),
        })
    }
}
