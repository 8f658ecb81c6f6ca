//! [`Replicas`]: what [`Fit`](crate::Fit) needs to train one model on several processes as one
//! (data parallelism), and each rank's share of a batch.

use crate::data::Batch;
use crate::Result;
use autograd::{Float, Tensor};

/// The copies of one model on the ranks of a data-parallel run. The `distributed` crate's
/// `DataParallel` implements it over MPI.
///
/// Given replicas ([`Fit::data_parallel`](crate::Fit::data_parallel)), every rank runs the same
/// `Fit` and draws the same global batches (same seed); of each batch, rank `r` of `W` takes
/// the rows at positions `r, r + W, r + 2W, …` (after augmentation, which is drawn for the
/// whole batch), runs forward and backward on them, and the ranks combine their gradients
/// weighted by their shares `n_r / n`. For a loss that is a mean over the batch's samples (plus
/// terms that do not depend on the samples, such as a penalty), `Σ_r (n_r / n)·∇loss_r` is the
/// gradient of the whole batch's loss, so every step is the step one process would take on the
/// whole batch, up to the order of floating-point sums. The epoch's loss and logits are summed
/// across ranks before the metrics, validation runs on every rank (identical results), a stop
/// asked for on any rank stops all, and only rank 0 writes files and shows progress. A run's
/// training state is the same for any number of ranks, so a state saved by `W` ranks resumes on
/// any other number.
///
/// Dropout is the exception: each rank draws masks for its own rows from its own module's
/// stream (with one seed on every rank, the ranks' masks are alike rather than independent, as
/// in PyTorch's `DistributedDataParallel` seeded alike), so a run with dropout matches one
/// process in distribution, not bit for bit.
pub trait Replicas {
    /// This process's rank, in `0..size()`. Rank 0 writes the run's files and shows progress.
    fn rank(&self) -> usize;

    /// The number of ranks.
    fn size(&self) -> usize;

    /// Called on every rank after the backward pass of every batch: replaces each trainable
    /// parameter's gradient by `Σ_r weight_r · g_r` over the ranks, where `weight` is this
    /// rank's share of the batch (`n_r / n`). A rank with an empty share passes 0 and has no
    /// gradients.
    fn reduce_gradients(&mut self, weight: f64) -> Result<()>;

    /// Sums `values` over the ranks, in place: every rank gets the sums.
    fn sum(&mut self, values: &mut [f64]);
}

/// Rank `rank`'s share of `batch` among `ranks`: the rows at positions `rank, rank + ranks, …`
/// (none if the batch is shorter than `rank + 1`), and those positions. Alone, the whole batch.
pub(crate) fn share_of<T: Float>(batch: Batch<T>, rank: usize, ranks: usize) -> (Batch<T>, Vec<usize>) {
    let positions: Vec<usize> = (rank..batch.len()).step_by(ranks).collect();
    if ranks == 1 {
        return (batch, positions);
    }
    let row = batch.images.numel() / batch.len().max(1);
    let source = batch.images.data();
    let mut data = Vec::with_capacity(positions.len() * row);
    positions.iter().for_each(|&p| data.extend_from_slice(&source[p * row..(p + 1) * row]));
    let mut dims = batch.images.dims().to_vec();
    dims[0] = positions.len();
    let images = Tensor::from_vec(data, dims).expect("one row of the batch's size per position");
    let pick = |of: &[usize]| positions.iter().map(|&p| of[p]).collect();
    let share = Batch { images, labels: pick(&batch.labels), indices: pick(&batch.indices) };
    (share, positions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ranks_shares_interleave_and_cover_the_batch() {
        let images = Tensor::from_fn([5, 2], |k| k as f64);
        let batch = Batch { images, labels: vec![10, 11, 12, 13, 14], indices: vec![7, 3, 9, 0, 4] };
        let shares: Vec<_> = (0..3).map(|r| share_of(batch.clone(), r, 3)).collect();
        let positions: Vec<&[usize]> = shares.iter().map(|(_, p)| p.as_slice()).collect();
        assert_eq!(positions, [&[0, 3][..], &[1, 4], &[2]]);
        let (one, _) = &shares[1];
        assert_eq!(one.images.dims(), [2, 2]);
        assert_eq!(one.images.data(), [2.0, 3.0, 8.0, 9.0]);
        assert_eq!(one.labels, [11, 14]);
        assert_eq!(one.indices, [3, 4]);
        let (none, nothing) = share_of(share_of(batch.clone(), 2, 3).0, 1, 2);
        assert!(none.is_empty() && nothing.is_empty(), "a share may be empty");
        assert_eq!(share_of(batch.clone(), 0, 1).0.indices, batch.indices, "alone, the whole batch");
    }
}
