//! The optimizers' update alone: one step over a 784×256 `f32` weight (the MNIST MLP's first
//! layer, 200,704 elements) whose gradient is already set, on one thread. Prints the median
//! step time and nanoseconds per element for each optimizer and variant. Every update is one
//! pass over the parameter and its state, so it should run at memory speed: a variant far slower
//! than plain SGD per stream touched has lost its vectorization.
//!
//! ```text
//! cargo bench --bench optimizers             # 300 steps per variant
//! cargo bench --bench optimizers -- 100 adam # 100 steps of the variants named adam…
//! python3 benches/peers/optimizers.py        # the same steps in PyTorch (`torch.optim`)
//! ```

use chainrule::autograd::{set_num_threads, Parameter, Tensor};
use chainrule::optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Adamax, AdamaxConfig, NAdam, NAdamConfig, Optimizer,
    RAdam, RAdamConfig, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};
use std::time::Instant;

const ROWS: usize = 256;
const COLS: usize = 784;

type Make = Box<dyn Fn(Vec<(String, Parameter<f32>)>) -> Box<dyn Optimizer<f32>>>;

fn variants() -> Vec<(&'static str, Make)> {
    fn make<O: Optimizer<f32> + 'static>(f: impl Fn(Vec<(String, Parameter<f32>)>) -> O + 'static) -> Make {
        Box::new(move |p| Box::new(f(p)))
    }
    let sgd = |c: SgdConfig| make(move |p| Sgd::new(p, c).unwrap());
    vec![
        ("sgd", sgd(SgdConfig { lr: 0.01, ..Default::default() })),
        ("sgd momentum", sgd(SgdConfig { lr: 0.01, momentum: 0.9, ..Default::default() })),
        ("sgd nesterov", sgd(SgdConfig { lr: 0.01, momentum: 0.9, nesterov: true, ..Default::default() })),
        (
            "sgd momentum weight_decay",
            sgd(SgdConfig { lr: 0.01, momentum: 0.9, weight_decay: 1e-4, ..Default::default() }),
        ),
        ("adam", make(|p| Adam::new(p, AdamConfig::default()).unwrap())),
        ("adam amsgrad", make(|p| Adam::new(p, AdamConfig { amsgrad: true, ..Default::default() }).unwrap())),
        ("adamw", make(|p| AdamW::new(p, AdamWConfig::default()).unwrap())),
        ("rmsprop", make(|p| RmsProp::new(p, RmsPropConfig::default()).unwrap())),
        (
            "rmsprop centered momentum",
            make(|p| RmsProp::new(p, RmsPropConfig { centered: true, momentum: 0.9, ..Default::default() }).unwrap()),
        ),
        ("adagrad", make(|p| Adagrad::new(p, AdagradConfig::default()).unwrap())),
        ("adamax", make(|p| Adamax::new(p, AdamaxConfig::default()).unwrap())),
        ("nadam", make(|p| NAdam::new(p, NAdamConfig::default()).unwrap())),
        ("radam", make(|p| RAdam::new(p, RAdamConfig::default()).unwrap())),
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let steps: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(300);
    let only: Vec<&String> = args.iter().filter(|a| a.parse::<usize>().is_err()).collect();
    set_num_threads(1).unwrap();
    let n = ROWS * COLS;
    let value = |i: usize| ((i * 7919) % 2003) as f32 / 1000.0 - 1.0;
    let gradient = |i: usize| ((i * 104_729) % 1999) as f32 / 5e5 - 2e-3;
    println!("optimizer step over a {ROWS}x{COLS} f32 weight (gradient set), 1 thread, median of {steps} steps");
    for (name, make) in variants() {
        if !only.is_empty() && !only.iter().any(|o| name.starts_with(o.as_str())) {
            continue;
        }
        let weight = Parameter::new(Tensor::from_fn([ROWS, COLS], value));
        let grad = Tensor::from_fn([ROWS, COLS], gradient);
        let mut optimizer = make(vec![("weight".to_string(), weight.clone())]);
        let mut times = Vec::with_capacity(steps);
        for step in 0..steps + 5 {
            weight.set_grad(Some(grad.clone()));
            let started = Instant::now();
            optimizer.step().unwrap();
            if step >= 5 {
                times.push(started.elapsed().as_secs_f64());
            }
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        println!("{name:<28} {:>8.1} µs per step {:>6.3} ns per element", median * 1e6, median * 1e9 / n as f64);
    }
}
