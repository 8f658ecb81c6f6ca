//! Per-op overhead of the tape: a chain of 10,000 scalar ops (a mix of add, mul, tanh and powf),
//! forward + backward, reported in nanoseconds per recorded op.
//!
//! Run with `cargo bench --bench scalar_chain`. The PyTorch side of the comparison is
//! `benches/peers/scalar_chain.py`.

use chainrule::autograd::{Tape, Tensor};
use std::hint::black_box;
use std::time::Instant;

const OPS: usize = 10_000;

/// Builds the chain on a fresh tape and differentiates it; returns dy/dx.
fn chain(tape: &Tape<f32>, x0: f32) -> f32 {
    let x = tape.var(Tensor::scalar(x0));
    let c = tape.constant(Tensor::scalar(0.5));
    let mut y = x.clone();
    for i in 0..OPS / 4 {
        y = &y * &c; // mul
        y = y.tanh(); // tanh
        y = y.powf(2.0); // powf
        y = &y + &c; // add
        let _ = i;
    }
    y.backward().unwrap();
    x.grad().unwrap().item()
}

fn main() {
    let mut tape = Tape::<f32>::new();
    for _ in 0..20 {
        black_box(chain(&tape, 0.3));
        tape.clear();
    }
    let reps = 200;
    let mut best = f64::INFINITY;
    let mut total = 0.0;
    for _ in 0..reps {
        let start = Instant::now();
        black_box(chain(&tape, black_box(0.3)));
        let ns = start.elapsed().as_nanos() as f64 / OPS as f64;
        tape.clear();
        best = best.min(ns);
        total += ns;
    }
    println!(
        "scalar chain, {OPS} ops, forward + backward: {:.1} ns/op (mean of {reps}), {:.1} ns/op (best)",
        total / reps as f64,
        best
    );
}
