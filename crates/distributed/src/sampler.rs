//! [`DistributedSampler`]: each rank's share of every epoch's samples, with PyTorch's
//! `DistributedSampler` semantics.
//!
//! Epoch `e` orders the `N` samples by a seeded permutation, the very one a `train`
//! `DataLoader::shuffle(seed)` draws for epoch `e` (a ChaCha stream keyed by `(seed, e)`
//! shuffles `0..N`), so the epoch is reshuffled every time and the same seed gives the same
//! order on every rank and every run. The order is then made a multiple of the number of ranks
//! `W`:
//!
//! - by default by *padding*: its first samples are repeated at the end (cyclically, if `N < W`),
//!   so every sample is seen and a few are seen twice per epoch;
//! - with [`drop_last`](DistributedSampler::drop_last) by *dropping* its last `N mod W` samples,
//!   so none is seen twice and a few (different ones every epoch) are not seen.
//!
//! Rank `r` takes every `W`-th position, starting at `r`: positions `r, r + W, r + 2W, …`. The
//! shards are disjoint and together they are the (padded or cut) order.
//!
//! Why strided, as PyTorch: cut rank `r`'s shard into batches of `b`; its `k`-th batch holds the
//! positions `kbW + r + jW` for `j < b`, so the `W` ranks' `k`-th batches together are exactly
//! positions `kbW .. (k+1)bW` of the epoch's order, the batch one process with a `DataLoader` of
//! batch `bW` and the same seed draws at step `k`. With gradients averaged over ranks, `W`
//! ranks at batch `b` take the same steps as one process at batch `bW` (up to the order of
//! floating-point sums). Padding also gives every rank the same number of batches, which
//! collective operations need: a rank with one batch more would wait forever for the others.

use crate::{Communicator, Error, Result};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Which samples rank `rank` of `ranks` visits in each epoch.
///
/// ```
/// use distributed::DistributedSampler;
///
/// // 10 samples over 4 ranks: 3 each, the first 2 of the epoch's order repeated to pad.
/// let shards: Vec<Vec<usize>> = (0..4)
///     .map(|rank| DistributedSampler::new(10, 4, rank).unwrap().shuffle(7).indices(0))
///     .collect();
/// assert!(shards.iter().all(|shard| shard.len() == 3));
/// let mut all: Vec<usize> = shards.concat();
/// all.sort_unstable();
/// all.dedup();
/// assert_eq!(all, (0..10).collect::<Vec<_>>()); // every sample is visited
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistributedSampler {
    len: usize,
    ranks: usize,
    rank: usize,
    seed: Option<u64>,
    drop_last: bool,
}

impl DistributedSampler {
    /// The share of rank `rank` among `ranks` of a dataset of `len` samples, in the dataset's
    /// order until [`shuffle`](DistributedSampler::shuffle) is called, padded to a multiple of
    /// `ranks` until [`drop_last`](DistributedSampler::drop_last) is.
    ///
    /// Fails if `len` or `ranks` is 0 or if `rank >= ranks`.
    pub fn new(len: usize, ranks: usize, rank: usize) -> Result<Self> {
        const OP: &str = "DistributedSampler::new";
        if len == 0 {
            return Err(Error::invalid(OP, "the dataset is empty (0 samples)"));
        }
        if ranks == 0 {
            return Err(Error::invalid(OP, "the number of ranks must be at least 1, got 0"));
        }
        if rank >= ranks {
            return Err(Error::invalid(OP, format!("rank {rank} is out of range for {ranks} ranks (0..{ranks})")));
        }
        Ok(DistributedSampler { len, ranks, rank, seed: None, drop_last: false })
    }

    /// This process's share in `world`: `new(len, world.size(), world.rank())`.
    pub fn for_world(len: usize, world: &dyn Communicator) -> Result<Self> {
        Self::new(len, world.size(), world.rank())
    }

    /// Reshuffles every epoch, in an order fixed by `seed` and the epoch's number (the order a
    /// `DataLoader` shuffled with the same seed visits).
    pub fn shuffle(self, seed: u64) -> Self {
        DistributedSampler { seed: Some(seed), ..self }
    }

    /// Drops the last `len mod ranks` samples of each epoch's order instead of padding.
    ///
    /// Fails if fewer samples than ranks would leave every rank without one.
    pub fn drop_last(self) -> Result<Self> {
        if self.len < self.ranks {
            return Err(Error::invalid(
                "DistributedSampler::drop_last",
                format!("{} samples over {} ranks leave no sample for any rank", self.len, self.ranks),
            ));
        }
        Ok(DistributedSampler { drop_last: true, ..self })
    }

    /// The number of samples each rank visits per epoch: ⌈N / W⌉ when padding, ⌊N / W⌋ when
    /// dropping.
    pub fn num_samples(&self) -> usize {
        if self.drop_last {
            self.len / self.ranks
        } else {
            self.len.div_ceil(self.ranks)
        }
    }

    /// The number of samples all ranks visit together per epoch: `num_samples() · W`.
    pub fn total_size(&self) -> usize {
        self.num_samples() * self.ranks
    }

    /// This rank's samples in epoch `epoch`, in the order to visit them.
    pub fn indices(&self, epoch: u64) -> Vec<usize> {
        let mut order = epoch_order(self.len, self.seed, epoch);
        let total = self.total_size();
        if total > self.len {
            let padding: Vec<usize> = (0..total - self.len).map(|i| order[i % self.len]).collect();
            order.extend(padding);
        }
        order.into_iter().take(total).skip(self.rank).step_by(self.ranks).collect()
    }
}

/// The order of `0..len` for `epoch`: the identity without a seed, else the Fisher–Yates
/// shuffle of a ChaCha stream keyed by `(seed, epoch)` (as `train`'s `DataLoader::order`, which
/// a test holds this to).
fn epoch_order(len: usize, seed: Option<u64>, epoch: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    if let Some(seed) = seed {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(&epoch.to_le_bytes());
        order.shuffle(&mut StdRng::from_seed(key));
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use autograd::Tensor;
    use train::data::{DataLoader, Dataset};

    fn shards(len: usize, ranks: usize, seed: u64, drop_last: bool, epoch: u64) -> Vec<Vec<usize>> {
        (0..ranks)
            .map(|rank| {
                let sampler = DistributedSampler::new(len, ranks, rank).unwrap().shuffle(seed);
                let sampler = if drop_last { sampler.drop_last().unwrap() } else { sampler };
                sampler.indices(epoch)
            })
            .collect()
    }

    #[test]
    fn padded_shards_are_equal_sized_and_cover_every_sample() {
        for (len, ranks) in [(10, 1), (10, 2), (10, 3), (10, 4), (7, 7), (3, 5), (1, 4), (100, 8)] {
            let shards = shards(len, ranks, 11, false, 2);
            let per_rank = len.div_ceil(ranks);
            assert!(shards.iter().all(|s| s.len() == per_rank), "{len} over {ranks}: {shards:?}");
            let mut all = shards.concat();
            all.sort_unstable();
            // Each sample appears once, plus the padding: the first `total - len` of the order.
            let mut counts = vec![0; len];
            all.iter().for_each(|&i| counts[i] += 1);
            assert!(counts.iter().all(|&c| c >= 1), "a sample was lost: {len} over {ranks}");
            assert_eq!(counts.iter().sum::<usize>(), per_rank * ranks);
        }
    }

    #[test]
    fn shards_interleave_to_the_epoch_order_and_padding_repeats_its_head() {
        // Rank r holds positions r, r + W, …: reading the shards column by column gives back
        // the order, padded with its own first elements.
        for (len, ranks) in [(10, 4), (3, 5), (9, 3)] {
            let order = epoch_order(len, Some(5), 1);
            let shards = shards(len, ranks, 5, false, 1);
            let interleaved: Vec<usize> = (0..shards[0].len()).flat_map(|j| shards.iter().map(move |s| s[j])).collect();
            let padded: Vec<usize> = (0..interleaved.len()).map(|i| order[i % len]).collect();
            assert_eq!(interleaved, padded, "{len} over {ranks}");
        }
    }

    #[test]
    fn drop_last_shards_are_disjoint_and_drop_the_tail_of_the_order() {
        for (len, ranks) in [(10, 4), (10, 3), (12, 4), (5, 5), (100, 7)] {
            let order = epoch_order(len, Some(3), 4);
            let shards = shards(len, ranks, 3, true, 4);
            let per_rank = len / ranks;
            assert!(shards.iter().all(|s| s.len() == per_rank));
            let mut all = shards.concat();
            all.sort_unstable();
            let mut kept = order[..per_rank * ranks].to_vec();
            kept.sort_unstable();
            assert_eq!(all, kept, "{len} over {ranks}: disjoint, and exactly the head of the order");
        }
    }

    #[test]
    fn the_order_is_the_data_loaders_so_rank_batches_make_up_its_batches() {
        // The property that lets W ranks at batch b train as one process at batch bW: the k-th
        // batches of all ranks together are the k-th batch of a DataLoader with the same seed.
        let (len, ranks, b) = (48, 3, 4);
        let data = Dataset::new(Tensor::<f32>::zeros([len, 1]), vec![0; len], 1).unwrap();
        let loader = DataLoader::new(&data, b * ranks).unwrap().shuffle(99);
        for epoch in 0..3 {
            assert_eq!(epoch_order(len, Some(99), epoch), loader.order(epoch));
            let shards = shards(len, ranks, 99, false, epoch);
            for (k, batch) in loader.epoch(epoch).enumerate() {
                let mut from_ranks: Vec<usize> = shards.iter().flat_map(|s| s[k * b..(k + 1) * b].to_vec()).collect();
                let mut expected = batch.indices.clone();
                from_ranks.sort_unstable();
                expected.sort_unstable();
                assert_eq!(from_ranks, expected, "epoch {epoch}, batch {k}");
            }
        }
    }

    #[test]
    fn the_seed_fixes_the_shards_and_each_epoch_reshuffles() {
        let a = DistributedSampler::new(50, 2, 1).unwrap().shuffle(42);
        let b = DistributedSampler::new(50, 2, 1).unwrap().shuffle(42);
        let c = DistributedSampler::new(50, 2, 1).unwrap().shuffle(43);
        for epoch in 0..4 {
            assert_eq!(a.indices(epoch), b.indices(epoch));
            assert_ne!(a.indices(epoch), c.indices(epoch));
            assert_ne!(a.indices(epoch), a.indices(epoch + 1));
        }
        // Pinned, so that a change of shuffle is a visible decision.
        assert_eq!(DistributedSampler::new(10, 2, 0).unwrap().shuffle(0).indices(0), [4, 0, 2, 8, 3]);
    }

    #[test]
    fn without_shuffle_ranks_take_strided_positions_of_the_dataset() {
        let rank1 = DistributedSampler::new(7, 3, 1).unwrap();
        assert_eq!(rank1.indices(0), [1, 4, 0]); // 0..7 padded with 0, 1; then positions 1, 4, 7
        assert_eq!(rank1.indices(5), rank1.indices(0));
        assert_eq!(DistributedSampler::new(7, 3, 2).unwrap().drop_last().unwrap().indices(0), [2, 5]);
    }

    #[test]
    fn sizes_follow_pytorch() {
        // torch.utils.data.DistributedSampler: num_samples = ceil(N / W), or with drop_last
        // ceil((N - W) / W) when N % W != 0, i.e. floor(N / W).
        for (len, ranks, padded, dropped) in [(10, 4, 3, 2), (12, 4, 3, 3), (4, 4, 1, 1), (1, 3, 1, 0)] {
            let sampler = DistributedSampler::new(len, ranks, 0).unwrap();
            assert_eq!((sampler.num_samples(), sampler.total_size()), (padded, padded * ranks));
            if dropped > 0 {
                assert_eq!(sampler.drop_last().unwrap().num_samples(), dropped);
            }
        }
    }

    #[test]
    fn bad_arguments_are_errors() {
        let err = |r: Result<DistributedSampler>| r.unwrap_err().to_string();
        assert_eq!(
            err(DistributedSampler::new(0, 2, 0)),
            "invalid argument to DistributedSampler::new: the dataset is empty (0 samples)"
        );
        assert_eq!(
            err(DistributedSampler::new(5, 0, 0)),
            "invalid argument to DistributedSampler::new: the number of ranks must be at least 1, got 0"
        );
        assert_eq!(
            err(DistributedSampler::new(5, 2, 2)),
            "invalid argument to DistributedSampler::new: rank 2 is out of range for 2 ranks (0..2)"
        );
        assert_eq!(
            err(DistributedSampler::new(3, 4, 0).unwrap().drop_last()),
            "invalid argument to DistributedSampler::drop_last: 3 samples over 4 ranks leave no sample for any rank"
        );
    }
}
