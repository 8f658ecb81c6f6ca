//! The suite's deep narrow workload in dfdx 0.13: 10 × (Linear(64, 64) → sigmoid), one fixed
//! batch of 64 inputs uniform in [0, 1), MSE against a fixed target, plain SGD (lr 0.1); time per
//! step (forward, backward, update), after 50 warm-up steps, median of 4 rounds of 250 steps,
//! as `benches/suite/src/deep_narrow.rs` times chainrule. dfdx draws its own initial weights and
//! data (the suite's fixture names do not map onto dfdx's modules), so only the time compares;
//! a sigmoid net's speed does not depend on its values.
//!
//! Prints one JSON line in the suite's record format. Threads: dfdx's CPU kernels use rayon's
//! global pool, sized by `RAYON_NUM_THREADS`, which this program sets to `--threads` before dfdx
//! starts (the suite sets it too).
//!
//!   dfdx-peer deep-narrow --batch 64 --threads 1 [--reps N]   (--epochs, which the suite passes
//!   to every workload, does not apply to this one)

use dfdx::losses::mse_loss;
use dfdx::nn::builders::{Linear, Repeated, Sigmoid};
use dfdx::nn::{DeviceBuildExt, ModuleMut, ZeroGrads};
use dfdx::optim::{Optimizer, Sgd, SgdConfig};
use dfdx::shapes::Rank2;
use dfdx::tensor::{AsArray, Cpu, SampleTensor, Tensor, Trace};
use dfdx::tensor_ops::Backward;
use std::time::Instant;

type Model = Repeated<(Linear<64, 64>, Sigmoid), 10>;

const WARM_UP_STEPS: usize = 50;
const ROUNDS: usize = 4;
const STEPS_PER_ROUND: usize = 250;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    if args.first().map(String::as_str) != Some("deep-narrow") || flag("--batch").is_some_and(|b| b != "64") {
        eprintln!("dfdx-peer runs only: deep-narrow --batch 64 [--threads N] [--reps N]");
        std::process::exit(2);
    }
    let threads: usize = flag("--threads").map_or(1, |t| t.parse().expect("--threads takes a number"));
    let reps: Option<usize> = flag("--reps").map(|r| r.parse().expect("--reps takes a number"));
    std::env::set_var("RAYON_NUM_THREADS", threads.to_string());

    let dev = Cpu::seed_from_u64(0);
    let mut model = dev.build_module::<Model, f32>();
    let mut opt = Sgd::new(&model, SgdConfig { lr: 0.1, momentum: None, weight_decay: None });
    let x: Tensor<Rank2<64, 64>, f32, _> = dev.sample_uniform();
    let target: Tensor<Rank2<64, 64>, f32, _> = dev.sample_uniform();
    // dfdx moves the gradient buffers into the traced input and gets them back from backward.
    let mut grads = Some(model.alloc_grads());
    let mut last_loss = 0.0;
    let mut seconds_per_step = |steps: usize| {
        let start = Instant::now();
        for _ in 0..steps {
            let prediction = model.forward_mut(x.trace(grads.take().expect("returned by the last step")));
            let loss = mse_loss(prediction, target.clone());
            last_loss = loss.array();
            let mut g = loss.backward();
            opt.update(&mut model, &g).expect("every parameter has a gradient");
            model.zero_grads(&mut g);
            grads = Some(g);
        }
        start.elapsed().as_secs_f64() / steps as f64
    };
    seconds_per_step(WARM_UP_STEPS);
    let mut rounds: Vec<f64> = match reps {
        Some(n) => vec![seconds_per_step(n)],
        None => (0..ROUNDS).map(|_| seconds_per_step(STEPS_PER_ROUND)).collect(),
    };
    rounds.sort_by(f64::total_cmp);
    let mid = rounds.len() / 2;
    let median = if rounds.len().is_multiple_of(2) { (rounds[mid - 1] + rounds[mid]) / 2.0 } else { rounds[mid] };
    let micros: Vec<String> = rounds.iter().map(|s| format!("{:.3}", s * 1e6)).collect();
    println!(
        "{{\"impl\":\"dfdx\",\"build\":\"0.13.0 release\",\"workload\":\"deep-narrow\",\"threads\":{threads},\
         \"metric\":\"us_per_step\",\"value\":{:.3},\"batch\":64,\"rounds_us\":[{}],\"dfdx_loss_last_step\":{last_loss}}}",
        median * 1e6,
        micros.join(",")
    );
}
