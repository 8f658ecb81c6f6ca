//! Losses against PyTorch's values and gradients (tests/fixtures/losses.json, written by
//! scripts/nn_fixtures.py in float64), every reduction and option; conventions at kinks and at
//! the edge of the domain pinned by literal values from PyTorch; stability at logits of 1e4;
//! errors.

use autograd::{Tape, Tensor, Var};
use nn::{BceWithLogitsLoss, CrossEntropyLoss, Error, KlDivLoss, KlReduction, NllLoss, Reduction};
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

/// A loss of one tracked input with the reduction given by name (`"mean"`, `"batchmean"`, …).
type LossFn<'a> = dyn for<'t> Fn(&Var<'t, f64>, &str) -> nn::Result<Var<'t, f64>> + 'a;

fn reduction(name: &str) -> Reduction {
    match name {
        "mean" => Reduction::Mean,
        "sum" => Reduction::Sum,
        "none" => Reduction::None,
        other => panic!("no Reduction {other}"),
    }
}

fn kl_reduction(name: &str) -> KlReduction {
    match name {
        "batchmean" => KlReduction::BatchMean,
        other => reduction(other).into(),
    }
}

/// Every case of the fixture: value and input gradient (seeded by a grad-output that is not
/// all ones), to a relative 1e-12. Returns the largest relative deviation seen.
#[test]
fn every_loss_and_reduction_matches_pytorch() {
    let f = fixture();
    let inputs = &f["inputs"];
    let (logits, probs) = (matrix(&inputs["logits"]), matrix(&inputs["probs"]));
    let (bce_x, bce_y) = (matrix(&inputs["bce_x"]), matrix(&inputs["bce_y"]));
    let (mse_x, mse_y) = (matrix(&inputs["mse_x"]), matrix(&inputs["mse_y"]));
    let (big, big_labels) = (matrix(&inputs["big"]), labels(&inputs["big_labels"]));
    let class_labels = labels(&inputs["labels"]);
    let ignored_labels = labels(&inputs["ignored_labels"]);
    let class_weight = Tensor::vector(&floats(&inputs["class_weight"]));
    let pos_weight = Tensor::vector(&floats(&inputs["pos_weight"]));
    let bce_weight = matrix(&inputs["bce_weight"]);
    let (reg_x, reg_y) = (matrix(&inputs["reg_x"]), matrix(&inputs["reg_y"]));
    let (kl_input, kl_target, kl_log_target) =
        (matrix(&inputs["kl_input"]), matrix(&inputs["kl_target"]), matrix(&inputs["kl_log_target"]));

    let ce = |weight: Option<&Tensor<f64>>, ignore_index, label_smoothing, r: &str| CrossEntropyLoss {
        weight: weight.cloned(),
        ignore_index,
        label_smoothing,
        reduction: reduction(r),
    };
    let bce = |weight: Option<&Tensor<f64>>, r: &str| BceWithLogitsLoss {
        weight: weight.cloned(),
        pos_weight: Some(pos_weight.clone()),
        reduction: reduction(r),
    };
    let w = Some(&class_weight);
    let cases: Vec<(&str, &Tensor<f64>, Box<LossFn<'_>>)> = vec![
        ("cross_entropy", &logits, Box::new(|x, r| nn::cross_entropy(x, &class_labels, reduction(r)))),
        (
            "cross_entropy_soft",
            &logits,
            Box::new(|x, r| nn::cross_entropy_soft(x, &x.constant(probs.clone()), reduction(r))),
        ),
        ("nll_loss", &logits, Box::new(|x, r| nn::nll_loss(&nn::log_softmax(x, 1)?, &class_labels, reduction(r)))),
        (
            "binary_cross_entropy_with_logits",
            &bce_x,
            Box::new(|x, r| nn::binary_cross_entropy_with_logits(x, &x.constant(bce_y.clone()), reduction(r))),
        ),
        ("mse_loss", &mse_x, Box::new(|x, r| nn::mse_loss(x, &x.constant(mse_y.clone()), reduction(r)))),
        ("cross_entropy_big", &big, Box::new(|x, r| nn::cross_entropy(x, &big_labels, reduction(r)))),
        ("cross_entropy_weighted", &logits, Box::new(|x, r| ce(w, None, 0.0, r).forward(x, &class_labels))),
        ("cross_entropy_ignored", &logits, Box::new(|x, r| ce(None, Some(7), 0.0, r).forward(x, &ignored_labels))),
        ("cross_entropy_ignored_class", &logits, Box::new(|x, r| ce(None, Some(0), 0.0, r).forward(x, &class_labels))),
        ("cross_entropy_smoothed", &logits, Box::new(|x, r| ce(None, None, 0.2, r).forward(x, &class_labels))),
        ("cross_entropy_weighted_smoothed", &logits, Box::new(|x, r| ce(w, None, 0.2, r).forward(x, &class_labels))),
        (
            "cross_entropy_weighted_ignored_smoothed",
            &logits,
            Box::new(|x, r| ce(w, Some(7), 0.2, r).forward(x, &ignored_labels)),
        ),
        (
            "cross_entropy_soft_weighted_smoothed",
            &logits,
            Box::new(|x, r| ce(w, None, 0.2, r).forward_soft(x, &x.constant(probs.clone()))),
        ),
        (
            "nll_loss_weighted_ignored",
            &logits,
            Box::new(|x, r| {
                let nll = NllLoss { weight: w.cloned(), ignore_index: Some(7), reduction: reduction(r) };
                nll.forward(&nn::log_softmax(x, 1)?, &ignored_labels)
            }),
        ),
        ("bce_pos_weight", &bce_x, Box::new(|x, r| bce(None, r).forward(x, &x.constant(bce_y.clone())))),
        (
            "bce_weight_pos_weight",
            &bce_x,
            Box::new(|x, r| bce(Some(&bce_weight), r).forward(x, &x.constant(bce_y.clone()))),
        ),
        ("l1_loss", &reg_x, Box::new(|x, r| nn::l1_loss(x, &x.constant(reg_y.clone()), reduction(r)))),
        ("huber_loss_1", &reg_x, Box::new(|x, r| nn::huber_loss(x, &x.constant(reg_y.clone()), 1.0, reduction(r)))),
        ("huber_loss_0.5", &reg_x, Box::new(|x, r| nn::huber_loss(x, &x.constant(reg_y.clone()), 0.5, reduction(r)))),
        (
            "smooth_l1_loss_1",
            &reg_x,
            Box::new(|x, r| nn::smooth_l1_loss(x, &x.constant(reg_y.clone()), 1.0, reduction(r))),
        ),
        (
            "smooth_l1_loss_0.5",
            &reg_x,
            Box::new(|x, r| nn::smooth_l1_loss(x, &x.constant(reg_y.clone()), 0.5, reduction(r))),
        ),
        (
            "smooth_l1_loss_0",
            &reg_x,
            Box::new(|x, r| nn::smooth_l1_loss(x, &x.constant(reg_y.clone()), 0.0, reduction(r))),
        ),
        ("kl_div", &kl_input, Box::new(|x, r| nn::kl_div(x, &x.constant(kl_target.clone()), kl_reduction(r)))),
        (
            "kl_div_log_target",
            &kl_input,
            Box::new(|x, r| {
                KlDivLoss { reduction: kl_reduction(r), log_target: true }
                    .forward(x, &x.constant(kl_log_target.clone()))
            }),
        ),
    ];
    let mut checked = 0;
    let mut worst = 0.0f64;
    for (name, input, loss) in &cases {
        let reductions: &[&str] =
            if name.starts_with("kl_div") { &["mean", "sum", "none", "batchmean"] } else { &["mean", "sum", "none"] };
        for key in reductions {
            let case = &f["cases"][format!("{name}/{key}")];
            assert!(case.is_object(), "{name}/{key}: no such case in the fixture");
            let tape = Tape::new();
            let x = tape.var((*input).clone());
            let value = loss(&x, key).unwrap();
            let expected = floats(&case["value"]);
            assert_eq!(value.numel(), expected.len(), "{name}/{key}: number of values");
            let seed = Tensor::from_vec(floats(&case["seed"]), value.shape().clone()).unwrap();
            value.mul(&tape.constant(seed)).unwrap().sum().backward().unwrap();
            let grad = x.grad().unwrap();
            let expected_grad = floats(&case["grad"]);
            let pairs = value.value().data().iter().zip(&expected).chain(grad.data().iter().zip(&expected_grad));
            for (i, (a, e)) in pairs.enumerate() {
                let deviation = (a - e).abs() / e.abs().max(1.0);
                assert!(deviation <= 1e-12, "{name}/{key}: entry {i} (values, then gradient) {a} vs PyTorch {e}");
                worst = worst.max(deviation);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 3 * cases.len() + 2);
    eprintln!("{checked} cases; largest deviation from PyTorch, relative to max(|value|, 1): {worst:e}");
}

/// Label smoothing with class weights, written out from PyTorch's formula by hand (not from the
/// fixture): `(1 − ε)·nll + (ε/C)·(−Σ_c w_c·log p_c)` per sample, summed and divided by
/// `Σ w[yᵢ]`; not the weighted cross-entropy against the smoothed distribution.
#[test]
fn weighted_label_smoothing_follows_pytorchs_formula() {
    let tape = Tape::<f64>::new();
    let logits = tape.var(Tensor::from_vec(vec![0.5, -1.0, 2.0, 1.5, 0.0, -0.5], [2, 3]).unwrap());
    let (w, labels, eps) = ([2.0, 0.5, 1.0], [0, 2], 0.3);
    let loss = CrossEntropyLoss { weight: Some(Tensor::vector(&w)), label_smoothing: eps, ..Default::default() };
    let l = loss.forward(&logits, &labels).unwrap().item();
    let logp = nn::log_softmax(&logits, 1).unwrap().value().clone();
    let mut total = 0.0;
    for (i, &y) in labels.iter().enumerate() {
        let nll = -w[y] * logp.at(&[i, y]);
        let smooth: f64 = (0..3).map(|c| -w[c] * logp.at(&[i, c])).sum();
        total += (1.0 - eps) * nll + eps / 3.0 * smooth;
    }
    let expected = total / (w[0] + w[2]);
    assert!((l - expected).abs() < 1e-15, "{l} vs {expected}");
    // The smoothed-distribution reading would weigh the whole row by w[yᵢ]; it differs.
    let smoothed_target: f64 = labels
        .iter()
        .enumerate()
        .map(|(i, &y)| {
            let row: f64 = (0..3).map(|c| -((c == y) as u8 as f64 * (1.0 - eps) + eps / 3.0) * logp.at(&[i, c])).sum();
            w[y] * row
        })
        .sum::<f64>()
        / (w[0] + w[2]);
    assert!((l - smoothed_target).abs() > 1e-3);
}

/// An ignored sample contributes nothing: its loss is 0, its logits get no gradient, and the
/// mean divides by the others' weight only.
#[test]
fn ignored_samples_get_zero_loss_and_no_gradient() {
    let tape = Tape::<f64>::new();
    let logits = tape.var(Tensor::from_vec(vec![0.5, -1.0, 2.0, 1.5, 0.0, -0.5, 3.0, 1.0, 0.0], [3, 3]).unwrap());
    let loss = CrossEntropyLoss { ignore_index: Some(255), label_smoothing: 0.1, ..Default::default() };
    let per_sample =
        CrossEntropyLoss { reduction: Reduction::None, ..loss.clone() }.forward(&logits, &[1, 255, 0]).unwrap();
    assert_eq!(per_sample.value().at(&[1]), 0.0);
    let mean = loss.forward(&logits, &[1, 255, 0]).unwrap();
    assert!((mean.item() - (per_sample.value().at(&[0]) + per_sample.value().at(&[2])) / 2.0).abs() < 1e-15);
    mean.backward().unwrap();
    let g = logits.grad().unwrap();
    assert_eq!((0..3).map(|c| g.at(&[1, c])).collect::<Vec<_>>(), vec![0.0; 3]);
    assert!(g.at(&[0, 0]) != 0.0);
}

/// A mean over no weight is an error where PyTorch returns NaN; `Sum` and `None` are fine (0).
#[test]
fn a_mean_over_zero_total_weight_is_an_error() {
    let tape = Tape::<f64>::new();
    let logits = tape.var(Tensor::zeros([2, 3]));
    let all_ignored = CrossEntropyLoss { ignore_index: Some(1), ..Default::default() };
    let e = all_ignored.forward(&logits, &[1, 1]).unwrap_err();
    assert!(matches!(e, Error::ZeroTotalWeight { loss: "cross_entropy", .. }), "{e:?}");
    let summed = CrossEntropyLoss { reduction: Reduction::Sum, ..all_ignored.clone() };
    assert_eq!(summed.forward(&logits, &[1, 1]).unwrap().item(), 0.0);
    let zero_weight = NllLoss { weight: Some(Tensor::vector(&[0.0, 1.0, 1.0])), ..Default::default() };
    assert!(matches!(zero_weight.forward(&logits, &[0, 0]), Err(Error::ZeroTotalWeight { loss: "nll_loss", .. })));
    let empty = tape.var(Tensor::zeros([0, 3]));
    assert!(matches!(nn::cross_entropy(&empty, &[], Reduction::Mean), Err(Error::ZeroTotalWeight { .. })));
}

/// The kinks of the regression losses, which finite differences cannot see, pinned with
/// PyTorch's values (torch 2.x, float64): value, first derivative and second derivative of the
/// summed loss at r = −δ, 0, δ, 2δ, and L1 at 0.
#[test]
fn regression_losses_at_their_kinks_follow_pytorch() {
    use autograd::{grad_with, GradOptions};
    // (loss, residuals, expected sum, expected ∂/∂x, expected ∂²/∂x² diagonal)
    type Case<'a> = (&'a str, Vec<f64>, f64, Vec<f64>, Vec<f64>);
    let cases: Vec<Case<'_>> = vec![
        ("huber δ=1", vec![-1.0, 0.0, 1.0, 2.0], 2.5, vec![-1.0, 0.0, 1.0, 1.0], vec![0.0, 1.0, 0.0, 0.0]),
        ("huber δ=0.5", vec![-0.5, 0.5], 0.25, vec![-0.5, 0.5], vec![0.0, 0.0]),
        ("smooth_l1 β=1", vec![-1.0, 0.0, 1.0], 1.0, vec![-1.0, 0.0, 1.0], vec![0.0, 1.0, 0.0]),
        ("smooth_l1 β=0.5", vec![-0.5, 0.5, 0.25], 0.5625, vec![-1.0, 1.0, 0.5], vec![0.0, 0.0, 2.0]),
        ("smooth_l1 β=0", vec![0.0, 1.0, -1.0], 2.0, vec![0.0, 1.0, -1.0], vec![0.0, 0.0, 0.0]),
        ("l1", vec![0.0, 1.0, -1.0], 2.0, vec![0.0, 1.0, -1.0], vec![0.0, 0.0, 0.0]),
    ];
    for (name, r, value, d1, d2) in cases {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::vector(&r));
        let y = tape.constant(Tensor::zeros([r.len()]));
        let loss = match name {
            "huber δ=1" => nn::huber_loss(&x, &y, 1.0, Reduction::Sum),
            "huber δ=0.5" => nn::huber_loss(&x, &y, 0.5, Reduction::Sum),
            "smooth_l1 β=1" => nn::smooth_l1_loss(&x, &y, 1.0, Reduction::Sum),
            "smooth_l1 β=0.5" => nn::smooth_l1_loss(&x, &y, 0.5, Reduction::Sum),
            "smooth_l1 β=0" => nn::smooth_l1_loss(&x, &y, 0.0, Reduction::Sum),
            _ => nn::l1_loss(&x, &y, Reduction::Sum),
        }
        .unwrap();
        assert_eq!(loss.item(), value, "{name}: value");
        let g = grad_with(&[&loss], None, &[&x], GradOptions::create_graph()).unwrap().remove(0);
        assert_eq!(g.value().to_vec(), d1, "{name}: first derivative");
        // The losses are elementwise, so ∂(Σ g)/∂x is the Hessian's diagonal. L1's gradient
        // (a sign) is a constant, so zeros must be allowed for it.
        let h = grad_with(&[&g.sum()], None, &[&x], GradOptions::default().allow_unused()).unwrap().remove(0);
        assert_eq!(h.value().to_vec(), d2, "{name}: second derivative");
    }
}

/// KL at the edge of the domain: a zero probability contributes 0 (PyTorch too); a −∞
/// log-probability target contributes 0 with zero gradients (PyTorch: NaN, a documented
/// difference); the gradient with respect to a zero target is −x (PyTorch: NaN).
#[test]
fn kl_div_at_zero_probability() {
    let tape = Tape::<f64>::new();
    let input = tape.var(Tensor::vector(&[-0.5, -1.5, -2.0]));
    let target = tape.var(Tensor::vector(&[0.0, 0.25, 0.75]));
    let l = nn::kl_div(&input, &target, KlReduction::None).unwrap();
    assert_eq!(l.value().at(&[0]), 0.0);
    l.sum().backward().unwrap();
    assert_eq!(input.grad().unwrap().to_vec(), vec![0.0, -0.25, -0.75]); // −y
    assert_eq!(target.grad().unwrap().at(&[0]), 0.5); // −x at y = 0
    let y1: f64 = 0.25;
    assert!((target.grad().unwrap().at(&[1]) - (y1.ln() + 1.0 + 1.5)).abs() < 1e-15); // log y + 1 − x

    let tape = Tape::<f64>::new();
    let input = tape.var(Tensor::vector(&[-0.5, -1.5]));
    let log_target = tape.var(Tensor::vector(&[f64::NEG_INFINITY, 0.25f64.ln()]));
    let loss = KlDivLoss { reduction: KlReduction::Sum, log_target: true };
    let l = loss.forward(&input, &log_target).unwrap();
    assert!((l.item() - 0.25 * (0.25f64.ln() + 1.5)).abs() < 1e-15);
    l.backward().unwrap();
    assert_eq!(input.grad().unwrap().to_vec(), vec![0.0, -0.25]);
    assert_eq!(log_target.grad().unwrap().at(&[0]), 0.0);

    let e = nn::kl_div(&input, &tape.constant(Tensor::vector(&[0.5, -0.1])), KlReduction::Sum).unwrap_err();
    assert!(matches!(e, Error::InvalidTarget { loss: "kl_div", .. }), "{e:?}");
    assert!(e.to_string().contains("got -0.1 at flat index 1"), "{e}");
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
        let targets = tape.constant(Tensor::ones([2, 2]));
        let bce = nn::binary_cross_entropy_with_logits(&x, &targets, Reduction::Mean).unwrap();
        assert!(bce.item().is_finite());
        let weighted = BceWithLogitsLoss { pos_weight: Some(Tensor::vector(&[3.0, 0.5])), ..Default::default() };
        let bce = weighted.forward(&x, &targets).unwrap();
        assert!(bce.item().is_finite());
        let smoothed = CrossEntropyLoss { label_smoothing: 0.1, ..Default::default() };
        assert!(smoothed.forward(&x, &[1, 0]).unwrap().item().is_finite());
    }
}

#[test]
fn bad_labels_shapes_and_options_are_errors_naming_the_loss_and_call_site() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros([3, 4]));
    let (e, line) = (nn::cross_entropy(&x, &[0, 4, 1], Reduction::Mean).unwrap_err(), line!());
    assert!(matches!(e, Error::LabelOutOfRange { sample: 1, label: 4, classes: 4, .. }), "{e:?}");
    let at = format!("(at {}:{line}:", file!());
    assert!(e
        .to_string()
        .starts_with(&format!("cross_entropy: label 4 of sample 1 is out of range for 4 classes {at}")));
    let e = nn::nll_loss(&x, &[0, 1], Reduction::Sum).unwrap_err();
    assert!(e.to_string().starts_with("nll_loss: 2 labels for a batch of 3 samples (at "), "{e}");
    let e = nn::cross_entropy(&tape.var(Tensor::zeros([4])), &[0], Reduction::Mean).unwrap_err();
    assert!(matches!(e, Error::InputShape { layer: "cross_entropy", .. }), "{e:?}");
    let e = nn::mse_loss(&x, &tape.constant(Tensor::zeros([4, 3])), Reduction::Mean).unwrap_err();
    assert!(e.to_string().starts_with("mse_loss expects input of shape a target of the input's shape [3, 4]"), "{e}");
    assert!(nn::cross_entropy_soft(&x, &tape.constant(Tensor::zeros([3, 5])), Reduction::Mean).is_err());
    assert!(nn::binary_cross_entropy_with_logits(&x, &tape.constant(Tensor::zeros([3])), Reduction::Mean).is_err());
    let zeros = tape.constant(Tensor::zeros([3, 4]));
    for (loss, result) in [
        ("l1_loss", nn::l1_loss(&x, &tape.constant(Tensor::zeros([4])), Reduction::Sum)),
        ("huber_loss", nn::huber_loss(&x, &tape.constant(Tensor::zeros([4])), 1.0, Reduction::Sum)),
        ("smooth_l1_loss", nn::smooth_l1_loss(&x, &tape.constant(Tensor::zeros([4])), 1.0, Reduction::Sum)),
        ("kl_div", nn::kl_div(&x, &tape.constant(Tensor::zeros([4])), KlReduction::Sum)),
    ] {
        assert!(matches!(result, Err(Error::InputShape { layer, .. }) if layer == loss), "{loss}");
    }

    // Options out of range, as PyTorch rejects them.
    let invalid = |r: nn::Result<Var<'_, f64>>, what: &str| {
        let e = r.unwrap_err();
        assert!(matches!(e, Error::InvalidConfig { .. }), "{e:?}");
        assert!(e.to_string().contains(what), "{e} should mention {what}");
    };
    for delta in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        invalid(nn::huber_loss(&x, &zeros, delta, Reduction::Mean), "delta must be positive");
    }
    for beta in [-0.5, f64::NAN] {
        invalid(nn::smooth_l1_loss(&x, &zeros, beta, Reduction::Mean), "beta must be finite and ≥ 0");
    }
    for eps in [-0.1, 1.5, f64::NAN] {
        let loss = CrossEntropyLoss::<f64> { label_smoothing: eps, ..Default::default() };
        invalid(loss.forward(&x, &[0, 1, 2]), "label_smoothing must be in [0, 1]");
    }
    let short_weight = CrossEntropyLoss { weight: Some(Tensor::vector(&[1.0, 2.0])), ..Default::default() };
    invalid(short_weight.forward(&x, &[0, 1, 2]), "weight must have one entry per class, [4], got [2]");
    let nan_weight = NllLoss { weight: Some(Tensor::vector(&[1.0, f64::NAN, 1.0, 1.0])), ..Default::default() };
    invalid(nan_weight.forward(&x, &[0, 1, 2]), "weight must be finite");
    let soft_ignore = CrossEntropyLoss::<f64> { ignore_index: Some(0), ..Default::default() };
    invalid(soft_ignore.forward_soft(&x, &zeros), "ignore_index (0) applies to class indices");
    let bad_pos_weight = BceWithLogitsLoss { pos_weight: Some(Tensor::vector(&[1.0, 2.0, 3.0])), ..Default::default() };
    invalid(
        bad_pos_weight.forward(&x, &zeros),
        "pos_weight of shape [3] does not broadcast to the input's shape [3, 4]",
    );
    // A label equal to ignore_index need not be a class; any other out-of-range label fails.
    let ignoring = CrossEntropyLoss::<f64> { ignore_index: Some(100), ..Default::default() };
    assert!(ignoring.forward(&x, &[100, 3, 0]).is_ok());
    assert!(matches!(ignoring.forward(&x, &[100, 4, 0]), Err(Error::LabelOutOfRange { label: 4, .. })));
}

/// An ignored sample whose log-probabilities are −∞ (a masked row) stays out of the loss and
/// its gradient: no 0·∞ = NaN, with or without smoothing and weights.
#[test]
fn an_ignored_sample_with_infinite_logits_stays_out() {
    for label_smoothing in [0.0, 0.2] {
        let tape = Tape::<f64>::new();
        let inf = f64::NEG_INFINITY;
        let logits = tape.var(Tensor::from_vec(vec![0.5, -1.0, 2.0, inf, inf, 0.0], [2, 3]).unwrap());
        let loss = CrossEntropyLoss {
            weight: Some(Tensor::vector(&[1.0, 2.0, 0.5])),
            ignore_index: Some(7),
            label_smoothing,
            ..Default::default()
        };
        let l = loss.forward(&logits, &[1, 7]).unwrap();
        let alone = loss.forward(&tape.var(Tensor::from_vec(vec![0.5, -1.0, 2.0], [1, 3]).unwrap()), &[1]).unwrap();
        assert_eq!(l.item(), alone.item(), "smoothing {label_smoothing}");
        l.backward().unwrap();
        let g = logits.grad().unwrap();
        assert!(!g.has_non_finite(), "{g:?}");
        assert_eq!((0..3).map(|c| g.at(&[1, c])).collect::<Vec<_>>(), vec![0.0; 3]);
    }
}
