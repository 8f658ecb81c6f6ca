//! The deep narrow sigmoid net: 10 × (Linear(64, 64) → sigmoid), one fixed batch of 64 inputs,
//! MSE against a fixed target, plain SGD (lr 0.1); time per step (forward, backward, update).
//!
//! Each step does three 64×64×64 products per layer, about 16 MFLOP in all: a few hundred
//! microseconds of arithmetic. The rest of a step is overhead (allocation, packing small
//! matrices, per-parameter loops), which is what this workload exposes.

use crate::record::{median, Record};
use crate::{Settings, SEED};
use chainrule::autograd::{Tape, Tensor};
use chainrule::nn::{mse_loss, Checkpoint, LinearConfig, Module, Reduction, Sequential, Sigmoid};
use chainrule::optim::{Optimizer, Sgd, SgdConfig};
use rand::{rngs::StdRng, SeedableRng};
use std::error::Error;
use std::path::Path;
use std::time::Instant;

const LAYERS: usize = 10;
const WIDTH: usize = 64;
const BATCH: usize = 64;
const LR: f64 = 0.1;
const WARM_UP_STEPS: usize = 50;
const ROUNDS: usize = 4;
const STEPS_PER_ROUND: usize = 250;

/// The network, from [`SEED`] (default initialization).
fn model() -> Result<Sequential<f32>, Box<dyn Error>> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut net = Sequential::new();
    for _ in 0..LAYERS {
        net = net.push(LinearConfig::new(WIDTH, WIDTH).init(&mut rng)?).push(Sigmoid);
    }
    Ok(net)
}

/// The batch and its target, uniform in [0, 1), from the seed after [`SEED`].
fn data() -> (Tensor<f32>, Tensor<f32>) {
    let mut rng = StdRng::seed_from_u64(SEED + 1);
    let x = Tensor::rand_uniform([BATCH, WIDTH], 0.0, 1.0, &mut rng);
    let target = Tensor::rand_uniform([BATCH, WIDTH], 0.0, 1.0, &mut rng);
    (x, target)
}

/// Warm-up steps, then timed rounds (or, with `--reps N`, one round of N steps); prints the
/// median time per step over the rounds.
pub fn run(settings: &Settings) -> Result<(), Box<dyn Error>> {
    let model = model()?;
    let (x, target) = data();
    let mut sgd = Sgd::new(model.named_parameters(), SgdConfig { lr: LR, ..Default::default() })?;
    let mut tape = Tape::new();
    let mut last_loss = 0.0;
    let mut step = |tape: &mut Tape<f32>| -> Result<(), Box<dyn Error>> {
        let prediction = model.forward(&tape.constant(x.clone()))?;
        let loss = mse_loss(&prediction, &tape.constant(target.clone()), Reduction::Mean)?;
        loss.backward()?;
        last_loss = loss.item();
        sgd.step()?;
        tape.clear();
        Ok(())
    };
    for _ in 0..WARM_UP_STEPS {
        step(&mut tape)?;
    }
    let (rounds, steps) = match settings.reps {
        Some(steps) => (1, steps),
        None => (ROUNDS, STEPS_PER_ROUND),
    };
    let mut per_round = Vec::new();
    for _ in 0..rounds {
        let start = Instant::now();
        for _ in 0..steps {
            step(&mut tape)?;
        }
        per_round.push(start.elapsed().as_secs_f64() * 1e6 / steps as f64);
    }
    Record::new(settings, "deep-narrow", "us_per_step", median(&per_round))
        .with("batch", BATCH)
        .with("per_round", per_round)
        .with("steps", WARM_UP_STEPS + rounds * steps)
        .with("loss_last_step", last_loss)
        .print();
    Ok(())
}

/// The initial weights (PyTorch `state_dict` names) and the batch in section `"data"`
/// (`"data.x"`, `"data.target"`).
pub fn write_fixture(path: &Path) -> Result<(), Box<dyn Error>> {
    let mut fixture = Checkpoint::from_module(&model()?);
    let (x, target) = data();
    fixture.insert_section("data", [("x".to_string(), x), ("target".to_string(), target)])?;
    fixture.set_metadata("lr", LR.to_string());
    fixture.set_metadata("warm_up_steps", WARM_UP_STEPS.to_string());
    fixture.set_metadata("rounds", ROUNDS.to_string());
    fixture.set_metadata("steps_per_round", STEPS_PER_ROUND.to_string());
    fixture.save(path)?;
    Ok(())
}
