//! # train: where a user's data flow ends
//!
//! Everything around the training loop that is not the model or the optimizer: data in, a
//! trained model, its measurements and its files out.
//!
//! - [`Fit`]: the training loop, configured with a builder: any loss closure, a penalty on the
//!   training loss only, a validation set given or split off (seeded, optionally stratified),
//!   learning-rate schedules, augmentation, callbacks, an output folder, bit-identical resume.
//! - [`evaluate`] and [`predict`]: a model on data in batches, without recording a tape and
//!   with dropout off.
//! - [`metrics`]: [`metrics::accuracy`], [`metrics::top_k_accuracy`],
//!   [`metrics::ConfusionMatrix`], with one tie rule, and the [`metrics::Metric`] trait.
//! - [`Callback`]s: [`EarlyStopping`], [`ModelCheckpoint`], closures after each backward pass
//!   or epoch, any of which can stop the run.
//! - [`History`]: per-epoch metrics, learning rate and speed, as a value, CSV and JSON; its
//!   charts ([`History::curves`], [`History::compare`]).
//! - [`plot`]: SVG charts (lines, scatter, paths, histograms, contours) with no system fonts or
//!   C libraries.
//! - [`progress`]: a live bar on a terminal, one plain line per epoch elsewhere, or nothing.
//! - [`data`]: [`data::Dataset`] (from IDX files, [`data::load_mnist`]), seeded mini-batches
//!   ([`data::DataLoader`]), random and stratified splits, [`data::random_shift`].
//! - [`Replicas`]: what [`Fit::data_parallel`] needs to train one model on several processes
//!   (the `distributed` crate implements it over MPI).
//!
//! `docs/training.md` explains the loop and each option; `examples/mnist.rs` at the workspace
//! root is a whole run on the bundled MNIST digits.
//!
//! ```
//! use autograd::Tensor;
//! use nn::{LinearConfig, Module, Relu, Sequential};
//! use optim::{Adam, AdamConfig};
//! use rand::{rngs::StdRng, SeedableRng};
//! use train::data::Dataset;
//! use train::progress::ProgressMode;
//! use train::{metrics, EarlyStopping, Fit};
//!
//! // Three classes: which of the three features is the largest?
//! let mut rng = StdRng::seed_from_u64(0);
//! let x = Tensor::<f32>::rand_uniform([600, 3], 0.0, 1.0, &mut rng);
//! let argmax = |row: &[f32]| (0..3).fold(0, |best, k| if row[k] > row[best] { k } else { best });
//! let labels = x.data().chunks(3).map(argmax).collect();
//! let (train_set, test_set) = Dataset::new(x, labels, 3)?.split_at(500)?;
//!
//! let model = Sequential::new()
//!     .push(LinearConfig::new(3, 32).init(&mut rng)?)
//!     .push(Relu)
//!     .push(LinearConfig::new(32, 3).init(&mut rng)?);
//! let mut adam = Adam::new(model.named_parameters(), AdamConfig { lr: 0.01, ..Default::default() })?;
//! let weights = nn::weight_matrices(&model);
//! let history = Fit::new(&model, &mut adam, &train_set)
//!     .epochs(40)
//!     .batch_size(32)
//!     .stratified_validation_split(0.2)
//!     .penalty(|tape| nn::l2_penalty(tape, &weights, 1e-4))
//!     .callback(EarlyStopping::new("val_loss").patience(5).restore_best_weights(true))
//!     .progress(ProgressMode::Quiet)
//!     .run()?;
//! assert_eq!(history.columns()[..4], ["epoch", "loss", "penalty", "accuracy"]);
//!
//! // The test digits, once, with the weights early stopping kept.
//! let test = train::evaluate(&model, &test_set, 100, train::cross_entropy)?;
//! assert!(test.accuracy > 0.9, "{}", test.accuracy);
//! let logits = train::predict(&model, test_set.images(), 100)?;
//! assert_eq!(metrics::accuracy(&logits, test_set.labels())?, test.accuracy);
//! assert_eq!(test.confusion_matrix()?.accuracy(), test.accuracy);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod callback;
pub mod data;
mod early_stopping;
mod error;
mod evaluate;
mod files;
mod fit;
mod history;
pub mod metrics;
mod model_checkpoint;
pub mod plot;
pub mod progress;
mod replicas;
mod resume;

pub use callback::{BatchContext, Callback, CallbackState, EpochContext, Mode, TrainContext};
pub use early_stopping::EarlyStopping;
pub use error::{Error, Result};
pub use evaluate::{cross_entropy, evaluate, predict, Evaluation, LossFn};
pub use fit::{Fit, STATE_FILE};
pub use history::{EpochRecord, History};
pub use model_checkpoint::ModelCheckpoint;
pub use replicas::Replicas;
