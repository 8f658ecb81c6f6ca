//! [`DataLoader`]: mini-batches, reshuffled every epoch from one seed.
//!
//! Mini-batch training as the lecture that `docs/lecture.md` follows defines it (§6): each epoch
//! visits every sample exactly once, in a fresh random order; the order is cut into batches of
//! `batch_size` samples, one parameter update each, the last batch holding what is left. So one
//! epoch is ⌈N / batch_size⌉ updates.
//!
//! The order of epoch `e` is a pure function of `(seed, e)`: a ChaCha stream keyed by both
//! shuffles `0..N` (Fisher–Yates). The same seed gives the same bits on every run, and a run
//! resumed at epoch `e` sees the same batches as one that never stopped. (The stream is
//! `rand`'s `StdRng`, which `rand` may change between major versions.)

use super::Dataset;
use crate::{Error, Result};
use autograd::{Float, Tensor};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Cuts a dataset into mini-batches, epoch after epoch.
///
/// ```
/// use autograd::Tensor;
/// use train::data::{DataLoader, Dataset};
///
/// let data = Dataset::new(Tensor::<f32>::zeros([10, 2]), vec![0; 10], 1).unwrap();
/// let loader = DataLoader::new(&data, 4).unwrap().shuffle(42);
/// assert_eq!(loader.batches_per_epoch(), 3); // ⌈10 / 4⌉
/// for epoch in 0..2 {
///     let sizes: Vec<usize> = loader.epoch(epoch).map(|batch| batch.len()).collect();
///     assert_eq!(sizes, [4, 4, 2]); // the last batch is smaller
/// }
/// ```
#[derive(Clone, Debug)]
pub struct DataLoader<'a, T: Float = f32> {
    dataset: &'a Dataset<T>,
    batch_size: usize,
    seed: Option<u64>,
}

/// One mini-batch: `len()` samples as an `[len, D]` tensor, their labels, and where in the
/// dataset they came from.
#[derive(Clone, Debug)]
pub struct Batch<T: Float = f32> {
    /// The samples, one per row.
    pub images: Tensor<T>,
    /// Their class indices.
    pub labels: Vec<usize>,
    /// Their positions in the dataset.
    pub indices: Vec<usize>,
}

impl<T: Float> Batch<T> {
    /// The number of samples in the batch.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the batch is empty (a loader never yields one).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

impl<'a, T: Float> DataLoader<'a, T> {
    /// Batches of `batch_size` samples in the dataset's order; call [`DataLoader::shuffle`] for
    /// a fresh random order every epoch.
    ///
    /// Fails if the dataset is empty or `batch_size` is 0.
    pub fn new(dataset: &'a Dataset<T>, batch_size: usize) -> Result<Self> {
        if dataset.is_empty() {
            return Err(Error::EmptyDataset { op: "DataLoader::new" });
        }
        if batch_size == 0 {
            return Err(Error::invalid("DataLoader::new", "batch_size must be at least 1, got 0"));
        }
        Ok(DataLoader { dataset, batch_size, seed: None })
    }

    /// Reshuffles every epoch, in an order fixed by `seed` and the epoch's number.
    pub fn shuffle(self, seed: u64) -> Self {
        DataLoader { seed: Some(seed), ..self }
    }

    /// The dataset it cuts.
    pub fn dataset(&self) -> &'a Dataset<T> {
        self.dataset
    }

    /// The number of samples per batch (the last batch of an epoch may hold fewer).
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The number of updates per epoch: ⌈N / batch_size⌉.
    pub fn batches_per_epoch(&self) -> usize {
        self.dataset.len().div_ceil(self.batch_size)
    }

    /// The order in which epoch `epoch` visits the samples: a permutation of `0..N`.
    pub fn order(&self, epoch: u64) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.dataset.len()).collect();
        if let Some(seed) = self.seed {
            // Key the stream by (seed, epoch) directly: distinct pairs give distinct keys.
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&seed.to_le_bytes());
            key[8..16].copy_from_slice(&epoch.to_le_bytes());
            order.shuffle(&mut StdRng::from_seed(key));
        }
        order
    }

    /// The batches of epoch `epoch` (counting from 0), in order.
    pub fn epoch(&self, epoch: u64) -> Batches<'a, T> {
        Batches { dataset: self.dataset, order: self.order(epoch), batch_size: self.batch_size, next: 0 }
    }
}

/// The batches of one epoch (see [`DataLoader::epoch`]).
#[derive(Clone, Debug)]
pub struct Batches<'a, T: Float = f32> {
    dataset: &'a Dataset<T>,
    order: Vec<usize>,
    batch_size: usize,
    next: usize,
}

impl<T: Float> Iterator for Batches<'_, T> {
    type Item = Batch<T>;

    fn next(&mut self) -> Option<Batch<T>> {
        if self.next >= self.order.len() {
            return None;
        }
        let end = (self.next + self.batch_size).min(self.order.len());
        let indices = self.order[self.next..end].to_vec();
        self.next = end;
        let (images, labels) = self.dataset.gather(&indices).into_parts();
        Some(Batch { images, labels, indices })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.order.len() - self.next).div_ceil(self.batch_size);
        (left, Some(left))
    }
}

impl<T: Float> ExactSizeIterator for Batches<'_, T> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` samples of 2 features; sample `i` is `[i, -i]`, labelled `i % 3`.
    fn numbered(n: usize) -> Dataset<f64> {
        let images = Tensor::from_fn([n, 2], |k| if k % 2 == 0 { (k / 2) as f64 } else { -((k / 2) as f64) });
        Dataset::new(images, (0..n).map(|i| i % 3).collect(), 3).unwrap()
    }

    #[test]
    fn every_epoch_visits_every_sample_exactly_once() {
        let data = numbered(103);
        for batch_size in [1, 10, 64, 102, 103, 500] {
            let loader = DataLoader::new(&data, batch_size).unwrap().shuffle(7);
            assert_eq!(loader.batches_per_epoch(), 103usize.div_ceil(batch_size));
            for epoch in 0..3 {
                let batches: Vec<Batch<f64>> = loader.epoch(epoch).collect();
                assert_eq!(batches.len(), loader.batches_per_epoch());
                let (last, full) = batches.split_last().unwrap();
                assert!(full.iter().all(|b| b.len() == batch_size));
                assert_eq!(last.len(), 103 - batch_size * full.len());
                let mut seen: Vec<usize> = batches.iter().flat_map(|b| b.indices.clone()).collect();
                seen.sort_unstable();
                assert_eq!(seen, (0..103).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn a_batch_holds_the_rows_and_labels_of_its_indices() {
        let data = numbered(20);
        let loader = DataLoader::new(&data, 6).unwrap().shuffle(3);
        for batch in loader.epoch(1) {
            assert_eq!(batch.images.dims(), &[batch.len(), 2]);
            for (row, &i) in batch.indices.iter().enumerate() {
                assert_eq!(batch.images.at(&[row, 0]), i as f64);
                assert_eq!(batch.images.at(&[row, 1]), -(i as f64));
                assert_eq!(batch.labels[row], i % 3);
            }
        }
    }

    #[test]
    fn the_seed_fixes_the_order_and_each_epoch_reshuffles() {
        let data = numbered(50);
        let loader = DataLoader::new(&data, 8).unwrap().shuffle(42);
        let again = DataLoader::new(&data, 8).unwrap().shuffle(42);
        let other = DataLoader::new(&data, 8).unwrap().shuffle(43);
        let identity: Vec<usize> = (0..50).collect();
        for epoch in 0..4 {
            assert_eq!(loader.order(epoch), again.order(epoch));
            assert_ne!(loader.order(epoch), other.order(epoch));
            assert_ne!(loader.order(epoch), identity);
            assert_ne!(loader.order(epoch), loader.order(epoch + 1));
            let a: Vec<Vec<f64>> = loader.epoch(epoch).map(|b| b.images.to_vec()).collect();
            let b: Vec<Vec<f64>> = again.epoch(epoch).map(|b| b.images.to_vec()).collect();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn the_order_of_a_seed_is_pinned() {
        // A change of shuffle algorithm or RNG changes every training run's numbers: make it
        // a visible decision, not an accident.
        let data = numbered(10);
        let loader = DataLoader::new(&data, 4).unwrap().shuffle(0);
        assert_eq!(loader.order(0), [4, 7, 0, 5, 2, 1, 8, 6, 3, 9]);
    }

    #[test]
    fn without_shuffle_batches_follow_the_dataset() {
        let data = numbered(7);
        let loader = DataLoader::new(&data, 3).unwrap();
        let indices: Vec<Vec<usize>> = loader.epoch(5).map(|b| b.indices).collect();
        assert_eq!(indices, [vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
    }

    #[test]
    fn the_iterator_knows_how_many_batches_are_left() {
        let data = numbered(10);
        let mut batches = DataLoader::new(&data, 4).unwrap().epoch(0);
        assert_eq!(batches.len(), 3);
        batches.next();
        assert_eq!(batches.len(), 2);
        batches.next();
        batches.next();
        assert_eq!(batches.len(), 0);
        assert!(batches.next().is_none());
    }

    #[test]
    fn empty_datasets_and_zero_batch_sizes_are_errors() {
        let (_, empty) = numbered(4).split_at(4).unwrap();
        let err = DataLoader::new(&empty, 2).unwrap_err();
        assert!(matches!(err, Error::EmptyDataset { op: "DataLoader::new" }));
        assert_eq!(err.to_string(), "DataLoader::new needs a non-empty dataset, got 0 samples");
        let data = numbered(4);
        assert_eq!(
            DataLoader::new(&data, 0).unwrap_err().to_string(),
            "invalid argument to DataLoader::new: batch_size must be at least 1, got 0"
        );
    }
}
