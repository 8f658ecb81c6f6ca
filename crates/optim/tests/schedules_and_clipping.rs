//! Learning-rate schedules and gradient clipping against PyTorch (fixtures from
//! `scripts/optim_fixtures.py`).

mod common;
use autograd::{Parameter, Tensor};
use common::message;
use optim::{
    clip_grad_norm, clip_grad_value, Adam, AdamConfig, Anneal, CosineAnnealingLr, CosineAnnealingWarmRestarts, Error,
    ExponentialLr, LinearLr, LrScheduler, MultiStepLr, OneCycleLr, OneCycleLrConfig, Optimizer, PlateauMode,
    ReduceLrOnPlateau, ReduceLrOnPlateauConfig, Sgd, SgdConfig, StepLr, ThresholdMode,
};
use serde_json::{Map, Value};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn int(v: &Value) -> usize {
    v.as_u64().unwrap_or_else(|| panic!("not an integer: {v}")) as usize
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-12 * want.abs().max(1e-12) || (got - want).abs() <= 1e-15
}

fn sgd(lr: f64) -> (Parameter<f64>, Sgd<f64>) {
    let w = Parameter::new(Tensor::scalar(0.0));
    let opt = Sgd::new([("w", &w)], SgdConfig { lr, ..Default::default() }).unwrap();
    (w, opt)
}

fn get<'a>(kwargs: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    kwargs.get(key)
}

/// One record per step: both groups' rates and group 0's momentum (β₁ for Adam).
type Record = (f64, f64, f64);

/// The rates of both groups and group 0's momentum after construction, then after each
/// scheduler step, as the fixture script records them: an optimizer (SGD, or Adam where the case
/// says so) with two parameter groups, group 1's rate `group1_lr`.
fn run_schedule(case: &Value) -> Vec<Record> {
    let name = case["scheduler"].as_str().unwrap();
    let kwargs = case["kwargs"].as_object().unwrap();
    let (base_lr, group1_lr) = (num(&case["base_lr"]), num(&case["group1_lr"]));
    let known: &[&str] = match name {
        "StepLR" => &["step_size", "gamma"],
        "MultiStepLR" => &["milestones", "gamma"],
        "ExponentialLR" => &["gamma"],
        "CosineAnnealingLR" => &["T_max", "eta_min"],
        "CosineAnnealingWarmRestarts" => &["T_0", "T_mult", "eta_min"],
        "LinearLR" => &["start_factor", "end_factor", "total_iters"],
        "OneCycleLR" => &[
            "max_lr",
            "total_steps",
            "epochs",
            "steps_per_epoch",
            "pct_start",
            "anneal_strategy",
            "cycle_momentum",
            "base_momentum",
            "max_momentum",
            "div_factor",
            "final_div_factor",
            "three_phase",
            "optimizer",
        ],
        "ReduceLROnPlateau" => {
            &["mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps"]
        }
        other => panic!("unknown scheduler {other}"),
    };
    for key in kwargs.keys() {
        assert!(known.contains(&key.as_str()), "{name}: option {key} is not mapped");
    }
    let f = |key: &str, default: f64| get(kwargs, key).map(num).unwrap_or(default);
    let n = |key: &str, default: usize| get(kwargs, key).map(int).unwrap_or(default);
    let flag = |key: &str, default: bool| get(kwargs, key).map(|v| v.as_bool().unwrap()).unwrap_or(default);

    let (p, q) = (Parameter::new(Tensor::<f64>::zeros([1])), Parameter::new(Tensor::<f64>::zeros([1])));
    let mut opt: Box<dyn Optimizer<f64>> = match get(kwargs, "optimizer").and_then(Value::as_str) {
        Some("Adam") => {
            let mut o = Adam::new([("p", &p)], AdamConfig { lr: base_lr, ..Default::default() }).unwrap();
            o.add_param_group([("q", &q)], AdamConfig { lr: group1_lr, ..Default::default() }).unwrap();
            Box::new(o)
        }
        None => {
            let mut o = Sgd::new([("p", &p)], SgdConfig { lr: base_lr, ..Default::default() }).unwrap();
            o.add_param_group([("q", &q)], SgdConfig { lr: group1_lr, ..Default::default() }).unwrap();
            Box::new(o)
        }
        Some(other) => panic!("unknown optimizer {other}"),
    };
    let opt = opt.as_mut();
    let record = |o: &dyn Optimizer<f64>| {
        let lrs = o.group_lrs();
        (lrs[0], lrs[1], o.group_momentum(0).unwrap())
    };
    if let Some(epochs) = case.get("step_epochs") {
        // Fractional epochs: CosineAnnealingWarmRestarts' own `step_at`, PyTorch's step(epoch).
        assert_eq!(name, "CosineAnnealingWarmRestarts");
        let mut s = CosineAnnealingWarmRestarts::new(opt, n("T_0", 0), n("T_mult", 1), f("eta_min", 0.0)).unwrap();
        let mut out = vec![record(opt)];
        for epoch in epochs.as_array().unwrap().iter().map(num) {
            assert_eq!(s.step_at(epoch, opt).unwrap(), opt.lr());
            assert_eq!(s.last_epoch(), epoch.floor() as usize);
            out.push(record(opt));
        }
        return out;
    }
    let mut schedule: Box<dyn LrScheduler> = match name {
        "StepLR" => Box::new(StepLr::new(n("step_size", 0), f("gamma", 0.1)).unwrap()),
        "MultiStepLR" => {
            let milestones: Vec<usize> = kwargs["milestones"].as_array().unwrap().iter().map(int).collect();
            Box::new(MultiStepLr::new(milestones, f("gamma", 0.1)).unwrap())
        }
        "ExponentialLR" => Box::new(ExponentialLr::new(f("gamma", 0.0)).unwrap()),
        "CosineAnnealingLR" => Box::new(CosineAnnealingLr::new(opt, n("T_max", 0), f("eta_min", 0.0)).unwrap()),
        "CosineAnnealingWarmRestarts" => {
            Box::new(CosineAnnealingWarmRestarts::new(opt, n("T_0", 0), n("T_mult", 1), f("eta_min", 0.0)).unwrap())
        }
        // No options: PyTorch's defaults, which `warmup` claims to be.
        "LinearLR" if kwargs.is_empty() => Box::new(LinearLr::warmup(opt).unwrap()),
        "LinearLR" => Box::new(
            LinearLr::new(opt, f("start_factor", 1.0 / 3.0), f("end_factor", 1.0), n("total_iters", 5)).unwrap(),
        ),
        "OneCycleLR" => {
            let d = OneCycleLrConfig::default();
            let config = OneCycleLrConfig {
                pct_start: f("pct_start", d.pct_start),
                anneal_strategy: match get(kwargs, "anneal_strategy").and_then(Value::as_str) {
                    Some("linear") => Anneal::Linear,
                    Some("cos") | None => Anneal::Cos,
                    Some(other) => panic!("unknown anneal_strategy {other}"),
                },
                cycle_momentum: flag("cycle_momentum", d.cycle_momentum),
                base_momentum: f("base_momentum", d.base_momentum),
                max_momentum: f("max_momentum", d.max_momentum),
                div_factor: f("div_factor", d.div_factor),
                final_div_factor: f("final_div_factor", d.final_div_factor),
                three_phase: flag("three_phase", d.three_phase),
            };
            // PyTorch's total_steps, or epochs × steps_per_epoch.
            let total = get(kwargs, "total_steps").map(int).unwrap_or_else(|| n("epochs", 0) * n("steps_per_epoch", 0));
            Box::new(match &kwargs["max_lr"] {
                Value::Array(per_group) => {
                    let max_lrs: Vec<f64> = per_group.iter().map(num).collect();
                    OneCycleLr::with_max_lrs(opt, &max_lrs, total, config).unwrap()
                }
                max_lr => OneCycleLr::new(opt, num(max_lr), total, config).unwrap(),
            })
        }
        "ReduceLROnPlateau" => {
            let d = ReduceLrOnPlateauConfig::default();
            let config = ReduceLrOnPlateauConfig {
                mode: match get(kwargs, "mode").and_then(Value::as_str) {
                    Some("max") => PlateauMode::Max,
                    _ => PlateauMode::Min,
                },
                factor: f("factor", d.factor),
                patience: n("patience", d.patience),
                threshold: f("threshold", d.threshold),
                threshold_mode: match get(kwargs, "threshold_mode").and_then(Value::as_str) {
                    Some("abs") => ThresholdMode::Abs,
                    _ => ThresholdMode::Rel,
                },
                cooldown: n("cooldown", d.cooldown),
                min_lr: f("min_lr", d.min_lr),
                eps: f("eps", d.eps),
            };
            Box::new(ReduceLrOnPlateau::new(config).unwrap())
        }
        other => panic!("unknown scheduler {other}"),
    };
    let mut out = vec![record(opt)]; // after construction, which sets the rates of some schedules
    let steps = case["lrs"].as_array().unwrap().len() - 1;
    let metrics: Option<Vec<f64>> = case.get("metrics").map(|m| m.as_array().unwrap().iter().map(num).collect());
    for i in 0..steps {
        if let Some(metrics) = &metrics {
            schedule.observe(metrics[i]);
        }
        assert_eq!(schedule.step(opt).unwrap(), opt.lr());
        out.push(record(opt));
    }
    out
}

#[test]
fn schedules_follow_pytorchs_learning_rate_sequences() {
    let fx = fixture("schedules.json");
    let cases = fx["cases"].as_array().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut worst = 0.0f64;
    for case in cases {
        let name = case["scheduler"].as_str().unwrap();
        seen.insert(name);
        let kwargs = case["kwargs"].as_object().unwrap();
        let column =
            |key: &str| -> Option<Vec<f64>> { case.get(key).map(|v| v.as_array().unwrap().iter().map(num).collect()) };
        let (lrs, lrs1, momenta) = (column("lrs").unwrap(), column("lrs_group1").unwrap(), column("momentums"));
        let got = run_schedule(case);
        assert_eq!(got.len(), lrs.len());
        let (mut lrs, mut lrs1, mut momenta) = (lrs, lrs1, momenta);
        if name == "OneCycleLR" {
            // PyTorch's last step extrapolates past the final rate; OneCycleLr holds it there
            // (documented). The fixture's step is not the final one, ours is.
            let n = lrs.len();
            assert_ne!(lrs[n - 1], lrs[n - 2], "PyTorch's last step moves past the final rate");
            lrs[n - 1] = lrs[n - 2];
            lrs1[n - 1] = lrs1[n - 2];
            if let Some(m) = momenta.as_mut() {
                m[n - 1] = m[n - 2];
            }
        }
        for (epoch, (g, w)) in got.iter().zip(lrs.iter().zip(&lrs1)).enumerate() {
            let mut expected = vec![(*w.0, g.0, "group 0 lr"), (*w.1, g.1, "group 1 lr")];
            if let Some(m) = &momenta {
                expected.push((m[epoch], g.2, "momentum"));
            }
            for (want, got, what) in expected {
                worst = worst.max((got - want).abs() / want.abs().max(1e-12));
                assert!(close(got, want), "{name} {kwargs:?}, epoch {epoch}, {what}: got {got}, PyTorch {want}");
            }
        }
    }
    let all = [
        "CosineAnnealingLR",
        "CosineAnnealingWarmRestarts",
        "ExponentialLR",
        "LinearLR",
        "MultiStepLR",
        "OneCycleLR",
        "ReduceLROnPlateau",
        "StepLR",
    ];
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), all, "every schedule has a fixture");
    eprintln!("{} schedule cases, worst relative error {worst:e}", cases.len());
}

#[test]
fn reduce_on_plateau_actually_reduces_in_the_fixture() {
    // Guards against a fixture in which no reduction happens (which any no-op would pass).
    let fx = fixture("schedules.json");
    let plateau: Vec<&Value> =
        fx["cases"].as_array().unwrap().iter().filter(|c| c["scheduler"] == "ReduceLROnPlateau").collect();
    assert!(plateau.len() >= 5);
    for case in plateau {
        let lrs: Vec<f64> = case["lrs"].as_array().unwrap().iter().map(num).collect();
        assert!(lrs.last().unwrap() < &lrs[0], "{:?} never reduced", case["kwargs"]);
    }
}

fn grads_fixture(fx: &Value) -> Vec<(String, Parameter<f64>)> {
    let shapes = fx["shapes"].as_object().unwrap();
    shapes
        .iter()
        .map(|(name, shape)| {
            let dims: Vec<usize> = shape.as_array().unwrap().iter().map(int).collect();
            let data: Vec<f64> = fx["grads"][name].as_array().unwrap().iter().map(num).collect();
            let p = Parameter::new(Tensor::zeros(dims.clone()));
            p.set_grad(Some(Tensor::from_vec(data, dims).unwrap()));
            (name.clone(), p)
        })
        .collect()
}

#[test]
fn clip_grad_norm_matches_pytorch() {
    let fx = fixture("clip.json");
    let cases = fx["norm"].as_array().unwrap();
    let mut clipped_some = false;
    for case in cases {
        let params = grads_fixture(&fx);
        let norm_type = match &case["norm_type"] {
            Value::String(s) if s == "inf" => f64::INFINITY,
            v => num(v),
        };
        let max_norm = num(&case["max_norm"]);
        let before: Vec<Vec<f64>> = params.iter().map(|(_, p)| p.grad().unwrap().to_vec()).collect();
        let total = clip_grad_norm(params.iter().map(|(_, p)| p), max_norm, norm_type).unwrap();
        let want = num(&case["total_norm"]);
        assert!((total - want).abs() <= 1e-12 * want, "norm {norm_type}: total {total}, PyTorch {want}");
        for ((name, p), before) in params.iter().zip(before) {
            let got = p.grad().unwrap().to_vec();
            clipped_some |= got != before;
            for (g, e) in got.iter().zip(case["clipped"][name].as_array().unwrap()) {
                let e = num(e);
                assert!(
                    (g - e).abs() <= 1e-12 * e.abs().max(1e-12),
                    "norm {norm_type}, max {max_norm}, {name}: {g} vs {e}"
                );
            }
        }
    }
    assert!(clipped_some);
}

#[test]
fn clip_grad_value_matches_pytorch() {
    let fx = fixture("clip.json");
    for case in fx["value"].as_array().unwrap() {
        let params = grads_fixture(&fx);
        let clip_value = num(&case["clip_value"]);
        clip_grad_value(params.iter().map(|(_, p)| p), clip_value).unwrap();
        for (name, p) in &params {
            let want: Vec<f64> = case["clipped"][name].as_array().unwrap().iter().map(num).collect();
            assert_eq!(p.grad().unwrap().to_vec(), want, "clip value {clip_value}, {name}");
        }
    }
}

#[test]
fn clipping_skips_parameters_without_gradients_and_reports_non_finite_norms() {
    let a = Parameter::new(Tensor::<f64>::zeros([2]));
    let b = Parameter::new(Tensor::<f64>::zeros([2]));
    a.set_grad(Some(Tensor::vector(&[6.0, 8.0])));
    assert_eq!(clip_grad_norm([&a, &b], 5.0, 2.0).unwrap(), 10.0);
    assert!(b.grad().is_none());
    let g = a.grad().unwrap().to_vec();
    assert!((g[0] - 3.0).abs() < 1e-6 && (g[1] - 4.0).abs() < 1e-6);

    // max_norm = ∞ only measures, PyTorch's idiom for logging the norm.
    a.set_grad(Some(Tensor::vector(&[6.0, 8.0])));
    assert_eq!(clip_grad_norm([&a], f64::INFINITY, 2.0).unwrap(), 10.0);
    assert_eq!(a.grad().unwrap().to_vec(), [6.0, 8.0]);

    a.set_grad(Some(Tensor::vector(&[f64::NAN, 1.0])));
    let err = clip_grad_norm([&a], 1.0, f64::INFINITY).unwrap_err();
    assert!(matches!(err, Error::NonFiniteNorm { .. }));
    assert_eq!(
        message(&err),
        "clip_grad_norm: the total norm of order inf of the gradients is NaN; nothing was clipped"
    );
    assert!(a.grad().unwrap().data()[0].is_nan() && a.grad().unwrap().data()[1] == 1.0, "left untouched");
    assert_eq!(
        message(&clip_grad_norm([&a], -1.0, 2.0).unwrap_err()),
        "invalid max_norm for clip_grad_norm: -1 (must be >= 0 (or infinity))"
    );
    assert_eq!(
        message(&clip_grad_norm([&a], f64::NAN, 2.0).unwrap_err()),
        "invalid max_norm for clip_grad_norm: NaN (must be >= 0 (or infinity))"
    );
    assert_eq!(
        message(&clip_grad_norm([&a], 1.0, 0.0).unwrap_err()),
        "invalid norm_type for clip_grad_norm: 0 (must be > 0 (or infinity))"
    );
    assert_eq!(
        message(&clip_grad_value([&a], f64::NAN).unwrap_err()),
        "invalid clip_value for clip_grad_value: NaN (must be finite and >= 0)"
    );
}

#[test]
fn schedules_reject_bad_arguments() {
    let (_w, mut opt) = sgd(0.1);
    let msg = |e: Error| message(&e);
    assert_eq!(msg(StepLr::new(0, 0.5).unwrap_err()), "invalid step_size for StepLR: 0 (must be >= 1)");
    assert_eq!(
        msg(ExponentialLr::new(f64::NAN).unwrap_err()),
        "invalid gamma for ExponentialLR: NaN (must be finite and >= 0)"
    );
    assert_eq!(
        msg(CosineAnnealingLr::new(&opt, 0, 0.0).unwrap_err()),
        "invalid T_max for CosineAnnealingLR: 0 (must be >= 1)"
    );
    assert_eq!(
        msg(LinearLr::new(&mut opt, 0.0, 1.0, 5).unwrap_err()),
        "invalid start_factor for LinearLR: 0 (must be in (0, 1])"
    );
    assert_eq!(
        msg(LinearLr::new(&mut opt, 0.5, 1.5, 5).unwrap_err()),
        "invalid end_factor for LinearLR: 1.5 (must be in [0, 1])"
    );
    assert_eq!(opt.lr(), 0.1, "a rejected LinearLR leaves the rate alone");
    assert_eq!(
        msg(MultiStepLr::new([3, 0], 0.5).unwrap_err()),
        "invalid milestones for MultiStepLR: 0 (must be epochs >= 1)"
    );
    assert_eq!(
        msg(MultiStepLr::new([3], -0.5).unwrap_err()),
        "invalid gamma for MultiStepLR: -0.5 (must be finite and >= 0)"
    );
    assert_eq!(
        msg(CosineAnnealingWarmRestarts::new(&opt, 0, 1, 0.0).unwrap_err()),
        "invalid T_0 for CosineAnnealingWarmRestarts: 0 (must be >= 1)"
    );
    assert_eq!(
        msg(CosineAnnealingWarmRestarts::new(&opt, 2, 0, 0.0).unwrap_err()),
        "invalid T_mult for CosineAnnealingWarmRestarts: 0 (must be >= 1)"
    );
    let mut restarts = CosineAnnealingWarmRestarts::new(&opt, 2, 1, 0.0).unwrap();
    assert_eq!(
        msg(restarts.step_at(-0.5, &mut opt).unwrap_err()),
        "invalid epoch for CosineAnnealingWarmRestarts: -0.5 (must be finite and >= 0)"
    );
    let one_cycle =
        |opt: &mut Sgd<f64>, total, config| OneCycleLr::new(opt, 0.1, total, config).expect_err("should fail");
    let d = OneCycleLrConfig::default();
    assert_eq!(msg(one_cycle(&mut opt, 0, d)), "invalid total_steps for OneCycleLR: 0 (must be >= 1)");
    assert_eq!(
        msg(one_cycle(&mut opt, 10, OneCycleLrConfig { pct_start: 1.5, ..d })),
        "invalid pct_start for OneCycleLR: 1.5 (must be in [0, 1])"
    );
    // 0.1·10 − 1 = 0: the first phase would span no step (PyTorch divides by zero).
    assert_eq!(
        msg(one_cycle(&mut opt, 10, OneCycleLrConfig { pct_start: 0.1, ..d })),
        "invalid pct_start for OneCycleLR: 0.1 (must be such that every phase of the cycle spans at least one step)"
    );
    assert_eq!(
        msg(one_cycle(&mut opt, 10, OneCycleLrConfig { pct_start: 1.0, ..d })),
        "invalid pct_start for OneCycleLR: 1 (must be such that every phase of the cycle spans at least one step)"
    );
    assert_eq!(
        msg(one_cycle(&mut opt, 10, OneCycleLrConfig { div_factor: 0.0, ..d })),
        "invalid div_factor for OneCycleLR: 0 (must be finite and > 0)"
    );
    assert_eq!(
        msg(OneCycleLr::with_max_lrs(&mut opt, &[0.1, 0.2], 10, d).unwrap_err()),
        "OneCycleLR.step(): the schedule was built for 2 parameter group(s), the optimizer has 1 (build the \
         schedule after adding the groups)"
    );
    // An SGD momentum above what Adam accepts for β₁: rejected, and nothing changed.
    let w = Parameter::new(Tensor::<f64>::scalar(0.0));
    let mut adam = Adam::new([("w", &w)], AdamConfig::default()).unwrap();
    let err = OneCycleLr::new(&mut adam, 0.1, 10, OneCycleLrConfig { max_momentum: 1.0, ..d }).unwrap_err();
    assert_eq!(msg(err), "invalid betas[0] for Adam: 1 (must be in [0, 1))");
    assert_eq!((adam.lr(), adam.group_momentum(0)), (1e-3, Some(0.9)), "a rejected OneCycleLR leaves the optimizer");
    // Adagrad has no momentum to cycle: PyTorch's rule.
    let mut adagrad = optim::Adagrad::new([("w", &w)], optim::AdagradConfig::default()).unwrap();
    assert_eq!(
        msg(OneCycleLr::new(&mut adagrad, 0.1, 10, d).unwrap_err()),
        "OneCycleLR: this optimizer has no momentum or betas[0] to set (use an optimizer with momentum, or turn \
         momentum cycling off)"
    );
    assert!(OneCycleLr::new(&mut adagrad, 0.1, 10, OneCycleLrConfig { cycle_momentum: false, ..d }).is_ok());
    // Past total_steps: an error, as in PyTorch.
    let (_w, mut sgd3) = sgd(0.1);
    let mut cycle = OneCycleLr::new(&mut sgd3, 0.1, 3, d).unwrap();
    for _ in 0..3 {
        cycle.step(&mut sgd3).unwrap();
    }
    assert_eq!(
        msg(cycle.step(&mut sgd3).unwrap_err()),
        "OneCycleLR.step(): tried to step 4 times; the schedule was built for 3 steps"
    );
    let bad = ReduceLrOnPlateauConfig { factor: 1.0, ..Default::default() };
    assert_eq!(
        msg(ReduceLrOnPlateau::new(bad).unwrap_err()),
        "invalid factor for ReduceLROnPlateau: 1 (must be in [0, 1))"
    );
}

#[test]
fn linear_warmup_then_cosine_can_be_chained_by_hand() {
    // Warm-up for 3 epochs, then anneal: each schedule reads the rate the other left.
    let (_w, mut opt) = sgd(0.1);
    let mut warmup = LinearLr::new(&mut opt, 0.25, 1.0, 3).unwrap();
    let mut lrs = vec![opt.lr()];
    for _ in 0..3 {
        lrs.push(warmup.step(&mut opt).unwrap());
    }
    let mut cosine = CosineAnnealingLr::new(&opt, 4, 0.0).unwrap();
    for _ in 0..4 {
        lrs.push(cosine.step(&mut opt).unwrap());
    }
    let want = [0.025, 0.05, 0.075, 0.1, 0.1 * (1.0 + (std::f64::consts::PI / 4.0).cos()) / 2.0];
    for (g, w) in lrs.iter().zip(want) {
        assert!((g - w).abs() < 1e-15, "{lrs:?}");
    }
    assert!(lrs[7].abs() < 1e-15, "annealed to eta_min: {lrs:?}");
}

type Build = fn(&mut Sgd<f64>) -> Box<dyn LrScheduler>;

/// Every schedule, built on an SGD with momentum (which OneCycleLR cycles).
fn every_schedule() -> Vec<(&'static str, Build)> {
    vec![
        ("StepLR", |_| Box::new(StepLr::new(3, 0.5).unwrap())),
        ("MultiStepLR", |_| Box::new(MultiStepLr::new([2, 9, 9], 0.5).unwrap())),
        ("CosineAnnealingWarmRestarts", |o| Box::new(CosineAnnealingWarmRestarts::new(o, 3, 2, 0.001).unwrap())),
        ("OneCycleLR", |o| Box::new(OneCycleLr::new(o, 1.0, 20, OneCycleLrConfig::default()).unwrap())),
        ("ExponentialLR", |_| Box::new(ExponentialLr::new(0.9).unwrap())),
        ("CosineAnnealingLR", |o| Box::new(CosineAnnealingLr::new(o, 6, 0.001).unwrap())),
        ("LinearLR", |o| Box::new(LinearLr::new(o, 0.1, 1.0, 8).unwrap())),
        ("ReduceLROnPlateau", |_| {
            let config = ReduceLrOnPlateauConfig { patience: 1, cooldown: 1, ..Default::default() };
            Box::new(ReduceLrOnPlateau::new(config).unwrap())
        }),
    ]
}

/// A metric that improves, stalls and improves again, so ReduceLROnPlateau has work to do.
fn metric(epoch: usize) -> f64 {
    [5.0, 4.0, 4.0, 4.0, 4.1, 3.0, 3.0, 3.0, 3.0, 3.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0][epoch]
}

/// Every schedule is driven the same way through `Box<dyn LrScheduler>` (the metric is observed
/// and ignored by all but ReduceLROnPlateau), and saving the optimizer and the schedule mid-run
/// and restoring both into fresh objects continues the exact sequence of rates and momenta.
#[test]
fn every_schedule_resumes_from_a_checkpoint_through_the_trait() {
    let sgd = |lr| {
        let w = Parameter::new(Tensor::scalar(0.0));
        let opt = Sgd::new([("w", &w)], SgdConfig { lr, momentum: 0.9, ..Default::default() }).unwrap();
        (w, opt)
    };
    let epoch = |s: &mut Box<dyn LrScheduler>, o: &mut Sgd<f64>, e: usize| {
        s.observe(metric(e));
        s.step(o).unwrap();
        (o.lr(), o.group_momentum(0).unwrap())
    };
    for (name, build) in every_schedule() {
        let (_w, mut opt) = sgd(0.1);
        let mut s = build(&mut opt);
        let straight: Vec<(f64, f64)> = (0..20).map(|e| epoch(&mut s, &mut opt, e)).collect();
        assert!(straight.iter().any(|&(lr, _)| lr != 0.1), "{name} changes the rate: {straight:?}");

        let (_w, mut opt) = sgd(0.1);
        let mut s = build(&mut opt);
        let mut resumed: Vec<(f64, f64)> = (0..7).map(|e| epoch(&mut s, &mut opt, e)).collect();
        let (opt_state, sched_state) = (opt.state_dict(), s.state_dict());
        assert_eq!(sched_state["last_epoch"], 7.0, "{name}");

        let (_w, mut opt) = sgd(0.1);
        let mut s = build(&mut opt);
        opt.load_state_dict(&opt_state).unwrap();
        s.load_state_dict(&sched_state).unwrap();
        resumed.extend((7..20).map(|e| epoch(&mut s, &mut opt, e)));
        assert_eq!(straight, resumed, "{name}");
    }
}

/// The metric-driven schedule through the trait needs its metric each step.
#[test]
fn reduce_on_plateau_through_the_trait_needs_a_metric_per_step() {
    let (_w, mut opt) = sgd(0.1);
    let mut plateau: Box<dyn LrScheduler> = Box::new(ReduceLrOnPlateau::new(Default::default()).unwrap());
    plateau.observe(1.0);
    plateau.step(&mut opt).unwrap();
    assert_eq!(
        message(&plateau.step(&mut opt).unwrap_err()),
        "ReduceLROnPlateau.step(): no metric for this epoch; pass it to `observe` before stepping through the \
         LrScheduler trait"
    );
    assert_eq!(plateau.last_epoch(), 1);
    // The inherent form takes the metric directly, as PyTorch's step(metrics).
    let mut direct = ReduceLrOnPlateau::new(Default::default()).unwrap();
    assert_eq!(direct.step(1.0, &mut opt).unwrap(), 0.1);
}

#[test]
fn schedule_state_mismatches_are_errors() {
    let (_w, opt) = sgd(0.1);
    let mut cosine = CosineAnnealingLr::new(&opt, 5, 0.0).unwrap();
    let state =
        |pairs: &[(&str, f64)]| pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect::<optim::ScheduleState>();
    let msg = |r: optim::Result<()>| message(&r.unwrap_err());
    assert_eq!(
        msg(cosine.load_state_dict(&state(&[("last_epoch", 3.0)]))),
        "CosineAnnealingLR.load_state_dict(): missing entry `base_lr`"
    );
    assert_eq!(
        msg(cosine.load_state_dict(&state(&[("last_epoch", 3.0), ("base_lr", 0.1), ("gamma", 0.5)]))),
        "CosineAnnealingLR.load_state_dict(): unexpected entry `gamma` (this CosineAnnealingLR has no parameter, buffer or counter of that name)"
    );
    assert_eq!(
        msg(cosine.load_state_dict(&state(&[("last_epoch", -1.0), ("base_lr", 0.1)]))),
        "CosineAnnealingLR.load_state_dict(): entry `last_epoch` holds -1, not a count (a whole number >= 0)"
    );
    assert_eq!(cosine.last_epoch(), 0, "failed loads change nothing");
    let mut plateau = ReduceLrOnPlateau::new(ReduceLrOnPlateauConfig::default()).unwrap();
    let bad = state(&[("last_epoch", 1.0), ("best", f64::NAN), ("num_bad_epochs", 0.0), ("cooldown_counter", 0.0)]);
    assert_eq!(
        msg(plateau.load_state_dict(&bad)),
        "ReduceLROnPlateau.load_state_dict(): entry `best` holds NaN, not a metric"
    );
}
