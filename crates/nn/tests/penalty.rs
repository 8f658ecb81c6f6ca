//! Penalties: gradients λθ (L2) and λ·sign(θ) (L1); the usual selection, weight matrices, by
//! rank and not by name.

use autograd::{Float, Parameter, Tape, Tensor, Var};
use nn::{l1_penalty, l2_penalty, weight_matrices, LinearConfig, MaxoutConfig, Module, PRelu, Relu, Sequential};
use rand::{rngs::StdRng, SeedableRng};

fn model() -> Sequential<f64> {
    let mut rng = StdRng::seed_from_u64(0);
    Sequential::new()
        .push(LinearConfig::new(3, 4).init(&mut rng).unwrap())
        .push(PRelu::shared(0.25))
        .push(MaxoutConfig::new(4, 2, 2).init(&mut rng).unwrap())
        .push(Relu)
}

fn selected_names<M: Module<f64>>(m: &M) -> Vec<String> {
    let selected = weight_matrices(m);
    let params = m.named_parameters();
    params.iter().filter(|(_, p)| selected.iter().any(|s| s.same_as(p))).map(|(n, _)| n.clone()).collect()
}

#[test]
fn the_usual_selection_is_the_weight_matrices() {
    assert_eq!(selected_names(&model()), ["0.weight", "2.linear.weight"]);
    // A per-channel PReLU slope is a vector: left out, as a shared (scalar) one.
    let per_channel = Sequential::<f64>::new().push(PRelu::per_channel(3, 0.25).unwrap());
    assert!(selected_names(&per_channel).is_empty());
}

/// A module whose names say nothing: a matrix called "scale" and a vector called "weight".
/// Selection goes by what the parameters are, not by what they are called.
struct Renamed<T: Float> {
    matrix: Parameter<T>,
    vector: Parameter<T>,
}

impl<T: Float> Module<T> for Renamed<T> {
    fn forward<'t>(&self, x: &Var<'t, T>) -> nn::Result<Var<'t, T>> {
        let (m, v) = (x.tape().param(&self.matrix), x.tape().param(&self.vector));
        Ok(x.matmul(&m)?.mul(&v)?)
    }
    fn visit_parameters(&self, visit: &mut dyn FnMut(&str, &Parameter<T>)) {
        visit("scale", &self.matrix);
        visit("weight", &self.vector);
    }
}

#[test]
fn selection_ignores_names() {
    let m = Renamed::<f64> { matrix: Parameter::new(Tensor::ones([2, 2])), vector: Parameter::new(Tensor::ones([2])) };
    assert_eq!(selected_names(&m), ["scale"]);
    // The old name still compiles and selects the same way.
    #[allow(deprecated)]
    let old = nn::weight_matrices(&m);
    assert!(old.len() == 1 && old[0].same_as(&m.matrix));
}

#[test]
fn l2_gradient_is_lambda_theta() {
    let m = model();
    let tape = Tape::new();
    let penalty = l2_penalty(&tape, &weight_matrices(&m), 0.3).unwrap();
    let expected: f64 =
        weight_matrices(&m).iter().map(|p| p.value().data().iter().map(|v| v * v).sum::<f64>()).sum::<f64>() * 0.15;
    assert!((penalty.item() - expected).abs() < 1e-14);
    penalty.backward().unwrap();
    for p in weight_matrices(&m) {
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
