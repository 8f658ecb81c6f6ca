//! The training state in one checkpoint, `last.safetensors`: what [`Fit`](crate::Fit) saves
//! after every epoch and [`Fit::resume_from`](crate::Fit::resume_from) loads.
//!
//! It is an `nn` checkpoint (safetensors, written atomically), laid out as:
//!
//! | what | where in the file |
//! |---|---|
//! | the model's parameters | tensors under their names (`"0.weight"`), as any model checkpoint |
//! | the optimizer's state | section `optim` (tensors `"optim.lr"`, `"optim.0.weight.exp_avg"`, …) |
//! | a callback's tensors (early stopping's best weights) | section `callback_<name>` |
//! | the model's state words (dropout seeds and counters) | metadata `model_state.<name>` |
//! | the schedule's state | metadata `fit.schedule` (a JSON object) |
//! | a callback's numbers (best value, patience count) | metadata `callback.<name>` (a JSON object) |
//! | epochs done, seed, batch size, training samples, the names of the model's state words and of the callbacks with state | metadata `fit.*` |
//! | the history so far, with the reason the run stopped | metadata `fit.history` (JSON) |
//!
//! Numbers in metadata are text in Rust's shortest round-trip form (in the JSON objects too, as
//! strings, since JSON has no infinity), so they come back bit for bit. Because the file is an ordinary model checkpoint too, `nn::checkpoint::load` reads the
//! parameters out of it.

use crate::callback::CallbackState;
use crate::fit::Run;
use crate::{Error, History, Result};
use autograd::Float;
use nn::{Checkpoint, Module, StateMap};
use optim::ScheduleState;
use std::path::Path;

const EPOCHS_DONE: &str = "fit.epochs_done";

impl<T: Float> Run<'_, T> {
    /// Writes the whole training state to `path`, atomically.
    pub(crate) fn save_state(&self, path: &Path) -> Result<()> {
        let mut ckpt = Checkpoint::from_module(self.model);
        ckpt.insert_section("optim", self.optimizer.state_dict())?;
        let state = self.model.named_state();
        for (name, word) in &state {
            ckpt.set_metadata(format!("model_state.{name}"), word.to_string());
        }
        ckpt.set_metadata("fit.model_state", state.keys().cloned().collect::<Vec<_>>().join(","));
        if let Some(schedule) = &self.schedule {
            ckpt.set_metadata("fit.schedule", encode(schedule.schedule.state_dict()));
        }
        let mut names = Vec::new();
        for callback in &self.callbacks {
            let (name, state) = (callback.name(), callback.state());
            if state.is_empty() {
                continue;
            }
            ckpt.set_metadata(format!("callback.{name}"), encode(state.numbers));
            ckpt.insert_section(&format!("callback_{name}"), state.tensors)?;
            names.push(name);
        }
        let fp = self.fingerprint;
        ckpt.set_metadata(EPOCHS_DONE, self.epochs_done.to_string());
        ckpt.set_metadata("fit.seed", fp.seed.to_string());
        ckpt.set_metadata("fit.batch_size", fp.batch_size.to_string());
        ckpt.set_metadata("fit.train_samples", fp.train_samples.to_string());
        ckpt.set_metadata("fit.callbacks", names.join(","));
        ckpt.set_metadata("fit.history", self.history.to_json().to_string());
        ckpt.save(path)?;
        Ok(())
    }

    /// Loads the training state saved at `path` into this run, checking that it is a state of
    /// this run's model, optimizer, schedule and callbacks, and that its history records the
    /// `metrics` this run records.
    pub(crate) fn load_state(&mut self, path: &Path, metrics: &[String]) -> Result<()> {
        let ckpt = Checkpoint::<T>::load(path)?;
        let fail = |reason: String| Error::Resume { path: path.to_path_buf(), reason };
        let meta = |key: &str| ckpt.metadata(key).ok_or_else(|| fail(format!("its metadata has no {key:?}")));
        let Some(epochs_done) = ckpt.metadata(EPOCHS_DONE) else {
            return Err(fail(
                "it holds no training state (no \"fit.epochs_done\" in its metadata): \
                 it is a model checkpoint, not a last.safetensors written by Fit::out_dir"
                    .into(),
            ));
        };
        let whole = |key: &str, text: &str| -> Result<u64> {
            text.parse().map_err(|_| fail(format!("{key} is {text:?}, not a whole number")))
        };
        let epochs_done = whole(EPOCHS_DONE, epochs_done)? as usize;

        let fp = self.fingerprint;
        for (key, ours) in [
            ("fit.seed", fp.seed),
            ("fit.batch_size", fp.batch_size as u64),
            ("fit.train_samples", fp.train_samples as u64),
        ] {
            let saved = whole(key, meta(key)?)?;
            if saved != ours {
                let what = key.trim_start_matches("fit.").replace('_', " ");
                return Err(fail(format!(
                    "it was saved by a run with {what} {saved}, this run has {ours}: \
                     continuing with another would not continue the same run"
                )));
            }
        }

        let history: serde_json::Value = serde_json::from_str(meta("fit.history")?)
            .map_err(|e| fail(format!("fit.history is not valid JSON: {e}")))?;
        let history = History::from_json(&history).map_err(|e| fail(e.to_string()))?;
        if let Some(first) = history.epochs.first() {
            let saved: Vec<&str> = first.metrics.iter().map(|(name, _)| name.as_str()).collect();
            if saved != metrics {
                return Err(fail(format!(
                    "it was saved by a run that recorded {saved:?}, this run records {metrics:?} \
                     (another metric, validation or penalty)"
                )));
            }
        }

        check_parameters(self.model, &ckpt).map_err(fail)?;
        let ours = self.model.named_state();
        let saved: Vec<&str> = meta("fit.model_state")?.split(',').filter(|s| !s.is_empty()).collect();
        if let Some(name) = saved.iter().find(|name| !ours.contains_key(**name)) {
            return Err(fail(format!(
                "it was saved from another model: it holds state {name:?}, which this model lacks"
            )));
        }
        let mut state = StateMap::new();
        for name in ours.keys() {
            let key = format!("model_state.{name}");
            let Some(text) = ckpt.metadata(&key).filter(|_| saved.contains(&name.as_str())) else {
                return Err(fail(format!("it was saved from another model: it has no state {name:?}")));
            };
            state.insert(name.clone(), whole(&key, text)?);
        }

        self.optimizer
            .load_state_dict(&ckpt.section("optim"))
            .map_err(|e| fail(format!("the optimizer's state does not fit this optimizer: {e}")))?;

        match (&mut self.schedule, ckpt.metadata("fit.schedule")) {
            (Some(schedule), Some(text)) => {
                let state: ScheduleState = decode("fit.schedule", text).map_err(fail)?.into_iter().collect();
                schedule
                    .schedule
                    .load_state_dict(&state)
                    .map_err(|e| fail(format!("the schedule's state does not fit this schedule: {e}")))?;
            }
            (Some(_), None) => return Err(fail("it holds no learning-rate schedule, but this run has one".into())),
            (None, Some(_)) => {
                return Err(fail("it holds a learning-rate schedule's state, but this run has none".into()))
            }
            (None, None) => {}
        }

        let saved: Vec<&str> = meta("fit.callbacks")?.split(',').filter(|s| !s.is_empty()).collect();
        let ours: Vec<String> = self.callbacks.iter().map(|c| c.name()).collect();
        if let Some(missing) = saved.iter().find(|name| !ours.iter().any(|o| o == *name)) {
            return Err(fail(format!("it holds the state of callback {missing:?}, which this run does not have")));
        }
        for callback in &mut self.callbacks {
            let name = callback.name();
            if !saved.contains(&name.as_str()) {
                continue; // a callback new to this run, or one without state: it starts afresh
            }
            let key = format!("callback.{name}");
            let state = CallbackState {
                numbers: ckpt.metadata(&key).map_or(Ok(Vec::new()), |text| decode(&key, text)).map_err(fail)?,
                tensors: ckpt.section(&format!("callback_{name}")).into_iter().collect(),
            };
            callback.load_state(state).map_err(|e| fail(e.to_string()))?;
        }

        self.history = history;
        self.model.load_state(&state)?;
        ckpt.restore_module(self.model)?;
        self.epochs_done = epochs_done;
        Ok(())
    }
}

/// Checks that the file's parameters are the model's, by name and shape; the reason otherwise.
fn check_parameters<T: Float>(model: &dyn Module<T>, ckpt: &Checkpoint<T>) -> std::result::Result<(), String> {
    let params = model.named_parameters();
    for (name, p) in &params {
        let ours = p.value().dims().to_vec();
        match ckpt.get(name) {
            None => return Err(format!("it was saved from another model: it has no parameter {name:?}")),
            Some(saved) if saved.dims() != ours => {
                return Err(format!(
                    "it was saved from another model: parameter {name:?} is {:?} in the file but {ours:?} here",
                    saved.dims()
                ))
            }
            Some(_) => {}
        }
    }
    let in_section = |name: &str| ckpt.sections().iter().any(|s| name.starts_with(&format!("{s}.")));
    match ckpt.tensors().keys().find(|name| !params.contains_key(*name) && !in_section(name)) {
        Some(name) => {
            Err(format!("it was saved from another model: it has parameter {name:?}, which this model lacks"))
        }
        None => Ok(()),
    }
}

/// Named numbers as a JSON object of strings (`{"best":"inf","wait":"2"}`).
fn encode(numbers: impl IntoIterator<Item = (String, f64)>) -> String {
    let object: serde_json::Map<String, serde_json::Value> =
        numbers.into_iter().map(|(key, value)| (key, value.to_string().into())).collect();
    serde_json::Value::Object(object).to_string()
}

/// The inverse of [`encode`]; the error names the metadata entry `key`.
fn decode(key: &str, text: &str) -> std::result::Result<Vec<(String, f64)>, String> {
    let bad = || format!("{key} is {text:?}, not an object of numbers");
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| bad())?;
    let object = value.as_object().ok_or_else(bad)?;
    object
        .iter()
        .map(|(name, v)| Ok((name.clone(), v.as_str().and_then(|s| s.parse().ok()).ok_or_else(bad)?)))
        .collect()
}
