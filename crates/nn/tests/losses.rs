//! Losses against PyTorch's values and gradients (tests/fixtures/losses.json, written by
//! scripts/nn_fixtures.py in float64), every reduction; stability at logits of 1e4; errors.

use autograd::{Tape, Tensor, Var};
use nn::{Error, Reduction};
use serde_json::Value;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/losses.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn matrix(v: &Value) -> Tensor<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    let (n, c) = (rows.len(), rows[0].len());
    Tensor::from_vec(rows.into_iter().flatten().collect(), [n, c]).unwrap()
}

fn labels(v: &Value) -> Vec<usize> {
    serde_json::from_value(v.clone()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    serde_json::from_value(v.clone()).unwrap()
}

#[test]
fn every_loss_and_reduction_matches_pytorch() {
    let f = fixture();
    let inputs = &f["inputs"];
    let (logits, probs) = (matrix(&inputs["logits"]), matrix(&inputs["probs"]));
    let (bce_x, bce_y) = (matrix(&inputs["bce_x"]), matrix(&inputs["bce_y"]));
    let (mse_x, mse_y) = (matrix(&inputs["mse_x"]), matrix(&inputs["mse_y"]));
    let (big, big_labels) = (matrix(&inputs["big"]), labels(&inputs["big_labels"]));
    let class_labels = labels(&inputs["labels"]);

    type LossFn<'a> = dyn for<'t> Fn(&Var<'t, f64>, Reduction) -> nn::Result<Var<'t, f64>> + 'a;
    let cases: Vec<(&str, &Tensor<f64>, Box<LossFn<'_>>)> = vec![
        ("cross_entropy", &logits, Box::new(|x, r| nn::cross_entropy(x, &class_labels, r))),
        ("cross_entropy_soft", &logits, Box::new(|x, r| nn::cross_entropy_soft(x, &x.constant(probs.clone()), r))),
        ("nll_loss", &logits, Box::new(|x, r| nn::nll_loss(&nn::log_softmax(x, 1)?, &class_labels, r))),
        (
            "binary_cross_entropy_with_logits",
            &bce_x,
            Box::new(|x, r| nn::binary_cross_entropy_with_logits(x, &x.constant(bce_y.clone()), r)),
        ),
        ("mse_loss", &mse_x, Box::new(|x, r| nn::mse_loss(x, &x.constant(mse_y.clone()), r))),
        ("cross_entropy_big", &big, Box::new(|x, r| nn::cross_entropy(x, &big_labels, r))),
    ];
    let mut checked = 0;
    for (name, input, loss) in &cases {
        for (reduction, key) in [(Reduction::Mean, "mean"), (Reduction::Sum, "sum"), (Reduction::None, "none")] {
            let case = &f["cases"][format!("{name}/{key}")];
            let tape = Tape::new();
            let x = tape.var((*input).clone());
            let value = loss(&x, reduction).unwrap();
            let expected = floats(&case["value"]);
            assert_eq!(value.numel(), expected.len(), "{name}/{key}: number of values");
            for (a, e) in value.value().data().iter().zip(&expected) {
                assert!((a - e).abs() <= 1e-12 * e.abs().max(1.0), "{name}/{key}: value {a} vs PyTorch {e}");
            }
            let seed = Tensor::from_vec(floats(&case["seed"]), value.shape().clone()).unwrap();
            value.mul(&tape.constant(seed)).unwrap().sum().backward().unwrap();
            let grad = x.grad().unwrap();
            for (i, (a, e)) in grad.data().iter().zip(&floats(&case["grad"])).enumerate() {
                assert!((a - e).abs() <= 1e-12 * e.abs().max(1.0), "{name}/{key}: gradient [{i}] {a} vs PyTorch {e}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 18);
}

#[test]
fn huge_logits_give_finite_loss_and_gradient() {
    for scale in [1e4, -1e4, 1e30] {
        let tape = Tape::<f32>::new();
        let x = tape.var(Tensor::from_vec(vec![scale, 0.0, -scale, 1.0], [2, 2]).unwrap());
        let loss = nn::cross_entropy(&x, &[1, 0], Reduction::Sum).unwrap();
        assert!(loss.item().is_finite(), "loss {} at scale {scale}", loss.item());
        loss.backward().unwrap();
        assert!(!x.grad().unwrap().has_non_finite(), "gradient at scale {scale}");
        let bce = nn::binary_cross_entropy_with_logits(&x, &tape.constant(Tensor::ones([2, 2])), Reduction::Mean);
        let bce = bce.unwrap();
        assert!(bce.item().is_finite());
    }
}

#[test]
fn bad_labels_and_shapes_are_errors_naming_the_loss() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros([3, 4]));
    let e = nn::cross_entropy(&x, &[0, 4, 1], Reduction::Mean).unwrap_err();
    assert!(matches!(e, Error::LabelOutOfRange { sample: 1, label: 4, classes: 4, .. }), "{e:?}");
    assert_eq!(e.to_string(), "cross_entropy: label 4 of sample 1 is out of range for 4 classes");
    let e = nn::nll_loss(&x, &[0, 1], Reduction::Sum).unwrap_err();
    assert_eq!(e.to_string(), "nll_loss: 2 labels for a batch of 3 samples");
    let e = nn::cross_entropy(&tape.var(Tensor::zeros([4])), &[0], Reduction::Mean).unwrap_err();
    assert!(matches!(e, Error::InputShape { layer: "cross_entropy", .. }), "{e:?}");
    let e = nn::mse_loss(&x, &tape.constant(Tensor::zeros([4, 3])), Reduction::Mean).unwrap_err();
    assert!(e.to_string().starts_with("mse_loss expects input of shape a target of the input's shape [3, 4]"), "{e}");
    assert!(nn::cross_entropy_soft(&x, &tape.constant(Tensor::zeros([3, 5])), Reduction::Mean).is_err());
    assert!(nn::binary_cross_entropy_with_logits(&x, &tape.constant(Tensor::zeros([3])), Reduction::Mean).is_err());
}
