//! # train: chainrule's training utilities
//!
//! Everything around the training loop that is not the model or the optimizer. For now: data
//! ([`data::Dataset`] read from IDX files, [`data::DataLoader`] for seeded mini-batches,
//! [`data::random_shift`] for augmentation). `examples/mnist.rs` at the workspace root shows a
//! whole training run built on them.
//!
//! ```no_run
//! use train::data::{DataLoader, Dataset};
//!
//! let dir = "data/mnist-10k";
//! let mnist: Dataset = Dataset::from_idx(
//!     format!("{dir}/images-idx3-ubyte.gz"),
//!     format!("{dir}/labels-idx1-ubyte.gz"),
//!     10,
//! )?;
//! let (train_set, test_set) = mnist.split_at(8_000)?;
//! let loader = DataLoader::new(&train_set, 64)?.shuffle(0);
//! for epoch in 0..10 {
//!     for batch in loader.epoch(epoch) {
//!         // batch.images: [64, 784] (125 batches of 64 make the 8,000 digits; when the batch
//!         // size does not divide N, the last batch holds the rest); batch.labels: Vec<usize>
//!     }
//! }
//! # Ok::<(), train::Error>(())
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
