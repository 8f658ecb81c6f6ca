//! Recomputed segments: the same bits as the plain path (parameter buffers, input gradients,
//! `grad`), fewer nodes on the tape, finite differences, and the errors (a segment that computes
//! something else when run again, higher order through a segment).

use autograd::{
    checkable, grad, grad_with, gradcheck, recompute, GradOptions, GradcheckOptions, Parameter, Result, Tape, Tensor,
    Var,
};
use std::cell::Cell;
use std::rc::Rc;

/// A tanh network of `layers` square layers of width `width`, with deterministic weights.
fn network(layers: usize, width: usize) -> Vec<(Parameter<f64>, Parameter<f64>)> {
    (0..layers)
        .map(|l| {
            let w = Tensor::from_fn([width, width], |i| ((i * 7 + i / width + l * 5) % 11) as f64 / 11.0 - 0.45);
            let b = Tensor::from_fn([width], |i| ((i + l) % 5) as f64 / 10.0 - 0.2);
            (Parameter::new(w), Parameter::new(b))
        })
        .collect()
}

/// The layers of `net` applied to `x`.
fn layers<'t>(net: &[(Parameter<f64>, Parameter<f64>)], x: &Var<'t, f64>) -> Result<Var<'t, f64>> {
    let tape = x.tape();
    net.iter().try_fold(x.clone(), |h, (w, b)| Ok(h.linear(&tape.param(w), Some(&tape.param(b)))?.tanh()))
}

/// The network's loss on a batch, with every `per_segment` layers recomputed (0: none).
fn loss<'t>(net: &[(Parameter<f64>, Parameter<f64>)], x: &Var<'t, f64>, per_segment: usize) -> Result<Var<'t, f64>> {
    let mut h = x.clone();
    if per_segment == 0 {
        h = layers(net, &h)?;
    } else {
        for chunk in net.chunks(per_segment) {
            let chunk = chunk.to_vec();
            h = recompute(&[&h], move |xs| layers(&chunk, &xs[0]))?;
        }
    }
    h.powf(2.0).sum().mul_scalar(0.5).add(&h.sum()).map(|l| l.mul_scalar(0.1))
}

fn batch(rows: usize, width: usize, shift: usize) -> Tensor<f64> {
    Tensor::from_fn([rows, width], |i| ((i * 5 + i / width + shift) % 9) as f64 / 4.0 - 1.0)
}

fn bits(t: &Tensor<f64>) -> Vec<u64> {
    t.data().iter().map(|v| v.to_bits()).collect()
}

/// Gradient buffers accumulated over two steps, and the input's gradient, for several segment
/// lengths (one layer, two, three of eight with a shorter last one, all eight), against the plain
/// network: every bit equal.
#[test]
fn recomputed_gradients_are_the_bits_of_the_plain_path() {
    let run = |per_segment: usize| {
        let net = network(8, 6);
        let mut input_grads = Vec::new();
        let mut nodes = 0;
        for step in 0..2 {
            let tape = Tape::new();
            let x = tape.var(batch(4, 6, step));
            let l = loss(&net, &x, per_segment).unwrap();
            nodes = tape.len();
            l.backward().unwrap();
            input_grads.push(bits(&x.grad().unwrap()));
        }
        let buffers: Vec<Vec<u64>> =
            net.iter().flat_map(|(w, b)| [bits(&w.grad().unwrap()), bits(&b.grad().unwrap())]).collect();
        (buffers, input_grads, nodes)
    };
    let (plain, plain_input, plain_nodes) = run(0);
    for per_segment in [1, 2, 3, 8] {
        let (buffers, input, nodes) = run(per_segment);
        assert_eq!(buffers, plain, "parameter gradients, {per_segment} layers per segment");
        assert_eq!(input, plain_input, "input gradients, {per_segment} layers per segment");
        assert!(nodes < plain_nodes, "{nodes} nodes recorded, {plain_nodes} without recomputation");
    }
}

#[test]
fn grad_through_a_segment_returns_the_plain_gradient_and_fills_no_buffer() {
    let net = network(3, 5);
    let tape = Tape::new();
    let x = tape.var(batch(3, 5, 1));
    let [plain] = grad(&[&loss(&net, &x, 0).unwrap()], &[&x]).unwrap().try_into().unwrap();
    let [recomputed] = grad(&[&loss(&net, &x, 2).unwrap()], &[&x]).unwrap().try_into().unwrap();
    assert_eq!(bits(recomputed.value()), bits(plain.value()));
    assert!(net.iter().all(|(w, b)| w.grad().is_none() && b.grad().is_none()));
}

#[test]
fn a_segment_agrees_with_finite_differences() {
    let net = network(2, 3);
    let f = checkable(move |v: &[Var<'_, f64>]| {
        let net = net.clone();
        let h = recompute(&[&v[0], &v[1]], move |xs| layers(&net, &xs[0].mul(&xs[1])?))?;
        Ok(h.sin().sum())
    });
    let inputs = [batch(2, 3, 0), batch(2, 3, 4).map(|v| v + 1.5)];
    gradcheck(f, &inputs, &GradcheckOptions::default()).unwrap();
}

#[test]
fn a_segment_that_computes_something_else_when_run_again_is_an_error() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[1.0, 2.0]));
    let calls = Rc::new(Cell::new(0.0));
    let c = calls.clone();
    let y = recompute(&[&x], move |xs| {
        c.set(c.get() + 1.0); // an unreplayed random draw, in effect
        Ok(xs[0].mul_scalar(c.get()))
    })
    .unwrap();
    let err = y.sum().backward().unwrap_err().to_string();
    assert!(err.contains("recompute") && err.contains("another output"), "{err}");
    assert!(err.contains("recompute.rs"), "names the call site: {err}");
}

#[test]
fn higher_order_through_a_segment_is_an_error_that_says_so() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(0.7));
    let y = recompute(&[&x], |xs| Ok(xs[0].tanh().powf(3.0))).unwrap();
    let err = grad_with(&[&y], None, &[&x], GradOptions::create_graph()).unwrap_err().to_string();
    assert!(err.contains("higher-order"), "{err}");
    // First order on the same graph still works, and equals the plain derivative.
    let [dy] = grad(&[&y], &[&x]).unwrap().try_into().unwrap();
    let t = 0.7f64.tanh();
    assert_eq!(dy.item(), (3.0 * t * t) * (1.0 - t * t));
}

#[test]
fn a_segment_of_constants_and_parameters_is_tracked_through_its_parameters() {
    // The first segment of a network takes the data, a constant: its node still depends on the
    // parameters inside, and they get their gradients.
    let net = network(2, 4);
    let tape = Tape::new();
    let x = tape.constant(batch(2, 4, 3));
    let l = loss(&net, &x, 2).unwrap();
    assert!(l.is_tracked());
    l.backward().unwrap();
    let recomputed: Vec<Vec<u64>> = net.iter().map(|(w, _)| bits(&w.take_grad().unwrap())).collect();
    let tape = Tape::new();
    loss(&net, &tape.constant(batch(2, 4, 3)), 0).unwrap().backward().unwrap();
    let plain: Vec<Vec<u64>> = net.iter().map(|(w, _)| bits(&w.take_grad().unwrap())).collect();
    assert_eq!(recomputed, plain);
    let err = recompute::<f64>(&[], |xs| Ok(xs[0].clone())).unwrap_err().to_string();
    assert!(err.contains("at least one input"), "{err}");
}
