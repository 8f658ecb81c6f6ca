//! Checkpointing (state dicts, bit-identical resume), the step's gradient contract (consumed,
//! missing ones named, frozen ones skipped) and every validation error with its message.

mod common;
use autograd::{Float, Parameter, Tape, Tensor, Var};
use common::{message, ErrorMessage};
use optim::{
    clip_grad_value, Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Adamax, AdamaxConfig, Error, NAdam,
    NAdamConfig, Optimizer, RAdam, RAdamConfig, RmsProp, RmsPropConfig, Sgd, SgdConfig, StateDict,
};

type Named<T> = Vec<(String, Parameter<T>)>;
type Make<T> = fn(&Named<T>) -> Box<dyn Optimizer<T>>;

fn named<T: Float>(params: &Named<T>) -> impl Iterator<Item = (&str, &Parameter<T>)> {
    params.iter().map(|(n, p)| (n.as_str(), p))
}

/// Two parameters of different shapes: w (3×1) and c (a scalar).
fn model<T: Float>() -> Named<T> {
    let w = Tensor::from_vec([1.5, -0.5, 2.0].map(T::from_f64).to_vec(), [3, 1]).unwrap();
    vec![("w".into(), Parameter::new(w)), ("c".into(), Parameter::new(Tensor::scalar(T::from_f64(0.3))))]
}

/// L = ½wᵀAw + Σ(c·w)² + (c − 2)², recorded on the tape.
fn loss<'t, T: Float>(tape: &'t Tape<T>, params: &Named<T>) -> Var<'t, T> {
    let a = [3.0, 1.0, 0.5, 1.0, 2.0, 0.3, 0.5, 0.3, 1.0].map(T::from_f64).to_vec();
    let a = tape.constant(Tensor::from_vec(a, [3, 3]).unwrap());
    let (w, c) = (tape.param(&params[0].1), tape.param(&params[1].1));
    let quad = w.mul(&a.matmul(&w).unwrap()).unwrap().sum().mul_scalar(T::from_f64(0.5));
    let coupling = w.mul(&c).unwrap().powf(T::from_f64(2.0)).sum();
    let pull = c.add_scalar(T::from_f64(-2.0)).powf(T::from_f64(2.0));
    quad.add(&coupling).unwrap().add(&pull).unwrap()
}

fn train<T: Float>(opt: &mut dyn Optimizer<T>, params: &Named<T>, steps: usize) {
    for _ in 0..steps {
        let tape = Tape::new();
        loss(&tape, params).backward().unwrap();
        opt.step().unwrap();
    }
}

fn bits<T: Float>(params: &Named<T>) -> Vec<u64> {
    params.iter().flat_map(|(_, p)| p.value().to_vec()).map(|v| v.to_f64().to_bits()).collect()
}

/// A deep copy, as if the state had been written to a file and read back in a new process.
fn deep_copy<T: Float>(dict: &StateDict<T>) -> StateDict<T> {
    dict.iter().map(|(k, t)| (k.clone(), Tensor::from_vec(t.to_vec(), t.shape().clone()).unwrap())).collect()
}

/// Every optimizer with every state buffer switched on.
fn makers<T: Float>() -> Vec<(&'static str, Make<T>)> {
    vec![
        ("SGD", |p| {
            Box::new(
                Sgd::new(named(p), SgdConfig { lr: 0.02, momentum: 0.9, dampening: 0.1, ..Default::default() })
                    .unwrap(),
            )
        }),
        ("SGD nesterov", |p| {
            Box::new(
                Sgd::new(named(p), SgdConfig { lr: 0.02, momentum: 0.9, nesterov: true, ..Default::default() })
                    .unwrap(),
            )
        }),
        ("Adagrad", |p| {
            Box::new(Adagrad::new(named(p), AdagradConfig { lr: 0.1, lr_decay: 0.01, ..Default::default() }).unwrap())
        }),
        ("RMSprop", |p| {
            Box::new(
                RmsProp::new(named(p), RmsPropConfig { lr: 0.01, momentum: 0.5, centered: true, ..Default::default() })
                    .unwrap(),
            )
        }),
        ("Adam", |p| {
            Box::new(Adam::new(named(p), AdamConfig { lr: 0.05, amsgrad: true, ..Default::default() }).unwrap())
        }),
        ("AdamW", |p| {
            Box::new(AdamW::new(named(p), AdamWConfig { lr: 0.05, amsgrad: true, ..Default::default() }).unwrap())
        }),
        ("Adamax", |p| Box::new(Adamax::new(named(p), AdamaxConfig { lr: 0.05, ..Default::default() }).unwrap())),
        ("NAdam", |p| {
            let config =
                NAdamConfig { lr: 0.05, weight_decay: 0.01, decoupled_weight_decay: true, ..Default::default() };
            Box::new(NAdam::new(named(p), config).unwrap())
        }),
        ("RAdam", |p| {
            // β₂ = 0.9 turns the rectified step on after 5 steps, before the checkpoint.
            let config = RAdamConfig { lr: 0.05, betas: (0.9, 0.9), ..Default::default() };
            Box::new(RAdam::new(named(p), config).unwrap())
        }),
    ]
}

fn resume_is_bit_identical<T: Float>() {
    let (n, m) = (7, 9);
    for (name, make) in makers::<T>() {
        // Uninterrupted: N + M steps, with a learning-rate change after 3 (as a schedule would).
        let straight = model::<T>();
        let mut opt = make(&straight);
        train(opt.as_mut(), &straight, 3);
        opt.set_lr(opt.lr() * 0.7).unwrap();
        train(opt.as_mut(), &straight, n - 3 + m);

        // Interrupted after N: save parameters and optimizer state, rebuild both from scratch.
        let first = model::<T>();
        let mut opt = make(&first);
        train(opt.as_mut(), &first, 3);
        opt.set_lr(opt.lr() * 0.7).unwrap();
        train(opt.as_mut(), &first, n - 3);
        let saved_state = deep_copy(&opt.state_dict());
        let saved_values: Vec<Tensor<T>> = first.iter().map(|(_, p)| p.value()).collect();
        drop(opt);

        let resumed: Named<T> = first
            .iter()
            .zip(saved_values)
            .map(|((k, _), v)| (k.clone(), Parameter::new(Tensor::from_vec(v.to_vec(), v.shape().clone()).unwrap())))
            .collect();
        let mut opt = make(&resumed);
        opt.load_state_dict(&saved_state).unwrap();
        train(opt.as_mut(), &resumed, m);

        assert_eq!(bits(&straight), bits(&resumed), "{name} ({}): resumed run differs", std::any::type_name::<T>());
        // And the check is not vacuous: restarting with the same parameters and learning rate
        // but without the optimizer's state gives another run.
        let fresh = model::<T>();
        let mut opt = make(&fresh);
        train(opt.as_mut(), &fresh, 3);
        opt.set_lr(opt.lr() * 0.7).unwrap();
        train(opt.as_mut(), &fresh, n - 3);
        let mut restarted = make(&fresh);
        restarted.set_lr(opt.lr()).unwrap();
        train(restarted.as_mut(), &fresh, m);
        assert_ne!(bits(&straight), bits(&fresh), "{name}: restarting without state should differ");
    }
}

#[test]
fn save_load_resume_is_bit_identical_f64() {
    resume_is_bit_identical::<f64>();
}

#[test]
fn save_load_resume_is_bit_identical_f32() {
    resume_is_bit_identical::<f32>();
}

#[test]
fn state_dict_names_tensors_by_parameter_and_pytorch_buffer() {
    let params = model::<f64>();
    let mut opt = Adam::new(named(&params), AdamConfig { amsgrad: true, ..Default::default() }).unwrap();
    assert_eq!(opt.state_dict().keys().collect::<Vec<_>>(), ["lr"], "no state before the first step");
    train(&mut opt, &params, 2);
    let dict = opt.state_dict();
    let keys: Vec<&str> = dict.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "lr",
            "w.step",
            "w.exp_avg",
            "w.exp_avg_sq",
            "w.max_exp_avg_sq",
            "c.step",
            "c.exp_avg",
            "c.exp_avg_sq",
            "c.max_exp_avg_sq"
        ]
    );
    assert_eq!(dict["lr"].item(), 1e-3);
    assert_eq!(dict["w.step"].item(), 2.0);
    assert_eq!(dict["w.exp_avg"].dims(), &[3, 1]);
    assert_eq!(dict["c.exp_avg_sq"].dims(), &[] as &[usize]);

    let sgd_keys = |momentum: f64| {
        let params = model::<f64>();
        let mut opt = Sgd::new(named(&params), SgdConfig { momentum, ..Default::default() }).unwrap();
        train(&mut opt, &params, 1);
        opt.state_dict().keys().cloned().collect::<Vec<_>>()
    };
    assert_eq!(sgd_keys(0.0), ["lr", "w.step", "c.step"]);
    assert_eq!(sgd_keys(0.9), ["lr", "w.step", "w.momentum_buffer", "c.step", "c.momentum_buffer"]);

    // PyTorch's names for the new optimizers' state; NAdam's μ product is a scalar per parameter.
    let keys = |opt: &mut dyn Optimizer<f64>, params: &Named<f64>| {
        train(opt, params, 1);
        opt.state_dict().keys().filter(|k| k.starts_with("c.")).cloned().collect::<Vec<_>>()
    };
    let params = model::<f64>();
    let mut nadam = NAdam::new(named(&params), NAdamConfig::default()).unwrap();
    assert_eq!(keys(&mut nadam, &params), ["c.step", "c.mu_product", "c.exp_avg", "c.exp_avg_sq"]);
    let mu = nadam.state_dict()["w.mu_product"].item();
    assert_eq!(mu, 0.9 * (1.0 - 0.5 * 0.96f64.powf(4e-3)), "μ₁ after one step");
    let params = model::<f64>();
    let mut adamax = Adamax::new(named(&params), AdamaxConfig::default()).unwrap();
    assert_eq!(keys(&mut adamax, &params), ["c.step", "c.exp_avg", "c.exp_inf"]);
    let params = model::<f64>();
    let mut radam = RAdam::new(named(&params), RAdamConfig::default()).unwrap();
    assert_eq!(keys(&mut radam, &params), ["c.step", "c.exp_avg", "c.exp_avg_sq"]);

    // A scalar that is not one is an error naming it.
    let mut state = nadam.state_dict();
    state.insert("w.mu_product".into(), Tensor::vector(&[0.5, 0.5]));
    let params = model::<f64>();
    let mut fresh = NAdam::new(named(&params), NAdamConfig::default()).unwrap();
    assert_eq!(
        fresh.load_state_dict(&state).unwrap_err().message(),
        "NAdam.load_state_dict(): entry `w.mu_product` holds [0.5, 0.5] of shape [2], expected a finite scalar"
    );
}

#[test]
fn load_state_dict_rejects_mismatches_and_changes_nothing() {
    let params = model::<f64>();
    let mut trained = Adam::new(named(&params), AdamConfig { amsgrad: true, ..Default::default() }).unwrap();
    train(&mut trained, &params, 3);
    let good = trained.state_dict();

    let target_params = model::<f64>();
    let mut target = Adam::new(named(&target_params), AdamConfig { amsgrad: true, ..Default::default() }).unwrap();
    train(&mut target, &target_params, 1);
    let before = deep_copy(&target.state_dict());
    let check = |target: &mut Adam<f64>, dict: StateDict<f64>, message: &str| {
        let err = target.load_state_dict(&dict).unwrap_err();
        assert_eq!(common::message(&err), message);
        let after = target.state_dict();
        assert_eq!(after.keys().collect::<Vec<_>>(), before.keys().collect::<Vec<_>>());
        for (k, t) in &before {
            assert_eq!(after[k].to_vec(), t.to_vec(), "{k} changed by a failed load");
        }
    };

    let mut missing = good.clone();
    missing.shift_remove("w.exp_avg_sq");
    check(&mut target, missing, "Adam.load_state_dict(): missing entry `w.exp_avg_sq`");

    let mut no_lr = good.clone();
    no_lr.shift_remove("lr");
    check(&mut target, no_lr, "Adam.load_state_dict(): missing entry `lr`");

    let mut extra = good.clone();
    extra.insert("v.exp_avg".into(), Tensor::zeros([3, 1]));
    check(
        &mut target,
        extra,
        "Adam.load_state_dict(): unexpected entry `v.exp_avg` (this Adam has no parameter, buffer or counter of that name)",
    );

    let mut misshapen = good.clone();
    misshapen.insert("w.exp_avg".into(), Tensor::zeros([1, 3]));
    check(&mut target, misshapen, "Adam.load_state_dict(): entry `w.exp_avg` has shape [1, 3], expected [3, 1]");

    let mut bad_step = good.clone();
    bad_step.insert("c.step".into(), Tensor::scalar(2.5));
    check(
        &mut target,
        bad_step,
        "Adam.load_state_dict(): entry `c.step` holds 2.5, not a step count (a whole number >= 1)",
    );

    let mut bad_lr = good.clone();
    bad_lr.insert("lr".into(), Tensor::scalar(f64::NAN));
    check(&mut target, bad_lr, "Adam.load_state_dict(): entry `lr` invalid lr for Adam: NaN (must be finite and >= 0)");

    // AMSGrad state into a plain Adam: the extra buffer is reported, not dropped.
    let plain_params = model::<f64>();
    let mut plain = Adam::new(named(&plain_params), AdamConfig::default()).unwrap();
    let err = plain.load_state_dict(&good).unwrap_err();
    assert_eq!(
        err,
        Error::UnexpectedState { owner: "Adam", key: "w.max_exp_avg_sq".into(), site: err.site() },
        "amsgrad state into a non-amsgrad Adam"
    );

    // The good state loads.
    target.load_state_dict(&good).unwrap();
    assert_eq!(target.state_dict()["w.step"].item(), 3.0);
}

#[test]
fn step_consumes_gradients_so_a_forgotten_zero_grad_cannot_accumulate() {
    let params = model::<f64>();
    let mut opt = Sgd::new(named(&params), SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
    let tape = Tape::new();
    loss(&tape, &params).backward().unwrap();
    opt.step().unwrap();
    assert!(params.iter().all(|(_, p)| p.grad().is_none()), "step takes the gradients");
    // With no new backward pass, the next step is an error, not a silent re-use.
    assert!(matches!(opt.step(), Err(Error::MissingGradient { .. })));
    // zero_grad discards gradients without stepping.
    loss(&Tape::new(), &params).backward().unwrap();
    opt.zero_grad();
    assert!(params.iter().all(|(_, p)| p.grad().is_none()));
    assert!(matches!(opt.step(), Err(Error::MissingGradient { .. })));
}

#[test]
fn gradients_accumulated_over_two_backward_passes_step_together() {
    let once = model::<f64>();
    let twice = model::<f64>();
    let mut a = Sgd::new(named(&once), SgdConfig { lr: 0.2, ..Default::default() }).unwrap();
    let mut b = Sgd::new(named(&twice), SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
    loss(&Tape::new(), &once).backward().unwrap();
    a.step().unwrap();
    for _ in 0..2 {
        loss(&Tape::new(), &twice).backward().unwrap();
    }
    b.step().unwrap();
    // 0.2·g and 0.1·(g + g) agree to rounding.
    for (x, y) in once.iter().zip(&twice) {
        for (u, v) in x.1.value().to_vec().iter().zip(y.1.value().to_vec()) {
            assert!((u - v).abs() < 1e-15, "{u} vs {v}");
        }
    }
}

#[test]
fn missing_gradients_are_named_and_nothing_is_updated() {
    let params = model::<f64>();
    let extra = Parameter::new(Tensor::<f64>::zeros([2]));
    let mut all = params.clone();
    all.push(("unused.bias".into(), extra.clone()));
    let mut opt = Adam::new(named(&all), AdamConfig::default()).unwrap();
    // Only c gets a gradient.
    let tape = Tape::new();
    tape.param(&all[1].1).powf(2.0).backward().unwrap();
    let before = bits(&all);
    let err = opt.step().unwrap_err();
    assert_eq!(
        err,
        Error::MissingGradient { optimizer: "Adam", names: vec!["w".into(), "unused.bias".into()], site: err.site() }
    );
    assert_eq!(
        message(&err),
        "Adam.step(): no gradient for parameter(s) `w`, `unused.bias`; run backward on a loss that uses them first, \
         or freeze them with `set_requires_grad(false)`"
    );
    assert_eq!(bits(&all), before, "a failed step updates nothing");
    assert!(all[1].1.grad().is_some(), "and consumes nothing");
}

#[test]
fn frozen_parameters_are_skipped() {
    let params = model::<f64>();
    let frozen = Parameter::new(Tensor::<f64>::ones([2]));
    frozen.set_requires_grad(false);
    let mut all = params.clone();
    all.push(("frozen".into(), frozen.clone()));
    let mut opt = Sgd::new(named(&all), SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() }).unwrap();
    train(&mut opt, &all, 2);
    assert_eq!(frozen.value().to_vec(), [1.0, 1.0]);
    let keys: Vec<String> = opt.state_dict().keys().cloned().collect();
    assert!(!keys.iter().any(|k| k.starts_with("frozen.")), "{keys:?}");
    // Unfreezing later works: its state starts then.
    frozen.set_requires_grad(true);
    frozen.set_grad(Some(Tensor::ones([2])));
    loss(&Tape::new(), &all).backward().unwrap();
    opt.step().unwrap();
    assert_eq!(frozen.value().to_vec(), [0.9, 0.9]);
}

#[test]
fn a_gradient_of_the_wrong_shape_is_an_error() {
    let params = model::<f64>();
    let mut opt = Sgd::new(named(&params), SgdConfig::default()).unwrap();
    params[0].1.set_grad(Some(Tensor::zeros([3])));
    params[1].1.set_grad(Some(Tensor::scalar(1.0)));
    assert_eq!(
        message(&opt.step().unwrap_err()),
        "SGD.step(): gradient of parameter `w` has shape [3], the parameter has shape [3, 1]"
    );
}

/// The update loops zip slices: a value replaced by one of another shape after the first step
/// must be an error, not a partial update.
#[test]
fn a_value_that_changed_shape_under_its_state_is_an_error() {
    let w = Parameter::new(Tensor::<f64>::ones([2]));
    let mut opt = Adam::new([("w", &w)], AdamConfig { lr: 0.1, ..Default::default() }).unwrap();
    w.set_grad(Some(Tensor::ones([2])));
    opt.step().unwrap();
    w.set_value(Tensor::ones([4]));
    w.set_grad(Some(Tensor::ones([4])));
    assert_eq!(
        message(&opt.step().unwrap_err()),
        "Adam.step(): parameter `w` has shape [4], its optimizer state has shape [2] (was the value replaced \
         after the optimizer's first step?)"
    );
    assert_eq!(w.value().to_vec(), [1.0; 4], "nothing was updated");
    assert!(w.grad().is_some(), "nor consumed");
}

#[test]
fn parameter_lists_must_be_non_empty_and_without_duplicates() {
    let p = Parameter::new(Tensor::<f64>::zeros([2]));
    let q = Parameter::new(Tensor::<f64>::zeros([2]));
    let empty: Vec<(String, Parameter<f64>)> = vec![];
    assert_eq!(Sgd::new(empty, SgdConfig::default()).err().unwrap().message(), "SGD got an empty parameter list");
    assert_eq!(
        Adam::new([("a", &p), ("a", &q)], AdamConfig::default()).err().unwrap().message(),
        "Adam: two parameters are named `a`"
    );
    assert_eq!(
        AdamW::new([("a", &p), ("b", &p)], AdamWConfig::default()).err().unwrap().message(),
        "AdamW: the same parameter appears as `a` and as `b`"
    );
}

#[test]
fn bad_hyper_parameters_are_errors_at_construction() {
    let p = Parameter::new(Tensor::<f64>::zeros([2]));
    let ps = || [("p", p.clone())];
    let sgd = |c: SgdConfig| Sgd::new(ps(), c).err().expect("should fail").message();
    let adagrad = |c: AdagradConfig| Adagrad::new(ps(), c).err().expect("should fail").message();
    let rmsprop = |c: RmsPropConfig| RmsProp::new(ps(), c).err().expect("should fail").message();
    let adam = |c: AdamConfig| Adam::new(ps(), c).err().expect("should fail").message();
    let adamw = |c: AdamWConfig| AdamW::new(ps(), c).err().expect("should fail").message();

    assert_eq!(sgd(SgdConfig { lr: -0.1, ..Default::default() }), "invalid lr for SGD: -0.1 (must be finite and >= 0)");
    assert_eq!(
        sgd(SgdConfig { lr: f64::NAN, ..Default::default() }),
        "invalid lr for SGD: NaN (must be finite and >= 0)"
    );
    assert_eq!(
        sgd(SgdConfig { lr: f64::INFINITY, ..Default::default() }),
        "invalid lr for SGD: inf (must be finite and >= 0)"
    );
    assert_eq!(
        sgd(SgdConfig { momentum: -0.9, ..Default::default() }),
        "invalid momentum for SGD: -0.9 (must be finite and >= 0)"
    );
    assert_eq!(
        sgd(SgdConfig { weight_decay: -1e-4, ..Default::default() }),
        "invalid weight_decay for SGD: -0.0001 (must be finite and >= 0)"
    );
    assert_eq!(
        sgd(SgdConfig { momentum: 0.9, dampening: f64::NAN, ..Default::default() }),
        "invalid dampening for SGD: NaN (must be in [0, 1])"
    );
    assert_eq!(
        sgd(SgdConfig { nesterov: true, ..Default::default() }),
        "invalid options for SGD: Nesterov momentum requires a momentum > 0 and zero dampening (got momentum 0, dampening 0)"
    );
    assert_eq!(
        sgd(SgdConfig { nesterov: true, momentum: 0.9, dampening: 0.1, ..Default::default() }),
        "invalid options for SGD: Nesterov momentum requires a momentum > 0 and zero dampening (got momentum 0.9, dampening 0.1)"
    );

    assert_eq!(
        adagrad(AdagradConfig { lr: -1.0, ..Default::default() }),
        "invalid lr for Adagrad: -1 (must be finite and >= 0)"
    );
    assert_eq!(
        adagrad(AdagradConfig { lr_decay: -0.1, ..Default::default() }),
        "invalid lr_decay for Adagrad: -0.1 (must be finite and >= 0)"
    );
    assert_eq!(
        adagrad(AdagradConfig { initial_accumulator_value: -0.1, ..Default::default() }),
        "invalid initial_accumulator_value for Adagrad: -0.1 (must be finite and >= 0)"
    );
    assert_eq!(
        adagrad(AdagradConfig { eps: -1e-10, ..Default::default() }),
        "invalid eps for Adagrad: -0.0000000001 (must be finite and >= 0)"
    );
    assert_eq!(
        adagrad(AdagradConfig { weight_decay: f64::NAN, ..Default::default() }),
        "invalid weight_decay for Adagrad: NaN (must be finite and >= 0)"
    );

    assert_eq!(
        rmsprop(RmsPropConfig { alpha: -0.5, ..Default::default() }),
        "invalid alpha for RMSprop: -0.5 (must be in [0, 1])"
    );
    assert_eq!(
        rmsprop(RmsPropConfig { alpha: 1.5, ..Default::default() }),
        "invalid alpha for RMSprop: 1.5 (must be in [0, 1])"
    );
    assert_eq!(
        rmsprop(RmsPropConfig { eps: f64::NAN, ..Default::default() }),
        "invalid eps for RMSprop: NaN (must be finite and >= 0)"
    );
    assert_eq!(
        rmsprop(RmsPropConfig { momentum: -0.1, ..Default::default() }),
        "invalid momentum for RMSprop: -0.1 (must be finite and >= 0)"
    );
    assert_eq!(
        rmsprop(RmsPropConfig { weight_decay: -0.1, ..Default::default() }),
        "invalid weight_decay for RMSprop: -0.1 (must be finite and >= 0)"
    );
    assert_eq!(
        rmsprop(RmsPropConfig { lr: -0.1, ..Default::default() }),
        "invalid lr for RMSprop: -0.1 (must be finite and >= 0)"
    );

    assert_eq!(
        adam(AdamConfig { betas: (1.0, 0.999), ..Default::default() }),
        "invalid betas[0] for Adam: 1 (must be in [0, 1))"
    );
    assert_eq!(
        adam(AdamConfig { betas: (0.9, -0.1), ..Default::default() }),
        "invalid betas[1] for Adam: -0.1 (must be in [0, 1))"
    );
    assert_eq!(
        adam(AdamConfig { betas: (f64::NAN, 0.9), ..Default::default() }),
        "invalid betas[0] for Adam: NaN (must be in [0, 1))"
    );
    assert_eq!(
        adam(AdamConfig { eps: -1e-8, ..Default::default() }),
        "invalid eps for Adam: -0.00000001 (must be finite and >= 0)"
    );
    assert_eq!(
        adam(AdamConfig { weight_decay: -0.01, ..Default::default() }),
        "invalid weight_decay for Adam: -0.01 (must be finite and >= 0)"
    );
    assert_eq!(
        adam(AdamConfig { lr: f64::NAN, ..Default::default() }),
        "invalid lr for Adam: NaN (must be finite and >= 0)"
    );
    assert_eq!(
        adamw(AdamWConfig { betas: (0.9, 1.0), ..Default::default() }),
        "invalid betas[1] for AdamW: 1 (must be in [0, 1))"
    );
    assert_eq!(
        adamw(AdamWConfig { weight_decay: -0.01, ..Default::default() }),
        "invalid weight_decay for AdamW: -0.01 (must be finite and >= 0)"
    );

    let adamax = |c: AdamaxConfig| Adamax::new(ps(), c).err().expect("should fail").message();
    let nadam = |c: NAdamConfig| NAdam::new(ps(), c).err().expect("should fail").message();
    let radam = |c: RAdamConfig| RAdam::new(ps(), c).err().expect("should fail").message();
    assert_eq!(
        adamax(AdamaxConfig { betas: (1.0, 0.999), ..Default::default() }),
        "invalid betas[0] for Adamax: 1 (must be in [0, 1))"
    );
    assert_eq!(
        adamax(AdamaxConfig { eps: -1.0, ..Default::default() }),
        "invalid eps for Adamax: -1 (must be finite and >= 0)"
    );
    assert_eq!(
        nadam(NAdamConfig { momentum_decay: -4e-3, ..Default::default() }),
        "invalid momentum_decay for NAdam: -0.004 (must be finite and >= 0)"
    );
    assert_eq!(
        nadam(NAdamConfig { weight_decay: f64::NAN, ..Default::default() }),
        "invalid weight_decay for NAdam: NaN (must be finite and >= 0)"
    );
    assert_eq!(
        radam(RAdamConfig { betas: (0.9, -0.5), ..Default::default() }),
        "invalid betas[1] for RAdam: -0.5 (must be in [0, 1))"
    );
    assert_eq!(
        radam(RAdamConfig { lr: -1e-3, ..Default::default() }),
        "invalid lr for RAdam: -0.001 (must be finite and >= 0)"
    );

    // The structured variant carries the values.
    let err = Adam::new(ps(), AdamConfig { betas: (0.9, 1.5), ..Default::default() }).err().unwrap();
    assert_eq!(
        err,
        Error::InvalidHyperParameter {
            owner: "Adam",
            name: "betas[1]",
            value: 1.5,
            requirement: "in [0, 1)",
            site: err.site()
        }
    );
}

#[test]
fn set_lr_validates_and_rounds_to_the_element_type() {
    let p = Parameter::new(Tensor::<f32>::zeros([2]));
    let mut opt = Sgd::new([("p", &p)], SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
    assert_eq!(opt.lr(), 0.1f32 as f64, "lr is held at f32 precision for an f32 model");
    assert_eq!(message(&opt.set_lr(-1.0).unwrap_err()), "invalid lr for SGD: -1 (must be finite and >= 0)");
    assert_eq!(opt.lr(), 0.1f32 as f64, "a rejected lr leaves the old one");
    opt.set_lr(0.25).unwrap();
    assert_eq!(opt.lr(), 0.25);
}

#[test]
fn defaults_are_pytorchs() {
    assert_eq!(
        SgdConfig::default(),
        SgdConfig { lr: 1e-3, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false, maximize: false }
    );
    assert_eq!(
        AdagradConfig::default(),
        AdagradConfig {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            maximize: false
        }
    );
    assert_eq!(
        RmsPropConfig::default(),
        RmsPropConfig {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            maximize: false
        }
    );
    assert_eq!(
        AdamConfig::default(),
        AdamConfig { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.0, amsgrad: false, maximize: false }
    );
    assert_eq!(
        AdamWConfig::default(),
        AdamWConfig { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 1e-2, amsgrad: false, maximize: false }
    );
    assert_eq!(
        AdamaxConfig::default(),
        AdamaxConfig { lr: 2e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.0, maximize: false }
    );
    assert_eq!(
        NAdamConfig::default(),
        NAdamConfig {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            momentum_decay: 4e-3,
            decoupled_weight_decay: false,
            maximize: false
        }
    );
    assert_eq!(
        RAdamConfig::default(),
        RAdamConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
            maximize: false
        }
    );
}

/// The nn crate hands out `named_parameters()` as an `IndexMap<String, Parameter<T>>`; both the
/// map and a reference to it can be passed.
#[test]
fn accepts_an_indexmap_of_named_parameters() {
    let map: indexmap::IndexMap<String, Parameter<f64>> = model::<f64>().into_iter().collect();
    let by_ref = Sgd::new(&map, SgdConfig::default()).unwrap();
    let by_value = Adam::new(map.clone(), AdamConfig::default()).unwrap();
    let names = |ps: &[(String, Parameter<f64>)]| ps.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(by_ref.params()), ["w", "c"]);
    assert_eq!(names(by_value.params()), ["w", "c"]);
    assert!(by_ref.params()[0].1.same_as(&map["w"]));
}

/// `SgdConfig { lr: 1e300 }` is a valid `f64` but ∞ in `f32`: every hyper-parameter is checked
/// after conversion to the parameters' element type, at construction and when set later.
#[test]
fn hyper_parameters_that_overflow_the_element_type_are_errors() {
    let p32 = Parameter::new(Tensor::<f32>::zeros([2]));
    let err = Sgd::new([("p", &p32)], SgdConfig { lr: 1e300, ..Default::default() }).err().unwrap();
    assert_eq!(err.message(), "invalid lr for SGD: 1e300 overflows the parameters' element type f32");
    assert!(matches!(err, Error::Overflow { name: "lr", dtype: "f32", .. }));
    let err = Adam::new([("p", &p32)], AdamConfig { eps: 1e40, ..Default::default() }).err().unwrap();
    assert_eq!(err.message(), "invalid eps for Adam: 1e40 overflows the parameters' element type f32");
    let err = Adagrad::new([("p", &p32)], AdagradConfig { initial_accumulator_value: 1e39, ..Default::default() })
        .err()
        .unwrap();
    assert!(matches!(err, Error::Overflow { name: "initial_accumulator_value", .. }), "{err}");
    let err = RmsProp::new([("p", &p32)], RmsPropConfig { weight_decay: 4e38, ..Default::default() }).err().unwrap();
    assert!(matches!(err, Error::Overflow { name: "weight_decay", .. }), "{err}");
    let err = AdamW::new([("p", &p32)], AdamWConfig { weight_decay: 4e38, ..Default::default() }).err().unwrap();
    assert!(matches!(err, Error::Overflow { owner: "AdamW", name: "weight_decay", .. }), "{err}");

    // Later changes are checked the same way, and a rejected one changes nothing.
    let mut opt = Sgd::new([("p", &p32)], SgdConfig { lr: 0.1, momentum: 0.5, ..Default::default() }).unwrap();
    assert_eq!(
        message(&opt.set_lr(1e300).unwrap_err()),
        "invalid lr for SGD: 1e300 overflows the parameters' element type f32"
    );
    assert_eq!(opt.lr(), 0.1f32 as f64);
    assert!(matches!(opt.set_group_momentum(0, 1e39).unwrap_err(), Error::Overflow { name: "momentum", .. }));
    assert_eq!(opt.group_momentum(0), Some(0.5));
    assert!(opt.lr().is_finite());

    // The same values are fine in f64.
    let p64 = Parameter::new(Tensor::<f64>::zeros([2]));
    assert!(Sgd::new([("p", &p64)], SgdConfig { lr: 1e300, ..Default::default() }).is_ok());
    assert!(clip_grad_value([&p64], 1e300).is_ok());
    assert!(matches!(clip_grad_value([&p32], 1e300).unwrap_err(), Error::Overflow { owner: "clip_grad_value", .. }));
}

/// Errors name the line of the user's call, not a line inside the library: every public entry
/// point is `#[track_caller]`, through the trait methods and the boxed optimizer too.
#[test]
fn errors_name_the_callers_line() {
    fn line(e: &Error) -> u32 {
        assert_eq!(e.site().0.file(), file!());
        e.site().0.line()
    }
    let p = Parameter::new(Tensor::<f64>::zeros([2]));
    let here = line!() + 1;
    let err = Sgd::new([("p", &p)], SgdConfig { lr: -1.0, ..Default::default() }).err().unwrap();
    assert_eq!(line(&err), here);

    let mut boxed: Box<dyn Optimizer<f64>> = Box::new(Adam::new([("p", &p)], AdamConfig::default()).unwrap());
    let here = line!() + 1;
    let err = boxed.step().unwrap_err(); // no gradient
    assert_eq!(line(&err), here);
    let here = line!() + 1;
    let err = boxed.set_lr(f64::NAN).unwrap_err();
    assert_eq!(line(&err), here);
    let here = line!() + 1;
    let err = boxed.load_state_dict(&StateDict::new()).unwrap_err();
    assert_eq!(line(&err), here);
    let here = line!() + 1;
    let err = boxed.set_group_lr(3, 0.1).unwrap_err();
    assert_eq!(line(&err), here);

    let mut adagrad = Adagrad::new([("p", &p)], AdagradConfig::default()).unwrap();
    let q = Parameter::new(Tensor::<f64>::zeros([2]));
    let here = line!() + 1;
    let err = adagrad.add_param_group([("p", &q)], AdagradConfig::default()).unwrap_err();
    assert_eq!(line(&err), here);
    let here = line!() + 1;
    let err = adagrad.set_group_momentum(0, 0.9).unwrap_err();
    assert_eq!(line(&err), here);
    p.set_grad(Some(Tensor::vector(&[f64::NAN, 0.0])));
    let here = line!() + 1;
    let err = optim::clip_grad_norm([&p], 1.0, 2.0).unwrap_err();
    assert_eq!(line(&err), here);
}
