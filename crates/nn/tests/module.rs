//! Modules: hierarchical names in a stable order, parameter counts, modes reaching nested and
//! user-written modules, parameters without gradients, initialization statistics and seeds.

use autograd::{Float, Parameter, Tape, Tensor, Var};
use nn::{DropoutConfig, FanMode, Init, LinearConfig, MaxoutConfig, Module, PRelu, Relu, Sequential, Tanh};
use rand::{rngs::StdRng, SeedableRng};

/// A user-written container: an encoder and a head, plus a parameter of its own.
struct Net<T: Float> {
    temperature: Parameter<T>,
    encoder: Sequential<T>,
    head: nn::Linear<T>,
}

impl<T: Float> Module<T> for Net<T> {
    fn forward<'t>(&self, x: &Var<'t, T>) -> nn::Result<Var<'t, T>> {
        let h = self.encoder.forward(x)?;
        Ok(self.head.forward(&h)?.mul(&x.tape().param(&self.temperature))?)
    }
    fn visit_parameters(&self, visit: &mut dyn FnMut(&str, &Parameter<T>)) {
        visit("temperature", &self.temperature);
    }
    fn visit_children(&self, visit: &mut dyn FnMut(&str, &dyn Module<T>)) {
        visit("encoder", &self.encoder);
        visit("head", &self.head);
    }
}

fn net(seed: u64) -> Net<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    Net {
        temperature: Parameter::new(Tensor::scalar(1.0)),
        encoder: Sequential::new()
            .push(LinearConfig::new(4, 6).init(&mut rng).unwrap())
            .push(DropoutConfig::new(0.5).init(&mut rng).unwrap())
            .push(PRelu::per_channel(6, 0.25).unwrap())
            .push(MaxoutConfig::new(6, 3, 2).init(&mut rng).unwrap()),
        head: LinearConfig { bias: false, ..LinearConfig::new(3, 2) }.init(&mut rng).unwrap(),
    }
}

#[test]
fn hierarchical_names_in_a_stable_order() {
    let model = net(0);
    let names: Vec<String> = model.named_parameters().into_keys().collect();
    assert_eq!(
        names,
        [
            "temperature",
            "encoder.0.weight",
            "encoder.0.bias",
            "encoder.2.slope",
            "encoder.3.linear.weight",
            "encoder.3.linear.bias",
            "head.weight",
        ]
    );
    // The same every time, and the handles are the model's own parameters.
    assert_eq!(model.named_parameters().into_keys().collect::<Vec<_>>(), names);
    assert!(model.named_parameters()["head.weight"].same_as(&model.head.weight));
    assert_eq!(model.num_parameters(), 1 + (24 + 6) + 6 + (36 + 6) + 6);
    assert_eq!(model.parameters().len(), 7);
    assert_eq!(model.encoder.describe(), "Sequential(Linear(4 → 6), Dropout(0.5), PRelu, Maxout(6 → 3 × 2 pieces))");
}

#[test]
fn listed_parameters_carry_their_names_onto_tapes() {
    let model = net(0);
    assert_eq!(model.head.weight.name(), None, "named when listed");
    let _ = model.named_parameters();
    assert_eq!(model.head.weight.name().as_deref(), Some("head.weight"));
    let tape = Tape::<f32>::new();
    let x = tape.constant(Tensor::zeros([1, 4]));
    let _ = model.forward(&x).unwrap();
    let listing = tape.to_string();
    for name in ["encoder.0.weight", "encoder.3.linear.bias", "head.weight", "temperature"] {
        assert!(listing.contains(name), "{name} in\n{listing}");
    }
}

#[test]
fn eval_reaches_a_dropout_inside_a_user_module() {
    let model = net(1);
    let tape = Tape::new();
    let x = tape.constant(Tensor::rand_normal([5, 4], 0.0, 1.0, &mut StdRng::seed_from_u64(2)));
    let a = model.forward(&x).unwrap().value().clone();
    assert_ne!(&a, model.forward(&x).unwrap().value(), "training: dropout resamples");
    model.eval();
    let b = model.forward(&x).unwrap().value().clone();
    assert_eq!(&b, model.forward(&x).unwrap().value(), "evaluation: deterministic");
}

#[test]
fn parameters_without_gradient_are_listed_and_frozen_ones_are_not() {
    let model = net(3);
    let tape = Tape::new();
    let x = tape.constant(Tensor::rand_normal([5, 4], 0.0, 1.0, &mut StdRng::seed_from_u64(4)));
    // Only the encoder takes part in this loss.
    model.encoder.forward(&x).unwrap().sum().backward().unwrap();
    assert_eq!(nn::without_grad(&model.named_parameters()), ["temperature", "head.weight"]);
    model.head.weight.set_requires_grad(false);
    assert_eq!(nn::without_grad(&model.named_parameters()), ["temperature"]);
    model.zero_grad();
    assert_eq!(nn::without_grad(&model.named_parameters()).len(), 6);
}

#[test]
fn a_frozen_parameter_gets_no_gradient() {
    let layer = LinearConfig::new(3, 2).init::<f64>(&mut StdRng::seed_from_u64(0)).unwrap();
    layer.weight.set_requires_grad(false);
    let tape = Tape::new();
    layer.forward(&tape.constant(Tensor::ones([1, 3]))).unwrap().sum().backward().unwrap();
    assert!(layer.weight.grad().is_none());
    assert_eq!(layer.bias.as_ref().unwrap().grad().unwrap().to_vec(), vec![1.0, 1.0]);
}

#[test]
fn linear_matches_the_formula_and_checks_its_input() {
    let layer = LinearConfig { bias_init: Init::Constant(0.5), ..LinearConfig::new(2, 3) }
        .init::<f64>(&mut StdRng::seed_from_u64(0))
        .unwrap();
    layer.weight.set_value(Tensor::from_vec(vec![1.0, 2.0, -1.0, 0.0, 0.5, 0.5], [3, 2]).unwrap());
    let tape = Tape::new();
    let y = layer.forward(&tape.constant(Tensor::from_vec(vec![1.0, 1.0, 2.0, -2.0], [2, 2]).unwrap())).unwrap();
    assert_eq!(y.value().to_vec(), vec![3.5, -0.5, 1.5, -1.5, -1.5, 0.5]);
    let (e, line) = (layer.forward(&tape.constant(Tensor::ones([2, 3]))).unwrap_err(), line!());
    let at = format!("(at {}:{line}:", file!());
    assert!(e.to_string().starts_with(&format!("Linear expects input of shape […, 2], got [2, 3] {at}")), "{e}");
    assert!(LinearConfig::new(0, 3).init::<f32>(&mut StdRng::seed_from_u64(0)).is_err());
    // A layer too large for the machine (4 TiB of weights) is an error naming the shape and the
    // bytes, not an abort; so is every init that draws such a tensor.
    let e = LinearConfig::new(1 << 20, 1 << 20).init::<f32>(&mut StdRng::seed_from_u64(0)).unwrap_err();
    assert!(
        matches!(&e, nn::Error::Autograd(autograd::Error::Allocation { shape, bytes: Some(4398046511104) }) if shape.dims() == [1 << 20, 1 << 20]),
        "{e}"
    );
    for init in
        [Init::Constant(1.0), Init::Normal { mean: 0.0, std: 1.0 }, Init::xavier_normal(), Init::kaiming_uniform()]
    {
        let e = init.tensor::<f32>([1 << 20, 1 << 20], 1 << 20, 1 << 20, &mut StdRng::seed_from_u64(0)).unwrap_err();
        assert!(e.to_string().starts_with("cannot allocate a tensor of shape [1048576, 1048576]"), "{init:?}: {e}");
    }
    // The weight is a public parameter whose value can be replaced by any shape: an error, not
    // a panic, at the next forward.
    layer.weight.set_value(Tensor::ones([6]));
    let (e, line) = (layer.forward(&tape.constant(Tensor::ones([2, 2]))).unwrap_err(), line!());
    let at = format!("(at {}:{line}:", file!());
    assert!(e.to_string().starts_with(&format!("invalid Linear: weight must be [out, in], got [6] {at}")), "{e}");
    assert_eq!(layer.describe(), "Linear(6 → 6)");
    assert!(Sequential::<f64>::new().push(Relu).push(Tanh).forward(&tape.constant(Tensor::ones([1]))).is_ok());
}

/// In evaluation mode a linear layer multiplies by a transposed copy of its weight. It must give
/// training mode's values, the same bits recorded or not, the weight's gradient when recorded,
/// and follow every change of the weight (an optimizer's `update`, a `set_value`).
#[test]
fn evaluation_mode_follows_every_change_of_the_weight() {
    let layer = LinearConfig::new(5, 3).init::<f64>(&mut StdRng::seed_from_u64(3)).unwrap();
    let x = Tensor::from_fn([4, 5], |i| (i as f64 * 0.37).sin());
    let upstream = Tensor::from_fn([4, 3], |i| 1.0 + i as f64 * 0.5);
    // (output, weight gradient) of one recorded forward, and the output of one without a tape.
    let run = |layer: &nn::Linear<f64>| {
        let tape = Tape::new();
        let y = layer.forward(&tape.constant(x.clone())).unwrap();
        y.mul(&tape.constant(upstream.clone())).unwrap().sum().backward().unwrap();
        let inferred = tape.no_grad(|| layer.forward(&tape.constant(x.clone()))).unwrap().value().clone();
        (y.value().clone(), layer.weight.take_grad().unwrap(), inferred)
    };
    let check = |layer: &nn::Linear<f64>| {
        layer.train();
        let (y, grad, inferred) = run(layer);
        assert_eq!(inferred, y);
        layer.eval();
        let (eval_y, eval_grad, eval_inferred) = run(layer);
        assert!(!layer.is_training());
        assert_eq!(eval_inferred.data(), eval_y.data(), "the same bits with and without a tape");
        let close =
            |a: &Tensor<f64>, b: &Tensor<f64>| a.data().iter().zip(b.data()).all(|(a, b)| (a - b).abs() < 1e-12);
        assert!(close(&eval_y, &y) && close(&eval_grad, &grad), "{eval_y:?} vs {y:?}");
        y
    };
    let before = check(&layer);
    layer.weight.update(|w, _| w.data_mut()[1] += 1.0);
    let updated = check(&layer);
    assert!((updated.data()[0] - before.data()[0] - x.data()[1]).abs() < 1e-12, "the update is seen");
    layer.weight.set_value(Tensor::zeros([3, 5]));
    assert!(check(&layer).data().iter().all(|&v| v == 0.0), "the new value is seen");
}

fn moments(t: &Tensor<f64>) -> (f64, f64, f64) {
    let n = t.numel() as f64;
    let mean = t.data().iter().sum::<f64>() / n;
    let var = t.data().iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let max = t.data().iter().fold(0.0f64, |m, v| m.max(v.abs()));
    (mean, var.sqrt(), max)
}

#[test]
fn initializations_have_their_documented_scale() {
    let (fan_in, fan_out) = (400, 200);
    let draw =
        |init: Init| init.tensor::<f64>([fan_out, fan_in], fan_in, fan_out, &mut StdRng::seed_from_u64(1)).unwrap();
    let xavier = (2.0 / (fan_in + fan_out) as f64).sqrt();
    let he_in = (2.0 / fan_in as f64).sqrt();
    let he_out = (2.0 / fan_out as f64).sqrt();
    // Uniform(−a, a) has standard deviation a/√3; the bound is strict.
    for (name, init, sd, bound) in [
        ("xavier uniform", Init::xavier_uniform(), xavier, Some(xavier * 3f64.sqrt())),
        ("xavier normal", Init::xavier_normal(), xavier, None),
        ("he uniform", Init::kaiming_uniform(), he_in, Some(he_in * 3f64.sqrt())),
        ("he normal", Init::kaiming_normal(), he_in, None),
        ("he normal, fan out", Init::KaimingNormal { gain: nn::gain::RELU, mode: FanMode::FanOut }, he_out, None),
        ("pytorch", Init::pytorch_linear(), 1.0 / (3.0 * fan_in as f64).sqrt(), Some(1.0 / (fan_in as f64).sqrt())),
    ] {
        let t = draw(init);
        let (mean, std, max) = moments(&t);
        // 80,000 samples: the mean is within 5 standard errors of 0, and the sample sd within
        // 1% (4 standard errors) of the true one.
        assert!(mean.abs() < 5.0 * sd / (t.numel() as f64).sqrt(), "{name}: mean {mean}");
        assert!((std / sd - 1.0).abs() < 0.01, "{name}: std {std}, expected {sd}");
        if let Some(b) = bound {
            assert!(max < b && max > 0.99 * b, "{name}: max {max}, bound {b}");
        }
        assert_eq!(t, draw(init), "{name}: same seed, same bits");
    }
    let a = Init::xavier_uniform().tensor::<f32>([3, 3], 3, 3, &mut StdRng::seed_from_u64(1)).unwrap();
    let b = Init::xavier_uniform().tensor::<f32>([3, 3], 3, 3, &mut StdRng::seed_from_u64(2)).unwrap();
    assert_ne!(a, b);
    assert!(Init::kaiming_normal().tensor::<f32>([3], 0, 3, &mut StdRng::seed_from_u64(1)).is_err());
    assert!(Init::Normal { mean: 0.0, std: -1.0 }.tensor::<f32>([3], 1, 3, &mut StdRng::seed_from_u64(1)).is_err());
    // Finite settings whose values overflow the element type are errors, not infinities.
    for init in [Init::Uniform { low: -1e308, high: 1e308 }, Init::Constant(1e300), Init::XavierUniform { gain: 1e40 }]
    {
        let e = init.tensor::<f32>([3], 1, 1, &mut StdRng::seed_from_u64(1)).unwrap_err();
        assert!(e.to_string().contains("gives values that overflow F32 (at "), "{e}");
    }
    // Fans whose sum overflows usize are fans all the same.
    assert!(Init::xavier_normal().tensor::<f32>([3], usize::MAX, usize::MAX, &mut StdRng::seed_from_u64(1)).is_ok());
}

#[test]
fn same_seed_same_model() {
    let a = net(7);
    let b = net(7);
    let c = net(8);
    for ((name, p), (_, q)) in a.named_parameters().iter().zip(b.named_parameters().iter()) {
        assert_eq!(p.value(), q.value(), "{name}");
    }
    assert_ne!(a.encoder.get(0).unwrap().parameters()[0].value(), c.encoder.get(0).unwrap().parameters()[0].value());
}
