//! Gradient checks in f64 (central differences) of every layer, activation and loss, on
//! small batches, through the same path training uses: parameters on the tape with
//! `tape.param`, gradients read from their buffers. Each checked function ends in a weighted
//! sum with fixed random weights, so the incoming gradient is not all ones.
//!
//! The activations and losses that take options (SiLU, Mish, GELU; weighted, ignoring and
//! smoothing cross-entropy, NLL, BCE with weights, L1, Huber, smooth L1, KL) are rows of one
//! table ([`table`]), checked at first and second order with respect to every input.

mod common;

use autograd::{Parameter, Tape, Tensor, Var};
use common::{check_params, normal_param, rng};
use nn::{
    DropoutConfig, DropoutScaling, Init, LeakyRelu, LinearConfig, LogSoftmax, MaxoutConfig, Module, PRelu, Reduction,
    Relu, Sequential, Sigmoid, Softmax, Tanh,
};

/// `Σ y ⊙ c` for a fixed random `c` of `y`'s shape: a scalar whose gradient w.r.t. `y` is `c`.
fn weighted_sum<'t>(y: &Var<'t, f64>, seed: u64) -> nn::Result<Var<'t, f64>> {
    let c = y.constant(Tensor::rand_normal(y.shape(), 0.0, 1.0, &mut rng(seed)));
    Ok(y.mul(&c)?.sum())
}

/// Checks a module's parameters and its input.
fn check_module(module: &dyn Module<f64>, input_dims: &[usize], seed: u64) -> usize {
    let x = normal_param(input_dims, seed);
    let mut checked = module.named_parameters();
    checked.insert("input".into(), x.clone());
    check_params(&checked, |tape| weighted_sum(&module.forward(&tape.param(&x))?, seed + 1))
}

#[test]
fn linear_with_and_without_bias() {
    let layer = LinearConfig { bias_init: Init::Uniform { low: -0.5, high: 0.5 }, ..LinearConfig::new(3, 2) }
        .init::<f64>(&mut rng(1))
        .unwrap();
    assert_eq!(check_module(&layer, &[4, 3], 10), 6 + 2 + 12);
    let no_bias = LinearConfig { bias: false, ..LinearConfig::new(3, 2) }.init::<f64>(&mut rng(2)).unwrap();
    assert_eq!(check_module(&no_bias, &[4, 3], 11), 6 + 12);
    // Leading batch axes are folded: [2, 4, 3] → [2, 4, 2].
    check_module(&layer, &[2, 4, 3], 12);
}

#[test]
fn sequential_mlp_with_smooth_and_relu_activations() {
    let mut r = rng(3);
    let mlp = Sequential::<f64>::new()
        .push(LinearConfig::new(3, 5).init(&mut r).unwrap())
        .push(Tanh)
        .push(LinearConfig::new(5, 4).init(&mut r).unwrap())
        .push(Sigmoid)
        .push(LinearConfig::new(4, 4).init(&mut r).unwrap())
        .push(Relu)
        .push(LinearConfig::new(4, 2).init(&mut r).unwrap());
    check_module(&mlp, &[6, 3], 20);
}

#[test]
fn activations_as_modules() {
    // Inputs are N(0, 1): the chance that one lies within eps of ReLU's kink is negligible,
    // and the seeds are fixed.
    check_module(&Relu, &[4, 5], 30);
    check_module(&Tanh, &[4, 5], 31);
    check_module(&Sigmoid, &[4, 5], 32);
    check_module(&LeakyRelu { slope: 0.1 }, &[4, 5], 33);
    check_module(&Softmax { axis: 1 }, &[4, 5], 34);
    check_module(&Softmax { axis: 0 }, &[4, 5], 35);
    check_module(&LogSoftmax { axis: 1 }, &[4, 5], 36);
    check_module(&LogSoftmax { axis: 0 }, &[3, 2, 4], 37);
}

#[test]
fn prelu_slope_shared_and_per_channel() {
    let shared = PRelu::<f64>::shared(0.25);
    // 20 inputs + the slope.
    assert_eq!(check_module(&shared, &[4, 5], 40), 21);
    let per_channel = PRelu::<f64>::per_channel(5, 0.1).unwrap();
    per_channel.slope.set_value(Tensor::vector(&[0.1, -0.2, 0.3, 0.05, 0.5]));
    assert_eq!(check_module(&per_channel, &[4, 5], 41), 25);
    // Channels on axis 1 of a rank-3 input, as PyTorch: [N, C, L].
    let conv_like = PRelu::<f64>::per_channel(3, 0.2).unwrap();
    check_module(&conv_like, &[2, 3, 4], 42);
}

#[test]
fn prelu_slope_gradient_is_the_sum_of_negative_parts() {
    let act = PRelu::<f64>::per_channel(2, 0.25).unwrap();
    let tape = Tape::new();
    let x = tape.constant(Tensor::from_vec(vec![-1.0, 2.0, -3.0, -4.0, 5.0, 0.5], [3, 2]).unwrap());
    let y = act.forward(&x).unwrap();
    assert_eq!(y.value().to_vec(), vec![-0.25, 2.0, -0.75, -1.0, 5.0, 0.5]);
    y.sum().backward().unwrap();
    // ∂/∂a_c = Σ_n min(0, x[n, c]).
    assert_eq!(act.slope.grad().unwrap().to_vec(), vec![-1.0 - 3.0, -4.0]);
    assert!(PRelu::<f64>::per_channel(3, 0.25).unwrap().forward(&x).is_err());
}

#[test]
fn maxout_gradcheck() {
    let layer = MaxoutConfig::new(3, 2, 3).init::<f64>(&mut rng(5)).unwrap();
    layer.linear.bias.as_ref().unwrap().set_value(Tensor::rand_normal([6], 0.0, 1.0, &mut rng(6)));
    assert_eq!(layer.named_parameters().keys().collect::<Vec<_>>(), ["linear.weight", "linear.bias"]);
    // 18 weights + 6 biases + 15 inputs.
    assert_eq!(check_module(&layer, &[5, 3], 50), 39);
}

#[test]
fn maxout_gradient_reaches_only_the_winning_piece() {
    let (units, pieces) = (2, 3);
    let layer = MaxoutConfig::new(4, units, pieces).init::<f64>(&mut rng(7)).unwrap();
    let x = Tensor::rand_normal([1, 4], 0.0, 1.0, &mut rng(8));
    let tape = Tape::new();
    let y = layer.forward(&tape.constant(x.clone())).unwrap();
    assert_eq!(y.dims(), &[1, units]);
    y.sum().backward().unwrap();

    // The pieces' values, computed independently: z = W·x + b.
    let w = layer.linear.weight.value();
    let z: Vec<f64> = (0..units * pieces).map(|r| (0..4).map(|i| w.at(&[r, i]) * x.at(&[0, i])).sum()).collect();
    let gw = layer.linear.weight.grad().unwrap();
    let gb = layer.linear.bias.as_ref().unwrap().grad().unwrap();
    for u in 0..units {
        let group = &z[u * pieces..(u + 1) * pieces];
        let winner = (0..pieces).max_by(|&a, &b| group[a].total_cmp(&group[b])).unwrap();
        assert_eq!(y.value().at(&[0, u]), group[winner]);
        for j in 0..pieces {
            let row = u * pieces + j;
            let expected_b = if j == winner { 1.0 } else { 0.0 };
            assert_eq!(gb.at(&[row]), expected_b, "bias of unit {u} piece {j}");
            for i in 0..4 {
                // ∂y_u/∂W[row, i] = x_i for the winning row, exactly 0 for the others.
                assert_eq!(gw.at(&[row, i]), expected_b * x.at(&[0, i]), "weight of unit {u} piece {j}");
            }
        }
    }
}

/// Dropout with a fixed mask is linear in its input: a fresh module with the same seed on every
/// evaluation draws the same mask, so central differences see the mask times the scale.
#[test]
fn dropout_gradcheck_in_both_modes_and_scalings() {
    let x = normal_param(&[4, 5], 90);
    for scaling in [DropoutScaling::Inverted, DropoutScaling::AtEval] {
        for training in [true, false] {
            let compared = check_params(&[("input", &x)], |tape| {
                let drop = DropoutConfig { p: 0.3, scaling }.init_seeded(91)?;
                if !training {
                    drop.eval();
                }
                weighted_sum(&Module::<f64>::forward(&drop, &tape.param(&x))?, 92)
            });
            assert_eq!(compared, 20, "{scaling:?}, training {training}");
        }
    }
}

/// Finite differences cannot see a tie, so Maxout's convention is pinned here: pieces tying for
/// a unit's maximum split its gradient evenly (autograd's `max_axes`, as PyTorch's `amax`).
#[test]
fn maxout_ties_split_the_gradient_evenly() {
    let layer = MaxoutConfig::new(1, 1, 3).init::<f64>(&mut rng(9)).unwrap();
    // Pieces 2x, 2x and x − 1 at x = 1: the first two tie at 2.
    layer.linear.weight.set_value(Tensor::from_vec(vec![2.0, 2.0, 1.0], [3, 1]).unwrap());
    layer.linear.bias.as_ref().unwrap().set_value(Tensor::vector(&[0.0, 0.0, -1.0]));
    let tape = Tape::new();
    let y = layer.forward(&tape.constant(Tensor::ones([1, 1]))).unwrap();
    assert_eq!(y.value().to_vec(), vec![2.0]);
    y.sum().backward().unwrap();
    assert_eq!(layer.linear.bias.as_ref().unwrap().grad().unwrap().to_vec(), vec![0.5, 0.5, 0.0]);
    assert!(MaxoutConfig::new(3, usize::MAX, 2).init::<f64>(&mut rng(9)).is_err(), "units × pieces overflows");
    let z = tape.constant(Tensor::zeros([2, 6]));
    assert_eq!(nn::maxout(&z, 3).unwrap().dims(), &[2, 2]);
    for pieces in [0, 4] {
        let (e, line) = (nn::maxout(&z, pieces).unwrap_err(), line!());
        let expected =
            format!("maxout expects input of shape […, units × {pieces}], got [2, 6] (at {}:{line}:", file!());
        assert!(e.to_string().starts_with(&expected), "{e}");
    }
}

/// The gradient of `loss(x)` reduced with `reduction`, checked w.r.t. `x` (and the target when
/// it is a value).
fn check_loss(
    input: &[usize],
    target: Option<&Parameter<f64>>,
    loss: impl for<'t> Fn(&Var<'t, f64>, Option<Var<'t, f64>>, Reduction) -> nn::Result<Var<'t, f64>>,
) {
    for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        let x = normal_param(input, 60);
        let mut checked = vec![("input", &x)];
        if let Some(t) = target {
            checked.push(("target", t));
        }
        check_params(&checked, |tape| {
            let t = target.map(|t| tape.param(t));
            let l = loss(&tape.param(&x), t, reduction)?;
            match reduction {
                Reduction::None => weighted_sum(&l, 61),
                _ => Ok(l),
            }
        });
    }
}

#[test]
fn losses_gradcheck_every_reduction() {
    let labels = [2, 0, 3, 3, 1];
    check_loss(&[5, 4], None, |x, _, r| nn::cross_entropy(x, &labels, r));
    check_loss(&[5, 4], None, |x, _, r| nn::nll_loss(&nn::log_softmax(x, 1)?, &labels, r));
    // Soft targets: a probability distribution per row, itself differentiable.
    let probs = Parameter::new(
        Tape::new().constant(Tensor::rand_normal([5, 4], 0.0, 1.0, &mut rng(62))).softmax(1).unwrap().value().clone(),
    );
    check_loss(&[5, 4], Some(&probs), |x, t, r| nn::cross_entropy_soft(x, &t.unwrap(), r));
    let bce_targets = Parameter::new(Tensor::rand_uniform([3, 4], 0.0, 1.0, &mut rng(63)));
    check_loss(&[3, 4], Some(&bce_targets), |x, t, r| nn::binary_cross_entropy_with_logits(x, &t.unwrap(), r));
    let mse_targets = normal_param(&[3, 4], 64);
    check_loss(&[3, 4], Some(&mse_targets), |x, t, r| nn::mse_loss(x, &t.unwrap(), r));
}

#[test]
fn bce_with_logits_gradient_at_zero_logit_is_sigmoid_minus_target() {
    // x = 0 is where a composition through |x| or max(x, 0) would take a one-sided derivative.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[0.0, 0.0]));
    let y = tape.constant(Tensor::vector(&[1.0, 0.25]));
    nn::binary_cross_entropy_with_logits(&x, &y, Reduction::Sum).unwrap().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.5 - 1.0, 0.5 - 0.25]);
}

#[test]
fn penalty_gradcheck() {
    let mut r = rng(9);
    let mlp = Sequential::<f64>::new()
        .push(LinearConfig::new(3, 4).init(&mut r).unwrap())
        .push(Tanh)
        .push(LinearConfig::new(4, 2).init(&mut r).unwrap());
    let weights = nn::weight_matrices(&mlp);
    let x = Tensor::rand_normal([5, 3], 0.0, 1.0, &mut r);
    check_params(mlp.named_parameters(), |tape| {
        let data = nn::cross_entropy(&mlp.forward(&tape.constant(x.clone()))?, &[0, 1, 1, 0, 1], Reduction::Mean)?;
        let l2 = nn::l2_penalty(tape, &weights, 0.3)?;
        let l1 = nn::l1_penalty(tape, &weights, 0.05)?;
        Ok(data.add(&l2)?.add(&l1)?)
    });
}

/// autograd's checker takes a module's `named_parameters()` as they are, and `?` turns nn's
/// errors into autograd's inside its closure, keeping the original.
#[test]
fn gradcheck_params_takes_named_parameters_and_nn_errors() {
    use autograd::{gradcheck_params, GradcheckError, GradcheckOptions};
    let layer = LinearConfig::new(3, 2).init::<f64>(&mut rng(5)).unwrap();
    let x = Tensor::rand_normal([4, 3], 0.0, 1.0, &mut rng(6));
    let options = GradcheckOptions::default();
    let report = gradcheck_params(
        layer.named_parameters(),
        |tape| Ok(layer.forward(&tape.constant(x.clone()))?.tanh()),
        &options,
    )
    .unwrap();
    assert_eq!(report.inputs, ["weight", "bias"]);
    assert_eq!(report.compared, 8 * (6 + 2));
    let wrong = Tensor::zeros([4, 5]);
    let params = layer.named_parameters(); // borrowed this time
    let err =
        gradcheck_params(&params, |tape| Ok(layer.forward(&tape.constant(wrong.clone()))?), &options).unwrap_err();
    let GradcheckError::Function { source, .. } = &err else { panic!("{err}") };
    let autograd::Error::External(inner) = source.as_ref() else { panic!("{source:?}") };
    assert!(matches!(inner.downcast_ref::<nn::Error>(), Some(nn::Error::InputShape { layer: "Linear", .. })), "{err}");
    assert!(err.to_string().contains("Linear expects input of shape"), "{err}");
    // A tape error stays itself.
    let shape_error = nn::Error::from(autograd::Error::DataLength { len: 1, shape: [2].into() });
    assert!(matches!(autograd::Error::from(shape_error), autograd::Error::DataLength { len: 1, .. }));
}

/// The checker itself: a custom op whose backward is wrong (x instead of 2x for x²) fails.
#[test]
#[should_panic(expected = "gradient check failed")]
fn the_checker_catches_a_wrong_gradient() {
    use autograd::CustomOp;
    use std::sync::Arc;
    struct WrongSquare;
    impl CustomOp<f64> for WrongSquare {
        fn name(&self) -> &'static str {
            "wrong_square"
        }
        fn forward(&self, inputs: &[&Tensor<f64>]) -> autograd::Result<Tensor<f64>> {
            Ok(inputs[0].map(|v| v * v))
        }
        fn backward<'t>(
            &self,
            inputs: &[Var<'t, f64>],
            _output: &Var<'t, f64>,
            grad: &Var<'t, f64>,
        ) -> autograd::Result<Vec<Option<Var<'t, f64>>>> {
            Ok(vec![Some(grad.mul(&inputs[0])?)])
        }
    }
    let op: Arc<dyn CustomOp<f64>> = Arc::new(WrongSquare);
    let x = normal_param(&[3], 70);
    check_params(&[("x", &x)], |tape| Ok(Var::apply_custom(&op, &[&tape.param(&x)])?.sum()));
}

/// Finite differences cannot see a kink, so the conventions at x = 0 are pinned here: PyTorch's
/// (ReLU′(0) = 0, LeakyReLU′(0) = slope, PReLU′(0) = a with ∂/∂a = 0).
#[test]
fn derivatives_at_zero_follow_pytorch() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[0.0, 0.0, 0.0]));
    let a = tape.var(Tensor::scalar(0.25));
    let y = nn::relu(&x)
        .add(&nn::leaky_relu(&x, 0.1).mul_scalar(10.0))
        .unwrap()
        .add(&nn::prelu(&x, &a).unwrap().mul_scalar(100.0))
        .unwrap();
    assert_eq!(y.value().to_vec(), vec![0.0; 3]);
    y.sum().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0 + 10.0 * 0.1 + 100.0 * 0.25; 3]);
    assert_eq!(a.grad().unwrap().item(), 0.0);
}

/// Losses are compositions of ops, so they differentiate twice (Hessian-vector products,
/// gradient penalties): `autograd::gradgradcheck` on each, w.r.t. logits and targets.
#[test]
fn losses_are_twice_differentiable() {
    use autograd::{gradgradcheck, GradcheckOptions};
    let opts = GradcheckOptions::default();
    let logits = Tensor::rand_normal([3, 4], 0.0, 1.0, &mut rng(80));
    let probs = Tensor::from_fn([3, 4], |i| [0.1, 0.2, 0.3, 0.4][i % 4]);
    let labels = [3, 0, 2];
    gradgradcheck(
        |x: &[Var<'_, f64>]| Ok(nn::cross_entropy(&x[0], &labels, Reduction::Mean)?),
        std::slice::from_ref(&logits),
        &opts,
    )
    .unwrap();
    gradgradcheck(
        |x: &[Var<'_, f64>]| Ok(nn::cross_entropy_soft(&x[0], &x[1], Reduction::Sum)?),
        &[logits.clone(), probs.clone()],
        &opts,
    )
    .unwrap();
    gradgradcheck(
        |x: &[Var<'_, f64>]| Ok(nn::binary_cross_entropy_with_logits(&x[0], &x[1], Reduction::Mean)?),
        &[logits.clone(), probs.clone()],
        &opts,
    )
    .unwrap();
    gradgradcheck(|x: &[Var<'_, f64>]| Ok(nn::mse_loss(&x[0], &x[1], Reduction::None)?), &[logits, probs], &opts)
        .unwrap();
}

/// A function of the row's inputs, as autograd's checkers take it.
type RowFn = dyn for<'t> Fn(&[Var<'t, f64>]) -> autograd::Result<Var<'t, f64>>;

/// One row of the gradient-check table: a name, the inputs to differentiate with respect to
/// (all of them), and the function. Inputs are fixed tensors chosen inside each function's
/// smooth region (residuals away from the Huber and smooth-L1 thresholds and from 0,
/// probabilities away from 0), so no finite difference straddles a kink; the kinks are pinned
/// by literal tests in tests/losses.rs.
struct Row {
    name: String,
    inputs: Vec<Tensor<f64>>,
    f: Box<RowFn>,
}

fn row(
    name: impl Into<String>,
    inputs: Vec<Tensor<f64>>,
    f: impl for<'t> Fn(&[Var<'t, f64>]) -> nn::Result<Var<'t, f64>> + 'static,
) -> Row {
    Row { name: name.into(), inputs, f: Box::new(move |x| Ok(f(x)?)) }
}

fn table() -> Vec<Row> {
    let mut rows = Vec::new();
    // Activations: inputs N(0, 2²) cover both tails and the bend near 0.
    let x = Tensor::rand_normal([3, 4], 0.0, 2.0, &mut rng(100));
    rows.push(row("silu", vec![x.clone()], |x| Ok(nn::silu(&x[0]))));
    rows.push(row("mish", vec![x.clone()], |x| Ok(nn::mish(&x[0]))));
    rows.push(row("gelu", vec![x.clone()], |x| Ok(nn::gelu(&x[0], nn::GeluApproximation::None))));
    rows.push(row("gelu tanh", vec![x.clone()], |x| Ok(nn::gelu(&x[0], nn::GeluApproximation::Tanh))));
    rows.push(row("Silu module", vec![x.clone()], |x| nn::Silu.forward(&x[0])));
    rows.push(row("Mish module", vec![x.clone()], |x| nn::Mish.forward(&x[0])));
    rows.push(row("Gelu module", vec![x.clone()], |x| nn::Gelu::default().forward(&x[0])));
    let gelu = nn::Gelu { approximate: nn::GeluApproximation::Tanh };
    rows.push(row("Gelu module, tanh form", vec![x], move |x| gelu.forward(&x[0])));

    let logits = Tensor::rand_normal([5, 4], 0.0, 1.5, &mut rng(101));
    let probs =
        Tape::new().constant(Tensor::rand_normal([5, 4], 0.0, 1.0, &mut rng(102))).softmax(1).unwrap().value().clone();
    let class_weight = Tensor::vector(&[0.5, 2.0, 1.0, 3.0]);
    // Sample 1's label is ignored; it is not a class.
    let labels = [2, 9, 3, 0, 1];
    let reg_x = Tensor::from_vec(vec![0.3, -1.2, 2.0, 0.05, -0.2, 0.9, -3.5, 0.7], [2, 4]).unwrap();
    let reg_y = Tensor::from_vec(vec![0.0, 0.0, 0.25, 0.4, -0.55, 0.0, -1.0, 0.1], [2, 4]).unwrap();
    let kl_target = Tensor::from_vec(vec![0.1, 0.6, 0.3, 0.5, 0.25, 0.25], [2, 3]).unwrap();
    let kl_input = Tensor::rand_normal([2, 3], -1.0, 0.5, &mut rng(103));
    let bce_targets = Tensor::rand_uniform([5, 4], 0.0, 1.0, &mut rng(104));

    for (key, reduction) in [("mean", Reduction::Mean), ("sum", Reduction::Sum), ("none", Reduction::None)] {
        let ce = nn::CrossEntropyLoss {
            weight: Some(class_weight.clone()),
            ignore_index: Some(9),
            label_smoothing: 0.2,
            reduction,
        };
        let soft = nn::CrossEntropyLoss { ignore_index: None, ..ce.clone() };
        rows.push(row(format!("cross_entropy weighted, ignored, smoothed/{key}"), vec![logits.clone()], move |x| {
            ce.forward(&x[0], &labels)
        }));
        rows.push(row(format!("cross_entropy smoothed/{key}"), vec![logits.clone()], move |x| {
            nn::CrossEntropyLoss { label_smoothing: 0.1, reduction, ..Default::default() }
                .forward(&x[0], &[2, 1, 3, 0, 1])
        }));
        rows.push(row(
            format!("cross_entropy_soft weighted, smoothed/{key}"),
            vec![logits.clone(), probs.clone()],
            move |x| soft.forward_soft(&x[0], &x[1]),
        ));
        let nll = nn::NllLoss { weight: Some(class_weight.clone()), ignore_index: Some(9), reduction };
        rows.push(row(format!("nll_loss weighted, ignored/{key}"), vec![logits.clone()], move |x| {
            nll.forward(&x[0], &labels)
        }));
        let bce = nn::BceWithLogitsLoss {
            weight: Some(Tensor::from_vec(vec![1.0, 0.5, 2.0, 0.25, 1.5], [5, 1]).unwrap()),
            pos_weight: Some(class_weight.clone()),
            reduction,
        };
        rows.push(row(
            format!("bce_with_logits weight, pos_weight/{key}"),
            vec![logits.clone(), bce_targets.clone()],
            move |x| bce.forward(&x[0], &x[1]),
        ));
        let reg = vec![reg_x.clone(), reg_y.clone()];
        rows.push(row(format!("l1_loss/{key}"), reg.clone(), move |x| nn::l1_loss(&x[0], &x[1], reduction)));
        for delta in [1.0, 0.5] {
            rows.push(row(format!("huber_loss δ={delta}/{key}"), reg.clone(), move |x| {
                nn::huber_loss(&x[0], &x[1], delta, reduction)
            }));
        }
        for beta in [1.0, 0.5, 0.0] {
            rows.push(row(format!("smooth_l1_loss β={beta}/{key}"), reg.clone(), move |x| {
                nn::smooth_l1_loss(&x[0], &x[1], beta, reduction)
            }));
        }
    }
    for (key, reduction) in [
        ("mean", nn::KlReduction::Mean),
        ("sum", nn::KlReduction::Sum),
        ("none", nn::KlReduction::None),
        ("batchmean", nn::KlReduction::BatchMean),
    ] {
        let inputs = vec![kl_input.clone(), kl_target.clone()];
        rows.push(row(format!("kl_div/{key}"), inputs, move |x| nn::kl_div(&x[0], &x[1], reduction)));
        let inputs = vec![kl_input.clone(), kl_target.map(f64::ln)];
        rows.push(row(format!("kl_div log_target/{key}"), inputs, move |x| {
            nn::KlDivLoss { reduction, log_target: true }.forward(&x[0], &x[1])
        }));
    }
    rows
}

/// Every row at first order (every Jacobian entry) and second order (`gradgradcheck`), with
/// respect to every input: logits and targets alike.
#[test]
fn activation_and_loss_table_first_and_second_order() {
    use autograd::{gradcheck, gradgradcheck, GradcheckOptions};
    let opts = GradcheckOptions::default();
    let rows = table();
    assert!(rows.len() >= 6 + 3 * 11 + 4 * 2, "the table lost rows: {}", rows.len());
    for Row { name, inputs, f } in &rows {
        let first = gradcheck(f, inputs, &opts).unwrap_or_else(|e| panic!("{name}, first order:\n{e}"));
        assert!(
            first.compared > 0 && first.kinks.is_empty(),
            "{name}: {} compared, kinks {:?}",
            first.compared,
            first.kinks
        );
        let second = gradgradcheck(f, inputs, &opts).unwrap_or_else(|e| panic!("{name}, second order:\n{e}"));
        assert!(second.compared > 0 && second.kinks.is_empty(), "{name}: second order, kinks {:?}", second.kinks);
    }
}
