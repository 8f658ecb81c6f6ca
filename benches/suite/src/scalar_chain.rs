//! Per-op cost of the tape: a chain of 10,000 scalar ops, `y ← (tanh(y·a))² + b` repeated 2,500
//! times from `y = x0`, recorded and differentiated for the gradients of `x0`, `a` and `b`
//! (so the backward pass also sums 2,500 contributions into each of `a` and `b`); nanoseconds
//! per op, forward + backward.
//!
//! The floor is the same chain differentiated by hand in plain Rust: the forward saves what
//! the backward needs (each link's input and its tanh) in a reused buffer, the backward walks
//! it in reverse. Both run alternately in one process, so their ratio comes from one window of
//! machine load.

use crate::record::{median, Record};
use crate::Settings;
use chainrule::autograd::{Tape, Tensor};
use std::error::Error;
use std::hint::black_box;
use std::time::Instant;

/// Ops in the chain: four per link (mul, tanh, square, add).
const OPS: usize = 10_000;
const LINKS: usize = OPS / 4;
const WARM_UP_CHAINS: usize = 20;
const CHAINS: usize = 200;
const X0: f32 = 0.3;
const A: f32 = 0.5;
const B: f32 = 0.5;

/// Records the chain on `tape` and differentiates it: `[∂y/∂x0, ∂y/∂a, ∂y/∂b]`.
fn on_tape(tape: &Tape<f32>, x0: f32, a: f32, b: f32) -> Result<[f32; 3], Box<dyn Error>> {
    let x = tape.var(Tensor::scalar(x0));
    let a = tape.var(Tensor::scalar(a));
    let b = tape.var(Tensor::scalar(b));
    let mut y = x.clone();
    for _ in 0..LINKS {
        y = (&y * &a).tanh().powf(2.0) + &b;
    }
    y.backward()?;
    let grad = |v: &chainrule::autograd::Var<'_, f32>| v.grad().map(|g| g.item()).ok_or("no gradient");
    Ok([grad(&x)?, grad(&a)?, grad(&b)?])
}

/// The same chain differentiated by hand, saving each link's input and tanh in `saved`.
fn by_hand(saved: &mut Vec<(f32, f32)>, x0: f32, a: f32, b: f32) -> [f32; 3] {
    saved.clear();
    let mut y = x0;
    for _ in 0..LINKS {
        let t = (y * a).tanh();
        saved.push((y, t));
        y = t * t + b;
    }
    // y_out = t² + b with t = tanh(a·y_in): ∂y_out/∂b = 1, ∂y_out/∂u = 2t(1 − t²) for u = a·y_in.
    let (mut g, mut ga, mut gb) = (1.0f32, 0.0f32, 0.0f32);
    for &(y_in, t) in saved.iter().rev() {
        gb += g;
        let gu = g * 2.0 * t * (1.0 - t * t);
        ga += gu * y_in;
        g = gu * a;
    }
    [g, ga, gb]
}

/// Times the chain on the tape and by hand, alternately (`--variant tape` or `by-hand` runs
/// one of them, for instruction counting); prints nanoseconds per op for each.
pub fn run(settings: &Settings) -> Result<(), Box<dyn Error>> {
    let (tape_on, hand_on) = match settings.variant.as_str() {
        "both" => (true, true),
        "tape" => (true, false),
        "by-hand" => (false, true),
        other => return Err(format!("unknown scalar-chain variant {other:?} (both, tape, by-hand)").into()),
    };
    let mut tape = Tape::<f32>::new();
    let mut saved = Vec::with_capacity(LINKS);
    let (mut tape_ns, mut hand_ns) = (Vec::new(), Vec::new());
    let (mut tape_grads, mut hand_grads) = ([0.0; 3], [0.0; 3]);
    let chains = settings.reps.unwrap_or(CHAINS);
    for chain in 0..WARM_UP_CHAINS + chains {
        let timed = chain >= WARM_UP_CHAINS;
        if tape_on {
            let start = Instant::now();
            tape_grads = black_box(on_tape(&tape, black_box(X0), black_box(A), black_box(B))?);
            tape.clear();
            if timed {
                tape_ns.push(start.elapsed().as_nanos() as f64 / OPS as f64);
            }
        }
        if hand_on {
            let start = Instant::now();
            hand_grads = black_box(by_hand(&mut saved, black_box(X0), black_box(A), black_box(B)));
            if timed {
                hand_ns.push(start.elapsed().as_nanos() as f64 / OPS as f64);
            }
        }
    }
    for (workload, ns, grads) in
        [("scalar-chain", &tape_ns, tape_grads), ("scalar-chain-by-hand", &hand_ns, hand_grads)]
    {
        if ns.is_empty() {
            continue;
        }
        let mean = ns.iter().sum::<f64>() / ns.len() as f64;
        let best = ns.iter().copied().fold(f64::INFINITY, f64::min);
        Record::new(settings, workload, "ns_per_op", median(ns))
            .with("mean", mean)
            .with("best", best)
            .with("chains", ns.len())
            .with("gradients", grads.map(f64::from).to_vec())
            .print();
    }
    Ok(())
}
