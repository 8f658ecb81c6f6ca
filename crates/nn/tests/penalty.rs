//! Penalties: gradients λθ (L2) and λ·sign(θ) (L1), the default selection of weights only.

use autograd::{Parameter, Tape, Tensor};
use nn::{l1_penalty, l2_penalty, weights, LinearConfig, MaxoutConfig, Module, PRelu, Relu, Sequential};
use rand::{rngs::StdRng, SeedableRng};

fn model() -> Sequential<f64> {
    let mut rng = StdRng::seed_from_u64(0);
    Sequential::new()
        .push(LinearConfig::new(3, 4).init(&mut rng).unwrap())
        .push(PRelu::shared(0.25))
        .push(MaxoutConfig::new(4, 2, 2).init(&mut rng).unwrap())
        .push(Relu)
}

#[test]
fn the_default_selection_is_the_weights() {
    let m = model();
    let selected = weights(&m);
    let params = m.named_parameters();
    let names: Vec<&str> =
        params.iter().filter(|(_, p)| selected.iter().any(|s| s.same_as(p))).map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["0.weight", "2.linear.weight"]);
}

#[test]
fn l2_gradient_is_lambda_theta() {
    let m = model();
    let tape = Tape::new();
    let penalty = l2_penalty(&tape, &weights(&m), 0.3).unwrap();
    let expected: f64 =
        weights(&m).iter().map(|p| p.value().data().iter().map(|v| v * v).sum::<f64>()).sum::<f64>() * 0.15;
    assert!((penalty.item() - expected).abs() < 1e-14);
    penalty.backward().unwrap();
    for p in weights(&m) {
        let lambda_theta = p.value().map(|v| 0.3 * v);
        assert!(p.grad().unwrap().max_abs_diff(&lambda_theta) < 1e-15);
    }
    assert_eq!(nn::without_grad(&m.named_parameters()), ["0.bias", "1.slope", "2.linear.bias"]);
}

#[test]
fn l1_gradient_is_lambda_sign_theta_and_zero_at_zero() {
    let p = Parameter::new(Tensor::<f64>::vector(&[-2.0, 0.0, 0.5, 3.0, -1e-9]));
    let tape = Tape::new();
    let penalty = l1_penalty(&tape, std::slice::from_ref(&p), 0.1).unwrap();
    assert!((penalty.item() - 0.1 * (2.0 + 0.5 + 3.0 + 1e-9)).abs() < 1e-15);
    penalty.backward().unwrap();
    assert_eq!(p.grad().unwrap().to_vec(), vec![-0.1, 0.0, 0.1, 0.1, -0.1]);
}

#[test]
fn penalties_add_to_a_loss_and_accumulate_with_its_gradient() {
    let p = Parameter::new(Tensor::<f64>::vector(&[1.0, -2.0]));
    let tape = Tape::new();
    let data_loss = tape.param(&p).mul_scalar(3.0).sum(); // ∂/∂θ = 3
    let total = data_loss.add(&l2_penalty(&tape, std::slice::from_ref(&p), 0.5).unwrap()).unwrap();
    total.backward().unwrap();
    assert_eq!(p.grad().unwrap().to_vec(), vec![3.0 + 0.5, 3.0 - 1.0]);
}

#[test]
fn empty_sets_and_bad_lambdas() {
    let tape = Tape::<f32>::new();
    assert_eq!(l2_penalty(&tape, &[], 0.1).unwrap().item(), 0.0);
    assert_eq!(l1_penalty(&tape, &[], 0.1).unwrap().item(), 0.0);
    for lambda in [-1.0, f64::NAN, f64::INFINITY] {
        let e = l2_penalty(&tape, &[], lambda).unwrap_err();
        assert!(e.to_string().starts_with("invalid l2_penalty: λ must be finite and non-negative"), "{e}");
        assert!(l1_penalty(&tape, &[], lambda).is_err());
    }
}
