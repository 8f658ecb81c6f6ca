//! The smallest graph: y = tanh(w·x + b), its gradient derived from the tape, and the tape
//! itself printed so you can see what was recorded.
//!
//! Run with `cargo run --example 01_scalar_graph`.

use chainrule::autograd::{Tape, Tensor};

fn main() {
    let tape = Tape::<f64>::new();
    let w = tape.var(Tensor::scalar(0.8));
    let x = tape.constant(Tensor::scalar(2.0));
    let b = tape.var(Tensor::scalar(-0.5));
    let y = (&w * &x + &b).tanh();
    println!("y = tanh(w·x + b) = {:.6}", y.item());
    println!("\nThe tape:\n{tape}");

    y.backward().expect("y is a scalar");
    let dy = 1.0 - y.item().powi(2);
    println!("∂y/∂w = {:.6} (by hand: x·(1 − y²) = {:.6})", w.grad().unwrap().item(), 2.0 * dy);
    println!("∂y/∂b = {:.6} (by hand: 1 − y² = {:.6})", b.grad().unwrap().item(), dy);
}
