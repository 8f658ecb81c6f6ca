//! Dropout statistics and modes: kept fraction and mean preserved within tolerances, a fresh
//! mask per call, same seed same masks, deterministic evaluation, scaling at evaluation (the
//! original paper's form, and that of the lecture `docs/lecture.md` follows) agreeing with
//! inverted dropout in expectation, gradients through the kept units only.

use autograd::{Tape, Tensor};
use nn::{DropoutConfig, DropoutScaling, LinearConfig, Module, Relu, Sequential};
use rand::{rngs::StdRng, SeedableRng};

const N: usize = 200_000;

fn kept_fraction(values: &[f32]) -> f64 {
    values.iter().filter(|&&v| v != 0.0).count() as f64 / values.len() as f64
}

fn mean(values: &[f32]) -> f64 {
    values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64
}

#[test]
fn kept_fraction_and_mean_are_preserved() {
    for p in [0.1, 0.5, 0.8] {
        let drop = DropoutConfig::new(p).init_seeded(1).unwrap();
        let tape = Tape::<f32>::new();
        let x = tape.constant(Tensor::full([N], 3.0));
        let y = drop.forward(&x).unwrap();
        let values = y.value().data();
        // Binomial(N, 1 − p): the standard deviation of the kept fraction is √(p(1 − p)/N) ≤ 0.0012;
        // 5 standard deviations.
        let sd = (p * (1.0 - p) / N as f64).sqrt();
        assert!((kept_fraction(values) - (1.0 - p)).abs() < 5.0 * sd, "p = {p}: kept {}", kept_fraction(values));
        // Kept units are scaled by 1/(1 − p), so the mean stays 3 within 5 sd of its estimate.
        let scale = 3.0 / (1.0 - p);
        assert!(
            values.iter().all(|&v| v == 0.0 || (v as f64 - scale).abs() < 1e-5),
            "p = {p}: values are 0 or x/(1 − p)"
        );
        let mean_sd = scale * sd;
        assert!((mean(values) - 3.0).abs() < 5.0 * mean_sd, "p = {p}: mean {}", mean(values));
    }
}

#[test]
fn a_fresh_mask_every_call_and_the_same_masks_for_the_same_seed() {
    let tape = Tape::<f32>::new();
    let x = tape.constant(Tensor::ones([1000]));
    let a = DropoutConfig::new(0.5).init_seeded(42).unwrap();
    let b = DropoutConfig::new(0.5).init_seeded(42).unwrap();
    let c = DropoutConfig::new(0.5).init_seeded(43).unwrap();
    let a1 = a.forward(&x).unwrap().value().clone();
    let a2 = a.forward(&x).unwrap().value().clone();
    assert_ne!(a1, a2, "each forward draws a new mask");
    assert_eq!(b.forward(&x).unwrap().value(), &a1, "same seed, same first mask");
    assert_eq!(b.forward(&x).unwrap().value(), &a2, "same seed, same second mask");
    assert_ne!(c.forward(&x).unwrap().value(), &a1, "another seed, another mask");
    // Seeding from a generator: same generator state, same masks.
    let d = DropoutConfig::new(0.5).init(&mut StdRng::seed_from_u64(5)).unwrap();
    let e = DropoutConfig::new(0.5).init(&mut StdRng::seed_from_u64(5)).unwrap();
    assert_eq!(d.forward(&x).unwrap().value(), e.forward(&x).unwrap().value());
}

#[test]
fn eval_mode_is_deterministic_and_propagates_through_containers() {
    let mut rng = StdRng::seed_from_u64(0);
    let model = Sequential::<f32>::new()
        .push(LinearConfig::new(8, 8).init(&mut rng).unwrap())
        .push(Sequential::new().push(DropoutConfig::new(0.5).init_seeded(1).unwrap()));
    let tape = Tape::new();
    let x = tape.constant(Tensor::rand_normal([4, 8], 0.0, 1.0, &mut rng));
    let train_1 = model.forward(&x).unwrap().value().clone();
    let train_2 = model.forward(&x).unwrap().value().clone();
    assert_ne!(train_1, train_2);
    model.eval();
    let eval_1 = model.forward(&x).unwrap().value().clone();
    let eval_2 = model.forward(&x).unwrap().value().clone();
    assert_eq!(eval_1, eval_2);
    // In eval mode the inner dropout is the identity: the output is the linear layer's.
    let linear_only = model.get(0).unwrap().forward(&x).unwrap();
    assert_eq!(&eval_1, linear_only.value());
    model.train();
    assert_ne!(model.forward(&x).unwrap().value(), &eval_1);
}

#[test]
fn scaling_at_eval_agrees_with_inverted_dropout_in_expectation() {
    let p = 0.3;
    let inverted = DropoutConfig::new(p).init_seeded(3).unwrap();
    let at_eval = DropoutConfig { p, scaling: DropoutScaling::AtEval }.init_seeded(4).unwrap();
    let tape = Tape::<f32>::new();
    let x = tape.constant(Tensor::rand_uniform([N], -1.0, 2.0, &mut StdRng::seed_from_u64(9)));

    // Training outputs: inverted keeps x/(1 − p), at-eval keeps x unscaled.
    let train_inv = inverted.forward(&x).unwrap();
    let train_at = at_eval.forward(&x).unwrap();
    assert!(train_at.value().data().iter().zip(x.value().data()).all(|(&y, &x)| y == 0.0 || y == x));

    inverted.eval();
    at_eval.eval();
    let eval_inv = inverted.forward(&x).unwrap();
    let eval_at = at_eval.forward(&x).unwrap();
    assert_eq!(eval_inv.value(), x.value(), "inverted: identity at test time");
    let scaled = x.value().map(|v| v * (1.0 - p as f32));
    assert!(eval_at.value().max_abs_diff(&scaled) < 1e-7, "at eval: × (1 − p) at test time");

    // In both, the training output's mean equals the evaluation output's mean (within 5 sd of
    // the estimate), and the two evaluation outputs differ by the constant factor 1 − p.
    let sd = |values: &[f32]| {
        let m = mean(values);
        (values.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / values.len() as f64 / N as f64).sqrt()
    };
    for (name, train, eval) in [("inverted", &train_inv, &eval_inv), ("at eval", &train_at, &eval_at)] {
        let (t, e) = (mean(train.value().data()), mean(eval.value().data()));
        assert!((t - e).abs() < 5.0 * sd(train.value().data()), "{name}: train mean {t} vs eval mean {e}");
    }
    let ratio = mean(eval_at.value().data()) / mean(eval_inv.value().data());
    assert!((ratio - (1.0 - p)).abs() < 1e-6, "ratio {ratio}");
}

#[test]
fn gradient_flows_through_kept_units_only() {
    let drop = DropoutConfig::new(0.5).init_seeded(11).unwrap();
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::ones([64]));
    let y = drop.forward(&x).unwrap();
    y.sum().backward().unwrap();
    // ∂y/∂x is the mask itself: 0 where dropped, 1/(1 − p) = 2 where kept.
    assert_eq!(x.grad().unwrap(), y.value().clone());
    assert!(y.value().data().contains(&0.0) && y.value().data().contains(&2.0));
}

#[test]
fn edge_probabilities_and_invalid_ones() {
    let tape = Tape::<f32>::new();
    let x = tape.constant(Tensor::ones([100]));
    assert_eq!(DropoutConfig::new(0.0).init_seeded(0).unwrap().forward(&x).unwrap().value(), x.value());
    assert!(DropoutConfig::new(1.0)
        .init_seeded(0)
        .unwrap()
        .forward(&x)
        .unwrap()
        .value()
        .data()
        .iter()
        .all(|&v| v == 0.0));
    for p in [-0.1, 1.5, f64::NAN] {
        let e = DropoutConfig::new(p).init_seeded(0).unwrap_err();
        assert!(e.to_string().starts_with("invalid Dropout: p must be in [0, 1]"), "{e}");
    }
}

#[test]
fn the_state_words_resume_the_mask_stream() {
    let mut rng = StdRng::seed_from_u64(0);
    let model = Sequential::<f32>::new()
        .push(LinearConfig::new(6, 6).init(&mut rng).unwrap())
        .push(DropoutConfig::new(0.5).init_seeded(21).unwrap());
    let tape = Tape::new();
    let x = tape.constant(Tensor::rand_normal([5, 6], 0.0, 1.0, &mut rng));
    for _ in 0..3 {
        model.forward(&x).unwrap();
    }
    // Evaluation draws no mask, so it does not move the stream.
    model.eval();
    model.forward(&x).unwrap();
    model.train();
    let state = model.named_state();
    assert_eq!(state.keys().collect::<Vec<_>>(), ["1.seed", "1.counter"]);
    assert_eq!((state["1.seed"], state["1.counter"]), (21, 3));

    // A twin built with another seed draws other masks until it takes the saved state.
    let twin = Sequential::<f32>::new()
        .push(LinearConfig::new(6, 6).init(&mut StdRng::seed_from_u64(0)).unwrap())
        .push(DropoutConfig::new(0.5).init_seeded(99).unwrap());
    twin.load_state(&state).unwrap();
    for _ in 0..4 {
        assert_eq!(model.forward(&x).unwrap().value(), twin.forward(&x).unwrap().value());
    }
    assert_eq!(twin.named_state()["1.counter"], 7);
}

#[test]
fn mismatched_state_is_an_error_that_changes_nothing() {
    let model = Sequential::<f32>::new().push(DropoutConfig::new(0.5).init_seeded(3).unwrap());
    let mut state = model.named_state();
    state.insert("1.counter".into(), 5);
    let err = model.load_state(&state).unwrap_err();
    assert_eq!(err.to_string(), "module state \"1.counter\" is not state of this module");
    state.shift_remove("0.seed");
    let err = model.load_state(&state).unwrap_err();
    assert_eq!(err.to_string(), "module state \"0.seed\" is missing from the saved state");
    assert_eq!(model.named_state()["0.seed"], 3, "a failed load writes nothing");
}

#[test]
fn own_training_reports_the_mode_of_modules_that_have_one() {
    let drop = DropoutConfig::new(0.1).init_seeded(0).unwrap();
    assert_eq!(Module::<f32>::own_training(&drop), Some(true));
    drop.eval();
    assert_eq!(Module::<f32>::own_training(&drop), Some(false));
    let linear = LinearConfig::new(2, 2).init::<f32>(&mut StdRng::seed_from_u64(0)).unwrap();
    assert_eq!(linear.own_training(), Some(true));
    assert_eq!(Module::<f32>::own_training(&Relu), None, "a module that computes the same in both modes has none");
}

#[test]
fn a_bad_probability_names_the_callers_line() {
    let err = DropoutConfig::new(1.5).init(&mut StdRng::seed_from_u64(0)).unwrap_err();
    let line = line!() - 1;
    assert!(err.to_string().ends_with(&format!("(at crates/nn/tests/dropout.rs:{line}:39)")), "{err}");
}
