//! Gradient hooks on values and on parameters: the order they run in, what they see (the
//! summed gradient of a value used several times), replacing a gradient (bit for bit what the
//! same computation without a hook gives), higher order, removal, errors.

use autograd::{grad, grad_with, GradOptions, Parameter, Tape, Tensor, Var};
use std::sync::{Arc, Mutex};

/// A shared log the hooks write to.
fn log<V: Send + 'static>() -> Arc<Mutex<Vec<V>>> {
    Arc::new(Mutex::new(Vec::new()))
}

#[test]
fn hooks_on_one_value_run_in_registration_order_each_seeing_the_last_result() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[1.0, -2.0]));
    let h = x.mul_scalar(3.0);
    let calls = log::<(&str, Vec<f64>)>();
    let (a, b) = (calls.clone(), calls.clone());
    h.register_hook(move |g| {
        a.lock().unwrap().push(("double", g.value().to_vec()));
        Some(g.mul_scalar(2.0))
    })
    .unwrap();
    h.register_hook(move |g| {
        b.lock().unwrap().push(("look", g.value().to_vec()));
        None
    })
    .unwrap();
    h.sum().backward().unwrap();
    assert_eq!(*calls.lock().unwrap(), vec![("double", vec![1.0, 1.0]), ("look", vec![2.0, 2.0])]);
    assert_eq!(x.grad().unwrap().to_vec(), vec![6.0, 6.0]);
}

#[test]
fn hooks_run_consumers_first_and_parameter_hooks_after_the_walk() {
    let w = Parameter::new(Tensor::<f64>::vector(&[0.5, 1.5]));
    let order = log::<&str>();
    let o = order.clone();
    w.register_hook(move |_| {
        o.lock().unwrap().push("parameter w");
        None
    });
    let tape = Tape::new();
    let p = tape.param(&w);
    let h1 = p.tanh();
    let h2 = h1.exp();
    for (v, name) in [(&p, "leaf w"), (&h1, "h1 = tanh w"), (&h2, "h2 = exp h1")] {
        let o = order.clone();
        v.register_hook(move |_| {
            o.lock().unwrap().push(name);
            None
        })
        .unwrap();
    }
    h2.sum().backward().unwrap();
    assert_eq!(*order.lock().unwrap(), vec!["h2 = exp h1", "h1 = tanh w", "leaf w", "parameter w"]);
}

#[test]
fn a_value_used_several_times_is_hooked_once_with_the_summed_gradient() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[0.3, -0.7]));
    let h = x.sin();
    let seen = log::<Vec<f64>>();
    let s = seen.clone();
    h.register_hook(move |g| {
        s.lock().unwrap().push(g.value().to_vec());
        None
    })
    .unwrap();
    // Three uses: y = 2h + h² + e^h, dy/dh = 2 + 2h + e^h.
    let y = h.mul_scalar(2.0).add(&h.mul(&h).unwrap()).unwrap().add(&h.exp()).unwrap().sum();
    y.backward().unwrap();
    let expected: Vec<f64> = h.value().data().iter().map(|h| 2.0 + 2.0 * h + h.exp()).collect();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "one call, after every use contributed");
    for (a, e) in seen[0].iter().zip(&expected) {
        assert!((a - e).abs() < 1e-15);
    }
}

#[test]
fn a_parameter_used_twice_is_hooked_once_with_the_sum_of_both_uses() {
    let w = Parameter::new(Tensor::<f64>::vector(&[2.0, -1.0]));
    let seen = log::<Vec<f64>>();
    let s = seen.clone();
    w.register_hook(move |g| {
        s.lock().unwrap().push(g.to_vec());
        None
    });
    let tape = Tape::new();
    let (a, b) = (tape.param(&w), tape.param(&w)); // two leaves of one parameter
    a.mul(&b).unwrap().sum().add(&a.sum()).unwrap().backward().unwrap();
    // d/dw (w·w + w) = 2w + 1, over both leaves.
    assert_eq!(*seen.lock().unwrap(), vec![vec![5.0, -1.0]]);
    assert_eq!(w.grad().unwrap().to_vec(), vec![5.0, -1.0]);
    // Per backward pass, accumulating into the buffer as without hooks.
    let tape = Tape::new();
    tape.param(&w).sum().backward().unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert_eq!(w.grad().unwrap().to_vec(), vec![6.0, 0.0]);
}

/// `h = tanh(x·w)` on a tape, with `x` and `w` leaves.
fn layer<'t>(tape: &'t Tape<f64>) -> (Var<'t, f64>, Var<'t, f64>, Var<'t, f64>) {
    let x = tape.var(Tensor::from_vec(vec![0.2, -1.1, 0.7, 0.4, 1.3, -0.5], [2, 3]).unwrap());
    let w = tape.var(Tensor::from_vec(vec![0.5, -0.3, 0.8, 0.1, 0.9, -0.6], [3, 2]).unwrap());
    let h = x.matmul(&w).unwrap().tanh();
    (x, w, h)
}

fn head<'t>(h: &Var<'t, f64>) -> Var<'t, f64> {
    h.powf(2.0).sum()
}

/// A computation with a hook on the middle activation; the same computation without the hook,
/// its gradient there negated by hand, gives the same bits.
#[test]
fn a_gradient_reversal_hook_gives_the_bits_of_the_same_computation_done_by_hand() {
    let tape = Tape::new();
    let (x, w, h) = layer(&tape);
    h.register_hook(|g| Some(g.neg())).unwrap();
    head(&h).backward().unwrap();

    // By hand: the gradient at h, negated, pulled back the rest of the way.
    let plain = Tape::new();
    let (px, pw, ph) = layer(&plain);
    let [gh] = grad_with(&[&head(&ph)], None, &[&ph], GradOptions::retain_graph()).unwrap().try_into().unwrap();
    let seed = gh.value().map(|v| -v);
    let [gx, gw] = grad_with(&[&ph], Some(&[seed]), &[&px, &pw], GradOptions::default()).unwrap().try_into().unwrap();
    assert_eq!(x.grad().unwrap(), *gx.value());
    assert_eq!(w.grad().unwrap(), *gw.value());

    // And a hook that only looks changes no bit.
    let looked = Tape::new();
    let (lx, lw, lh) = layer(&looked);
    lh.register_hook(|_| None).unwrap();
    head(&lh).backward().unwrap();
    let unhooked = Tape::new();
    let (ux, uw, uh) = layer(&unhooked);
    head(&uh).backward().unwrap();
    assert_eq!(lx.grad(), ux.grad());
    assert_eq!(lw.grad(), uw.grad());
}

#[test]
fn hooks_act_at_every_order() {
    // y = h² with h = x³ and a hook scaling h's gradient by −λ: dy/dx = −λ·2h·3x² = −6λx⁵.
    // With create_graph the hook's replacement is recorded, so the second derivative sees it,
    // and the hook runs again in the second backward, which passes through h.
    let lambda = 0.5;
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(1.2));
    let h = x.powf(3.0);
    let calls = Arc::new(Mutex::new(0));
    let c = calls.clone();
    h.register_hook(move |g| {
        *c.lock().unwrap() += 1;
        Some(g.mul_scalar(-lambda))
    })
    .unwrap();
    let y = h.powf(2.0);
    let [dy] = grad_with(&[&y], None, &[&x], GradOptions::create_graph()).unwrap().try_into().unwrap();
    assert!(dy.is_tracked());
    assert!((dy.item() - (-6.0 * lambda * 1.2f64.powi(5))).abs() < 1e-12);
    let calls_after_first = *calls.lock().unwrap();
    let [d2y] = grad(&[&dy], &[&x]).unwrap().try_into().unwrap();
    // The second pass reaches h (dy depends on h through its backward): the hook runs again,
    // scaling that path too.
    assert_eq!(*calls.lock().unwrap(), calls_after_first + 1);
    // dy = (−λ·2h)·3x². Its derivative through the factor 3x² is −λ·2h·6x = −12λx⁴; through h
    // it is ∂dy/∂h = −6λx², which the hook scales by −λ on the way, times dh/dx = 3x²: 18λ²x⁴.
    let expected = 18.0 * lambda * lambda * 1.2f64.powi(4) - 12.0 * lambda * 1.2f64.powi(4);
    assert!((d2y.item() - expected).abs() < 1e-12, "{} vs {expected}", d2y.item());
}

#[test]
fn value_hooks_run_in_grad_too_and_parameter_hooks_only_where_buffers_fill() {
    let w = Parameter::new(Tensor::<f64>::scalar(3.0));
    let param_calls = Arc::new(Mutex::new(0));
    let c = param_calls.clone();
    w.register_hook(move |_| {
        *c.lock().unwrap() += 1;
        None
    });
    let tape = Tape::new();
    let p = tape.param(&w);
    let h = p.powf(2.0);
    h.register_hook(|g| Some(g.mul_scalar(10.0))).unwrap();
    let y = h.mul_scalar(1.0);
    let [dp] = grad_with(&[&y], None, &[&p], GradOptions::retain_graph()).unwrap().try_into().unwrap();
    assert_eq!(dp.item(), 60.0, "the value hook scaled the gradient grad returns");
    assert_eq!(*param_calls.lock().unwrap(), 0, "grad fills no buffer: no parameter hook");
    y.backward().unwrap();
    assert_eq!(*param_calls.lock().unwrap(), 1);
    assert_eq!(w.grad().unwrap().item(), 60.0);
}

#[test]
fn a_handle_removes_its_hook() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(2.0));
    let h = x.exp();
    let handle = h.register_hook(|g| Some(g.mul_scalar(0.0))).unwrap();
    assert!(handle.remove());
    h.backward_with(None, GradOptions::retain_graph()).unwrap();
    assert_eq!(x.grad().unwrap().item(), 2f64.exp());

    let w = Parameter::new(Tensor::<f64>::scalar(1.0));
    let handle = w.register_hook(|g| Some(g.map(|_| 100.0)));
    let tape = Tape::new();
    tape.param(&w).mul_scalar(2.0).backward().unwrap();
    assert_eq!(w.grad().unwrap().item(), 100.0);
    assert!(handle.remove());
    w.zero_grad();
    let tape = Tape::new();
    tape.param(&w).mul_scalar(2.0).backward().unwrap();
    assert_eq!(w.grad().unwrap().item(), 2.0);
}

#[test]
fn per_layer_gradient_norms_and_clipping_one_layer() {
    // Two layers; a hook on each weight logs its gradient norm; the second clips its own.
    let w1 = Parameter::new(Tensor::<f64>::from_vec(vec![0.5, -0.4, 0.3, 0.9, -0.2, 0.6], [3, 2]).unwrap());
    let w2 = Parameter::new(Tensor::<f64>::from_vec(vec![1.5, -2.0, 2.5], [1, 3]).unwrap());
    let x = Tensor::from_vec(vec![1.0, 2.0, -1.0, 0.5], [2, 2]).unwrap();
    let backward = || {
        let tape = Tape::new();
        let h = tape.constant(x.clone()).linear(&tape.param(&w1), None).unwrap().tanh();
        h.linear(&tape.param(&w2), None).unwrap().powf(2.0).sum().backward().unwrap();
    };
    let norm = |g: &Tensor<f64>| g.data().iter().map(|v| v * v).sum::<f64>().sqrt();
    // Plain gradients first.
    backward();
    let (plain1, plain2) = (w1.take_grad().unwrap(), w2.take_grad().unwrap());
    assert!(norm(&plain2) > 1.0, "the clip below must bite");

    let norms = log::<(&str, f64)>();
    let n1 = norms.clone();
    w1.register_hook(move |g| {
        n1.lock().unwrap().push(("w1", norm(g)));
        None
    });
    let n2 = norms.clone();
    w2.register_hook(move |g| {
        let total = norm(g);
        n2.lock().unwrap().push(("w2", total));
        (total > 1.0).then(|| g.map(|v| v / total))
    });
    backward();
    let mut logged = norms.lock().unwrap().clone();
    logged.sort_by(|a, b| a.0.cmp(b.0));
    assert_eq!(logged, vec![("w1", norm(&plain1)), ("w2", norm(&plain2))]);
    assert_eq!(w1.grad().unwrap(), plain1, "the unclipped layer: the same bits");
    let clipped = w2.grad().unwrap();
    assert!((norm(&clipped) - 1.0).abs() < 1e-15);
    assert_eq!(clipped, plain2.map(|v| v / norm(&plain2)));
}

#[test]
fn a_replacement_of_another_shape_is_an_error_naming_where_the_hook_was_registered() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[1.0, 2.0]));
    let h = x.exp();
    h.register_hook(|g| Some(g.sum())).unwrap();
    let err = h.sum().backward().unwrap_err().to_string();
    assert!(err.starts_with("shape mismatch in a gradient hook, lhs: [2], rhs: []"), "{err}");
    assert!(err.contains("hooks.rs"), "names the hook's registration: {err}");

    let w = Parameter::new(Tensor::<f64>::vector(&[1.0, 2.0]));
    w.register_hook(|_| Some(Tensor::zeros([3])));
    let tape = Tape::new();
    let err = tape.param(&w).sum().backward().unwrap_err().to_string();
    assert!(err.starts_with("shape mismatch in a gradient hook, lhs: [2], rhs: [3]"), "{err}");
    assert!(w.grad().is_none(), "nothing was added");

    let err = tape.constant(Tensor::scalar(1.0)).register_hook(|_| None).unwrap_err().to_string();
    assert!(err.contains("register_hook") && err.contains("constant"), "{err}");
}

#[test]
fn clearing_a_tape_drops_its_value_hooks_and_a_tape_stays_send() {
    fn send<S: Send>(_: &S) {}
    let mut tape = Tape::<f64>::new();
    let calls = std::rc::Rc::new(std::cell::Cell::new(0)); // a hook need not be Send
    {
        let x = tape.var(Tensor::scalar(1.0));
        let c = calls.clone();
        x.register_hook(move |_| {
            c.set(c.get() + 1);
            None
        })
        .unwrap();
        x.exp().backward().unwrap();
    }
    assert_eq!(calls.get(), 1);
    tape.clear();
    assert_eq!(std::rc::Rc::strong_count(&calls), 1, "the hook was dropped with the tape's graph");
    send(&tape);
}

/// Hooks that hand the gradient back unchanged, on every parameter and on each layer's output,
/// over two backward passes accumulating into the buffers: the same bits as no hooks at all.
#[test]
fn identity_hooks_on_every_value_and_parameter_change_no_bit() {
    let params = || {
        let w1 = Parameter::new(Tensor::<f64>::from_vec(vec![0.5, -0.4, 0.3, 0.9, -0.2, 0.6], [3, 2]).unwrap());
        let b1 = Parameter::new(Tensor::vector(&[0.1, -0.3, 0.2]));
        let w2 = Parameter::new(Tensor::from_vec(vec![1.5, -2.0, 2.5, 0.7, -0.1, 0.4], [2, 3]).unwrap());
        [w1, b1, w2]
    };
    let batches = [
        Tensor::from_vec(vec![1.0, 2.0, -1.0, 0.5], [2, 2]).unwrap(),
        Tensor::from_vec(vec![-0.3, 0.8, 1.7, -2.2], [2, 2]).unwrap(),
    ];
    let train = |[w1, b1, w2]: &[Parameter<f64>; 3], hook_values: bool| {
        for x in &batches {
            let tape = Tape::new();
            let h = tape.constant(x.clone()).linear(&tape.param(w1), Some(&tape.param(b1))).unwrap().tanh();
            let y = h.linear(&tape.param(w2), None).unwrap().sigmoid();
            if hook_values {
                h.register_hook(|g| Some(g.clone())).unwrap();
                y.register_hook(|g| Some(g.clone())).unwrap();
            }
            y.powf(2.0).sum().backward().unwrap();
        }
    };
    let plain = params();
    train(&plain, false);
    let hooked = params();
    for p in &hooked {
        p.register_hook(|g| Some(g.clone()));
    }
    train(&hooked, true);
    for (p, h) in plain.iter().zip(&hooked) {
        let bits = |p: &Parameter<f64>| p.grad().unwrap().data().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(p), bits(h));
    }
}
