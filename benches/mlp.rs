//! Training throughput: an MLP 784-256-128-10 (ReLU, cross-entropy) trained with plain SGD at
//! batch 128 on one thread, in samples per second, forward + backward + update.
//!
//! Run with `cargo bench --bench mlp`. The PyTorch side is `benches/peers/mlp.py` (same model,
//! batch, optimizer and synthetic data shape).
//!
//! The first figure is a hand-written step loop over fixed batches, on purpose: it measures the
//! step itself, as the PyTorch peer does, without the data pipeline. The second trains the same
//! model on the same samples through `train::Fit` (a fresh shuffle each epoch, batches gathered
//! from the dataset, training loss and accuracy, progress off) and reports the ratio, so the
//! fit loop's own cost is a measured number, not a guess.

use chainrule::autograd::{Tape, Tensor};
use chainrule::nn::{cross_entropy, LinearConfig, Module, Reduction, Relu, Sequential};
use chainrule::optim::{Optimizer, Sgd, SgdConfig};
use chainrule::train::data::Dataset;
use chainrule::train::progress::ProgressMode;
use chainrule::train::Fit;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::hint::black_box;
use std::time::Instant;

const BATCH: usize = 128;
const BATCHES: usize = 32;
const STEPS: usize = 400;

fn main() {
    let mut rng = StdRng::seed_from_u64(0);
    let mlp = Sequential::<f32>::new()
        .push(LinearConfig::new(784, 256).init(&mut rng).unwrap())
        .push(Relu)
        .push(LinearConfig::new(256, 128).init(&mut rng).unwrap())
        .push(Relu)
        .push(LinearConfig::new(128, 10).init(&mut rng).unwrap());
    let params = mlp.named_parameters();
    let mut sgd = Sgd::new(params.iter(), SgdConfig { lr: 0.01, ..Default::default() }).unwrap();
    let batches: Vec<(Tensor<f32>, Vec<usize>)> = (0..BATCHES)
        .map(|_| {
            let x = Tensor::rand_uniform([BATCH, 784], 0.0, 1.0, &mut rng);
            let y = (0..BATCH).map(|_| rng.random_range(0..10)).collect();
            (x, y)
        })
        .collect();

    let mut tape = Tape::<f32>::new();
    let mut step = |i: usize, tape: &mut Tape<f32>| {
        let (x, y) = &batches[i % BATCHES];
        {
            let x = tape.constant(x.clone());
            let loss = cross_entropy(&mlp.forward(&x).unwrap(), y, Reduction::Mean).unwrap();
            loss.backward().unwrap();
            black_box(loss.item());
        }
        sgd.step().unwrap();
        tape.clear();
    };
    for i in 0..50 {
        step(i, &mut tape);
    }
    let (mut best, mut seconds) = (0.0f64, 0.0);
    for _round in 0..3 {
        let start = Instant::now();
        for i in 0..STEPS {
            step(i, &mut tape);
        }
        let elapsed = start.elapsed().as_secs_f64();
        best = best.max((STEPS * BATCH) as f64 / elapsed);
        seconds += elapsed;
    }
    let mean = (3 * STEPS * BATCH) as f64 / seconds;
    println!(
        "MLP 784-256-128-10, SGD, batch {BATCH}, one thread: {best:.0} samples/s (best of 3 rounds of {STEPS} steps)"
    );

    // The same steps through the fit loop: the 32 batches' samples as one dataset, one untimed
    // epoch, then 36 epochs of 32 steps (the 1,200 steps of the loop above's 3 rounds, near
    // enough); compared by the mean speed over all timed steps, which short epochs cannot flatter.
    let images: Vec<f32> = batches.iter().flat_map(|(x, _)| x.data().to_vec()).collect();
    let labels: Vec<usize> = batches.iter().flat_map(|(_, y)| y.clone()).collect();
    let data = Dataset::new(Tensor::from_vec(images, [BATCHES * BATCH, 784]).unwrap(), labels, 10).unwrap();
    let mut sgd = Sgd::new(params.iter(), SgdConfig { lr: 0.01, ..Default::default() }).unwrap();
    let history =
        Fit::new(&mlp, &mut sgd, &data).epochs(37).batch_size(BATCH).progress(ProgressMode::Quiet).run().unwrap();
    let timed = &history.epochs[1..];
    let fit_mean = timed.len() as f64 / timed.iter().map(|e| e.samples_per_second.recip()).sum::<f64>();
    println!(
        "mean over all timed steps: step loop {mean:.0} samples/s, train::Fit {fit_mean:.0} samples/s ({:.3}×)",
        fit_mean / mean
    );
}
