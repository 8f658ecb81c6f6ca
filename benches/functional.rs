//! The cost of forward mode: one `jvp` against one `vjp` of the same function, and against the
//! double-VJP construction of `J·v` (differentiate `u ↦ Jᵀu` once more, along `v`), on
//!
//! - `scalar-chain`: the chain of `benches/scalar_chain.rs` (10,000 scalar ops: mul, tanh, powf,
//!   add), a function of its input `x`: per-op overhead;
//! - `mlp`: the MNIST MLP 784-256-128-10 (ReLU, cross-entropy over a batch of 128, MNIST-shaped
//!   random data), a function of its six parameter tensors: the loss's gradient (`vjp`) against
//!   its derivative along a random direction in parameter space (`jvp`).
//!
//! Each call records the function on a fresh tape and differentiates it.
//!
//! ```text
//! cargo bench --bench functional                       # every workload and method, timed
//! target/release/deps/functional-… scalar-chain jvp 30 # one method, a fixed number of calls (callgrind)
//! ```

use chainrule::autograd::functional::{jvp, vjp};
use chainrule::autograd::{grad_with, GradOptions, Result, Tape, Tensor, Var};
use chainrule::nn::{cross_entropy, Reduction};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::hint::black_box;
use std::time::Instant;

const OPS: usize = 10_000;
const BATCH: usize = 128;
const LAYERS: [usize; 4] = [784, 256, 128, 10];

/// The scalar chain of `benches/scalar_chain.rs`.
fn chain<'t>(x: &Var<'t, f32>) -> Var<'t, f32> {
    let c = x.scalar(0.5);
    let mut y = x.clone();
    for _ in 0..OPS / 4 {
        y = &y * &c;
        y = y.tanh();
        y = y.powf(2.0);
        y = &y + &c;
    }
    y
}

/// The MLP's loss as a function of its parameters `[w1, b1, w2, b2, w3, b3]`.
fn mlp_loss<'t>(p: &[Var<'t, f32>], images: &Tensor<f32>, labels: &[usize]) -> Result<Var<'t, f32>> {
    let x = p[0].constant(images.clone());
    let h = x.linear(&p[0], Some(&p[1]))?.relu();
    let h = h.linear(&p[2], Some(&p[3]))?.relu();
    let logits = h.linear(&p[4], Some(&p[5]))?;
    Ok(cross_entropy(&logits, labels, Reduction::Mean).expect("labels in range"))
}

struct Mlp {
    params: Vec<Tensor<f32>>,
    direction: Vec<Tensor<f32>>,
    images: Tensor<f32>,
    labels: Vec<usize>,
}

impl Mlp {
    fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(0);
        let mut params = Vec::new();
        for w in LAYERS.windows(2) {
            let bound = (1.0 / w[0] as f32).sqrt();
            params.push(Tensor::rand_uniform([w[1], w[0]], -bound, bound, &mut rng));
            params.push(Tensor::rand_uniform([w[1]], -bound, bound, &mut rng));
        }
        let direction = params.iter().map(|p| Tensor::rand_normal(p.shape().clone(), 0.0, 1.0, &mut rng)).collect();
        let images = Tensor::rand_uniform([BATCH, LAYERS[0]], 0.0, 1.0, &mut rng);
        let labels = (0..BATCH).map(|i| i % 10).collect();
        Mlp { params, direction, images, labels }
    }
}

/// One call of `method` on `workload`; returns a number that depends on the result.
fn call(workload: &str, method: &str, mlp: &Mlp) -> f32 {
    let tape = Tape::<f32>::new();
    let options = GradOptions::default();
    match workload {
        "scalar-chain" => {
            let x = [tape.constant(Tensor::scalar(0.3))];
            let one = [tape.scalar(1.0)];
            match method {
                "vjp" => vjp(|x| Ok(chain(&x[0])), &x, &one, options).unwrap().1[0].item(),
                "jvp" => jvp(|x| Ok(chain(&x[0])), &x, &one, options).unwrap().1[0].item(),
                "double-vjp" => double_vjp(|x| Ok(chain(&x[0])), &x, &one).item(),
                other => panic!("unknown method {other}"),
            }
        }
        "mlp" => {
            let p: Vec<Var<'_, f32>> = mlp.params.iter().map(|p| tape.constant(p.clone())).collect();
            match method {
                "vjp" => vjp(|p| mlp_loss(p, &mlp.images, &mlp.labels), &p, &[tape.scalar(1.0)], options).unwrap().1[0]
                    .value()
                    .data()[0],
                "jvp" => {
                    let v: Vec<Var<'_, f32>> = mlp.direction.iter().map(|v| tape.constant(v.clone())).collect();
                    jvp(|p| mlp_loss(p, &mlp.images, &mlp.labels), &p, &v, options).unwrap().1[0].item()
                }
                "double-vjp" => {
                    let v: Vec<Var<'_, f32>> = mlp.direction.iter().map(|v| tape.constant(v.clone())).collect();
                    double_vjp(|p| mlp_loss(p, &mlp.images, &mlp.labels), &p, &v).item()
                }
                other => panic!("unknown method {other}"),
            }
        }
        other => panic!("unknown workload {other}"),
    }
}

/// `J·v` for a scalar function, without forward mode: `g(u) = Jᵀu` recorded (`create_graph`),
/// then `J·v = ∂⟨g(u), v⟩/∂u`, a second reverse pass.
fn double_vjp<'t>(
    f: impl FnOnce(&[Var<'t, f32>]) -> Result<Var<'t, f32>>,
    x: &[Var<'t, f32>],
    v: &[Var<'t, f32>],
) -> Var<'t, f32> {
    let tape = x[0].tape();
    let u = tape.var(Tensor::scalar(0.0));
    let (_, g) = vjp(f, x, &[&u], GradOptions::create_graph()).unwrap();
    let mut pairing = g[0].mul(&v[0]).unwrap().sum();
    for (g, v) in g.iter().zip(v).skip(1) {
        pairing = pairing.add(&g.mul(v).unwrap().sum()).unwrap();
    }
    let [jv] = grad_with(&[&pairing], None, &[&u], GradOptions::default()).unwrap().try_into().unwrap();
    jv
}

fn time(workload: &str, method: &str, mlp: &Mlp, reps: usize) -> f64 {
    for _ in 0..3 {
        black_box(call(workload, method, mlp));
    }
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            black_box(call(workload, method, mlp));
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[reps / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let mlp = Mlp::new();
    if let [workload, method, reps] = &args[..] {
        let reps: usize = reps.parse().expect("a number of calls");
        let mut sink = 0.0;
        for _ in 0..reps {
            sink += call(workload, method, &mlp);
        }
        println!("{workload} {method} × {reps}: {sink}");
        return;
    }
    // The three methods compute the same derivative.
    for workload in ["scalar-chain", "mlp"] {
        let (a, b) = (call(workload, "jvp", &mlp), call(workload, "double-vjp", &mlp));
        assert!((a - b).abs() <= 1e-4 * (1.0 + a.abs()), "{workload}: jvp {a}, double-vjp {b}");
    }
    println!(
        "{:<14} {:>15} {:>15} {:>15} {:>10} {:>16}",
        "workload", "vjp", "jvp", "double-vjp", "jvp/vjp", "double-vjp/vjp"
    );
    for (workload, reps, unit, scale) in [("scalar-chain", 200, "ns/op", 1e9 / OPS as f64), ("mlp", 100, "ms", 1e3)] {
        let [v, j, d] = ["vjp", "jvp", "double-vjp"].map(|m| time(workload, m, &mlp, reps));
        println!(
            "{:<14} {:>9.2} {unit:<5} {:>9.2} {unit:<5} {:>9.2} {unit:<5} {:>10.2} {:>16.2}",
            workload,
            v * scale,
            j * scale,
            d * scale,
            j / v,
            d / v
        );
    }
}
