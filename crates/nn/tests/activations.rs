//! SiLU, Mish, exact GELU and tanh-GELU against PyTorch (tests/fixtures/activations.json, written by
//! scripts/nn_fixtures.py in float64): values, first derivatives and second derivatives, through
//! the functions and the modules, in f64 and f32.

use autograd::{grad_with, GradOptions, Tape, Tensor, Var};
use nn::{Gelu, GeluApproximation, Mish, Module, Silu};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/activations.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    serde_json::from_value(v.clone()).unwrap()
}

type Activation = dyn for<'t> Fn(&Var<'t, f64>) -> Var<'t, f64>;

fn cases() -> Vec<(&'static str, &'static str, Box<Activation>)> {
    let gelu = Gelu { approximate: GeluApproximation::Tanh };
    vec![
        ("gelu", "function", Box::new(|x| nn::gelu(x, GeluApproximation::None))),
        ("gelu", "module", Box::new(|x| Gelu::default().forward(x).unwrap())),
        ("silu", "function", Box::new(nn::silu)),
        ("silu", "module", Box::new(|x| Silu.forward(x).unwrap())),
        ("mish", "function", Box::new(nn::mish)),
        ("mish", "module", Box::new(|x| Mish.forward(x).unwrap())),
        ("gelu_tanh", "function", Box::new(|x| nn::gelu(x, GeluApproximation::Tanh))),
        ("gelu_tanh", "module", Box::new(move |x| gelu.forward(x).unwrap())),
    ]
}

#[test]
fn values_and_two_derivatives_match_pytorch() {
    let f = fixture();
    let (x0, seed) = (floats(&f["x"]), floats(&f["seed"]));
    let mut worst = 0.0f64;
    for (name, form, act) in cases() {
        let case = &f["cases"][name];
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::vector(&x0));
        let y = act(&x);
        // Σ seed·f(x): its gradient is seed·f′(x), and the gradient of Σ of that is seed·f″(x).
        let weighted = y.mul(&tape.constant(Tensor::vector(&seed))).unwrap().sum();
        let g = grad_with(&[&weighted], None, &[&x], GradOptions::create_graph()).unwrap().remove(0);
        let g2 = grad_with(&[&g.sum()], None, &[&x], GradOptions::default()).unwrap().remove(0);
        for (what, actual, expected) in [
            ("value", y.value().to_vec(), floats(&case["value"])),
            ("first derivative", g.value().to_vec(), floats(&case["grad"])),
            ("second derivative", g2.value().to_vec(), floats(&case["grad2"])),
        ] {
            assert_eq!(actual.len(), x0.len());
            for ((a, e), x) in actual.iter().zip(&expected).zip(&x0) {
                let deviation = (a - e).abs() / e.abs().max(1.0);
                assert!(deviation <= 1e-12, "{name} ({form}) {what} at x = {x}: {a} vs PyTorch {e}");
                worst = worst.max(deviation);
            }
        }
    }
    eprintln!("largest deviation from PyTorch, relative to max(|value|, 1): {worst:e}");
}

/// In f32 the same compositions stay within f32 rounding of PyTorch's float64 values, and stay
/// finite far out in both tails.
#[test]
fn f32_agrees_and_stays_finite() {
    let f = fixture();
    let x0 = floats(&f["x"]);
    let tape = Tape::<f32>::new();
    let x = tape.var(Tensor::vector(&x0.iter().map(|&v| v as f32).collect::<Vec<_>>()));
    for (name, y) in [
        ("silu", nn::silu(&x)),
        ("mish", nn::mish(&x)),
        ("gelu", nn::gelu(&x, GeluApproximation::None)),
        ("gelu_tanh", nn::gelu(&x, GeluApproximation::Tanh)),
    ] {
        for (a, e) in y.value().data().iter().zip(floats(&f["cases"][name]["value"])) {
            assert!((f64::from(*a) - e).abs() <= 1e-6 * e.abs().max(1.0), "{name}: {a} vs {e}");
        }
    }
    let far = tape.var(Tensor::vector(&[-1e4f32, -100.0, 100.0, 1e4]));
    for (name, y) in [
        ("silu", nn::silu(&far)),
        ("mish", nn::mish(&far)),
        ("gelu", nn::gelu(&far, GeluApproximation::None)),
        ("gelu_tanh", nn::gelu(&far, GeluApproximation::Tanh)),
    ] {
        let v = y.value().to_vec();
        assert_eq!(v[3], 1e4, "{name}(1e4) is 1e4");
        assert!(v[0] == 0.0 && v[1].abs() < 1e-30, "{name} vanishes in the left tail: {v:?}");
        let g = grad_with(&[&y.sum()], None, &[&far], GradOptions::default()).unwrap().remove(0);
        assert!(!g.value().has_non_finite(), "{name}: finite gradients {:?}", g.value());
    }
}
