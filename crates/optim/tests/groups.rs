//! Parameter groups: per-group options, schedules acting on every group, state dicts with
//! groups, and the errors around them. (Trajectories against PyTorch's param groups are in
//! `pytorch_trajectories.rs`.)

mod common;
use autograd::{Parameter, Tape, Tensor};
use common::ErrorMessage;
use optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, CosineAnnealingLr, Error, LrScheduler, OneCycleLr,
    OneCycleLrConfig, Optimizer, RmsProp, RmsPropConfig, Sgd, SgdConfig, StateDict, StepLr,
};

type Named = Vec<(String, Parameter<f64>)>;

/// Weights (a 2×2 matrix) and a bias, as a layer has.
fn layer() -> Named {
    let w = Tensor::from_vec(vec![0.5, -1.0, 1.5, 0.25], [2, 2]).unwrap();
    vec![("weight".into(), Parameter::new(w)), ("bias".into(), Parameter::new(Tensor::vector(&[0.3, -0.2])))]
}

/// L = Σ (W·x + b − y)² for a fixed x and y.
fn backward(params: &Named) {
    let tape = Tape::new();
    let (w, b) = (tape.param(&params[0].1), tape.param(&params[1].1));
    let x = tape.constant(Tensor::from_vec(vec![1.0, -2.0], [2, 1]).unwrap());
    let y = tape.constant(Tensor::from_vec(vec![0.5, 1.0], [2, 1]).unwrap());
    let out = &(&w.matmul(&x).unwrap() + &b.reshape([2, 1]).unwrap()) - &y;
    (&out * &out).sum().backward().unwrap();
}

fn bits(params: &Named) -> Vec<u64> {
    params.iter().flat_map(|(_, p)| p.value().to_vec()).map(f64::to_bits).collect()
}

type Pair = (Box<dyn Optimizer<f64>>, [Box<dyn Optimizer<f64>>; 2]);

/// For each optimizer: one built with two groups (weight, bias) of different options, and two
/// built with one group each and the same options.
fn pairs(grouped: &Named, split: &Named) -> Vec<(&'static str, Pair)> {
    let one = |p: &Named, i: usize| vec![(p[i].0.clone(), p[i].1.clone())];
    let sgd = |lr, weight_decay| SgdConfig { lr, weight_decay, momentum: 0.9, ..Default::default() };
    let adam = |lr, weight_decay| AdamWConfig { lr, weight_decay, ..Default::default() };
    let mut out: Vec<(&'static str, Pair)> = Vec::new();
    let mut s = Sgd::new(one(grouped, 0), sgd(0.01, 0.1)).unwrap();
    s.add_param_group(one(grouped, 1), sgd(0.05, 0.0)).unwrap();
    let singles: [Box<dyn Optimizer<f64>>; 2] = [
        Box::new(Sgd::new(one(split, 0), sgd(0.01, 0.1)).unwrap()),
        Box::new(Sgd::new(one(split, 1), sgd(0.05, 0.0)).unwrap()),
    ];
    out.push(("SGD", (Box::new(s), singles)));
    let mut a = AdamW::new(one(grouped, 0), adam(0.02, 0.1)).unwrap();
    a.add_param_group(one(grouped, 1), adam(0.1, 0.0)).unwrap();
    let singles: [Box<dyn Optimizer<f64>>; 2] = [
        Box::new(AdamW::new(one(split, 0), adam(0.02, 0.1)).unwrap()),
        Box::new(AdamW::new(one(split, 1), adam(0.1, 0.0)).unwrap()),
    ];
    out.push(("AdamW", (Box::new(a), singles)));
    // Options that change the state's buffers differ between the groups.
    let mut r = RmsProp::new(one(grouped, 0), RmsPropConfig { centered: true, ..Default::default() }).unwrap();
    r.add_param_group(one(grouped, 1), RmsPropConfig { momentum: 0.5, ..Default::default() }).unwrap();
    let singles: [Box<dyn Optimizer<f64>>; 2] = [
        Box::new(RmsProp::new(one(split, 0), RmsPropConfig { centered: true, ..Default::default() }).unwrap()),
        Box::new(RmsProp::new(one(split, 1), RmsPropConfig { momentum: 0.5, ..Default::default() }).unwrap()),
    ];
    out.push(("RMSprop", (Box::new(r), singles)));
    let mut m = Adam::new(one(grouped, 0), AdamConfig { amsgrad: true, ..Default::default() }).unwrap();
    m.add_param_group(one(grouped, 1), AdamConfig { lr: 0.05, ..Default::default() }).unwrap();
    let singles: [Box<dyn Optimizer<f64>>; 2] = [
        Box::new(Adam::new(one(split, 0), AdamConfig { amsgrad: true, ..Default::default() }).unwrap()),
        Box::new(Adam::new(one(split, 1), AdamConfig { lr: 0.05, ..Default::default() }).unwrap()),
    ];
    out.push(("Adam", (Box::new(m), singles)));
    let mut g = Adagrad::new(one(grouped, 0), AdagradConfig { lr_decay: 0.1, ..Default::default() }).unwrap();
    g.add_param_group(one(grouped, 1), AdagradConfig { initial_accumulator_value: 0.5, ..Default::default() }).unwrap();
    let singles: [Box<dyn Optimizer<f64>>; 2] = [
        Box::new(Adagrad::new(one(split, 0), AdagradConfig { lr_decay: 0.1, ..Default::default() }).unwrap()),
        Box::new(
            Adagrad::new(one(split, 1), AdagradConfig { initial_accumulator_value: 0.5, ..Default::default() })
                .unwrap(),
        ),
    ];
    out.push(("Adagrad", (Box::new(g), singles)));
    out
}

/// A group behaves exactly as an optimizer of its own with the group's options: two groups
/// give the bits of two separate optimizers, for every optimizer.
#[test]
fn each_group_steps_with_its_own_options() {
    let (grouped, split) = (layer(), layer());
    for (name, (mut together, mut apart)) in pairs(&grouped, &split) {
        for p in [&grouped, &split] {
            for (_, q) in p {
                q.set_value(Tensor::from_vec(q.value().to_vec(), q.value().shape().clone()).unwrap());
            }
        }
        let start = bits(&grouped);
        for _ in 0..5 {
            backward(&grouped);
            together.step().unwrap();
            backward(&split);
            apart.iter_mut().for_each(|o| o.step().unwrap());
        }
        assert_eq!(bits(&grouped), bits(&split), "{name}");
        assert_ne!(bits(&grouped), start, "{name}: the parameters moved");
        // Reset both for the next optimizer.
        for (g, s) in grouped.iter().zip(&split) {
            let fresh = layer();
            let v = fresh.iter().find(|(n, _)| *n == g.0).unwrap().1.value();
            g.1.set_value(v.clone());
            s.1.set_value(Tensor::from_vec(v.to_vec(), v.shape().clone()).unwrap());
        }
    }
}

/// The group API: rates per group, `set_lr` for all, parameters and options per group.
#[test]
fn groups_are_read_and_set_one_by_one_or_all_together() {
    let params = layer();
    let (weights, biases) = (vec![params[0].clone()], vec![params[1].clone()]);
    let config = SgdConfig { lr: 0.1, weight_decay: 1e-4, momentum: 0.9, ..Default::default() };
    let mut opt = Sgd::new(weights, config).unwrap();
    opt.add_param_group(biases, SgdConfig { lr: 0.2, weight_decay: 0.0, ..config }).unwrap();
    assert_eq!(opt.group_count(), 2);
    assert_eq!(opt.group_lrs(), [0.1, 0.2]);
    assert_eq!(opt.lr(), 0.1, "lr() is group 0's");
    assert_eq!(opt.group_params(1)[0].0, "bias");
    assert!(opt.group_params(2).is_empty());
    assert_eq!(opt.params().iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["weight", "bias"]);
    assert_eq!(opt.group_config(1).unwrap().weight_decay, 0.0);
    assert!(opt.group_config(2).is_none());
    opt.set_group_lr(1, 0.3).unwrap();
    assert_eq!(opt.group_lrs(), [0.1, 0.3]);
    assert_eq!(opt.group_config(1).unwrap().lr, 0.3, "the options hold the current rate");
    opt.set_lr(0.05).unwrap();
    assert_eq!(opt.group_lrs(), [0.05, 0.05], "set_lr sets every group");
    assert_eq!(opt.set_group_lr(2, 0.1).unwrap_err().message(), "SGD: no parameter group 2 (it has 2)");
    assert_eq!(opt.group_momentum(0), Some(0.9));
    assert_eq!(opt.group_momentum(2), None);

    // An empty group is allowed (a split that found no biases), and steps nothing.
    opt.add_param_group(Vec::<(String, Parameter<f64>)>::new(), config).unwrap();
    backward(&params);
    opt.step().unwrap();
}

#[test]
fn a_parameter_or_name_in_two_groups_is_an_error() {
    let params = layer();
    let mut opt = Adam::new(params.clone(), AdamConfig::default()).unwrap();
    let other = Parameter::new(Tensor::<f64>::zeros([2]));
    assert_eq!(
        opt.add_param_group([("bias", &other)], AdamConfig::default()).unwrap_err().message(),
        "Adam: two parameters are named `bias` (in an earlier parameter group)"
    );
    assert_eq!(
        opt.add_param_group([("b2", &params[1].1)], AdamConfig::default()).unwrap_err().message(),
        "Adam: the same parameter appears as `bias` (in an earlier parameter group) and as `b2`"
    );
    let bad = AdamConfig { betas: (0.9, 1.0), ..Default::default() };
    assert_eq!(
        opt.add_param_group([("other", &other)], bad).unwrap_err().message(),
        "invalid betas[1] for Adam: 1 (must be in [0, 1))"
    );
    assert_eq!(opt.group_count(), 1, "failed additions add nothing");
}

/// PyTorch's schedule semantics: each group's rate is scaled from its own rate (or annealed from
/// its own base rate).
#[test]
fn schedules_act_on_every_group() {
    let params = layer();
    let mut opt = Sgd::new(vec![params[0].clone()], SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
    opt.add_param_group(vec![params[1].clone()], SgdConfig { lr: 0.4, ..Default::default() }).unwrap();
    let mut step = StepLr::new(1, 0.5).unwrap();
    assert_eq!(step.step(&mut opt).unwrap(), 0.05);
    assert_eq!(opt.group_lrs(), [0.05, 0.2]);

    let mut cosine = CosineAnnealingLr::new(&opt, 2, 0.0).unwrap();
    cosine.step(&mut opt).unwrap();
    let lrs = opt.group_lrs();
    assert!((lrs[0] - 0.025).abs() < 1e-15 && (lrs[1] - 0.1).abs() < 1e-15, "{lrs:?}");
    cosine.step(&mut opt).unwrap();
    assert!(opt.group_lrs().iter().all(|lr| lr.abs() < 1e-15));

    // A schedule with a base rate per group refuses an optimizer with another number of groups.
    let extra = Parameter::new(Tensor::<f64>::zeros([1]));
    opt.add_param_group([("extra", &extra)], SgdConfig::default()).unwrap();
    assert_eq!(
        cosine.step(&mut opt).unwrap_err().message(),
        "CosineAnnealingLR.step(): the schedule was built for 2 parameter group(s), the optimizer has 3 (build \
         the schedule after adding the groups)"
    );
    assert_eq!(cosine.last_epoch(), 2, "a refused step does not advance");
}

/// With groups the state dict gains `param_groups.<g>.lr`; with one group it is as before.
#[test]
fn state_dicts_hold_every_groups_rate_and_load_into_the_same_groups() {
    let params = layer();
    let mut opt = Adam::new(vec![params[0].clone()], AdamConfig::default()).unwrap();
    opt.add_param_group(vec![params[1].clone()], AdamConfig { lr: 0.01, ..Default::default() }).unwrap();
    backward(&params);
    opt.step().unwrap();
    let state = opt.state_dict();
    let keys: Vec<&str> = state.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "lr",
            "param_groups.1.lr",
            "weight.step",
            "weight.exp_avg",
            "weight.exp_avg_sq",
            "bias.step",
            "bias.exp_avg",
            "bias.exp_avg_sq"
        ]
    );
    assert_eq!(state["param_groups.1.lr"].item(), 0.01);

    let fresh = layer();
    let mut same = Adam::new(vec![fresh[0].clone()], AdamConfig::default()).unwrap();
    same.add_param_group(vec![fresh[1].clone()], AdamConfig::default()).unwrap();
    same.load_state_dict(&state).unwrap();
    assert_eq!(same.group_lrs(), [1e-3, 0.01]);

    // Into one group: the second group's rate is not used.
    let mut single = Adam::new(fresh.clone(), AdamConfig::default()).unwrap();
    assert_eq!(
        single.load_state_dict(&state).unwrap_err().message(),
        "Adam.load_state_dict(): unexpected entry `param_groups.1.lr` (this Adam has no parameter, buffer or \
         counter of that name)"
    );
    // A one-group state into two groups: the second group's rate is missing.
    let mut one = Adam::new(params.clone(), AdamConfig::default()).unwrap();
    backward(&params);
    one.step().unwrap();
    let mut two = Adam::new(vec![fresh[0].clone()], AdamConfig::default()).unwrap();
    two.add_param_group(vec![fresh[1].clone()], AdamConfig::default()).unwrap();
    let err = two.load_state_dict(&one.state_dict()).unwrap_err();
    assert_eq!(err.message(), "Adam.load_state_dict(): missing entry `param_groups.1.lr`");
    assert!(matches!(err, Error::MissingState { .. }));
    let _: StateDict<f64> = two.state_dict();
}

/// A momentum that a schedule sets (OneCycleLR's β₁ here) is part of the optimizer's state, per
/// group, so a resume continues with it; a state without it restores the constructed momentum.
#[test]
fn a_momentum_set_by_a_schedule_is_saved_per_group() {
    let params = layer();
    let build = || {
        let mut opt = AdamW::new(vec![params[0].clone()], AdamWConfig::default()).unwrap();
        opt.add_param_group(vec![params[1].clone()], AdamWConfig { betas: (0.8, 0.99), ..Default::default() }).unwrap();
        opt
    };
    let mut opt = build();
    let plain = opt.state_dict();
    assert_eq!(plain.keys().collect::<Vec<_>>(), ["lr", "param_groups.1.lr"], "no momentum entry until one is set");
    let mut cycle = OneCycleLr::new(&mut opt, 0.01, 10, OneCycleLrConfig::default()).unwrap();
    cycle.step(&mut opt).unwrap();
    let state = opt.state_dict();
    let keys: Vec<&str> = state.keys().map(String::as_str).collect();
    assert_eq!(keys, ["lr", "betas[0]", "param_groups.1.lr", "param_groups.1.betas[0]"]);
    let beta1 = opt.group_momentum(1).unwrap();
    assert!(beta1 < 0.95 && beta1 > 0.85, "{beta1}");
    assert_eq!(state["param_groups.1.betas[0]"].item(), beta1);

    let mut resumed = build();
    resumed.load_state_dict(&state).unwrap();
    assert_eq!(resumed.group_momentum(1), Some(beta1));
    assert_eq!(resumed.config().betas.0, opt.config().betas.0);
    // The state from before the schedule: the momenta the groups were built with.
    resumed.load_state_dict(&plain).unwrap();
    assert_eq!((resumed.group_momentum(0), resumed.group_momentum(1)), (Some(0.9), Some(0.8)));
    // A saved momentum is checked as the constructor checks it.
    let mut bad = state.clone();
    bad.insert("betas[0]".into(), Tensor::scalar(1.5));
    assert_eq!(
        resumed.load_state_dict(&bad).unwrap_err().message(),
        "AdamW.load_state_dict(): entry `betas[0]` invalid betas[0] for AdamW: 1.5 (must be in [0, 1))"
    );
}

/// SGD created without momentum: a schedule that turns momentum on starts the buffer then, as
/// PyTorch does (the buffer begins as the gradient).
#[test]
fn momentum_turned_on_later_starts_its_buffer_then() {
    let w = Parameter::new(Tensor::<f64>::scalar(1.0));
    let mut opt = Sgd::new([("w", &w)], SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
    let grad = |w: &Parameter<f64>| w.set_grad(Some(Tensor::scalar(w.value().item())));
    grad(&w);
    opt.step().unwrap();
    assert_eq!(w.value().item(), 0.9);
    assert!(!opt.state_dict().contains_key("w.momentum_buffer"));
    opt.set_group_momentum(0, 0.5).unwrap();
    grad(&w);
    opt.step().unwrap(); // b = g = 0.9, θ = 0.9 − 0.09
    assert!((w.value().item() - 0.81).abs() < 1e-15);
    grad(&w);
    opt.step().unwrap(); // b = 0.5·0.9 + 0.81 = 1.26, θ = 0.81 − 0.126
    assert!((w.value().item() - 0.684).abs() < 1e-15);
    assert_eq!(opt.state_dict()["w.momentum_buffer"].item(), 1.26);
}
