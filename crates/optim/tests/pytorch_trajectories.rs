//! Every optimizer and every option against PyTorch's own optimizers: 40-step trajectories on a
//! quadratic and on the Rosenbrock function (fixtures from `scripts/optim_fixtures.py`), with
//! the gradients taken by the autograd tape, also with the parameters in two groups of different
//! options. Plus the three-step table of
//! `shared/reference/pytorch-optimizers.md`.

use autograd::{Parameter, Tape, Tensor, Var};
use optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Adamax, NAdam, Optimizer, RAdam, RmsProp,
    RmsPropConfig, Sgd, SgdConfig,
};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Relative tolerance of the comparison (values below 1e-3 in magnitude are compared absolutely
/// at 1e-9).
const RTOL: f64 = 1e-6;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn flag(v: &Value) -> bool {
    v.as_bool().unwrap_or_else(|| panic!("not a bool: {v}"))
}

fn betas(v: &Value) -> (f64, f64) {
    (num(&v[0]), num(&v[1]))
}

type Named = Vec<(String, Parameter<f64>)>;
type Kwargs = Map<String, Value>;

/// A config whose options can be set from PyTorch's keyword arguments.
trait Kwarg {
    /// Sets the options one by one (an unknown keyword fails the test, so nothing is silently
    /// dropped).
    fn set(&mut self, kwargs: &Kwargs);
}

macro_rules! options {
    ($name:literal, $config:ident, { $($key:literal => $field:ident : $read:ident),* $(,)? }) => {
        impl Kwarg for optim::$config {
            fn set(&mut self, kwargs: &Kwargs) {
                for (k, v) in kwargs {
                    match k.as_str() {
                        $($key => self.$field = $read(v),)*
                        k => panic!("{}: option {k} is not mapped", $name),
                    }
                }
            }
        }
    };
}
options!("SGD", SgdConfig, { "lr" => lr: num, "momentum" => momentum: num, "dampening" => dampening: num,
    "weight_decay" => weight_decay: num, "nesterov" => nesterov: flag, "maximize" => maximize: flag });
options!("Adagrad", AdagradConfig, { "lr" => lr: num, "lr_decay" => lr_decay: num,
    "weight_decay" => weight_decay: num, "initial_accumulator_value" => initial_accumulator_value: num,
    "eps" => eps: num, "maximize" => maximize: flag });
options!("RMSprop", RmsPropConfig, { "lr" => lr: num, "alpha" => alpha: num, "eps" => eps: num,
    "weight_decay" => weight_decay: num, "momentum" => momentum: num, "centered" => centered: flag,
    "maximize" => maximize: flag });
options!("Adam", AdamConfig, { "lr" => lr: num, "betas" => betas: betas, "eps" => eps: num,
    "weight_decay" => weight_decay: num, "amsgrad" => amsgrad: flag, "maximize" => maximize: flag });
options!("AdamW", AdamWConfig, { "lr" => lr: num, "betas" => betas: betas, "eps" => eps: num,
    "weight_decay" => weight_decay: num, "amsgrad" => amsgrad: flag, "maximize" => maximize: flag });
options!("Adamax", AdamaxConfig, { "lr" => lr: num, "betas" => betas: betas, "eps" => eps: num,
    "weight_decay" => weight_decay: num, "maximize" => maximize: flag });
options!("NAdam", NAdamConfig, { "lr" => lr: num, "betas" => betas: betas, "eps" => eps: num,
    "weight_decay" => weight_decay: num, "momentum_decay" => momentum_decay: num,
    "decoupled_weight_decay" => decoupled_weight_decay: flag, "maximize" => maximize: flag });
options!("RAdam", RAdamConfig, { "lr" => lr: num, "betas" => betas: betas, "eps" => eps: num,
    "weight_decay" => weight_decay: num, "decoupled_weight_decay" => decoupled_weight_decay: flag,
    "maximize" => maximize: flag });

/// Builds the optimizer a fixture case names from its keyword arguments. With `group1`, the
/// first parameter forms group 0 and the others group 1, whose options are `kwargs` overridden
/// by `group1` (PyTorch's per-group dicts).
fn build(optimizer: &str, kwargs: &Kwargs, group1: Option<&Kwargs>, params: &Named) -> Box<dyn Optimizer<f64>> {
    let split = if group1.is_some() { 1 } else { params.len() };
    let (first, rest) = params.split_at(split);
    let named = |ps: &[(String, Parameter<f64>)]| ps.iter().map(|(n, p)| (n.clone(), p.clone())).collect::<Named>();
    macro_rules! grouped {
        ($opt:ident, $config:ident) => {{
            let mut c = optim::$config::default();
            c.set(kwargs);
            let mut o = $opt::new(named(first), c).unwrap();
            if let Some(overrides) = group1 {
                c.set(overrides);
                o.add_param_group(named(rest), c).unwrap();
            }
            Box::new(o)
        }};
    }
    match optimizer {
        "SGD" => grouped!(Sgd, SgdConfig),
        "Adagrad" => grouped!(Adagrad, AdagradConfig),
        "RMSprop" => grouped!(RmsProp, RmsPropConfig),
        "Adam" => grouped!(Adam, AdamConfig),
        "AdamW" => grouped!(AdamW, AdamWConfig),
        "Adamax" => grouped!(Adamax, AdamaxConfig),
        "NAdam" => grouped!(NAdam, NAdamConfig),
        "RAdam" => grouped!(RAdam, RAdamConfig),
        other => panic!("unknown optimizer {other}"),
    }
}

/// The fixture's problems, recorded on a tape: ½θᵀAθ − bᵀθ and the Rosenbrock function.
fn objective<'t>(tape: &'t Tape<f64>, problem: &str, params: &Named, a: &Tensor<f64>, b: &Tensor<f64>) -> Var<'t, f64> {
    match problem {
        "quadratic" => {
            let theta = tape.param(&params[0].1);
            let a_theta = tape.constant(a.clone()).matmul(&theta).unwrap();
            let quad = (&theta * &a_theta).sum() * 0.5;
            let linear = (&tape.constant(b.clone()) * &theta).sum();
            quad - linear
        }
        "rosenbrock" => {
            let (x, y) = (tape.param(&params[0].1), tape.param(&params[1].1));
            let first = 1.0 - &x;
            let second = &y - &(&x * &x);
            &first * &first + 100.0 * &(&second * &second)
        }
        other => panic!("unknown problem {other}"),
    }
}

fn matrix(v: &Value) -> Tensor<f64> {
    let rows: Vec<Vec<f64>> =
        v.as_array().unwrap().iter().map(|r| r.as_array().unwrap().iter().map(num).collect()).collect();
    let (m, n) = (rows.len(), rows[0].len());
    Tensor::from_vec(rows.concat(), [m, n]).unwrap()
}

fn initial_params(problem: &str, initial: &[f64]) -> Named {
    match problem {
        "quadratic" => vec![("theta".into(), Parameter::new(Tensor::from_vec(initial.to_vec(), [3, 1]).unwrap()))],
        _ => vec![
            ("x".into(), Parameter::new(Tensor::scalar(initial[0]))),
            ("y".into(), Parameter::new(Tensor::scalar(initial[1]))),
        ],
    }
}

fn flat(params: &Named) -> Vec<f64> {
    params.iter().flat_map(|(_, p)| p.value().to_vec()).collect()
}

/// Runs the fixture's cases (`cases` or `group_cases`) and returns the worst relative error.
fn follow(key: &str) -> f64 {
    let fx = fixture("optimizers.json");
    let (a, b) = (matrix(&fx["A"]), matrix(&fx["b"]));
    let cases = fx[key].as_array().unwrap();
    let mut worst = 0.0f64;
    for case in cases {
        let (optimizer, problem) = (case["optimizer"].as_str().unwrap(), case["problem"].as_str().unwrap());
        let kwargs = case["kwargs"].as_object().unwrap();
        let group1 = case.get("group1").map(|g| g.as_object().unwrap());
        let negate = flag(&case["negate"]);
        let initial: Vec<f64> = case["initial"].as_array().unwrap().iter().map(num).collect();
        let params = initial_params(problem, &initial);
        let names: Vec<&str> = case["names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
        assert_eq!(names, params.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>());
        let mut opt = build(optimizer, kwargs, group1, &params);
        assert_eq!(opt.group_count(), 1 + group1.is_some() as usize);
        let trajectory = case["trajectory"].as_array().unwrap();
        assert_eq!(trajectory.len(), 40);
        for (step, expected) in trajectory.iter().enumerate() {
            let tape = Tape::new();
            let f = objective(&tape, problem, &params, &a, &b);
            let loss = if negate { -&f } else { f };
            loss.backward().unwrap();
            opt.step().unwrap();
            let got = flat(&params);
            for (i, (&g, e)) in got.iter().zip(expected.as_array().unwrap()).enumerate() {
                let e = num(e);
                let err = (g - e).abs() / e.abs().max(1e-3);
                worst = worst.max(err);
                assert!(
                    err <= RTOL,
                    "{optimizer} {kwargs:?} (group 1: {group1:?}) on {problem}, step {}, element {i}: got {g}, PyTorch {e} \
                     (relative error {err:e})",
                    step + 1
                );
            }
        }
    }
    eprintln!("{key}: {} cases, worst relative error {worst:e}", cases.len());
    worst
}

#[test]
fn every_optimizer_and_option_follows_pytorchs_trajectory() {
    let fx = fixture("optimizers.json");
    assert!(fx["cases"].as_array().unwrap().len() >= 120, "expected the full fixture");
    follow("cases");
}

/// Two parameter groups with different options (learning rate, weight decay, momentum, betas,
/// AMSGrad, centering, maximize) against PyTorch's param groups.
#[test]
fn parameter_groups_follow_pytorchs_trajectory() {
    let fx = fixture("optimizers.json");
    let cases = fx["group_cases"].as_array().unwrap();
    let optimizers: BTreeSet<&str> = cases.iter().map(|c| c["optimizer"].as_str().unwrap()).collect();
    assert!(optimizers.contains("SGD") && optimizers.contains("AdamW") && cases.len() >= 5, "{optimizers:?}");
    follow("group_cases");
}

/// Every keyword argument of every optimizer (PyTorch's, less the engine switches) appears in
/// the fixture for both problems, and with a value other than PyTorch's default in at least one
/// case, so each option's effect is compared with PyTorch (an implementation that ignored the
/// option would fall back to the default and leave the trajectory).
#[test]
fn the_fixture_covers_every_option() {
    use serde_json::json;
    let defaults: BTreeMap<&str, Vec<(&str, Value)>> = BTreeMap::from([
        (
            "SGD",
            vec![
                ("lr", json!(1e-3)),
                ("momentum", json!(0.0)),
                ("dampening", json!(0.0)),
                ("weight_decay", json!(0.0)),
                ("nesterov", json!(false)),
                ("maximize", json!(false)),
            ],
        ),
        (
            "Adagrad",
            vec![
                ("lr", json!(1e-2)),
                ("lr_decay", json!(0.0)),
                ("weight_decay", json!(0.0)),
                ("initial_accumulator_value", json!(0.0)),
                ("eps", json!(1e-10)),
                ("maximize", json!(false)),
            ],
        ),
        (
            "RMSprop",
            vec![
                ("lr", json!(1e-2)),
                ("alpha", json!(0.99)),
                ("eps", json!(1e-8)),
                ("weight_decay", json!(0.0)),
                ("momentum", json!(0.0)),
                ("centered", json!(false)),
                ("maximize", json!(false)),
            ],
        ),
        (
            "Adam",
            vec![
                ("lr", json!(1e-3)),
                ("betas", json!([0.9, 0.999])),
                ("eps", json!(1e-8)),
                ("weight_decay", json!(0.0)),
                ("amsgrad", json!(false)),
                ("maximize", json!(false)),
            ],
        ),
        (
            "AdamW",
            vec![
                ("lr", json!(1e-3)),
                ("betas", json!([0.9, 0.999])),
                ("eps", json!(1e-8)),
                ("weight_decay", json!(1e-2)),
                ("amsgrad", json!(false)),
                ("maximize", json!(false)),
            ],
        ),
        (
            "Adamax",
            vec![
                ("lr", json!(2e-3)),
                ("betas", json!([0.9, 0.999])),
                ("eps", json!(1e-8)),
                ("weight_decay", json!(0.0)),
                ("maximize", json!(false)),
            ],
        ),
        (
            "NAdam",
            vec![
                ("lr", json!(2e-3)),
                ("betas", json!([0.9, 0.999])),
                ("eps", json!(1e-8)),
                ("weight_decay", json!(0.0)),
                ("momentum_decay", json!(4e-3)),
                ("decoupled_weight_decay", json!(false)),
                ("maximize", json!(false)),
            ],
        ),
        (
            "RAdam",
            vec![
                ("lr", json!(1e-3)),
                ("betas", json!([0.9, 0.999])),
                ("eps", json!(1e-8)),
                ("weight_decay", json!(0.0)),
                ("decoupled_weight_decay", json!(false)),
                ("maximize", json!(false)),
            ],
        ),
    ]);
    let fx = fixture("optimizers.json");
    let mut seen: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut changed: BTreeSet<(String, String)> = BTreeSet::new();
    for case in fx["cases"].as_array().unwrap() {
        let optimizer = case["optimizer"].as_str().unwrap().to_string();
        let kwargs = case["kwargs"].as_object().unwrap();
        let key = (optimizer.clone(), case["problem"].as_str().unwrap().to_string());
        seen.entry(key).or_default().extend(kwargs.keys().cloned());
        let default = &defaults[optimizer.as_str()];
        for (option, value) in kwargs {
            let (_, d) = default.iter().find(|(o, _)| o == option).expect("an option of the table");
            // Numbers compare by value (a fixture may spell 0.0 as 0).
            let same = match (value.as_f64(), d.as_f64()) {
                (Some(a), Some(b)) => a == b,
                _ => value == d,
            };
            if !same {
                changed.insert((optimizer.clone(), option.clone()));
            }
        }
    }
    for (optimizer, options) in &defaults {
        for problem in ["quadratic", "rosenbrock"] {
            let got = &seen[&(optimizer.to_string(), problem.to_string())];
            for (option, _) in options {
                assert!(got.contains(*option), "{optimizer} on {problem}: option {option} is never tested");
            }
        }
        for (option, _) in options {
            let key = (optimizer.to_string(), option.to_string());
            assert!(changed.contains(&key), "{optimizer}: option {option} only appears with its default");
        }
    }
}

/// The table in `shared/reference/pytorch-optimizers.md`: f(θ) = θ²/2, θ₀ = 1, three steps.
#[test]
fn three_step_reference_table() {
    type Make = fn(&Parameter<f64>) -> Box<dyn Optimizer<f64>>;
    fn p(w: &Parameter<f64>) -> [(&'static str, Parameter<f64>); 1] {
        [("w", w.clone())]
    }
    let rows: Vec<(&str, Make, [f64; 3])> = vec![
        (
            "SGD lr=0.1",
            |w| Box::new(Sgd::new(p(w), SgdConfig { lr: 0.1, ..Default::default() }).unwrap()),
            [0.9, 0.81, 0.729],
        ),
        (
            "SGD momentum",
            |w| Box::new(Sgd::new(p(w), SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() }).unwrap()),
            [0.9, 0.72, 0.486],
        ),
        (
            "SGD dampening",
            |w| {
                Box::new(
                    Sgd::new(p(w), SgdConfig { lr: 0.1, momentum: 0.9, dampening: 0.5, ..Default::default() }).unwrap(),
                )
            },
            [0.9, 0.765, 0.60525],
        ),
        (
            "SGD nesterov",
            |w| {
                Box::new(
                    Sgd::new(p(w), SgdConfig { lr: 0.1, momentum: 0.9, nesterov: true, ..Default::default() }).unwrap(),
                )
            },
            [0.81, 0.5751, 0.327321],
        ),
        (
            "SGD weight decay",
            |w| Box::new(Sgd::new(p(w), SgdConfig { lr: 0.1, weight_decay: 0.1, ..Default::default() }).unwrap()),
            [0.89, 0.7921, 0.704969],
        ),
        (
            "Adagrad",
            |w| Box::new(Adagrad::new(p(w), AdagradConfig { lr: 0.1, ..Default::default() }).unwrap()),
            [0.90000000001, 0.833103526852, 0.780456181366],
        ),
        (
            "Adagrad initial accumulator",
            |w| {
                Box::new(
                    Adagrad::new(p(w), AdagradConfig { lr: 0.1, initial_accumulator_value: 0.1, ..Default::default() })
                        .unwrap(),
                )
            },
            [0.904653741085, 0.839338733339, 0.787512767996],
        ),
        (
            "Adagrad lr_decay",
            |w| Box::new(Adagrad::new(p(w), AdagradConfig { lr: 0.1, lr_decay: 0.5, ..Default::default() }).unwrap()),
            [0.90000000001, 0.855402351238, 0.828575038425],
        ),
        (
            "RMSprop",
            |w| Box::new(RmsProp::new(p(w), RmsPropConfig { lr: 0.01, ..Default::default() }).unwrap()),
            [0.90000001, 0.832917975265, 0.779982281982],
        ),
        (
            "RMSprop centered",
            |w| Box::new(RmsProp::new(p(w), RmsPropConfig { lr: 0.01, centered: true, ..Default::default() }).unwrap()),
            [0.899496228575, 0.831759387103, 0.778068419631],
        ),
        (
            "RMSprop momentum",
            |w| Box::new(RmsProp::new(p(w), RmsPropConfig { lr: 0.01, momentum: 0.9, ..Default::default() }).unwrap()),
            [0.90000001, 0.742917984265, 0.552914953234],
        ),
        (
            "Adam",
            |w| Box::new(Adam::new(p(w), AdamConfig { lr: 0.1, ..Default::default() }).unwrap()),
            [0.900000001, 0.800412229712, 0.701586274504],
        ),
        (
            "Adam L2",
            |w| Box::new(Adam::new(p(w), AdamConfig { lr: 0.1, weight_decay: 0.1, ..Default::default() }).unwrap()),
            [0.900000000909, 0.800412229527, 0.701586274221],
        ),
        (
            "AdamW default decay",
            |w| Box::new(AdamW::new(p(w), AdamWConfig { lr: 0.1, ..Default::default() }).unwrap()),
            [0.899000001, 0.798519028189, 0.698911184716],
        ),
        (
            "AdamW decay 0.1",
            |w| Box::new(AdamW::new(p(w), AdamWConfig { lr: 0.1, weight_decay: 0.1, ..Default::default() }).unwrap()),
            [0.890000001, 0.781571856954, 0.675101223189],
        ),
    ];
    for (name, make, expected) in rows {
        let w = Parameter::new(Tensor::scalar(1.0));
        let mut opt = make(&w);
        for (step, e) in expected.into_iter().enumerate() {
            let tape = Tape::new();
            let x = tape.param(&w);
            (0.5 * &(&x * &x)).backward().unwrap();
            opt.step().unwrap();
            let got = w.value().item();
            // The table prints 12 significant digits.
            assert!((got - e).abs() <= 1e-11 * e.abs(), "{name}, step {}: got {got:.12}, table {e}", step + 1);
        }
    }
}

/// Momentum as a velocity (v ← λv − η∇L, θ ← θ + v: textbooks' and the lecture's form, see
/// `docs/lecture.md` §4), run by hand on the tape's gradients, gives SGD's trajectory while η
/// is constant, and differs once η changes mid-run.
#[test]
fn lecture_momentum_equals_pytorch_momentum_at_constant_lr() {
    let (lr, lambda) = (1e-3, 0.9);
    let init = [-1.2, 1.0];
    let rosenbrock = |params: &Named| {
        let tape = Tape::new();
        let f = objective(&tape, "rosenbrock", params, &Tensor::scalar(0.0), &Tensor::scalar(0.0));
        f.backward().unwrap();
    };
    let run = |lr_change: Option<(usize, f64)>| {
        let sgd_params = initial_params("rosenbrock", &init);
        let mut sgd = Sgd::new(
            sgd_params.iter().map(|(n, p)| (n.as_str(), p)),
            SgdConfig { lr, momentum: lambda, ..Default::default() },
        )
        .unwrap();
        let lecture_params = initial_params("rosenbrock", &init);
        let mut v = [0.0; 2];
        let mut eta = lr;
        for step in 0..40 {
            if let Some((at, new_lr)) = lr_change {
                if step == at {
                    sgd.set_lr(new_lr).unwrap();
                    eta = new_lr;
                }
            }
            rosenbrock(&sgd_params);
            sgd.step().unwrap();
            rosenbrock(&lecture_params);
            for (i, (_, p)) in lecture_params.iter().enumerate() {
                let g = p.take_grad().unwrap().item();
                v[i] = lambda * v[i] - eta * g;
                p.set_value(Tensor::scalar(p.value().item() + v[i]));
            }
        }
        (flat(&sgd_params), flat(&lecture_params))
    };
    let (sgd, lecture) = run(None);
    for (s, l) in sgd.iter().zip(&lecture) {
        assert!((s - l).abs() <= 1e-12 * s.abs().max(1.0), "constant lr: SGD {s} vs lecture {l}");
    }
    let (sgd, lecture) = run(Some((20, 3e-4)));
    let gap = sgd.iter().zip(&lecture).map(|(s, l)| (s - l).abs()).fold(0.0, f64::max);
    assert!(gap > 1e-4, "after an lr change the two forms should differ, gap {gap:e}");
}
