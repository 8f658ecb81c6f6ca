//! Training throughput: an MLP 784-256-128-10 (ReLU, cross-entropy) trained with plain SGD at
//! batch 128 on one thread, in samples per second, forward + backward + update.
//!
//! Run with `cargo bench --bench mlp`. The PyTorch side is `benches/peers/mlp.py` (same model,
//! batch, optimizer and synthetic data shape).

use chainrule::autograd::{Tape, Tensor};
use chainrule::nn::{cross_entropy, LinearConfig, Module, Reduction, Relu, Sequential};
use chainrule::optim::{Optimizer, Sgd, SgdConfig};
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
    let mut best = 0.0f64;
    for _round in 0..3 {
        let start = Instant::now();
        for i in 0..STEPS {
            step(i, &mut tape);
        }
        best = best.max((STEPS * BATCH) as f64 / start.elapsed().as_secs_f64());
    }
    println!(
        "MLP 784-256-128-10, SGD, batch {BATCH}, one thread: {best:.0} samples/s (best of 3 rounds of {STEPS} steps)"
    );
}
