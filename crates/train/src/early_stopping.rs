//! [`EarlyStopping`]: stop when a validation metric stops improving, and keep the weights of the
//! epoch where it was best.
//!
//! The rule as the lecture that `docs/lecture.md` follows states it (measured there, §5): the
//! validation error falls while the network learns what generalizes, then rises as it starts to
//! fit the noise of the training set; train until it has not improved for `patience` epochs,
//! and keep the weights of the epoch where it was lowest.
//!
//! The rule, with Keras's semantics so that settings carry over, is on [`EarlyStopping`].

use crate::callback::{check_monitor, Callback, CallbackState, EpochContext, Mode, TrainContext};
use crate::{Error, Result};
use autograd::{Float, Tensor};

/// Stops training when a monitored metric has stopped improving, with Keras's semantics:
///
/// - an epoch **improves** if its metric beats the best so far by more than `min_delta`:
///   `m < best − min_delta` when minimizing, `m > best + min_delta` when maximizing. NaN never
///   improves.
/// - the run stops after an epoch that leaves `patience` or more epochs since the last
///   improvement (never after the first epoch): with `patience = 3` and the best value at epoch
///   5, epochs 6, 7 and 8 fail to improve and the run stops after epoch 8.
/// - with `restore_best_weights`, the model ends the run with the parameters it had at the end
///   of the best epoch, bit for bit, whether the run stopped early or used all its epochs (as
///   Keras 3); if no epoch ever improved (a NaN from the start), the first epoch's.
///
/// ```
/// use train::EarlyStopping;
/// let stop = EarlyStopping::<f32>::new("val_loss").patience(3).min_delta(1e-4).restore_best_weights(true);
/// assert_eq!(stop.best_epoch(), None); // nothing seen yet
/// ```
#[derive(Clone, Debug)]
pub struct EarlyStopping<T: Float = f32> {
    monitor: String,
    mode: Mode,
    patience: usize,
    min_delta: f64,
    restore_best_weights: bool,
    best: f64,
    best_epoch: Option<usize>,
    wait: usize,
    best_weights: Option<Vec<(String, Tensor<T>)>>,
}

impl<T: Float> EarlyStopping<T> {
    /// Watches `monitor` (a name of the run's history, such as `"val_loss"` or
    /// `"val_accuracy"`), in the mode its name suggests ([`Mode::infer`]), with patience 0,
    /// `min_delta` 0 and without restoring weights: Keras's defaults.
    pub fn new(monitor: impl Into<String>) -> Self {
        let monitor = monitor.into();
        let mode = Mode::infer(&monitor);
        EarlyStopping {
            monitor,
            mode,
            patience: 0,
            min_delta: 0.0,
            restore_best_weights: false,
            best: mode.worst(),
            best_epoch: None,
            wait: 0,
            best_weights: None,
        }
    }

    /// Minimize or maximize the metric.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self.best = mode.worst();
        self
    }

    /// The number of epochs without improvement after which training stops.
    pub fn patience(mut self, epochs: usize) -> Self {
        self.patience = epochs;
        self
    }

    /// The smallest change that counts as an improvement (its absolute value is used, as
    /// Keras does).
    pub fn min_delta(mut self, delta: f64) -> Self {
        self.min_delta = delta.abs();
        self
    }

    /// Whether the model ends the run with the best epoch's parameters.
    pub fn restore_best_weights(mut self, on: bool) -> Self {
        self.restore_best_weights = on;
        self
    }

    /// The best epoch so far (counting from 1).
    pub fn best_epoch(&self) -> Option<usize> {
        self.best_epoch
    }

    /// The best value so far (±∞ before the first epoch).
    pub fn best(&self) -> f64 {
        self.best
    }

    /// One epoch's value: updates the best value and the patience count; returns whether the
    /// run should stop. `snapshot` gives the current weights, taken only when needed.
    fn observe(&mut self, epoch: usize, value: f64, snapshot: impl Fn() -> Vec<(String, Tensor<T>)>) -> bool {
        if self.restore_best_weights && self.best_weights.is_none() {
            // Until an epoch improves, the first epoch's weights are the best ones known.
            self.best_weights = Some(snapshot());
            self.best_epoch = Some(epoch);
        }
        self.wait += 1;
        if self.mode.improves(value, self.best, self.min_delta) {
            self.best = value;
            self.best_epoch = Some(epoch);
            if self.restore_best_weights {
                self.best_weights = Some(snapshot());
            }
            self.wait = 0;
            return false;
        }
        self.wait >= self.patience && epoch > 1
    }
}

impl<T: Float> Callback<T> for EarlyStopping<T> {
    fn name(&self) -> String {
        format!("early_stopping_{}", self.monitor)
    }

    fn on_train_begin(&mut self, ctx: &mut TrainContext<'_, T>) -> Result<()> {
        check_monitor("EarlyStopping", &self.monitor, ctx.metrics)
    }

    fn on_epoch_end(&mut self, ctx: &mut EpochContext<'_, T>) -> Result<()> {
        let value = ctx.record.get(&self.monitor).expect("on_train_begin checked the metric's name");
        let snapshot = || ctx.model.named_parameters().into_iter().map(|(name, p)| (name, p.value())).collect();
        if self.observe(ctx.epoch(), value, snapshot) {
            let best = self.best_epoch.map_or("none".to_string(), |e| format!("{} at epoch {e}", self.best));
            ctx.stop(format!(
                "early stopping: {} has not improved for {} epochs (best {best})",
                self.monitor, self.wait
            ));
        }
        Ok(())
    }

    fn on_train_end(&mut self, ctx: &mut TrainContext<'_, T>) -> Result<()> {
        ctx.history.best_epoch = self.best_epoch;
        if let (true, Some(weights)) = (self.restore_best_weights, &self.best_weights) {
            let params = ctx.model.named_parameters();
            for (name, value) in weights {
                let p = params.get(name).ok_or_else(|| Error::CallbackState {
                    callback: Callback::<T>::name(self),
                    msg: format!("the best weights hold {name:?}, which the model does not have"),
                })?;
                p.set_value(value.clone());
            }
        }
        Ok(())
    }

    fn state(&self) -> CallbackState<T> {
        let mut numbers = vec![("best".to_string(), self.best), ("wait".to_string(), self.wait as f64)];
        if let Some(epoch) = self.best_epoch {
            numbers.push(("best_epoch".to_string(), epoch as f64));
        }
        let tensors = self.best_weights.clone().unwrap_or_default();
        CallbackState { numbers, tensors }
    }

    fn load_state(&mut self, state: CallbackState<T>) -> Result<()> {
        let name = Callback::<T>::name(self);
        self.best = state.number(&name, "best")?;
        self.wait = state.number(&name, "wait")? as usize;
        self.best_epoch = state.number(&name, "best_epoch").ok().map(|e| e as usize);
        self.best_weights = (!state.tensors.is_empty()).then_some(state.tensors);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds a scripted metric sequence; returns the epoch after which the run stops, if any,
    /// and the best epoch.
    fn run(stop: &mut EarlyStopping<f32>, values: &[f64]) -> (Option<usize>, Option<usize>) {
        for (i, &v) in values.iter().enumerate() {
            if stop.observe(i + 1, v, Vec::new) {
                return (Some(i + 1), stop.best_epoch());
            }
        }
        (None, stop.best_epoch())
    }

    #[test]
    fn patience_counts_epochs_without_improvement() {
        let losses = [1.0, 0.8, 0.9, 0.85, 0.95, 0.7, 0.6];
        // Best 0.8 at epoch 2; epochs 3, 4, 5 do not improve on it.
        assert_eq!(run(&mut EarlyStopping::new("val_loss").patience(3), &losses), (Some(5), Some(2)));
        assert_eq!(run(&mut EarlyStopping::new("val_loss").patience(4), &losses), (None, Some(7)));
        // Patience 0 stops at the first epoch that does not improve, but never after the first.
        assert_eq!(run(&mut EarlyStopping::new("val_loss"), &losses), (Some(3), Some(2)));
        assert_eq!(run(&mut EarlyStopping::new("val_loss"), &[f64::NAN, 1.0]), (None, Some(2)));
        assert_eq!(run(&mut EarlyStopping::new("val_loss").patience(1), &[f64::NAN, f64::NAN]), (Some(2), None));
    }

    #[test]
    fn min_delta_is_the_margin_an_improvement_must_beat() {
        // Improvements of 0.05 count for min_delta 0.04 but not for 0.05 (strictly more is
        // needed, as Keras's `np.less(current + min_delta, best)`).
        let losses = [1.0, 0.95, 0.9, 0.85];
        assert_eq!(run(&mut EarlyStopping::new("val_loss").patience(1).min_delta(0.04), &losses), (None, Some(4)));
        assert_eq!(
            run(&mut EarlyStopping::new("val_loss").patience(1).min_delta(0.0500001), &losses),
            (Some(2), Some(1))
        );
        // A small gain does not reset the count, and does not become the best either.
        let losses = [1.0, 0.99, 0.98, 0.5];
        assert_eq!(run(&mut EarlyStopping::new("val_loss").patience(2).min_delta(0.1), &losses), (Some(3), Some(1)));
        // The sign of min_delta does not matter.
        assert_eq!(run(&mut EarlyStopping::new("val_loss").patience(2).min_delta(-0.1), &losses), (Some(3), Some(1)));
    }

    #[test]
    fn accuracy_is_maximized() {
        let accuracies = [0.5, 0.7, 0.69, 0.71, 0.7];
        let mut stop = EarlyStopping::new("val_accuracy").patience(1);
        assert_eq!(stop.mode, Mode::Max);
        assert_eq!(run(&mut stop, &accuracies), (Some(3), Some(2)));
        let mut stop = EarlyStopping::new("val_accuracy").patience(2);
        assert_eq!(run(&mut stop, &accuracies), (None, Some(4)));
        let mut stop = EarlyStopping::new("val_accuracy").patience(1).min_delta(0.02);
        assert_eq!(run(&mut stop, &accuracies), (Some(3), Some(2)));
        let mut stop = EarlyStopping::new("val_accuracy").mode(Mode::Min).patience(1);
        assert_eq!(run(&mut stop, &accuracies), (Some(2), Some(1)));
    }

    #[test]
    fn the_state_round_trips() {
        let mut a = EarlyStopping::<f32>::new("val_loss").patience(3);
        run(&mut a, &[1.0, 0.5, 0.7]);
        let mut b = EarlyStopping::new("val_loss").patience(3);
        b.load_state(a.state()).unwrap();
        assert_eq!((b.best, b.wait, b.best_epoch), (0.5, 1, Some(2)));
        assert_eq!(run(&mut a, &[0.6, 0.6]), run(&mut b, &[0.6, 0.6]));
        assert!(EarlyStopping::<f32>::new("val_loss").load_state(CallbackState::default()).is_err());
    }
}
