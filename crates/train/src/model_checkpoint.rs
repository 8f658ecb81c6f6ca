//! [`ModelCheckpoint`]: save the model's parameters during training, at its best epoch or after
//! every epoch.
//!
//! The file is an `nn` checkpoint (safetensors, written atomically: a run killed mid-save
//! leaves the previous file whole) holding the parameters under their names, with the epoch and
//! the monitored value in its metadata (`"epoch"`, `"monitor"`, `"value"`), so
//! `nn::checkpoint::load(&model, path)` restores it. The full training state, for resuming, is
//! a different file: `last.safetensors` in [`Fit::out_dir`](crate::Fit::out_dir).

use crate::callback::{check_monitor, Callback, CallbackState, EpochContext, Mode, TrainContext};
use crate::files::prepare_output_dir;
use crate::{Error, Result};
use autograd::Float;
use std::path::PathBuf;

/// Saves the model's parameters to a file after epochs that improve a monitored metric, or
/// after every epoch. The file's folder is created when the run begins. In a data-parallel run
/// ([`Fit::data_parallel`](crate::Fit::data_parallel)) only rank 0 writes.
///
/// ```
/// use train::ModelCheckpoint;
/// let best = ModelCheckpoint::best("runs/example/best.safetensors", "val_accuracy");
/// let every = ModelCheckpoint::every_epoch("runs/example/latest-weights.safetensors");
/// # let _: (ModelCheckpoint, ModelCheckpoint) = (best, every);
/// ```
#[derive(Clone, Debug)]
pub struct ModelCheckpoint {
    path: PathBuf,
    /// The metric and its direction; `None` saves every epoch.
    monitor: Option<(String, Mode)>,
    best: f64,
}

impl ModelCheckpoint {
    /// Saves to `path` after each epoch whose `monitor` beats every earlier epoch's (strictly;
    /// minimized or maximized as [`Mode::infer`] reads its name).
    pub fn best(path: impl Into<PathBuf>, monitor: impl Into<String>) -> Self {
        let monitor = monitor.into();
        let mode = Mode::infer(&monitor);
        ModelCheckpoint { path: path.into(), monitor: Some((monitor, mode)), best: mode.worst() }
    }

    /// Saves to `path` after every epoch, overwriting the previous epoch's file.
    pub fn every_epoch(path: impl Into<PathBuf>) -> Self {
        ModelCheckpoint { path: path.into(), monitor: None, best: f64::NAN }
    }

    /// Sets the direction of the monitored metric (no effect for
    /// [`every_epoch`](ModelCheckpoint::every_epoch)).
    pub fn mode(mut self, mode: Mode) -> Self {
        if let Some((_, m)) = &mut self.monitor {
            *m = mode;
            self.best = mode.worst();
        }
        self
    }

    /// The file it writes.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl<T: Float> Callback<T> for ModelCheckpoint {
    fn name(&self) -> String {
        match &self.monitor {
            Some((metric, _)) => format!("model_checkpoint_{metric}"),
            None => "model_checkpoint".to_string(),
        }
    }

    fn on_train_begin(&mut self, ctx: &mut TrainContext<'_, T>) -> Result<()> {
        if let Some((metric, _)) = &self.monitor {
            check_monitor("ModelCheckpoint", metric, ctx.metrics)?;
        }
        match self.path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            Some(dir) if ctx.rank == 0 => prepare_output_dir(dir),
            _ => Ok(()),
        }
    }

    fn on_epoch_end(&mut self, ctx: &mut EpochContext<'_, T>) -> Result<()> {
        if let Some((metric, mode)) = &self.monitor {
            let value = ctx.record.get(metric).expect("on_train_begin checked the metric's name");
            if !mode.improves(value, self.best, 0.0) {
                return Ok(());
            }
            self.best = value;
        }
        if ctx.rank != 0 {
            return Ok(()); // every rank keeps `best` in step (it is training state); rank 0 writes
        }
        let mut ckpt = nn::Checkpoint::from_module(ctx.model);
        ckpt.set_metadata("epoch", ctx.epoch().to_string());
        if let Some((metric, _)) = &self.monitor {
            ckpt.set_metadata("monitor", metric.clone());
            ckpt.set_metadata("value", self.best.to_string());
        }
        ckpt.save(&self.path).map_err(Error::from)
    }

    fn state(&self) -> CallbackState<T> {
        match self.monitor {
            Some(_) => CallbackState { numbers: vec![("best".to_string(), self.best)], tensors: Vec::new() },
            None => CallbackState::default(),
        }
    }

    fn load_state(&mut self, state: CallbackState<T>) -> Result<()> {
        if self.monitor.is_some() {
            self.best = state.number(&Callback::<T>::name(self), "best")?;
        }
        Ok(())
    }
}
