//! [`DataParallel`]: the same model on every rank, trained on different data as one model.
//!
//! The scheme of PyTorch's `DistributedDataParallel`, without the overlap of communication
//! with the backward pass:
//!
//! 1. At the start every rank builds the model from its own code; [`DataParallel::new`] checks
//!    that the structures agree (names, shapes, frozen flags) and copies rank 0's values to
//!    every rank, so the ranks start identical whatever their random initialization.
//! 2. Each step, each rank runs forward and backward on its own share of the global batch
//!    (a [`DistributedSampler`](crate::DistributedSampler) shard), with a loss averaged over
//!    its share.
//! 3. [`average_gradients`](DataParallel::average_gradients) replaces every gradient by its
//!    mean over the ranks: ḡ = (1/W) Σᵣ gᵣ. With equal shares of `b` samples and mean losses,
//!    ḡ is the gradient of the mean loss over all `bW` samples, the global batch.
//! 4. The optimizer steps on every rank. Identical parameters, identical gradients and a
//!    deterministic update keep the ranks identical, step after step, without sending any
//!    parameter again; [`check_in_sync`](DataParallel::check_in_sync) verifies it bit for bit.
//!
//! ## Buckets
//!
//! An all-reduce costs a latency per call plus a time per byte. One call per parameter tensor
//! would pay the latency hundreds of times per step on a large model; one call for all of them
//! would need a copy of the whole gradient. So the trainable gradients, laid end to end in
//! parameter order, are cut into buckets of at most
//! [`bucket_bytes`](DataParallelConfig::bucket_bytes) (25 MiB by default, as PyTorch's
//! `bucket_cap_mb`): each bucket is copied into one flat buffer, summed across ranks in one
//! call, and copied back divided by `W`. A bucket may hold many small tensors or a slice of a
//! large one; the buffer is allocated once and reused every step.

use crate::communicator::{self, failing_ranks};
use crate::{Communicator, Error, Result};
use autograd::{Float, Parameter, Tensor};
use nn::{Module, ParamMap};
use std::ops::Range;
use std::time::{Duration, Instant};

/// Options of [`DataParallel`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataParallelConfig {
    /// The largest all-reduce message, in bytes: gradients are sent in buckets of at most this
    /// size (at least one element each). Default 25 MiB, PyTorch's `bucket_cap_mb = 25`.
    pub bucket_bytes: usize,
}

impl Default for DataParallelConfig {
    fn default() -> Self {
        DataParallelConfig { bucket_bytes: 25 * 1024 * 1024 }
    }
}

/// Time and traffic of gradient averaging since the start (or the last
/// [`reset_stats`](DataParallel::reset_stats)), measured on this rank.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CommStats {
    /// Calls to [`average_gradients`](DataParallel::average_gradients).
    pub steps: u64,
    /// All-reduce calls (buckets) made by them.
    pub all_reduces: u64,
    /// Bytes this rank contributed to them.
    pub bytes: u64,
    /// Wall time inside the all-reduces. It includes waiting for slower ranks, so on a loaded
    /// machine it is an upper bound of the transfer time.
    pub all_reduce_time: Duration,
    /// Wall time of the whole averaging: copying into and out of the buckets, plus the
    /// all-reduces.
    pub total_time: Duration,
}

/// Keeps one model identical across the ranks of a [`Communicator`] by averaging its gradients.
///
/// ```
/// use autograd::{Tape, Tensor};
/// use distributed::{DataParallel, DataParallelConfig, SingleProcess};
/// use nn::{LinearConfig, Module};
/// use rand::{rngs::StdRng, SeedableRng};
///
/// let world = SingleProcess; // under mpirun: the MPI world that `distributed::launch` passes
/// let model = LinearConfig::new(3, 2).init::<f32>(&mut StdRng::seed_from_u64(0)).unwrap();
/// let mut ddp = DataParallel::from_module(&world, &model, DataParallelConfig::default()).unwrap();
///
/// let tape = Tape::new();
/// let y = model.forward(&tape.constant(Tensor::ones([4, 3]))).unwrap();
/// y.mean().backward().unwrap();
/// let before = model.weight.grad().unwrap().to_vec();
/// ddp.average_gradients().unwrap(); // the mean over one rank: unchanged
/// assert_eq!(model.weight.grad().unwrap().to_vec(), before);
/// assert_eq!(ddp.stats().all_reduces, 0); // alone, nothing is sent
/// ```
pub struct DataParallel<'w, T: Float = f32> {
    comm: &'w dyn Communicator,
    params: Vec<(String, Parameter<T>)>,
    bucket_elems: usize,
    send: Vec<T>,
    recv: Vec<T>,
    stats: CommStats,
}

impl<'w, T: Float> DataParallel<'w, T> {
    /// Data parallelism over `params` (all of the model's, by hierarchical name): checks on
    /// every rank that the names, shapes and frozen flags are rank 0's, then gives every rank
    /// rank 0's values. A collective: every rank calls it.
    ///
    /// Fails, on every rank, if a rank's structure differs (the error names the first
    /// difference on that rank, and the lowest such rank on the others), or if `bucket_bytes` is
    /// smaller than one element.
    pub fn new(comm: &'w dyn Communicator, params: &ParamMap<T>, config: DataParallelConfig) -> Result<Self> {
        let elem = std::mem::size_of::<T>();
        if config.bucket_bytes < elem {
            return Err(Error::invalid(
                "DataParallel::new",
                format!("bucket_bytes must hold at least one {}-byte element, got {}", elem, config.bucket_bytes),
            ));
        }
        let params: Vec<(String, Parameter<T>)> = params.iter().map(|(n, p)| (n.clone(), p.clone())).collect();
        check_same_structure(comm, &params)?;
        let mut ddp = DataParallel {
            comm,
            params,
            bucket_elems: config.bucket_bytes / elem,
            send: Vec::new(),
            recv: Vec::new(),
            stats: CommStats::default(),
        };
        ddp.broadcast_parameters();
        Ok(ddp)
    }

    /// [`new`](DataParallel::new) over every parameter of `model`.
    pub fn from_module<M: Module<T> + ?Sized>(
        comm: &'w dyn Communicator,
        model: &M,
        config: DataParallelConfig,
    ) -> Result<Self> {
        Self::new(comm, &model.named_parameters(), config)
    }

    /// The group the model is replicated over.
    pub fn communicator(&self) -> &'w dyn Communicator {
        self.comm
    }

    /// Replaces every trainable parameter's gradient by its mean over the ranks, in buckets. A
    /// collective: call it on every rank after backward and before the optimizer's step (and
    /// before gradient clipping, which must see the averaged gradient).
    ///
    /// Fails, before sending anything, if a trainable parameter has no gradient or one of the
    /// wrong size. The error is this rank's only: under [`launch`](crate::launch) it ends the
    /// job, which the other ranks, waiting in the all-reduce, cannot do by themselves.
    pub fn average_gradients(&mut self) -> Result<()> {
        self.combine_gradients(Combine::Mean)
    }

    /// Replaces every trainable parameter's gradient by `Σ_r weight_r · g_r` over the ranks,
    /// `weight` being this rank's. When the ranks' shares of a batch differ in size (the last
    /// batch of an epoch), `weight = n_r / n` makes it the gradient of the mean loss over the
    /// whole batch, as [`average_gradients`](DataParallel::average_gradients) does for equal
    /// shares. A rank with weight 0 (an empty share) may have no gradients. A collective.
    ///
    /// Fails, before sending anything, if `weight` is negative or not finite, or as
    /// [`average_gradients`](DataParallel::average_gradients).
    pub fn weighted_sum_of_gradients(&mut self, weight: f64) -> Result<()> {
        if !(weight.is_finite() && weight >= 0.0) {
            let msg = format!("weight must be finite and >= 0, got {weight}");
            return Err(Error::invalid("DataParallel::weighted_sum_of_gradients", msg));
        }
        self.combine_gradients(Combine::Weighted(weight))
    }

    fn combine_gradients(&mut self, combine: Combine) -> Result<()> {
        let start = Instant::now();
        let rank = self.comm.rank();
        let absent_is_zero = combine == Combine::Weighted(0.0);
        let trainable: Vec<&(String, Parameter<T>)> = self.params.iter().filter(|(_, p)| p.requires_grad()).collect();
        let missing: Vec<String> =
            trainable.iter().filter(|(_, p)| p.grad().is_none()).map(|(name, _)| name.clone()).collect();
        if !missing.is_empty() && !absent_is_zero {
            return Err(Error::MissingGradient { rank, names: missing });
        }
        let mut grads: Vec<Tensor<T>> = Vec::with_capacity(trainable.len());
        for (name, p) in &trainable {
            let grad = p.grad().unwrap_or_else(|| Tensor::zeros(p.value().shape().clone()));
            if grad.numel() != p.numel() {
                return Err(Error::GradientSize {
                    rank,
                    parameter: name.clone(),
                    grad: grad.numel(),
                    value: p.numel(),
                });
            }
            grads.push(grad);
        }
        if self.comm.size() == 1 && matches!(combine, Combine::Mean | Combine::Weighted(1.0)) {
            // The mean over one rank is the gradient itself: no copies, no call.
            self.stats.steps += 1;
            self.stats.total_time += start.elapsed();
            return Ok(());
        }
        // The gradients are taken out of the parameters only now that all are known good, so an
        // error leaves them as they were.
        for (_, p) in &trainable {
            p.zero_grad();
        }
        let sizes: Vec<usize> = grads.iter().map(Tensor::numel).collect();
        let total: usize = sizes.iter().sum();
        let capacity = self.bucket_elems.min(total);
        self.send.resize(capacity, T::ZERO);
        self.recv.resize(capacity, T::ZERO);
        let world = T::from_usize(self.comm.size());
        for bucket in buckets(total, self.bucket_elems) {
            let n = bucket.len();
            for_each_piece(&sizes, bucket.clone(), |i, within, at| {
                let (send, grad) = (&mut self.send[at], &grads[i].data()[within]);
                match combine {
                    Combine::Mean => send.copy_from_slice(grad),
                    Combine::Weighted(w) => {
                        let w = T::from_f64(w);
                        send.iter_mut().zip(grad).for_each(|(s, &g)| *s = g * w);
                    }
                }
            });
            let reduce = Instant::now();
            communicator::all_reduce_sum(self.comm, &self.send, &mut self.recv, n);
            self.stats.all_reduce_time += reduce.elapsed();
            self.stats.all_reduces += 1;
            self.stats.bytes += (n * std::mem::size_of::<T>()) as u64;
            for_each_piece(&sizes, bucket, |i, within, at| {
                let (sums, grad) = (&self.recv[at], &mut grads[i].data_mut()[within]);
                match combine {
                    Combine::Mean => grad.iter_mut().zip(sums).for_each(|(g, &sum)| *g = sum / world),
                    Combine::Weighted(_) => grad.copy_from_slice(sums),
                }
            });
        }
        for ((_, p), grad) in trainable.iter().zip(grads) {
            p.set_grad(Some(grad));
        }
        self.stats.steps += 1;
        self.stats.total_time += start.elapsed();
        Ok(())
    }

    /// Copies rank 0's parameter values (frozen ones too) to every rank, in buckets. A
    /// collective. [`new`](DataParallel::new) does it; call it again after loading a checkpoint
    /// on rank 0 only.
    pub fn broadcast_parameters(&mut self) {
        let values: Vec<Tensor<T>> = self.params.iter().map(|(_, p)| p.value()).collect();
        let sizes: Vec<usize> = values.iter().map(Tensor::numel).collect();
        let total: usize = sizes.iter().sum();
        self.send.resize(self.bucket_elems.min(total).max(self.send.len()), T::ZERO);
        let mut received: Vec<Vec<T>> = sizes.iter().map(|&n| Vec::with_capacity(n)).collect();
        for bucket in buckets(total, self.bucket_elems) {
            let n = bucket.len();
            for_each_piece(&sizes, bucket.clone(), |i, within, at| {
                self.send[at].copy_from_slice(&values[i].data()[within]);
            });
            communicator::broadcast(self.comm, &mut self.send, n, 0);
            for_each_piece(&sizes, bucket, |i, _, at| received[i].extend_from_slice(&self.send[at]));
        }
        for (((_, p), value), data) in self.params.iter().zip(&values).zip(received) {
            p.set_value(Tensor::from_vec(data, value.shape().clone()).expect("as many elements as the value"));
        }
    }

    /// Checks that every rank's parameters are rank 0's, bit for bit. A collective; every rank
    /// gets the same verdict.
    ///
    /// Ranks drift apart only through a bug: a step skipped on one rank, an optimizer that is
    /// not deterministic, a parameter changed outside the training loop on one rank. Cheap
    /// enough to call once per epoch.
    pub fn check_in_sync(&mut self) -> Result<()> {
        let rank = self.comm.rank();
        let mut first_difference = None;
        for (name, p) in &self.params {
            let local = p.value().to_vec();
            let n = local.len();
            let mut root = local.clone();
            communicator::broadcast(self.comm, &mut root, n, 0);
            if first_difference.is_none() {
                if let Some(index) = (0..n).find(|&i| local[i].to_f64().to_bits() != root[i].to_f64().to_bits()) {
                    first_difference = Some(Error::OutOfSync {
                        rank,
                        parameter: name.clone(),
                        index,
                        local: local[index].to_f64(),
                        root: root[index].to_f64(),
                    });
                }
            }
        }
        match (failing_ranks(self.comm, first_difference.is_some()), first_difference) {
            (None, _) => Ok(()),
            (Some(_), Some(here)) => Err(here),
            (Some((rank, ranks)), None) => Err(Error::OtherRank { what: "parameter sync", rank, ranks }),
        }
    }

    /// Sums `values` over the ranks, in place (the same result on every rank): the way to
    /// reduce metrics. Send sums and counts, not means: `[loss_sum, correct, samples]` summed
    /// gives the global mean loss and accuracy whatever each rank's sample count. A collective.
    pub fn sum_across_ranks(&self, values: &mut [f64]) {
        communicator::sum_in_place(self.comm, values);
    }

    /// The time and traffic of gradient averaging on this rank so far.
    pub fn stats(&self) -> CommStats {
        self.stats
    }

    /// Restarts the statistics from zero (e.g. after warm-up steps).
    pub fn reset_stats(&mut self) {
        self.stats = CommStats::default();
    }
}

/// How the ranks' gradients are combined.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Combine {
    /// `(1/W) Σ_r g_r`.
    Mean,
    /// `Σ_r w_r g_r`, with this rank's `w_r`.
    Weighted(f64),
}

/// Checks, collectively, that every rank has rank 0's parameter names, shapes and frozen flags.
fn check_same_structure<T: Float>(comm: &dyn Communicator, params: &[(String, Parameter<T>)]) -> Result<()> {
    let entries: Vec<String> = params
        .iter()
        .map(|(name, p)| {
            let frozen = if p.requires_grad() { "" } else { " (frozen)" };
            format!("`{name}` of shape {}{frozen}", p.value().shape())
        })
        .collect();
    let local = entries.join("\n");
    // Rank 0's description: its length first, so every rank can receive it.
    let mut len = (local.len() as u64).to_le_bytes();
    comm.broadcast_bytes(&mut len, 0);
    let mut root = local.clone().into_bytes();
    root.resize(u64::from_le_bytes(len) as usize, 0);
    comm.broadcast_bytes(&mut root, 0);
    let root = String::from_utf8_lossy(&root).into_owned();
    let difference = (root != local).then(|| first_difference(&root, &entries));
    match (failing_ranks(comm, difference.is_some()), difference) {
        (None, _) => Ok(()),
        (Some(_), Some(what)) => Err(Error::ModelMismatch { rank: comm.rank(), what }),
        (Some((rank, ranks)), None) => Err(Error::OtherRank { what: "model structure", rank, ranks }),
    }
}

/// The first line where this rank's parameter list differs from rank 0's, in words.
fn first_difference(root: &str, local: &[String]) -> String {
    let root: Vec<&str> = root.lines().collect();
    for (i, here) in local.iter().enumerate() {
        match root.get(i) {
            Some(there) if there == here => continue,
            Some(there) => return format!("parameter {i} is {here} here, {there} on rank 0"),
            None => return format!("parameter {i} ({here}) does not exist on rank 0 ({} parameters)", root.len()),
        }
    }
    format!(
        "rank 0 has {} parameters, this rank {} (the first missing here is {})",
        root.len(),
        local.len(),
        root[local.len()]
    )
}

/// Cuts `0..total` into consecutive ranges of at most `cap` elements.
fn buckets(total: usize, cap: usize) -> impl Iterator<Item = Range<usize>> {
    (0..total).step_by(cap).map(move |start| start..(start + cap).min(total))
}

/// Walks the pieces of tensors of sizes `sizes`, laid end to end, that fall in `bucket`: calls
/// `f(tensor, range within the tensor, range within the bucket)` for each, in order.
fn for_each_piece(sizes: &[usize], bucket: Range<usize>, mut f: impl FnMut(usize, Range<usize>, Range<usize>)) {
    let mut offset = 0;
    for (i, &size) in sizes.iter().enumerate() {
        let (start, end) = (offset.max(bucket.start), (offset + size).min(bucket.end));
        if start < end {
            f(i, start - offset..end - offset, start - bucket.start..end - bucket.start);
        }
        offset += size;
        if offset >= bucket.end {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thread_ranks::run_ranks;
    use crate::{DistributedSampler, SingleProcess};
    use autograd::Tape;
    use nn::{cross_entropy, LinearConfig, Reduction, Sequential, Tanh};
    use optim::{Adam, AdamConfig, Optimizer};
    use rand::{rngs::StdRng, Rng, SeedableRng};

    fn mlp(seed: u64, hidden: usize) -> Sequential<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        Sequential::new()
            .push(LinearConfig::new(6, hidden).init(&mut rng).unwrap())
            .push(Tanh)
            .push(LinearConfig::new(hidden, 3).init(&mut rng).unwrap())
    }

    fn values(model: &Sequential<f64>) -> Vec<Vec<f64>> {
        model.parameters().iter().map(|p| p.value().to_vec()).collect()
    }

    fn config(bucket_bytes: usize) -> DataParallelConfig {
        DataParallelConfig { bucket_bytes }
    }

    #[test]
    fn new_gives_every_rank_rank_0s_values() {
        let reference = values(&mlp(0, 8));
        let after = run_ranks(3, |world| {
            let model = mlp(world.rank() as u64, 8); // a different initialization on every rank
            DataParallel::from_module(world, &model, config(40)).unwrap();
            values(&model)
        });
        assert_ne!(values(&mlp(1, 8)), reference);
        assert!(after.iter().all(|v| *v == reference));
    }

    #[test]
    fn gradients_become_their_mean_over_ranks_whatever_the_bucket_size() {
        let total: usize = 8 * 6 + 8 + 3 * 8 + 3; // 83 values
        let grad = |rank: usize, p: usize, i: usize| ((rank + 1) * (p + 2)) as f64 * 0.37 + i as f64 / 7.0;
        for bucket_bytes in [8, 24, 8 * 83, 8 * 84, 25 << 20] {
            let results = run_ranks(3, |world| {
                let model = mlp(0, 8);
                let mut ddp = DataParallel::from_module(world, &model, config(bucket_bytes)).unwrap();
                for (p, param) in model.parameters().iter().enumerate() {
                    let g = Tensor::from_fn(param.value().shape().clone(), |i| grad(world.rank(), p, i));
                    param.set_grad(Some(g));
                }
                ddp.average_gradients().unwrap();
                let grads: Vec<Vec<f64>> = model.parameters().iter().map(|p| p.grad().unwrap().to_vec()).collect();
                (grads, ddp.stats())
            });
            let buckets = total.div_ceil(bucket_bytes / 8) as u64;
            for (grads, stats) in &results {
                for (p, g) in grads.iter().enumerate() {
                    for (i, &value) in g.iter().enumerate() {
                        // MPI's order for three ranks: (g0 + g1) + g2, then divided by 3.
                        let mean = (grad(0, p, i) + grad(1, p, i) + grad(2, p, i)) / 3.0;
                        assert_eq!(value, mean, "bucket_bytes {bucket_bytes}, parameter {p}, element {i}");
                    }
                }
                assert_eq!((stats.steps, stats.all_reduces, stats.bytes), (1, buckets, 8 * total as u64));
            }
        }
    }

    #[test]
    fn weighted_sums_let_unequal_shares_make_the_whole_batch_gradient() {
        // A batch of 5 over 3 ranks: shares of 2, 2 and 1 samples; and one over 3 ranks with an
        // empty share (rank 2 has no gradients at all).
        for (shares, n) in [([2, 2, 1], 5.0), ([1, 1, 0], 2.0)] {
            let results = run_ranks(3, |world| {
                let model = mlp(0, 4);
                let mut ddp = DataParallel::from_module(world, &model, config(48)).unwrap();
                let share = shares[world.rank()];
                if share > 0 {
                    for p in model.parameters() {
                        p.set_grad(Some(Tensor::full(p.value().shape().clone(), (world.rank() + 1) as f64)));
                    }
                }
                ddp.weighted_sum_of_gradients(share as f64 / n).unwrap();
                model.parameters().iter().map(|p| p.grad().unwrap().to_vec()).collect::<Vec<_>>()
            });
            let expected: f64 = shares.iter().enumerate().map(|(r, &s)| (r + 1) as f64 * (s as f64 / n)).sum();
            for grads in &results {
                assert!(grads.iter().flatten().all(|&g| (g - expected).abs() < 1e-15), "{shares:?}: {grads:?}");
            }
        }
        let err = DataParallel::from_module(&SingleProcess, &mlp(0, 4), DataParallelConfig::default())
            .unwrap()
            .weighted_sum_of_gradients(-0.5)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid argument to DataParallel::weighted_sum_of_gradients: weight must be finite and >= 0, got -0.5"
        );
    }

    #[test]
    fn frozen_parameters_are_not_averaged_but_start_from_rank_0s_values() {
        let results = run_ranks(2, |world| {
            let model = mlp(world.rank() as u64, 4);
            let params = model.parameters();
            params[0].set_requires_grad(false);
            let mut ddp = DataParallel::from_module(world, &model, config(64)).unwrap();
            params[0].set_grad(Some(Tensor::full(params[0].value().shape().clone(), world.rank() as f64)));
            for p in &params[1..] {
                p.set_grad(Some(Tensor::full(p.value().shape().clone(), world.rank() as f64)));
            }
            ddp.average_gradients().unwrap();
            (params[0].value().to_vec(), params[0].grad().unwrap().to_vec(), params[1].grad().unwrap().to_vec())
        });
        assert_eq!(results[0].0, results[1].0);
        assert!(results[1].1.iter().all(|&g| g == 1.0), "a frozen gradient is left alone");
        assert!(results.iter().all(|r| r.2.iter().all(|&g| g == 0.5)));
    }

    #[test]
    fn ranks_with_different_models_are_an_error_on_every_rank() {
        let errors = run_ranks(3, |world| {
            let model = mlp(0, if world.rank() == 2 { 9 } else { 8 });
            DataParallel::from_module(world, &model, DataParallelConfig::default()).err().map(|e| e.to_string())
        });
        assert_eq!(errors[0].as_deref(), Some("model structure: rank 2 reported an error (1 rank(s) in all)"));
        assert_eq!(errors[1], errors[0]);
        assert_eq!(
            errors[2].as_deref(),
            Some(
                "rank 2's model differs from rank 0's: parameter 0 is `0.weight` of shape [9, 6] here, \
                 `0.weight` of shape [8, 6] on rank 0"
            )
        );
        let errors = run_ranks(2, |world| {
            let model = mlp(0, 8);
            if world.rank() == 1 {
                model.parameters()[3].set_requires_grad(false);
            }
            DataParallel::from_module(world, &model, DataParallelConfig::default()).err().map(|e| e.to_string())
        });
        assert_eq!(
            errors[1].as_deref(),
            Some(
                "rank 1's model differs from rank 0's: parameter 3 is `2.bias` of shape [3] (frozen) here, \
                 `2.bias` of shape [3] on rank 0"
            )
        );
    }

    #[test]
    fn a_missing_gradient_is_an_error_before_anything_is_sent() {
        let model = mlp(0, 4);
        let mut ddp = DataParallel::from_module(&SingleProcess, &model, DataParallelConfig::default()).unwrap();
        let tape = Tape::new();
        let w = tape.param(&model.parameters()[0]);
        w.sum().backward().unwrap(); // only `0.weight` gets a gradient
        let err = ddp.average_gradients().unwrap_err();
        assert_eq!(
            err,
            Error::MissingGradient { rank: 0, names: vec!["0.bias".into(), "2.weight".into(), "2.bias".into()] }
        );
        assert!(err.to_string().starts_with("rank 0: no gradient for parameter(s) `0.bias`, `2.weight`, `2.bias`"));
        assert!(model.parameters()[0].grad().is_some(), "the gradients present are left in place");
        assert_eq!(ddp.stats().all_reduces, 0);
    }

    #[test]
    fn check_in_sync_finds_a_parameter_that_drifted() {
        let verdicts = run_ranks(2, |world| {
            let model = mlp(0, 4);
            let mut ddp = DataParallel::from_module(world, &model, DataParallelConfig::default()).unwrap();
            let in_sync = ddp.check_in_sync();
            if world.rank() == 1 {
                let bias = &model.parameters()[3];
                bias.update(|value, _| value.data_mut()[2] += 1.0);
            }
            (in_sync, ddp.check_in_sync().map_err(|e| e.to_string()))
        });
        assert!(verdicts.iter().all(|(before, _)| before.is_ok()));
        assert_eq!(verdicts[0].1, Err("parameter sync: rank 1 reported an error (1 rank(s) in all)".into()));
        let message = verdicts[1].1.clone().unwrap_err();
        assert!(message.starts_with("rank 1: parameter `2.bias` differs from rank 0's at element 2 ("), "{message}");
    }

    #[test]
    fn metrics_are_summed_across_ranks() {
        let sums = run_ranks(2, |world| {
            let ddp = DataParallel::from_module(world, &mlp(0, 4), DataParallelConfig::default()).unwrap();
            let mut metrics = [1.5 * (world.rank() + 1) as f64, 10.0];
            ddp.sum_across_ranks(&mut metrics);
            metrics
        });
        assert_eq!(sums, [[4.5, 20.0], [4.5, 20.0]]);
    }

    #[test]
    fn a_bucket_smaller_than_an_element_is_an_error() {
        let err = DataParallel::from_module(&SingleProcess, &mlp(0, 4), config(7)).err().unwrap();
        assert_eq!(
            err.to_string(),
            "invalid argument to DataParallel::new: bucket_bytes must hold at least one 8-byte element, got 7"
        );
    }

    /// `steps` Adam steps of `mlp(seed)` on the given world, each rank on its sampler shard in
    /// batches of `batch`; returns the parameters.
    fn train(
        world: &dyn Communicator,
        images: &Tensor<f64>,
        labels: &[usize],
        batch: usize,
        steps: usize,
    ) -> Vec<Vec<f64>> {
        let model = mlp(world.rank() as u64 + 10, 8); // rank 0's initialization wins
        let mut ddp = DataParallel::from_module(world, &model, config(200)).unwrap();
        let mut adam = Adam::new(model.named_parameters(), AdamConfig { lr: 0.01, ..Default::default() }).unwrap();
        let sampler = DistributedSampler::for_world(labels.len(), world).unwrap().shuffle(5);
        let per_epoch = sampler.num_samples() / batch;
        let mut tape = Tape::new();
        for step in 0..steps {
            let shard = sampler.indices((step / per_epoch) as u64);
            let mine = &shard[(step % per_epoch) * batch..][..batch];
            let x = tape.constant(images.clone()).index_select(0, mine).unwrap();
            let y: Vec<usize> = mine.iter().map(|&i| labels[i]).collect();
            cross_entropy(&model.forward(&x).unwrap(), &y, Reduction::Mean).unwrap().backward().unwrap();
            ddp.average_gradients().unwrap();
            adam.step().unwrap();
            tape.clear();
        }
        ddp.check_in_sync().unwrap();
        values(&model)
    }

    #[test]
    fn two_ranks_at_batch_b_take_the_steps_of_one_process_at_batch_2b() {
        let mut rng = StdRng::seed_from_u64(3);
        let images = Tensor::rand_normal([48, 6], 0.0, 1.0, &mut rng);
        let labels: Vec<usize> = (0..48).map(|_| rng.random_range(0..3)).collect();
        let steps = 10; // two epochs and a half of 4 steps of 12 samples
        let alone = train(&SingleProcess, &images, &labels, 12, steps);
        let ranks = run_ranks(2, |world| train(world, &images, &labels, 6, steps));
        assert_eq!(ranks[0], ranks[1], "the ranks stay identical");
        let start = values(&mlp(10, 8));
        let mut moved: f64 = 0.0;
        for ((a, r), s) in alone.iter().flatten().zip(ranks[0].iter().flatten()).zip(start.iter().flatten()) {
            assert!((a - r).abs() <= 1e-12 * (1.0 + a.abs()), "{a} alone, {r} on two ranks");
            moved = moved.max((a - s).abs());
        }
        assert!(moved > 1e-2, "training moved the parameters (by {moved})");
    }

    #[test]
    fn buckets_cut_the_gradients_end_to_end() {
        assert_eq!(buckets(10, 4).collect::<Vec<_>>(), [0..4, 4..8, 8..10]);
        assert_eq!(buckets(8, 4).collect::<Vec<_>>(), [0..4, 4..8]);
        let mut one = buckets(3, 100);
        assert_eq!((one.next(), one.next()), (Some(0..3), None));
        assert_eq!(buckets(0, 4).count(), 0);
    }

    #[test]
    fn pieces_cover_each_bucket_exactly_once() {
        let sizes = [3, 1, 5, 0, 2]; // 11 elements
        for cap in 1..=12 {
            let mut seen = Vec::new();
            for bucket in buckets(11, cap) {
                let mut filled = vec![false; bucket.len()];
                for_each_piece(&sizes, bucket.clone(), |i, within, at| {
                    assert_eq!(within.len(), at.len());
                    let offset: usize = sizes[..i].iter().sum();
                    for (w, a) in within.zip(at) {
                        assert!(!filled[a], "element {a} of bucket {bucket:?} written twice");
                        filled[a] = true;
                        seen.push(offset + w);
                    }
                });
                assert!(filled.iter().all(|&f| f), "bucket {bucket:?} of cap {cap} not filled");
            }
            assert_eq!(seen, (0..11).collect::<Vec<_>>(), "cap {cap}");
        }
    }
}
