//! The optimizers' updates are elementwise loops that run vectorized and, for large parameters,
//! split across threads. Neither may change a bit: every optimizer and every loop variant gives
//! the same values on 1 and 3 threads, and the same values for one large parameter as for the
//! same numbers held in many small parameters (updated whole, on the calling thread).

use autograd::parallel::PARALLEL_MIN_PARAMETERS;
use autograd::{set_num_threads, Parameter, Tensor};
use optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Adamax, AdamaxConfig, NAdam, NAdamConfig, Optimizer,
    RAdam, RAdamConfig, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};
use std::sync::{Mutex, PoisonError};

/// The tests change the process-wide thread count: one at a time.
static THREAD_COUNT: Mutex<()> = Mutex::new(());

/// Elements in the large parameter: several blocks, and not a multiple of any vector width.
const LEN: usize = 3 * PARALLEL_MIN_PARAMETERS + 5;
/// Elements in each small parameter of the split version.
const PIECE: usize = 1_001;
const STEPS: usize = 7;

type Params = Vec<(String, Parameter<f32>)>;
type Make = fn(Params) -> Box<dyn Optimizer<f32>>;

fn value(i: usize) -> f32 {
    ((i * 7919) % 2003) as f32 / 1000.0 - 1.0
}

fn gradient(step: usize, i: usize) -> f32 {
    ((i * 104_729 + step * 31) % 1999) as f32 / 500.0 - 2.0
}

/// `STEPS` steps over the values split into parameters of at most `piece` elements; the
/// values afterwards, in order.
fn train(make: Make, piece: usize) -> Vec<u32> {
    let starts: Vec<usize> = (0..LEN).step_by(piece).collect();
    let params: Params = starts
        .iter()
        .map(|&s| {
            let n = piece.min(LEN - s);
            let data = (s..s + n).map(value).collect();
            (format!("p{s}"), Parameter::new(Tensor::from_vec(data, [n]).unwrap()))
        })
        .collect();
    let mut optimizer = make(params.clone());
    for step in 0..STEPS {
        for (&s, (_, p)) in starts.iter().zip(&params) {
            let grad = (s..s + p.numel()).map(|i| gradient(step, i)).collect();
            p.set_grad(Some(Tensor::from_vec(grad, [p.numel()]).unwrap()));
        }
        optimizer.step().unwrap();
    }
    params.iter().flat_map(|(_, p)| p.value().to_vec()).map(f32::to_bits).collect()
}

fn optimizers() -> Vec<(&'static str, Make)> {
    vec![
        ("sgd", |p| Box::new(Sgd::new(p, SgdConfig { lr: 0.1, ..Default::default() }).unwrap())),
        ("sgd, maximize, weight decay", |p| {
            Box::new(
                Sgd::new(p, SgdConfig { lr: 0.1, weight_decay: 0.01, maximize: true, ..Default::default() }).unwrap(),
            )
        }),
        ("sgd, nesterov momentum", |p| {
            let config = SgdConfig { lr: 0.1, momentum: 0.9, weight_decay: 0.01, nesterov: true, ..Default::default() };
            Box::new(Sgd::new(p, config).unwrap())
        }),
        ("sgd, dampened momentum", |p| {
            Box::new(Sgd::new(p, SgdConfig { lr: 0.1, momentum: 0.9, dampening: 0.3, ..Default::default() }).unwrap())
        }),
        ("adagrad", |p| {
            let config = AdagradConfig { lr: 0.1, lr_decay: 0.01, weight_decay: 0.01, ..Default::default() };
            Box::new(Adagrad::new(p, config).unwrap())
        }),
        ("rmsprop", |p| Box::new(RmsProp::new(p, RmsPropConfig { lr: 0.01, ..Default::default() }).unwrap())),
        ("rmsprop, centered", |p| {
            Box::new(RmsProp::new(p, RmsPropConfig { lr: 0.01, centered: true, ..Default::default() }).unwrap())
        }),
        ("rmsprop, momentum", |p| {
            Box::new(RmsProp::new(p, RmsPropConfig { lr: 0.01, momentum: 0.9, ..Default::default() }).unwrap())
        }),
        ("rmsprop, centered, momentum, weight decay", |p| {
            let config =
                RmsPropConfig { lr: 0.01, centered: true, momentum: 0.9, weight_decay: 0.01, ..Default::default() };
            Box::new(RmsProp::new(p, config).unwrap())
        }),
        ("adam", |p| Box::new(Adam::new(p, AdamConfig { lr: 0.01, ..Default::default() }).unwrap())),
        ("adam, amsgrad, weight decay", |p| {
            let config = AdamConfig { lr: 0.01, amsgrad: true, weight_decay: 0.01, ..Default::default() };
            Box::new(Adam::new(p, config).unwrap())
        }),
        ("adamw", |p| Box::new(AdamW::new(p, AdamWConfig { lr: 0.01, ..Default::default() }).unwrap())),
        ("adamax", |p| {
            Box::new(Adamax::new(p, AdamaxConfig { lr: 0.01, weight_decay: 0.01, ..Default::default() }).unwrap())
        }),
        ("nadam", |p| Box::new(NAdam::new(p, NAdamConfig { lr: 0.01, ..Default::default() }).unwrap())),
        ("nadam, decoupled weight decay", |p| {
            let config =
                NAdamConfig { lr: 0.01, weight_decay: 0.01, decoupled_weight_decay: true, ..Default::default() };
            Box::new(NAdam::new(p, config).unwrap())
        }),
        // Seven steps take RAdam past the fifth, where its rectification starts.
        ("radam", |p| {
            Box::new(RAdam::new(p, RAdamConfig { lr: 0.01, weight_decay: 0.01, ..Default::default() }).unwrap())
        }),
    ]
}

#[test]
fn updates_do_not_depend_on_threads_or_on_how_values_are_split() {
    let _lock = THREAD_COUNT.lock().unwrap_or_else(PoisonError::into_inner);
    for (name, make) in optimizers() {
        set_num_threads(1).unwrap();
        let whole = train(make, LEN);
        let pieces = train(make, PIECE);
        set_num_threads(3).unwrap();
        let threaded = train(make, LEN);
        assert!(whole == threaded, "{name}: 3 threads differ from 1");
        assert!(whole == pieces, "{name}: one parameter differs from the same values in pieces");
        let moved = whole.iter().zip((0..LEN).map(value)).filter(|&(&b, v)| b != v.to_bits()).count();
        assert!(moved > LEN / 2, "{name}: the optimizer barely moved the values ({moved})");
    }
    set_num_threads(1).unwrap();
}
