//! The smallest graph: y = tanh(w·x + b). The tape records every op; backward walks it in
//! reverse and applies the chain rule. With tracing on, the listing shows each node's value and
//! the gradient ∂y/∂node that the backward pass computed for it, and the backward trace shows
//! the walk itself: at each node, the gradient arriving, the local derivative and the product
//! sent to each input.
//!
//! Run with `cargo run --example 01_scalar_graph`; add `-- graph.dot` to also write the graph
//! for Graphviz, or `-- graph.svg` to draw it with Graphviz's `dot` (`apt-get install graphviz`).

use chainrule::autograd::{Tape, Tensor};

fn main() {
    let tape = Tape::<f64>::new();
    tape.set_tracing(true);
    let w = tape.var_named("w", Tensor::scalar(0.8));
    let x = tape.constant(Tensor::scalar(2.0));
    let b = tape.var_named("b", Tensor::scalar(-0.5));
    let z = (&w * &x + &b).named("z");
    let y = z.tanh().named("y");
    y.backward().expect("y is a scalar");

    println!("The tape after forward and backward:\n{tape}");
    println!("{}", tape.backward_trace());
    let dy = 1.0 - y.item().powi(2);
    println!("y     = tanh(w·x + b) = {:.6}", y.item());
    println!("∂y/∂w = {:.6}   (by hand: x·(1 − y²) = {:.6})", w.grad().unwrap().item(), 2.0 * dy);
    println!("∂y/∂b = {:.6}   (by hand:    1 − y²  = {:.6})", b.grad().unwrap().item(), dy);

    if let Some(path) = std::env::args().nth(1) {
        if path.ends_with(".svg") {
            if let Err(e) = tape.write_svg(&path) {
                eprintln!("{e}");
                std::process::exit(1);
            }
        } else {
            std::fs::write(&path, tape.to_dot()).expect("write the DOT file");
        }
        println!("wrote {path}");
    }
}
