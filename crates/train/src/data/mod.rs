//! Data: reading datasets from disk and cutting them into mini-batches.
//!
//! - [`idx`]: the IDX file format of MNIST (gzipped or plain).
//! - [`Dataset`]: samples as rows of one `[N, D]` tensor, labels, class count; `split_at`.
//! - `split`: seeded validation splits, [`Dataset::random_split`] and
//!   [`Dataset::stratified_split`].
//! - [`DataLoader`]: mini-batches, reshuffled every epoch from one seed.
//! - [`random_shift`]: augmentation by random translations of images.
//! - [`load_mnist`]: MNIST's training and test sets from a folder (the official files or one
//!   set).

mod augment;
mod dataset;
pub mod idx;
mod loader;
mod mnist;
mod split;

pub use augment::random_shift;
pub use dataset::Dataset;
pub use loader::{Batch, Batches, DataLoader};
pub use mnist::load_mnist;
