//! Looking inside a computation: the backward trace, names, constants shown by value,
//! `retain_grad`, and the Graphviz export rendered to SVG.

use autograd::{grad, Error, GradOptions, Parameter, Tape, Tensor};

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-12)
}

/// The network of the chain-rule lecture in miniature: z1 = x·w1ᵀ + b1, a = σ(z1),
/// l = ½ Σ a² (a used twice by the product).
#[test]
fn the_backward_trace_shows_incoming_gradient_local_derivative_and_products() {
    let tape = Tape::<f64>::new();
    tape.set_tracing(true);
    let xs = [1.0, -1.0, 0.5];
    let x = tape.constant(Tensor::from_vec(xs.to_vec(), [1, 3]).unwrap());
    let w1 = tape.var_named("w1", Tensor::from_vec(vec![0.5, -0.3, 0.8, -0.6, 0.4, 0.2], [2, 3]).unwrap());
    let b1 = tape.var_named("b1", Tensor::vector(&[0.1, -0.2]));
    let z1 = x.linear(&w1, Some(&b1)).unwrap().named("z1");
    let a = z1.sigmoid().named("a");
    let l = (&a * &a).sum().mul_scalar(0.5).named("l");
    l.backward().unwrap();
    let trace = tape.backward_trace();
    assert_eq!(trace.output, "l");

    // From the output down: the seed first, the leaves last.
    let labels: Vec<String> = trace.entries.iter().map(|e| e.label()).collect();
    assert_eq!(labels.first().map(String::as_str), Some("l"));
    assert_eq!(&labels[labels.len() - 2..], ["b1", "w1"]);
    let root = trace.entry("l").unwrap();
    assert_eq!((root.received.len(), root.received[0].from), (1, None), "the seed");
    assert_eq!(root.grad.item(), 1.0);

    // The sigmoid node: incoming ∂l/∂a = a (from l = ½Σa²), the sum of the product's two uses.
    let av: Vec<f64> = a.value().to_vec();
    let node = trace.entry("a").unwrap();
    assert_eq!((node.op, node.received.len()), ("sigmoid", 2));
    let halves: Vec<f64> = av.iter().map(|a| a * 0.5).collect();
    for r in &node.received {
        assert!(close(r.grad.data(), &halves), "each use sends ½·2a·… = a/2");
    }
    assert!(close(node.grad.data(), &av));
    // Its local derivative σ'(z1) = σ(1 − σ), and the product it sends to z1.
    let z: Vec<f64> = z1.value().to_vec();
    let local: Vec<f64> = z.iter().map(|&z| sigmoid(z) * (1.0 - sigmoid(z))).collect();
    let input = node.input("z1").unwrap();
    assert!(close(input.local.as_ref().unwrap().data(), &local));
    let dz1: Vec<f64> = av.iter().zip(&local).map(|(g, d)| g * d).collect();
    assert!(close(input.sent.as_ref().unwrap().data(), &dz1));

    // The linear node sends w1 the outer product ∂l/∂z1 ⊗ x, and nothing to the constant x,
    // whose value the trace keeps.
    let linear = trace.entry("z1").unwrap();
    let outer: Vec<f64> = dz1.iter().flat_map(|g| xs.iter().map(move |x| g * x)).collect();
    assert!(close(linear.input("w1").unwrap().sent.as_ref().unwrap().data(), &outer));
    assert!(close(linear.input("b1").unwrap().sent.as_ref().unwrap().data(), &dz1));
    let constant = &linear.inputs[0];
    assert_eq!((constant.node, constant.sent.as_ref()), (None, None));
    assert_eq!(constant.value.as_ref().unwrap().to_vec(), xs.to_vec());
    // And what the leaves received is their gradient.
    assert!(close(trace.entry("w1").unwrap().grad.data(), w1.grad().unwrap().data()));

    let text = trace.to_string();
    let expect = [
        "backward pass from l".to_string(),
        "l = mul_scalar(%6)".to_string(),
        "∂l/∂l = 1 (seed)".to_string(),
        format!("sigmoid'(z1) = [{:.4} {:.4}]", local[0], local[1]),
        "(2 uses)".to_string(),
        "z1 = linear(const [1 -1 0.5], w1, b1) (%2, shape [1, 2])".to_string(),
        "→ w1: [".to_string(),
        "w1: leaf (%0, shape [2, 3])".to_string(),
    ];
    for line in expect {
        assert!(text.contains(&line), "missing {line:?} in\n{text}");
    }
}

#[test]
fn a_value_used_twice_shows_the_sum_of_its_two_contributions() {
    let tape = Tape::<f64>::new();
    tape.set_tracing(true);
    let a = tape.var_named("a", Tensor::scalar(0.5));
    let b = tape.var_named("b", Tensor::scalar(3.0));
    // l = a·b + a·0.4: ∂l/∂a = 3 + 0.4
    let l = (&(&a * &b) + &a.mul_scalar(0.4)).named("l");
    l.backward().unwrap();
    let text = tape.backward_trace().to_string();
    assert!(text.contains("∂l/∂a = 0.4 + 3 = 3.4 (2 uses)"), "{text}");
    // mul: the local derivative with respect to each input is the other input.
    assert!(text.contains("∂%2/∂a = 3") && text.contains("→ a: 1 · 3 = 3"), "{text}");
    assert!(text.contains("mul_scalar'(a) = 0.4"), "{text}");
}

#[test]
fn the_trace_is_that_of_the_last_backward_pass_and_empty_without_tracing() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(2.0));
    x.exp().backward().unwrap();
    let trace = tape.backward_trace();
    assert!(trace.entries.is_empty());
    assert!(trace.to_string().contains("turn tracing on"));

    let tape = Tape::<f64>::new();
    tape.set_tracing(true);
    let x = tape.var_named("x", Tensor::scalar(2.0));
    let y = x.exp().named("y");
    let z = x.sin().named("z");
    y.backward_with(None, GradOptions::retain_graph()).unwrap();
    z.backward().unwrap();
    let trace = tape.backward_trace();
    assert_eq!(trace.output, "z");
    assert!(trace.entry("y").is_none(), "the first pass is forgotten");
    assert_eq!(trace.entry("x").unwrap().grad.item(), 2f64.cos());
}

#[test]
fn names_show_in_listings_dot_graphs_and_errors() {
    let tape = Tape::<f64>::new();
    let w = tape.var_named("w1", Tensor::vector(&[1.0, 2.0]));
    let z = w.exp().named("z1");
    let unnamed = z.sin();
    assert_eq!(w.name().as_deref(), Some("w1"));
    assert_eq!(unnamed.name(), None);
    let listing = tape.to_string();
    assert!(listing.contains("%0 w1") && listing.contains("%1 z1"), "{listing}");
    assert!(listing.lines().any(|l| l.contains("sin") && l.contains("z1")), "inputs by name: {listing}");
    let dot = tape.to_dot();
    assert!(dot.contains("label=\"w1\\nleaf [2]") && dot.contains("label=\"z1\\nexp [2]"), "{dot}");
    assert!(format!("{z:?}").contains("z1"));

    // A second backward through a freed node names it.
    let l = unnamed.sum().named("l");
    l.backward().unwrap();
    let err = l.backward().unwrap_err();
    assert!(matches!(&err, Error::GraphFreed { name: Some(n), .. } if n == "l"), "{err}");
    assert!(err.to_string().contains(", named l, recorded at"), "{err}");

    // Anomalies name the value, even one named after it was computed.
    let tape = Tape::<f64>::new();
    tape.set_anomaly_mode(true);
    let x = tape.var(Tensor::vector(&[0.0, 1.0]));
    let _logx = x.log().named("logx");
    let err = tape.check_anomaly().unwrap_err();
    assert!(matches!(&err, Error::Anomaly { name: Some(n), .. } if n == "logx"), "{err}");
    assert!(err.to_string().contains("(node 1, named logx, recorded at"), "{err}");

    // A constant is not recorded: naming it changes nothing.
    let c = tape.constant(Tensor::scalar(1.0)).named("c");
    assert_eq!(c.name(), None);
}

#[test]
fn parameters_bring_their_names_to_the_tape() {
    let p = Parameter::new(Tensor::<f64>::vector(&[1.0, 2.0]));
    p.set_name("layer.weight");
    let tape = Tape::new();
    let w = tape.param(&p);
    assert_eq!(w.name().as_deref(), Some("layer.weight"));
    assert!(tape.to_string().contains("%0 layer.weight"));
}

#[test]
fn constants_show_their_value_when_tracing_and_their_shape_otherwise() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[1.0, 2.0]));
    let _ = x.mul(&tape.constant(Tensor::vector(&[0.25, 4.0]))).unwrap();
    let listing = tape.to_string();
    assert!(listing.contains("%0, const shape [2]"), "{listing}");

    let tape = Tape::<f64>::new();
    tape.set_tracing(true);
    let x = tape.var(Tensor::vector(&[1.0, 2.0]));
    let _ = x.mul(&tape.constant(Tensor::vector(&[0.25, 4.0]))).unwrap();
    let _ = x.sum().add(&tape.scalar(0.5)).unwrap();
    let big = tape.constant(Tensor::from_fn([3, 4], |i| i as f64));
    let _ = tape.var(Tensor::zeros([3, 4])).add(&big).unwrap();
    let listing = tape.to_string();
    assert!(listing.contains("%0, const [0.25 4]"), "{listing}");
    assert!(listing.contains("const 0.5"), "{listing}");
    assert!(listing.contains("const [3, 4] [0 1 2 3 …]"), "a shape and a few values: {listing}");
    let dot = tape.to_dot();
    assert!(dot.contains("[label=\"const [0.25 4]\""), "{dot}");
}

#[test]
fn retain_grad_keeps_the_gradient_of_an_intermediate_value() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[0.5, -1.0]));
    let z = x.mul_scalar(3.0);
    let other = z.exp();
    z.retain_grad().unwrap();
    let l = z.powf(2.0).sum(); // ∂l/∂z = 2z
    assert_eq!(z.grad(), None, "nothing before the backward pass");
    l.backward_with(None, GradOptions::retain_graph()).unwrap();
    assert_eq!(z.grad().unwrap().to_vec(), vec![3.0, -6.0]);
    assert_eq!(other.grad(), None, "only the values asked for");
    // Like a leaf's, it accumulates over backward passes.
    l.backward().unwrap();
    assert_eq!(z.grad().unwrap().to_vec(), vec![6.0, -12.0]);
    // `grad` returns gradients without depositing them anywhere.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(2.0));
    let z = x.exp();
    z.retain_grad().unwrap();
    let _ = grad(&[&z.sin()], &[&x]).unwrap();
    assert_eq!(z.grad(), None);
    // On a leaf it changes nothing; a constant has no gradient to keep.
    x.retain_grad().unwrap();
    let err = tape.scalar(1.0).retain_grad().unwrap_err();
    assert!(err.to_string().contains("retain_grad") && err.to_string().contains("constant"), "{err}");
}

#[test]
fn write_svg_renders_with_graphviz_or_says_how_to_install_it() {
    let tape = Tape::<f64>::new();
    let x = tape.var_named("x", Tensor::scalar(1.0));
    let _ = x.exp();
    let path = std::env::temp_dir().join(format!("chainrule-tape-{}.svg", std::process::id()));
    match tape.write_svg(&path) {
        Ok(()) => {
            let svg = std::fs::read_to_string(&path).unwrap();
            let _ = std::fs::remove_file(&path);
            assert!(svg.contains("<svg") && svg.contains(">x<"), "{svg}");
        }
        Err(e @ Error::GraphvizMissing { .. }) => {
            assert!(e.to_string().contains("apt-get install graphviz"), "{e}");
        }
        Err(e) => panic!("{e}"),
    }
}
