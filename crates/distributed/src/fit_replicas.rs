//! [`DataParallel`] as `train`'s [`Replicas`]: `Fit::data_parallel(&mut ddp)` trains on every
//! rank of the world as one process would on the whole batch.

use crate::DataParallel;
use autograd::Float;
use train::Replicas;

impl<T: Float> Replicas for DataParallel<'_, T> {
    fn rank(&self) -> usize {
        self.communicator().rank()
    }

    fn size(&self) -> usize {
        self.communicator().size()
    }

    fn reduce_gradients(&mut self, weight: f64) -> train::Result<()> {
        self.weighted_sum_of_gradients(weight).map_err(|e| train::Error::DataParallel(Box::new(e)))
    }

    fn sum(&mut self, values: &mut [f64]) {
        self.sum_across_ranks(values);
    }
}

#[cfg(test)]
mod tests {
    use crate::thread_ranks::run_ranks;
    use crate::{Communicator, DataParallel, DataParallelConfig, SingleProcess};
    use autograd::Tensor;
    use nn::{LinearConfig, Module, Relu, Sequential};
    use optim::{Sgd, SgdConfig};
    use rand::{rngs::StdRng, Rng, SeedableRng};
    use std::path::{Path, PathBuf};
    use std::sync::mpsc;
    use std::time::Duration;
    use train::data::Dataset;
    use train::progress::ProgressMode;
    use train::{EarlyStopping, Fit, History};

    fn data() -> Dataset<f64> {
        let mut rng = StdRng::seed_from_u64(1);
        let images = Tensor::rand_normal([70, 5], 0.0, 1.0, &mut rng);
        let labels = (0..70).map(|_| rng.random_range(0..3)).collect();
        Dataset::new(images, labels, 3).unwrap()
    }

    /// `fit` of a small MLP on `world` for 4 epochs, from rank 0's initialization: 70 samples,
    /// 10 held out for validation. Batches of 11 end each epoch with 5 samples, which three
    /// ranks share unequally (2, 2, 1); batches of 29 end with 2, which leave rank 2 nothing.
    /// Rank `stopper`, if any, asks to stop after epoch 2; `out` gets each rank's output folder;
    /// `l2`, if any, adds an L2 penalty on the weight matrices with that coefficient.
    fn fit(
        world: &dyn Communicator,
        batch_size: usize,
        stopper: Option<usize>,
        out: Option<&Path>,
        l2: Option<f64>,
    ) -> (Vec<Vec<f64>>, History) {
        let mut rng = StdRng::seed_from_u64(world.rank() as u64 + 3);
        let model = Sequential::<f64>::new()
            .push(LinearConfig::new(5, 8).init(&mut rng).unwrap())
            .push(Relu)
            .push(LinearConfig::new(8, 3).init(&mut rng).unwrap());
        let mut ddp = DataParallel::from_module(world, &model, DataParallelConfig { bucket_bytes: 64 }).unwrap();
        let mut sgd =
            Sgd::new(model.named_parameters(), SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() }).unwrap();
        let data = data();
        let weights = nn::weight_matrices(&model);
        let mut run = Fit::new(&model, &mut sgd, &data)
            .epochs(4)
            .batch_size(batch_size)
            .validation_split(1.0 / 7.0)
            .callback(EarlyStopping::new("val_loss").patience(10))
            .on_epoch_end(move |ctx| {
                if Some(ctx.rank) == stopper && ctx.epoch() == 2 {
                    ctx.stop("asked by one rank");
                }
                Ok(())
            })
            .progress(ProgressMode::Quiet)
            .data_parallel(&mut ddp);
        if let Some(l2) = l2 {
            run = run.penalty(move |tape| nn::l2_penalty(tape, &weights, l2));
        }
        if let Some(out) = out {
            run = run.out_dir(out.join(format!("rank-{}", world.rank())));
        }
        let history = run.run().unwrap();
        (model.parameters().iter().map(|p| p.value().to_vec()).collect(), history)
    }

    /// Runs `f` on three thread ranks; fails instead of hanging if the ranks fall out of step.
    fn on_three_ranks<R: Send + 'static>(f: impl Fn(&dyn Communicator) -> R + Send + Sync + 'static) -> Vec<R> {
        let (done, result) = mpsc::channel();
        std::thread::spawn(move || done.send(run_ranks(3, f)));
        result.recv_timeout(Duration::from_secs(60)).expect("the ranks wait for each other: a collective was missed")
    }

    #[test]
    fn fit_on_three_ranks_is_fit_on_one_process() {
        // With a penalty too: each rank adds it to its share of the batch, and the weighted sum
        // of the gradients must still count it once.
        for (batch_size, l2) in [(11, None), (29, None), (11, Some(0.05))] {
            let (alone, alone_history) = fit(&SingleProcess, batch_size, None, None, l2);
            assert_eq!(alone_history.epochs.len(), 4);
            assert_eq!(alone_history.last().unwrap().get("penalty").is_some(), l2.is_some());
            let ranks = on_three_ranks(move |world| fit(world, batch_size, None, None, l2));
            for (params, history) in &ranks {
                assert_eq!(params, &ranks[0].0, "the ranks stay identical");
                for (a, r) in alone.iter().flatten().zip(params.iter().flatten()) {
                    assert!(
                        (a - r).abs() <= 1e-12 * (1.0 + a.abs()),
                        "batch {batch_size}: {a} alone, {r} on three ranks"
                    );
                }
                assert_eq!(history.epochs.len(), alone_history.epochs.len());
                for (a, r) in alone_history.epochs.iter().zip(&history.epochs) {
                    for ((name, x), (other, y)) in a.metrics.iter().zip(&r.metrics) {
                        assert_eq!(name, other);
                        assert!((x - y).abs() <= 1e-12 * (1.0 + x.abs()), "{name}: {x} alone, {y} on three ranks");
                    }
                }
            }
        }
    }

    #[test]
    fn a_stop_on_one_rank_stops_every_rank_and_only_rank_0_writes() {
        let dir = std::env::temp_dir().join(format!("chainrule-fit-ranks-{}", std::process::id()));
        let out = dir.clone();
        let ranks = on_three_ranks(move |world| fit(world, 11, Some(1), Some(&out), None).1);
        for (rank, history) in ranks.iter().enumerate() {
            assert_eq!(history.epochs.len(), 2, "rank {rank}");
            let expected = if rank == 1 { "asked by one rank" } else { "another rank stopped the run" };
            assert_eq!(history.stopped.as_deref(), Some(expected), "rank {rank}");
        }
        let written: Vec<PathBuf> = (0..3).map(|r| dir.join(format!("rank-{r}"))).filter(|d| d.exists()).collect();
        assert_eq!(written, [dir.join("rank-0")]);
        assert!(dir.join("rank-0").join(train::STATE_FILE).is_file());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
