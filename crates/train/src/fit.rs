//! [`Fit`]: the training loop, configured with a builder and run once.

use crate::callback::{BatchContext, Callback, EpochContext, Lambda, TrainContext};
use crate::data::{Batch, DataLoader, Dataset};
use crate::evaluate::{check_rows, cross_entropy, evaluate_with, loss_value, LossFn, RestoreModes};
use crate::files::prepare_output_dir;
use crate::metrics::{self, Metric};
use crate::progress::{Progress, ProgressMode};
use crate::replicas::share_of;
use crate::{EpochRecord, Error, History, Replicas, Result};
use autograd::{Float, Tape, Tensor, Var};
use nn::Module;
use optim::{LrScheduler, Optimizer, ReduceLrOnPlateau};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The file in [`Fit::out_dir`] that holds the whole training state.
pub const STATE_FILE: &str = "last.safetensors";

/// Where the validation data comes from.
enum Validation<'a, T: Float> {
    None,
    Data(&'a Dataset<T>),
    Split { fraction: f64, stratified: bool },
}

/// A learning-rate schedule and when to step it.
pub(crate) struct Schedule<'a> {
    pub(crate) schedule: Box<dyn LrScheduler + 'a>,
    /// The metric the schedule observes before each step ([`ReduceLrOnPlateau`]'s).
    monitor: Option<String>,
    /// Stepped after every optimizer step ([`optim::OneCycleLr`]) instead of every epoch.
    per_batch: bool,
}

/// Where a run writes its files, and whether the training state is among them.
struct OutDir {
    dir: PathBuf,
    state: bool,
}

/// An augmentation: a batch's images and the epoch's generator to new images.
type Augment<'a, T> = dyn Fn(&Tensor<T>, &mut StdRng) -> Result<Tensor<T>> + 'a;

/// A term added to the training loss only (see [`Fit::penalty`]): from the batch's tape to a
/// scalar on it.
type Penalty<'a, T> = dyn for<'t> Fn(&'t Tape<T>) -> nn::Result<Var<'t, T>> + 'a;

/// A training run: a model, a loss, an optimizer and data, with the options of a Keras
/// `model.fit` or a Lightning `Trainer`; [`run`](Fit::run) trains and returns the [`History`].
/// The loop:
///
/// ```text
/// split off the validation data (if asked), check the metric names, load the saved state (if
/// resuming), create the output folder, callbacks' on_train_begin
/// for epoch in 1..=epochs:
///     model in training mode
///     for batch in the epoch's seeded shuffle:
///         augment the images (a generator keyed by the seed and the epoch)
///         data parallel: keep this rank's rows of the batch
///         forward, loss + penalty (must be one finite number), backward
///         data parallel: combine the ranks' gradients
///         callbacks' after_backward                    (gradients present)
///         optimizer step                               (consumes the gradients)
///     training metrics over the epoch's batches (data parallel: losses and logits summed
///     across the ranks); validation metrics (evaluation mode)
///     learning-rate schedule step (ReduceLrOnPlateau on its monitored metric)
///     callbacks' on_epoch_end (early stopping may stop the run here; data parallel: a stop
///     on any rank stops all)
///     out_dir: last.safetensors (the whole training state; not with history_dir),
///              history.csv, history.json, curves.svg; one progress line
/// callbacks' on_train_end (early stopping restores its best weights); files written again
/// ```
///
/// # Every random choice is a function of the seed
/// One seed fixes the validation split, the shuffle of each epoch (keyed by seed and epoch),
/// the augmentation of each epoch (likewise) and, through the model, dropout (each dropout's
/// masks are keyed by its own seed and a counter, which the model's state holds). So a run is
/// repeatable bit for bit, and a run resumed from `last.safetensors` continues exactly as the
/// uninterrupted run would have: the file holds the parameters, the model's state (dropout
/// counters), the optimizer's state, the schedule's, each callback's (early stopping's best
/// weights and patience count), the history and the number of epochs done.
///
/// ```
/// use autograd::Tensor;
/// use nn::{LinearConfig, Module, Relu, Sequential};
/// use optim::{Adam, AdamConfig};
/// use rand::{rngs::StdRng, SeedableRng};
/// use train::data::Dataset;
/// use train::progress::ProgressMode;
/// use train::{EarlyStopping, Fit};
///
/// // Two classes: is the first feature larger than the second?
/// let mut rng = StdRng::seed_from_u64(0);
/// let x = Tensor::<f32>::rand_uniform([400, 2], 0.0, 1.0, &mut rng);
/// let labels = x.data().chunks(2).map(|p| usize::from(p[0] > p[1])).collect();
/// let data = Dataset::new(x, labels, 2)?;
///
/// let model = Sequential::new()
///     .push(LinearConfig::new(2, 16).init(&mut rng)?)
///     .push(Relu)
///     .push(LinearConfig::new(16, 2).init(&mut rng)?);
/// let mut adam = Adam::new(model.named_parameters(), AdamConfig { lr: 0.01, ..Default::default() })?;
/// let history = Fit::new(&model, &mut adam, &data)
///     .epochs(30)
///     .batch_size(32)
///     .validation_split(0.25)
///     .callback(EarlyStopping::new("val_loss").patience(3).restore_best_weights(true))
///     .progress(ProgressMode::Quiet)
///     .run()?;
/// assert!(history.last().unwrap().get("val_accuracy").unwrap() > 0.9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Fit<'a, T: Float = f32> {
    model: &'a dyn Module<T>,
    optimizer: &'a mut dyn Optimizer<T>,
    train: &'a Dataset<T>,
    loss: Box<LossFn<'a, T>>,
    penalty: Option<Box<Penalty<'a, T>>>,
    epochs: usize,
    batch_size: usize,
    eval_batch_size: usize,
    seed: u64,
    validation: Validation<'a, T>,
    augment: Option<Box<Augment<'a, T>>>,
    schedule: Option<Schedule<'a>>,
    metrics: Vec<Box<dyn Metric<T> + 'a>>,
    callbacks: Vec<Box<dyn Callback<T> + 'a>>,
    progress: Option<Progress>,
    out_dir: Option<OutDir>,
    resume: Option<PathBuf>,
    replicas: Option<&'a mut dyn Replicas>,
}

impl<'a, T: Float> Fit<'a, T> {
    /// A run of `model` with `optimizer` (built over the model's parameters) on `train`, with
    /// the defaults: cross-entropy loss, 10 epochs, batches of 32, seed 0, no validation, no
    /// callbacks, progress as [`ProgressMode::Auto`], no files.
    pub fn new(model: &'a dyn Module<T>, optimizer: &'a mut dyn Optimizer<T>, train: &'a Dataset<T>) -> Self {
        Fit {
            model,
            optimizer,
            train,
            loss: Box::new(cross_entropy),
            penalty: None,
            epochs: 10,
            batch_size: 32,
            eval_batch_size: 500,
            seed: 0,
            validation: Validation::None,
            augment: None,
            schedule: None,
            metrics: Vec::new(),
            callbacks: Vec::new(),
            progress: None,
            out_dir: None,
            resume: None,
            replicas: None,
        }
    }

    /// The loss: any function from a batch's logits and the batch to a scalar on the logits'
    /// tape (see [`LossFn`]). It is the data term: training minimizes it (plus the
    /// [`penalty`](Fit::penalty), if any) and validation reports it as `val_loss`.
    pub fn loss<L>(mut self, loss: L) -> Self
    where
        L: for<'t> Fn(&Var<'t, T>, &Batch<T>) -> nn::Result<Var<'t, T>> + 'a,
    {
        self.loss = Box::new(loss);
        self
    }

    /// A term added to the training loss only, such as an L2 or L1 penalty on the weights:
    /// training minimizes loss + penalty; the history's `loss` is that sum, its `penalty` the
    /// penalty alone (each the mean over the epoch's batches), and `val_loss` the loss without
    /// the penalty, so that validation measures the fit to the data whatever the penalty.
    ///
    /// Conventions elsewhere differ. Keras adds its regularization losses (`model.losses`:
    /// `kernel_regularizer` terms and `add_loss`) to the training `loss` and, since Keras 2, to
    /// `val_loss` and `evaluate` as well; PyTorch has no fit loop, and an optimizer's
    /// `weight_decay` appears in no loss at all. chainrule keeps `val_loss` the data term, so
    /// runs with different penalties (or none) compare on the same footing, and early stopping
    /// on `val_loss` watches the fit to held-out data; `loss − penalty` is the training data
    /// term.
    ///
    /// ```
    /// use autograd::Tensor;
    /// use nn::{LinearConfig, Module};
    /// use optim::{Sgd, SgdConfig};
    /// use rand::{rngs::StdRng, SeedableRng};
    /// use train::{data::Dataset, progress::ProgressMode, Fit};
    ///
    /// let mut rng = StdRng::seed_from_u64(0);
    /// let data = Dataset::new(Tensor::<f32>::rand_uniform([64, 4], 0.0, 1.0, &mut rng), [0, 1].repeat(32), 2)?;
    /// let model = LinearConfig::new(4, 2).init(&mut rng)?;
    /// let mut sgd = Sgd::new(model.named_parameters(), SgdConfig { lr: 0.1, ..Default::default() })?;
    /// let weights = nn::weight_matrices(&model); // the weights, not the biases
    /// let history = Fit::new(&model, &mut sgd, &data)
    ///     .penalty(|tape| nn::l2_penalty(tape, &weights, 1e-2))
    ///     .validation_data(&data)
    ///     .progress(ProgressMode::Quiet)
    ///     .run()?;
    /// let last = history.last().unwrap();
    /// assert!(last.get("penalty").unwrap() > 0.0 && last.get("val_penalty").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn penalty<P>(mut self, penalty: P) -> Self
    where
        P: for<'t> Fn(&'t Tape<T>) -> nn::Result<Var<'t, T>> + 'a,
    {
        self.penalty = Some(Box::new(penalty));
        self
    }

    /// The number of epochs (passes over the training data) to train for, counting those of a
    /// resumed run.
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// The number of samples per optimizer step (the last batch of an epoch may hold fewer).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// The number of samples per forward pass when evaluating the validation data (default
    /// 500; it changes the speed, not the result, beyond rounding).
    pub fn eval_batch_size(mut self, batch_size: usize) -> Self {
        self.eval_batch_size = batch_size;
        self
    }

    /// The seed of the validation split, the shuffles and the augmentation (the model's own
    /// seeds fix its initialization and dropout).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Validates on `data` after every epoch.
    pub fn validation_data(mut self, data: &'a Dataset<T>) -> Self {
        self.validation = Validation::Data(data);
        self
    }

    /// Holds out a seeded random `fraction` of the training data for validation
    /// ([`Dataset::random_split`]); must lie strictly between 0 and 1.
    pub fn validation_split(mut self, fraction: f64) -> Self {
        self.validation = Validation::Split { fraction, stratified: false };
        self
    }

    /// Like [`validation_split`](Fit::validation_split), with every class held out in the same
    /// proportion ([`Dataset::stratified_split`]).
    pub fn stratified_validation_split(mut self, fraction: f64) -> Self {
        self.validation = Validation::Split { fraction, stratified: true };
        self
    }

    /// Transforms each training batch's images before the forward pass (`random_shift`, noise),
    /// with a generator keyed by the seed and the epoch, so that augmentation is repeatable and
    /// a resumed run draws what the uninterrupted one would have.
    pub fn augment(mut self, augment: impl Fn(&Tensor<T>, &mut StdRng) -> Result<Tensor<T>> + 'a) -> Self {
        self.augment = Some(Box::new(augment));
        self
    }

    /// A learning-rate schedule stepped after every epoch (`CosineAnnealingLr`, `StepLr`, …);
    /// replaces any other schedule. The history records each epoch's rate at its start.
    pub fn lr_schedule(mut self, schedule: impl LrScheduler + 'a) -> Self {
        self.schedule = Some(Schedule { schedule: Box::new(schedule), monitor: None, per_batch: false });
        self
    }

    /// A learning-rate schedule stepped after every optimizer step (`OneCycleLr`); replaces any
    /// other schedule.
    pub fn lr_schedule_per_batch(mut self, schedule: impl LrScheduler + 'a) -> Self {
        self.schedule = Some(Schedule { schedule: Box::new(schedule), monitor: None, per_batch: true });
        self
    }

    /// A [`ReduceLrOnPlateau`] stepped after every epoch on the metric `monitor` (such as
    /// `"val_loss"`); replaces any other schedule.
    pub fn reduce_lr_on_plateau(mut self, schedule: ReduceLrOnPlateau, monitor: impl Into<String>) -> Self {
        let monitor = Some(monitor.into());
        self.schedule = Some(Schedule { schedule: Box::new(schedule), monitor, per_batch: false });
        self
    }

    /// Reports `metric` on the training and validation data every epoch, beside the loss and
    /// the accuracy.
    pub fn metric(mut self, metric: impl Metric<T> + 'a) -> Self {
        self.metrics.push(Box::new(metric));
        self
    }

    /// Adds a callback ([`EarlyStopping`](crate::EarlyStopping),
    /// [`ModelCheckpoint`](crate::ModelCheckpoint), one's own).
    pub fn callback(mut self, callback: impl Callback<T> + 'a) -> Self {
        self.callbacks.push(Box::new(callback));
        self
    }

    /// Runs `hook` after every batch's backward pass, before the optimizer step: the
    /// parameters hold the batch's gradients.
    pub fn after_backward(mut self, hook: impl FnMut(&mut BatchContext<'_, T>) -> Result<()> + 'a) -> Self {
        let name = format!("after_backward_{}", self.callbacks.len());
        self.callbacks.push(Box::new(Lambda::AfterBackward(name, Box::new(hook))));
        self
    }

    /// Runs `hook` at the end of every epoch, with the epoch's record.
    pub fn on_epoch_end(mut self, hook: impl FnMut(&mut EpochContext<'_, T>) -> Result<()> + 'a) -> Self {
        let name = format!("on_epoch_end_{}", self.callbacks.len());
        self.callbacks.push(Box::new(Lambda::EpochEnd(name, Box::new(hook))));
        self
    }

    /// How progress is shown on standard output (default [`ProgressMode::Auto`]: a live bar on
    /// a terminal, one line per epoch otherwise).
    pub fn progress(mut self, mode: ProgressMode) -> Self {
        self.progress = Some(Progress::new(mode));
        self
    }

    /// Shows progress through `progress` (for instance lines to a log file:
    /// [`Progress::lines_to`]).
    pub fn progress_to(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Writes the run's files into `dir` (created if missing) after every epoch:
    /// `last.safetensors` (the training state, to resume from), `history.csv`,
    /// `history.json` and `curves.svg` (loss and accuracy, training and validation). Replaces
    /// a [`history_dir`](Fit::history_dir).
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(OutDir { dir: dir.into(), state: true });
        self
    }

    /// Writes only the history into `dir` (created if missing) after every epoch:
    /// `history.csv`, `history.json` and `curves.svg`, without the training state, which holds
    /// a copy of every parameter and of the optimizer's state and is not worth writing every
    /// epoch for a run that will not be resumed (one of many in a comparison). Replaces an
    /// [`out_dir`](Fit::out_dir).
    pub fn history_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(OutDir { dir: dir.into(), state: false });
        self
    }

    /// Continues the run whose training state `path` holds (a `last.safetensors` written by
    /// [`out_dir`](Fit::out_dir)), with the model, optimizer, schedule and callbacks built
    /// as for the original run. The run trains until [`epochs`](Fit::epochs) epochs are done
    /// in all; a run that had been stopped stays stopped. Fails, before training, if the file
    /// holds the state of another model, optimizer, schedule, callbacks, seed, batch size or
    /// training set size.
    pub fn resume_from(mut self, path: impl Into<PathBuf>) -> Self {
        self.resume = Some(path.into());
        self
    }

    /// Trains on several processes as one (data parallelism): every rank runs this same `Fit`
    /// (same model code, seed, batch size and data) and computes its share of each batch;
    /// `replicas` combines the ranks' gradients and metrics, so each step and each epoch's
    /// record are those of one process with the whole batch. Only rank 0 writes files and shows
    /// progress. See [`Replicas`].
    pub fn data_parallel(mut self, replicas: &'a mut dyn Replicas) -> Self {
        self.replicas = Some(replicas);
        self
    }

    /// Trains; returns the history of every epoch (those of the original run too, when
    /// resuming). The model ends with its last epoch's parameters, or the best epoch's if an
    /// [`EarlyStopping`](crate::EarlyStopping) restores them, and with each module in the mode
    /// it had before.
    pub fn run(self) -> Result<History> {
        let (train_set, val_set) = match self.validation {
            Validation::None => (self.train.clone(), None),
            Validation::Data(val) => (self.train.clone(), Some(val.clone())),
            Validation::Split { fraction, stratified: false } => {
                let (rest, held_out) = self.train.random_split(fraction, self.seed)?;
                (rest, Some(held_out))
            }
            Validation::Split { fraction, stratified: true } => {
                let (rest, held_out) = self.train.stratified_split(fraction, self.seed)?;
                (rest, Some(held_out))
            }
        };
        if val_set.is_some() && self.eval_batch_size == 0 {
            return Err(Error::invalid("Fit::eval_batch_size", "the batch size must be at least 1, got 0"));
        }
        let names = metric_names(&self.metrics, self.penalty.is_some(), val_set.is_some())?;
        check_callback_names(&self.callbacks)?;
        if let Some(Schedule { monitor: Some(monitor), .. }) = &self.schedule {
            crate::callback::check_monitor("reduce_lr_on_plateau", monitor, &names)?;
        }
        let loader = DataLoader::new(&train_set, self.batch_size)?.shuffle(self.seed);
        let mut run = Run {
            model: self.model,
            optimizer: self.optimizer,
            schedule: self.schedule,
            callbacks: self.callbacks,
            history: History::default(),
            epochs_done: 0,
            fingerprint: Fingerprint { seed: self.seed, batch_size: self.batch_size, train_samples: train_set.len() },
            replicas: self.replicas,
        };
        let (rank, ranks) = run.ranks();
        // Every rank must compute at least one row of the epoch's first batch.
        let first_batch = self.batch_size.min(train_set.len());
        if ranks > first_batch {
            let msg = format!("a batch of {first_batch} samples cannot be shared by {ranks} ranks");
            return Err(Error::invalid("Fit::data_parallel", msg));
        }
        // Files and progress are rank 0's: the other ranks hold the same state.
        let out_dir = self.out_dir.filter(|_| rank == 0);
        let mut progress = match self.progress {
            _ if rank != 0 => Progress::new(ProgressMode::Quiet),
            Some(progress) => progress,
            None => Progress::new(ProgressMode::Auto),
        };
        if let Some(path) = &self.resume {
            run.load_state(path, &names)?;
            progress.println(&format!("resumed from {} after epoch {}", path.display(), run.epochs_done))?;
        }
        // After the resume's checks, so that a state that does not fit leaves no empty folder.
        if let Some(out) = &out_dir {
            prepare_output_dir(&out.dir)?;
        }
        let _restore = RestoreModes::save(run.model);
        for callback in &mut run.callbacks {
            callback.on_train_begin(&mut TrainContext {
                model: run.model,
                metrics: &names,
                history: &mut run.history,
                rank,
            })?;
        }
        let epoch_loop = EpochLoop {
            loader: &loader,
            val_set: val_set.as_ref(),
            loss: &*self.loss,
            penalty: self.penalty.as_deref(),
            augment: self.augment.as_deref(),
            metrics: &self.metrics,
            epochs: self.epochs,
            eval_batch_size: self.eval_batch_size,
            seed: self.seed,
        };
        while run.history.stopped.is_none() && run.epochs_done < self.epochs {
            let (record, mut stop) = epoch_loop.train_epoch(&mut run, &mut progress)?;
            run.history.epochs.push(record);
            run.epochs_done += 1;
            let record = run.history.epochs.last().expect("just pushed");
            if let Some(Schedule { schedule, monitor, per_batch: false }) = &mut run.schedule {
                if let Some(monitor) = monitor {
                    schedule.observe(record.get(monitor).expect("run checked the monitored metric's name"));
                }
                schedule.step(run.optimizer)?;
            }
            for callback in &mut run.callbacks {
                callback.on_epoch_end(&mut EpochContext { record, model: run.model, stop: &mut stop, rank })?;
            }
            run.history.stopped = run.agree_on_stop(stop);
            if let Some(out) = &out_dir {
                if out.state {
                    run.save_state(&out.dir.join(STATE_FILE))?;
                }
                write_history(&run.history, &out.dir)?;
            }
            progress.finish_epoch(&summary(run.history.epochs.last().expect("just pushed"), self.epochs))?;
            if let Some(reason) = &run.history.stopped {
                progress.println(&format!("stopped: {reason}"))?;
            }
        }
        for callback in &mut run.callbacks {
            callback.on_train_end(&mut TrainContext {
                model: run.model,
                metrics: &names,
                history: &mut run.history,
                rank,
            })?;
        }
        if let Some(out) = &out_dir {
            write_history(&run.history, &out.dir)?;
        }
        Ok(run.history)
    }
}

/// The numbers a resumed run must share with the run that saved the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    pub(crate) seed: u64,
    pub(crate) batch_size: usize,
    pub(crate) train_samples: usize,
}

/// Everything a run changes as it goes, and saves to resume: see `resume.rs`.
pub(crate) struct Run<'a, T: Float> {
    pub(crate) model: &'a dyn Module<T>,
    pub(crate) optimizer: &'a mut dyn Optimizer<T>,
    pub(crate) schedule: Option<Schedule<'a>>,
    pub(crate) callbacks: Vec<Box<dyn Callback<T> + 'a>>,
    pub(crate) history: History,
    pub(crate) epochs_done: usize,
    pub(crate) fingerprint: Fingerprint,
    pub(crate) replicas: Option<&'a mut dyn Replicas>,
}

impl<T: Float> Run<'_, T> {
    /// This rank and the number of ranks ((0, 1) alone).
    fn ranks(&self) -> (usize, usize) {
        self.replicas.as_ref().map_or((0, 1), |r| (r.rank(), r.size()))
    }

    /// A stop asked for on any rank, by any callback, stops every rank (a rank that went on
    /// alone would wait for the others forever).
    fn agree_on_stop(&mut self, stop: Option<String>) -> Option<String> {
        let Some(replicas) = &mut self.replicas else { return stop };
        let mut asked = [f64::from(u8::from(stop.is_some()))];
        replicas.sum(&mut asked);
        match stop {
            None if asked[0] > 0.0 => Some("another rank stopped the run".into()),
            stop => stop,
        }
    }
}

/// What stays fixed from epoch to epoch.
struct EpochLoop<'l, 'd, T: Float> {
    loader: &'l DataLoader<'d, T>,
    val_set: Option<&'l Dataset<T>>,
    loss: &'l LossFn<'l, T>,
    penalty: Option<&'l Penalty<'l, T>>,
    augment: Option<&'l Augment<'l, T>>,
    metrics: &'l [Box<dyn Metric<T> + 'l>],
    epochs: usize,
    eval_batch_size: usize,
    seed: u64,
}

impl<T: Float> EpochLoop<'_, '_, T> {
    /// Trains epoch `run.epochs_done + 1` and measures it; returns its record and the reason
    /// to stop that an `after_backward` callback gave, if any.
    fn train_epoch(&self, run: &mut Run<'_, T>, progress: &mut Progress) -> Result<(EpochRecord, Option<String>)> {
        let started = Instant::now();
        let epoch = run.epochs_done + 1;
        let lr = run.optimizer.lr();
        let samples = self.loader.dataset().len();
        let batches = self.loader.batches_per_epoch();
        progress.start_epoch(epoch, self.epochs, samples);
        run.model.train();
        let (rank, ranks) = run.ranks();
        let mut rng = augment_rng(self.seed, run.epochs_done as u64);
        let mut tape = Tape::new();
        let (mut loss_sum, mut penalty_sum, mut done, mut computed, mut width) = (0.0, 0.0, 0, 0, None);
        // Each sample's logits at its place in the epoch: this rank's rows, the others' zeros
        // until the ranks' logits are summed at the end of the epoch.
        let (mut logits, mut labels) = (Vec::new(), Vec::with_capacity(samples));
        let mut stop = None;
        for (index, mut batch) in self.loader.epoch(run.epochs_done as u64).enumerate() {
            if let Some(augment) = self.augment {
                batch.images = augment(&batch.images, &mut rng)?;
            }
            labels.extend_from_slice(&batch.labels);
            let whole = batch.len();
            let (batch, share) = share_of(batch, rank, ranks);
            let (value, penalty) = if batch.is_empty() {
                (0.0, 0.0) // the last batch of an epoch may leave a rank without rows
            } else {
                let out = run.model.forward(&tape.constant(batch.images.clone()))?;
                let w = check_rows(out.value(), batch.len(), width)?;
                if width.is_none() {
                    width = Some(w);
                    logits.resize(samples * w, T::ZERO);
                }
                let (loss, penalty) = self.objective(&out, &batch)?;
                let value = loss_value(&loss)?;
                if !value.is_finite() {
                    return Err(Error::NonFiniteLoss { epoch, batch: index, value });
                }
                loss.backward()?;
                for (row, &position) in out.value().data().chunks_exact(w).zip(&share) {
                    let at = (done + position) * w;
                    logits[at..at + w].copy_from_slice(row);
                }
                (value, penalty)
            };
            tape.clear();
            if let Some(replicas) = &mut run.replicas {
                replicas.reduce_gradients(batch.len() as f64 / whole as f64)?;
            }
            for callback in &mut run.callbacks {
                let model = run.model;
                callback.after_backward(&mut BatchContext {
                    epoch,
                    batch: index,
                    batches,
                    loss: value,
                    lr: run.optimizer.lr(),
                    model,
                    stop: &mut stop,
                    rank,
                })?;
            }
            run.optimizer.step()?;
            if let Some(Schedule { schedule, per_batch: true, .. }) = &mut run.schedule {
                schedule.step(run.optimizer)?;
            }
            loss_sum += value * batch.len() as f64;
            penalty_sum += penalty * batch.len() as f64;
            done += whole;
            computed += batch.len();
            progress.update(done, loss_sum / computed.max(1) as f64);
        }
        if let Some(replicas) = &mut run.replicas {
            // Zeros elsewhere make the sum each rank's rows, exactly (f32 → f64 → f32 is exact).
            let mut summed: Vec<f64> = logits.iter().map(|v| v.to_f64()).chain([loss_sum, penalty_sum]).collect();
            replicas.sum(&mut summed);
            penalty_sum = summed.pop().expect("the penalty sum is last");
            loss_sum = summed.pop().expect("the loss sum is next to last");
            logits = summed.into_iter().map(T::from_f64).collect();
        }
        let train_seconds = started.elapsed().as_secs_f64();
        let logits = Tensor::from_vec(logits, [samples, width.expect("a loader yields a batch")])
            .expect("every batch gave one row of logits per sample");
        let mut metrics = vec![("loss".to_string(), loss_sum / samples as f64)];
        if self.penalty.is_some() {
            metrics.push(("penalty".to_string(), penalty_sum / samples as f64));
        }
        metrics.push(("accuracy".to_string(), metrics::accuracy(&logits, &labels)?));
        for metric in self.metrics {
            metrics.push((metric.name(), metric.compute(&logits, &labels)?));
        }
        if let Some(val) = self.val_set {
            let result = evaluate_with(run.model, val, self.eval_batch_size, self.loss)?;
            metrics.push(("val_loss".to_string(), result.loss));
            metrics.push(("val_accuracy".to_string(), result.accuracy));
            for metric in self.metrics {
                metrics.push((format!("val_{}", metric.name()), result.metric(metric.as_ref())?));
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let record = EpochRecord { epoch, metrics, lr, seconds, samples_per_second: samples as f64 / train_seconds };
        Ok((record, stop))
    }

    /// What a training step minimizes, the loss plus the penalty, and the penalty's value.
    fn objective<'t>(&self, logits: &Var<'t, T>, batch: &Batch<T>) -> Result<(Var<'t, T>, f64)> {
        let loss = (self.loss)(logits, batch)?;
        let Some(penalty) = self.penalty else { return Ok((loss, 0.0)) };
        loss_value(&loss)?; // a loss that is not a scalar is named as such, not as the sum
        let term = penalty(logits.tape())?;
        if term.numel() != 1 {
            let msg = format!("the penalty must be a scalar, but it returned shape {}", term.shape());
            return Err(Error::invalid("Fit::penalty", msg));
        }
        let value = term.value().data()[0].to_f64();
        Ok((loss.add(&term)?, value))
    }
}

/// The augmentation generator of an epoch: a ChaCha key made of the seed, the epoch and a tag
/// of its own (so it differs from the shuffle's stream keyed by the same numbers).
fn augment_rng(seed: u64, epoch: u64) -> StdRng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&epoch.to_le_bytes());
    key[16..23].copy_from_slice(b"augment");
    StdRng::from_seed(key)
}

/// The names of every record's metrics: training (`loss`, `penalty` with a penalty,
/// `accuracy`, the run's metrics), then validation (the same with `val_`, but no penalty).
fn metric_names<T: Float>(metrics: &[Box<dyn Metric<T> + '_>], penalty: bool, validation: bool) -> Result<Vec<String>> {
    let mut train = vec!["loss".to_string(), "accuracy".to_string()];
    for metric in metrics {
        let name = metric.name();
        let reserved = ["epoch", "penalty", "lr", "seconds", "samples_per_second"];
        if !is_identifier(&name)
            || name.starts_with("val_")
            || reserved.contains(&name.as_str())
            || train.contains(&name)
        {
            let msg = format!(
                "metric name {name:?} must be letters, digits and _, not start with val_, and differ from \
                 {train:?} and {reserved:?}"
            );
            return Err(Error::invalid("Fit::metric", msg));
        }
        train.push(name);
    }
    let val: Vec<String> = if validation { train.iter().map(|n| format!("val_{n}")).collect() } else { Vec::new() };
    if penalty {
        train.insert(1, "penalty".to_string());
    }
    Ok(train.into_iter().chain(val).collect())
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Callback names key their saved state: they must be unique identifiers.
fn check_callback_names<T: Float>(callbacks: &[Box<dyn Callback<T> + '_>]) -> Result<()> {
    let names: Vec<String> = callbacks.iter().map(|c| c.name()).collect();
    for (i, name) in names.iter().enumerate() {
        if !is_identifier(name) {
            let msg = format!("callback name {name:?} must be letters, digits and _ (it keys the saved state)");
            return Err(Error::invalid("Fit::callback", msg));
        }
        if names[..i].contains(name) {
            let msg = format!("two callbacks are named {name:?}; give each its own name (Callback::name)");
            return Err(Error::invalid("Fit::callback", msg));
        }
    }
    Ok(())
}

/// The history files of `dir`: CSV, JSON and the curves.
fn write_history(history: &History, dir: &Path) -> Result<()> {
    history.write_csv(dir.join("history.csv"))?;
    history.write_json(dir.join("history.json"))?;
    history.curves().write_svg(dir.join("curves.svg"))
}

/// The epoch's progress line: `epoch 3/15: loss 0.1234, accuracy 0.9612, val_loss 0.1100,
/// val_accuracy 0.9650, lr 0.05, 1.2 s, 52,100 samples/s`.
fn summary(record: &EpochRecord, epochs: usize) -> String {
    let width = epochs.to_string().len();
    let mut line = format!("epoch {:>width$}/{epochs}:", record.epoch);
    for (name, value) in &record.metrics {
        line.push_str(&format!(" {name} {value:.4},"));
    }
    line.push_str(&format!(
        " lr {}, {:.1} s, {} samples/s",
        significant(record.lr, 4),
        record.seconds,
        thousands(record.samples_per_second)
    ));
    line
}

/// `v` with `digits` significant digits, without trailing zeros (`0.05`, `0.0004951`).
fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return v.to_string();
    }
    let decimals = (digits - 1 - v.abs().log10().floor() as i32).clamp(0, 17) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A rounded count with thousands separators (`52,100`).
fn thousands(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_progress_lines() {
        assert_eq!(significant(0.05, 4), "0.05");
        assert_eq!(significant(0.000495123, 4), "0.0004951");
        assert_eq!(significant(123.456, 4), "123.5");
        assert_eq!(significant(0.0, 4), "0");
        assert_eq!(thousands(52_100.4), "52,100");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        let record = EpochRecord {
            epoch: 3,
            metrics: vec![("loss".into(), 0.12344), ("val_accuracy".into(), 0.965)],
            lr: 0.05,
            seconds: 1.23,
            samples_per_second: 52_100.0,
        };
        assert_eq!(
            summary(&record, 15),
            "epoch  3/15: loss 0.1234, val_accuracy 0.9650, lr 0.05, 1.2 s, 52,100 samples/s"
        );
    }
}
