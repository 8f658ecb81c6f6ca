//! The tape and the reverse walk: accumulation, deep graphs, graph lifetime, no-grad, errors,
//! anomaly mode, higher order.

use autograd::{grad, grad_with, Error, GradOptions, Parameter, Pass, Tape, Tensor, Var};
use rand::SeedableRng;

fn scalar(v: f64) -> Tensor<f64> {
    Tensor::scalar(v)
}

#[test]
fn a_value_used_several_times_receives_the_sum_of_its_gradients() {
    let tape = Tape::<f64>::new();
    let x = tape.var(scalar(1.5));
    // y = x·x + x·x·x + x  ⇒  dy/dx = 2x + 3x² + 1
    let y = &(&x * &x) + &(&(&x * &x) * &x) + x.clone();
    y.backward().unwrap();
    assert_eq!(x.grad().unwrap().item(), 2.0 * 1.5 + 3.0 * 1.5 * 1.5 + 1.0);
}

#[test]
fn shared_subexpression_is_differentiated_once_per_use() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[0.3, -0.7]));
    let s = x.tanh(); // shared
    let y = (&s * &s + s.clone()).sum(); // Σ tanh² + tanh
    y.backward().unwrap();
    let g = x.grad().unwrap();
    for (i, &xi) in [0.3f64, -0.7].iter().enumerate() {
        let t = xi.tanh();
        let expected = (2.0 * t + 1.0) * (1.0 - t * t);
        assert!((g.data()[i] - expected).abs() < 1e-15, "{} vs {expected}", g.data()[i]);
    }
}

#[test]
fn a_chain_of_100_000_ops_does_not_overflow_the_stack() {
    let tape = Tape::<f64>::new();
    let x = tape.var(scalar(0.5));
    let mut y = x.clone();
    for _ in 0..100_000 {
        y = y.mul_scalar(1.0).add_scalar(0.0);
    }
    y.backward().unwrap();
    assert_eq!(x.grad().unwrap().item(), 1.0);
    assert_eq!(tape.len(), 200_001);
}

#[test]
fn no_grad_records_nothing() {
    let tape = Tape::<f64>::new();
    let x = tape.var(scalar(2.0));
    let before = tape.len();
    let y = tape.no_grad(|| (&x * &x).exp().tanh());
    assert_eq!(tape.len(), before);
    assert!(!y.is_tracked());
    assert!(tape.is_recording());
    // An untracked result has no path to x: backward(), which would otherwise silently fill
    // nothing, says there is nothing to do, and so does grad() unless zeros are asked for.
    let err = grad(&[&y], &[&x]).unwrap_err();
    assert!(matches!(err, Error::OutputNotTracked { output: 0, .. }), "{err}");
    let [dx] = grad_with(&[&y], None, &[&x], GradOptions::default().allow_unused()).unwrap().try_into().unwrap();
    assert_eq!(dx.item(), 0.0);
    let err = y.backward().unwrap_err();
    assert!(matches!(err, Error::NotTracked { .. }), "{err}");
    assert!(err.to_string().contains("engine.rs"), "{err}");
}

#[test]
fn constants_record_nothing() {
    let tape = Tape::<f64>::new();
    let a = tape.constant(scalar(1.0));
    let b = tape.constant(scalar(2.0));
    let c = (&a + &b).exp();
    assert_eq!(tape.len(), 0);
    assert_eq!(c.item(), 3f64.exp());
}

#[test]
fn backward_frees_the_graph_unless_asked_to_retain_it() {
    let tape = Tape::<f64>::new();
    let x = tape.var(scalar(0.4));
    let y = x.tanh().exp();
    y.backward_with(None, GradOptions::retain_graph()).unwrap();
    y.backward().unwrap(); // retained: a second pass works and accumulates
    let once = (1.0 - 0.4f64.tanh().powi(2)) * 0.4f64.tanh().exp();
    assert!((x.grad().unwrap().item() - 2.0 * once).abs() < 1e-15);
    let err = y.backward().unwrap_err();
    match &err {
        Error::GraphFreed { op, .. } => assert_eq!(*op, "exp"),
        other => panic!("expected GraphFreed, got {other}"),
    }
    assert!(err.to_string().contains("retain_graph"), "{err}");
    assert!(tape.to_string().contains("(freed)"));
}

#[test]
fn grad_returns_gradients_without_touching_leaf_buffers() {
    let tape = Tape::<f64>::new();
    let x = tape.var(scalar(3.0));
    let y = x.powf(2.0);
    let [dx] = grad(&[&y], &[&x]).unwrap().try_into().unwrap();
    assert_eq!(dx.item(), 6.0);
    assert!(x.grad().is_none());
}

#[test]
fn grad_with_respect_to_an_unused_input_is_an_error_unless_zeros_are_allowed() {
    let tape = Tape::<f64>::new();
    let x = tape.var(scalar(3.0));
    let unused = tape.var(scalar(1.0)).named("u");
    let y = x.powf(2.0);
    let later = tape.var(scalar(2.0)); // recorded after the output: cannot be reached either
    let line = line!() + 1;
    let err = grad_with(&[&y], None, &[&x, &unused], GradOptions::retain_graph()).unwrap_err();
    assert!(matches!(err, Error::UnusedInput { input: 1, .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("input 1, named u") && msg.contains("allow_unused"), "{msg}");
    assert!(msg.contains(&format!("engine.rs:{line}:")), "{msg}");
    let err = grad_with(&[&y], None, &[&later], GradOptions::retain_graph()).unwrap_err();
    assert!(matches!(err, Error::UnusedInput { input: 0, .. }), "{err}");
    let options = GradOptions::default().allow_unused();
    let [dx, du, dl] = grad_with(&[&y], None, &[&x, &unused, &later], options).unwrap().try_into().unwrap();
    assert_eq!((dx.item(), du.item(), dl.item()), (6.0, 0.0, 0.0));
    // A zero derivative is not "unused": sign's gradient is zero, but sign(x) depends on x.
    let [ds] = grad(&[&x.sign()], &[&x]).unwrap().try_into().unwrap();
    assert_eq!(ds.item(), 0.0);
}

#[test]
fn grad_with_respect_to_a_constant_is_an_error_even_when_zeros_are_allowed() {
    // w = c·x depends on c, but c is a constant: no gradient flows to it, and a zero would be
    // wrong (∂w/∂c = x), so the answer is an error whatever the options (as PyTorch).
    let tape = Tape::<f64>::new();
    let x = tape.var(scalar(3.0));
    let c = tape.constant(scalar(2.0));
    let w = &c * &x;
    for options in [GradOptions::default(), GradOptions::retain_graph().allow_unused()] {
        let err = grad_with(&[&w], None, &[&x, &c], options).unwrap_err();
        assert!(matches!(err, Error::GradOfConstant { input: 1, .. }), "{err}");
        assert!(err.to_string().contains("tape.var"), "{err}");
    }
}

#[test]
fn grad_with_respect_to_an_intermediate_value() {
    let tape = Tape::<f64>::new();
    let x = tape.var(scalar(0.5));
    let h = x.exp();
    let y = &h * &h;
    let [dh, dx] = grad(&[&y], &[&h, &x]).unwrap().try_into().unwrap();
    assert!((dh.item() - 2.0 * 0.5f64.exp()).abs() < 1e-15);
    assert!((dx.item() - 2.0 * 1.0f64.exp()).abs() < 1e-14);
}

#[test]
fn non_scalar_outputs_need_a_seed() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[1.0, 2.0, 3.0]));
    let y = x.powf(2.0);
    assert!(matches!(y.backward(), Err(Error::NonScalarBackward { .. })));
    let seed = Tensor::vector(&[1.0, 0.0, 2.0]);
    let [dx] = grad_with(&[&y], Some(&[seed]), &[&x], GradOptions::default()).unwrap().try_into().unwrap();
    assert_eq!(dx.value().to_vec(), vec![2.0, 0.0, 12.0]);
    let bad_seed = Tensor::vector(&[1.0, 0.0]);
    let err = grad_with(&[&y], Some(&[bad_seed]), &[&x], GradOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "seed gradient of shape [2] for an output of shape [3]");
}

#[test]
fn shape_mismatch_names_the_op_both_shapes_and_the_call_site() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::zeros([2, 3]));
    let b = tape.var(Tensor::zeros([4]));
    let line = line!() + 1;
    let err = a.add(&b).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("shape mismatch in add, lhs: [2, 3], rhs: [4]"), "{msg}");
    assert!(msg.contains(&format!("engine.rs:{line}:")), "{msg}");
}

#[test]
fn operator_sugar_panics_with_the_same_message() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::zeros([2, 3]));
    let b = tape.var(Tensor::zeros([4]));
    let expected = a.mul(&b).unwrap_err().to_string();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| &a * &b)).unwrap_err();
    let msg = caught.downcast_ref::<String>().unwrap();
    // Same message, except the call site (the operator line instead of the method line).
    assert_eq!(msg.split(" (at ").next(), expected.split(" (at ").next());
}

#[test]
fn values_from_two_tapes_do_not_mix() {
    let t1 = Tape::<f64>::new();
    let t2 = Tape::<f64>::new();
    let a = t1.var(Tensor::ones([1, 1]));
    let b = t2.var(Tensor::ones([1, 1]));
    // Each error names the user's line, not a line inside the crate.
    let line = line!() + 1;
    let errors = [a.add(&b), a.matmul(&b), a.gt(&b), Var::where_(&a, &a, &b), Var::concat(&[&a, &b], 0)];
    for (err, op) in errors.into_iter().zip(["add", "matmul", "gt", "where", "concat"]) {
        match err {
            Err(Error::TapeMismatch { op: name, site }) => assert_eq!((name, site.0.line()), (op, line)),
            Err(other) => panic!("{op}: expected a tape mismatch, got {other}"),
            Ok(_) => panic!("{op}: mixed two tapes"),
        }
    }
}

#[test]
fn broadcasting_sums_gradients_back_to_each_input_shape() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0], [3, 1]).unwrap());
    let b = tape.var(Tensor::from_vec(vec![10.0, 20.0], [2]).unwrap());
    let y = (&a * &b).sum(); // [3, 2]
    y.backward().unwrap();
    assert_eq!(a.grad().unwrap().to_vec(), vec![30.0, 30.0, 30.0]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![6.0, 6.0]);
    assert_eq!(a.grad().unwrap().dims(), &[3, 1]);
}

#[test]
fn anomaly_mode_names_the_op_that_first_produced_a_non_finite_value() {
    let tape = Tape::<f64>::new();
    tape.set_anomaly_mode(true);
    let x = tape.var(Tensor::vector(&[0.0, 1.0]));
    let zero = tape.constant(Tensor::vector(&[0.0, 0.0]));
    let line = line!() + 1;
    let logx = x.log(); // log(0) = −inf: the culprit
    let y = (&logx * &zero).sum(); // −inf·0 = NaN, a consequence
    let err = y.backward().unwrap_err();
    match &err {
        Error::Anomaly { op, node, pass, what, site, name: None } => {
            assert_eq!(*op, "log");
            assert_eq!(*node, 1);
            assert_eq!(*pass, Pass::Forward);
            assert_eq!(*what, "inf");
            assert_eq!(site.0.line(), line);
        }
        other => panic!("expected an anomaly, got {other}"),
    }
    assert_eq!(tape.check_anomaly().unwrap_err(), err);
}

#[test]
fn anomaly_mode_catches_non_finite_gradients_in_the_backward_pass() {
    let tape = Tape::<f64>::new();
    tape.set_anomaly_mode(true);
    let x = tape.var(Tensor::vector(&[0.0, 4.0]));
    let y = x.powf(0.5).sum(); // forward finite; d/dx √x at 0 is +inf
    let err = y.backward().unwrap_err();
    assert!(matches!(err, Error::Anomaly { op: "powf", pass: Pass::Backward, what: "inf", .. }), "{err}");
}

#[test]
fn a_backward_anomaly_blames_the_differentiated_op_and_leaves_no_forward_anomaly_behind() {
    let tape = Tape::<f64>::new();
    tape.set_anomaly_mode(true);
    let a = tape.var(Tensor::vector(&[0.0, 4.0]));
    let b = tape.var(Tensor::vector(&[0.5, 0.5]));
    let line = line!() + 1;
    let y = a.pow(&b).unwrap().sum(); // forward finite; ∂/∂a = b·a^(b−1) is inf at a = 0
    for options in [GradOptions::retain_graph(), GradOptions::create_graph()] {
        let err = grad_with(&[&y], None, &[&a, &b], options).unwrap_err();
        match &err {
            Error::Anomaly { op, pass, what, site, .. } => {
                assert_eq!((*op, *pass, *what), ("pow", Pass::Backward, "inf"), "{err}");
                assert_eq!(site.0.line(), line, "{err}");
            }
            other => panic!("expected an anomaly, got {other}"),
        }
        // The rule's intermediate a^(b−1) = inf is not a forward anomaly of the user's code.
        assert_eq!(tape.check_anomaly(), Ok(()));
    }
}

#[test]
fn without_anomaly_mode_nan_propagates_silently_as_ieee_says() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[0.0]));
    let y = x.log().sum();
    y.backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![f64::INFINITY]);
}

#[test]
fn second_derivative_of_tanh_through_create_graph() {
    let tape = Tape::<f64>::new();
    let x = tape.var(scalar(0.7));
    let y = x.tanh();
    let [dy] = grad_with(&[&y], None, &[&x], GradOptions::create_graph()).unwrap().try_into().unwrap();
    assert!(dy.is_tracked(), "with create_graph the gradient is on the tape");
    let [d2y] = grad(&[&dy], &[&x]).unwrap().try_into().unwrap();
    let t = 0.7f64.tanh();
    assert!((d2y.item() + 2.0 * t * (1.0 - t * t)).abs() < 1e-15);
}

#[test]
fn without_create_graph_backward_records_nothing() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[0.1, 0.2]));
    let y = x.tanh().exp().sum();
    let len = tape.len();
    let [dx] = grad(&[&y], &[&x]).unwrap().try_into().unwrap();
    assert_eq!(tape.len(), len);
    assert!(!dx.is_tracked());
}

#[test]
fn hessian_vector_product_of_a_quadratic_form() {
    // f(x) = ½ xᵀ A x with symmetric A ⇒ ∇f = A x, H v = A v.
    let tape = Tape::<f64>::new();
    let a = tape.constant(Tensor::from_vec(vec![2.0, 1.0, 0.0, 1.0, 3.0, 1.0, 0.0, 1.0, 4.0], [3, 3]).unwrap());
    let x = tape.var(Tensor::from_vec(vec![1.0, -1.0, 2.0], [3, 1]).unwrap());
    let f = x.matmul_t(&a.matmul(&x).unwrap(), true, false).unwrap().sum().mul_scalar(0.5);
    let [g] = grad_with(&[&f], None, &[&x], GradOptions::create_graph()).unwrap().try_into().unwrap();
    assert_eq!(g.value().to_vec(), vec![1.0, 0.0, 7.0]);
    let v = tape.constant(Tensor::from_vec(vec![1.0, 0.0, -1.0], [3, 1]).unwrap());
    let gv = (&g * &v).sum();
    let [hv] = grad(&[&gv], &[&x]).unwrap().try_into().unwrap();
    assert_eq!(hv.value().to_vec(), vec![2.0, 0.0, -4.0]);
}

#[test]
fn gradient_penalty_differentiates_through_a_gradient_norm() {
    // p(w) = ‖∂(w·x)²/∂x‖² at x = 1 equals (2·w²)² ⇒ dp/dw = 16 w³.
    let tape = Tape::<f64>::new();
    let w = tape.var(scalar(0.5));
    let x = tape.var(scalar(1.0));
    let y = (&w * &x).powf(2.0);
    let [dx] = grad_with(&[&y], None, &[&x], GradOptions::create_graph()).unwrap().try_into().unwrap();
    let penalty = dx.powf(2.0);
    let [dw] = grad(&[&penalty], &[&w]).unwrap().try_into().unwrap();
    assert!((dw.item() - 16.0 * 0.125).abs() < 1e-14);
}

#[test]
fn parameters_accumulate_across_tapes_and_can_be_frozen() {
    let p = Parameter::new(Tensor::vector(&[1.0f64, 2.0]));
    for _ in 0..3 {
        let tape = Tape::new();
        let w = tape.param(&p);
        w.sum().backward().unwrap();
    }
    assert_eq!(p.grad().unwrap().to_vec(), vec![3.0, 3.0]);
    assert_eq!(p.take_grad().unwrap().to_vec(), vec![3.0, 3.0]);
    assert!(p.grad().is_none());
    p.set_requires_grad(false);
    let tape = Tape::new();
    let w = tape.param(&p);
    assert!(!w.is_tracked());
    assert!(p.grad().is_none());
}

#[test]
fn a_parameter_gradient_of_a_stale_shape_is_an_error_not_a_partial_sum() {
    let p = Parameter::new(Tensor::vector(&[1.0f64, 2.0]));
    let tape = Tape::new();
    tape.param(&p).sum().backward().unwrap();
    p.set_value(Tensor::vector(&[1.0, 2.0, 3.0])); // the old [2] gradient is still there
    let tape = Tape::new();
    let line = line!() + 1;
    let err = tape.param(&p).sum().backward().unwrap_err();
    assert!(err.to_string().starts_with("shape mismatch in parameter gradient, lhs: [2], rhs: [3]"), "{err}");
    assert!(err.to_string().contains(&format!("engine.rs:{line}:")), "names where the parameter went on the tape");
    assert_eq!(p.grad().unwrap().to_vec(), vec![1.0, 1.0], "left as it was");
}

#[test]
fn the_tape_listing_shows_ops_inputs_shapes_and_call_sites() {
    let tape = Tape::<f32>::new();
    let x = tape.var(Tensor::zeros([2, 3]));
    let _y = x.relu().sum();
    let listing = tape.to_string();
    assert!(listing.contains("relu"), "{listing}");
    assert!(listing.contains("[2, 3]"), "{listing}");
    assert!(listing.contains("engine.rs"), "{listing}");
    assert!(listing.lines().nth(2).unwrap().contains("%0"), "{listing}");
}

#[test]
fn f32_and_f64_give_the_same_gradients_up_to_rounding() {
    fn dtanh_exp<T: autograd::Float>(v: f64) -> f64 {
        let tape = Tape::<T>::new();
        let x = tape.var(Tensor::scalar(T::from_f64(v)));
        x.tanh().exp().backward().unwrap();
        x.grad().unwrap().item().to_f64()
    }
    let (a, b) = (dtanh_exp::<f32>(0.3), dtanh_exp::<f64>(0.3));
    assert!((a - b).abs() < 1e-6 * b.abs(), "{a} vs {b}");
}

#[test]
fn analytic_spot_checks() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[-2.0, 0.5, 3.0]));
    // σ' = σ(1 − σ)
    let [ds] = grad(&[&x.sigmoid().sum()], &[&x]).unwrap().try_into().unwrap();
    for (i, &v) in [-2.0f64, 0.5, 3.0].iter().enumerate() {
        let s = 1.0 / (1.0 + (-v).exp());
        assert!((ds.value().data()[i] - s * (1.0 - s)).abs() < 1e-16);
    }
    // d/dx log x = 1/x
    let y = tape.var(Tensor::vector(&[0.25, 4.0]));
    let [dl] = grad(&[&y.log().sum()], &[&y]).unwrap().try_into().unwrap();
    assert_eq!(dl.value().to_vec(), vec![4.0, 0.25]);
    // ReLU'(0) = 0, |x|'(0) = 0 (the documented conventions at the kink)
    let z = tape.var(Tensor::vector(&[0.0]));
    let [dr] = grad(&[&z.relu().sum()], &[&z]).unwrap().try_into().unwrap();
    let [da] = grad(&[&z.abs().sum()], &[&z]).unwrap().try_into().unwrap();
    assert_eq!((dr.item(), da.item()), (0.0, 0.0));
}

#[test]
fn tracing_keeps_values_and_gradients_for_listings_and_dot() {
    let tape = Tape::<f64>::new();
    tape.set_tracing(true);
    let x = tape.var(scalar(2.0));
    let y = (&x * &x).sin();
    y.backward().unwrap();
    let listing = tape.to_string();
    // node %1 = x·x = 4, its gradient is cos(4)
    let row = listing.lines().find(|l| l.trim_start().starts_with("%1")).unwrap();
    assert!(row.contains(" 4 "), "{row}");
    assert!(row.contains(&format!("{:.4}", 4f64.cos())), "{row}");
    let dot = tape.to_dot();
    assert!(dot.contains("n0 -> n1") && dot.contains("n1 -> n2"), "{dot}");
    assert!(dot.contains("value 4\\n"), "{dot}");
}

#[test]
fn nan_conventions_match_pytorch() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[f64::NAN, -1.0, 2.0]));
    let y = x.relu();
    assert!(y.value().data()[0].is_nan(), "relu(NaN) is NaN");
    assert_eq!(&y.value().data()[1..], &[0.0, 2.0]);
    // powf(0) has a zero derivative even when the incoming gradient is infinite.
    let z = tape.var(Tensor::vector(&[3.0]));
    let seed = Tensor::vector(&[f64::INFINITY]);
    let p = z.powf(0.0);
    let [dz] = grad_with(&[&p], Some(&[seed]), &[&z], GradOptions::default()).unwrap().try_into().unwrap();
    assert_eq!(dz.value().to_vec(), vec![0.0]);
}

#[test]
fn tensors_too_large_to_allocate_are_errors_not_aborts() {
    // An element count that overflows usize.
    for err in [
        Tensor::<f32>::try_zeros([1 << 63, 2]).unwrap_err(),
        Tensor::<f32>::try_ones([1 << 63, 2]).unwrap_err(),
        Tensor::<f32>::try_full([1 << 63, 2], 1.0).unwrap_err(),
    ] {
        assert_eq!(err, Error::Allocation { shape: [1 << 63, 2].into(), bytes: None });
        assert!(err.to_string().contains("[9223372036854775808, 2]: more elements than usize can count"), "{err}");
    }
    // 4 TiB: more than the machine grants, or (2^62 elements) more than the address space.
    let err = Tensor::<f32>::try_zeros([1 << 40]).unwrap_err();
    assert_eq!(err.to_string(), "cannot allocate a tensor of shape [1099511627776]: 4398046511104 bytes");
    assert!(matches!(Tensor::<f64>::try_zeros([1 << 62]), Err(Error::Allocation { bytes: Some(_), .. })));
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    assert!(matches!(Tensor::<f32>::try_rand_normal([1 << 40], 0.0, 1.0, &mut rng), Err(Error::Allocation { .. })));
    assert!(matches!(Tensor::<f32>::try_rand_uniform([1 << 40], 0.0, 1.0, &mut rng), Err(Error::Allocation { .. })));
    // On a tape: broadcasting is where a value grows, and every op of two inputs goes through it.
    let tape = Tape::<f32>::new();
    let x = tape.var(Tensor::zeros([1]));
    assert!(matches!(x.broadcast_to([1 << 40]), Err(Error::ResultTooLarge { op: "broadcast_to", .. })));
    let (column, row) = (tape.var(Tensor::zeros([1 << 20, 1])), tape.var(Tensor::zeros([1, 1 << 20])));
    let err = column.add(&row).unwrap_err();
    let message =
        "cannot allocate the result of broadcast_to, a tensor of shape [1048576, 1048576]: 4398046511104 bytes (at ";
    assert!(err.to_string().starts_with(message), "{err}");
    assert!(err.to_string().contains(file!()), "names the caller's line: {err}");
    // Every other op whose result can outgrow its inputs.
    let too_large = |result: Result<Var<'_, f32>, Error>, op: &str, shape: &[usize]| {
        let err = result.unwrap_err();
        assert!(
            matches!(&err, Error::ResultTooLarge { op: o, shape: s, .. } if *o == op && s.dims() == shape),
            "{op}: {err}"
        );
    };
    let long = [1 << 20, 1 << 20];
    too_large(column.matmul(&row), "matmul", &long);
    too_large(column.matmul_t(&column, false, true), "matmul", &long);
    let stacked = (tape.var(Tensor::zeros([3, 1 << 20, 1])), tape.var(Tensor::zeros([3, 1, 1 << 20])));
    too_large(stacked.0.matmul(&stacked.1), "matmul", &[3, 1 << 20, 1 << 20]);
    too_large(column.linear(&tape.var(Tensor::zeros([1 << 20, 1])), None), "linear", &long);
    let small = tape.var(Tensor::zeros([4, 1]));
    too_large(small.pad(1, 1 << 40, 0), "pad", &[4, (1 << 40) + 1]);
    too_large(Var::concat(&vec![&row; u16::MAX as usize], 0), "concat", &[u16::MAX as usize, 1 << 20]);
    too_large(row.index_select(0, &vec![0; 1 << 22]), "index_select", &[1 << 22, 1 << 20]);
    too_large(column.gt(&row), "gt", &long);
    too_large(Var::where_(&column, &row, &row), "where", &long);
    assert!(matches!(Tensor::<f32>::one_hot(&[0; 1 << 10], 1 << 40), Err(Error::ResultTooLarge { op: "one_hot", .. })));
    assert!(matches!(Tensor::<f32>::arange(0.0, 1e13, 1.0), Err(Error::Allocation { .. })));
    assert!(matches!(Tensor::<f32>::try_from_fn([4, 1 << 40], |_| 0.0), Err(Error::Allocation { .. })));
    // A large tensor that fits is still made.
    assert_eq!(Tensor::<f32>::try_zeros([1 << 20]).unwrap().numel(), 1 << 20);
}

#[test]
fn random_tensors_with_bad_parameters_are_errors() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    for (mean, std) in [(0.0, -1.0), (0.0, f64::NAN), (0.0, f64::INFINITY), (f64::NAN, 1.0)] {
        let err = Tensor::<f64>::try_rand_normal([2], mean, std, &mut rng).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { op: "rand_normal", .. }), "{err}");
    }
    for (low, high) in [(f64::NAN, 1.0), (0.0, f64::INFINITY), (f64::NEG_INFINITY, 0.0), (1.0, 0.0)] {
        let err = Tensor::<f64>::try_rand_uniform([2], low, high, &mut rng).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { op: "rand_uniform", .. }), "{err}");
    }
    let panicked = std::panic::catch_unwind(|| {
        Tensor::<f64>::rand_normal([2], 0.0, -1.0, &mut rand::rngs::StdRng::seed_from_u64(0))
    });
    assert!(panicked.is_err(), "the panicking form panics instead of drawing NaN");
}
