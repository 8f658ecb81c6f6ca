//! Experiment 1: backpropagation is the chain rule.
//!
//! One sample goes through a network of 3 inputs, 2 sigmoid units and 2 outputs with a softmax
//! cross-entropy loss `l`. For every weight `w` feeding a unit whose weighted sum is `z`, the
//! chain rule splits the derivative in two: `∂l/∂w = ∂z/∂w · ∂l/∂z`.
//!
//! - The forward factor `∂z/∂w` is the value at the input end of the weight (an input `xᵢ` for
//!   the first layer, a hidden activation `aⱼ` for the second; 1 for a bias): the forward pass
//!   already computed it.
//! - The backward factor `∂l/∂z` is computed from the output back: `p − onehot(y)` at the output
//!   sums, then `σ'(z₁) ⊙ W₂ᵀ (p − onehot(y))` at the hidden sums.
//!
//! The experiment computes both factors by hand in plain `f64` arithmetic (no tape), multiplies
//! them, and compares the products with the gradients the tape derives and with central finite
//! differences of the loss, also in plain arithmetic. The tape's backward trace shows the same
//! factors node by node (with the weights and sums named `w1`, `z1`, …): the experiment checks
//! that what the node `z1 = linear(x, w1, b1)` sends to `w1` is `∂l/∂z1 ⊗ x`, the outer product
//! of the backward and forward factors. A second part checks the lecture's total loss: over
//! several samples `L = Σₙ lⁿ`, so `∂L/∂w = Σₙ ∂lⁿ/∂w`.

use crate::output::{cell, round, Output, Table};
use crate::Result;
use autograd::{Tape, Tensor, Var};
use nn::Reduction;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use train::plot::{Chart, Figure};

/// The number of inputs.
pub const N_IN: usize = 3;
/// The number of hidden (sigmoid) units.
pub const N_HIDDEN: usize = 2;
/// The number of outputs (classes).
pub const N_OUT: usize = 2;

/// The network's parameters, as plain numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// First layer weights, `[N_HIDDEN][N_IN]` (row j feeds hidden sum `z₁ⱼ`).
    pub w1: [[f64; N_IN]; N_HIDDEN],
    /// First layer biases.
    pub b1: [f64; N_HIDDEN],
    /// Second layer weights, `[N_OUT][N_HIDDEN]`.
    pub w2: [[f64; N_HIDDEN]; N_OUT],
    /// Second layer biases.
    pub b2: [f64; N_OUT],
}

/// What experiment 1 runs on.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The network.
    pub params: Params,
    /// The one sample.
    pub x: [f64; N_IN],
    /// Its class (0 or 1).
    pub label: usize,
    /// The finite-difference step.
    pub epsilon: f64,
    /// How many random samples the total-loss part sums over.
    pub samples: usize,
    /// The seed of those samples.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            params: Params {
                w1: [[0.5, -0.3, 0.8], [-0.6, 0.4, 0.2]],
                b1: [0.1, -0.2],
                w2: [[0.7, -0.5], [-0.4, 0.9]],
                b2: [0.0, 0.1],
            },
            x: [1.0, -1.0, 0.5],
            label: 1,
            epsilon: 1e-6,
            samples: 4,
            seed: 1,
        }
    }
}

impl Config {
    /// The same experiment (it takes milliseconds at any size).
    pub fn tiny() -> Self {
        Config::default()
    }
}

/// The forward pass in plain arithmetic: every intermediate value.
#[derive(Clone, Debug, PartialEq)]
pub struct Forward {
    /// Hidden weighted sums `z₁ = W₁x + b₁`.
    pub z1: [f64; N_HIDDEN],
    /// Hidden activations `a = σ(z₁)`.
    pub a: [f64; N_HIDDEN],
    /// Output weighted sums (logits) `z₂ = W₂a + b₂`.
    pub z2: [f64; N_OUT],
    /// Softmax probabilities.
    pub p: [f64; N_OUT],
    /// The loss `l = −log p_label`.
    pub loss: f64,
}

/// Runs the forward pass by hand.
pub fn forward(params: &Params, x: &[f64; N_IN], label: usize) -> Forward {
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    let z1: [f64; N_HIDDEN] = std::array::from_fn(|j| dot(&params.w1[j], x) + params.b1[j]);
    let a = z1.map(sigmoid);
    let z2: [f64; N_OUT] = std::array::from_fn(|k| dot(&params.w2[k], &a) + params.b2[k]);
    let max = z2.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let log_sum = max + z2.iter().map(|z| (z - max).exp()).sum::<f64>().ln();
    let p = z2.map(|z| (z - log_sum).exp());
    Forward { z1, a, z2, p, loss: log_sum - z2[label] }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// The backward pass by hand: `∂l/∂z` at every weighted sum.
#[derive(Clone, Debug, PartialEq)]
pub struct Backward {
    /// `∂l/∂z₂ = p − onehot(label)`.
    pub dz2: [f64; N_OUT],
    /// `∂l/∂z₁ = σ'(z₁) ⊙ W₂ᵀ ∂l/∂z₂`, with `σ'(z) = σ(z)(1 − σ(z))`.
    pub dz1: [f64; N_HIDDEN],
}

/// Runs the backward pass by hand, from the forward values.
pub fn backward(params: &Params, fwd: &Forward, label: usize) -> Backward {
    let dz2: [f64; N_OUT] = std::array::from_fn(|k| fwd.p[k] - if k == label { 1.0 } else { 0.0 });
    let dz1 = std::array::from_fn(|j| {
        let da: f64 = (0..N_OUT).map(|k| params.w2[k][j] * dz2[k]).sum();
        fwd.a[j] * (1.0 - fwd.a[j]) * da
    });
    Backward { dz2, dz1 }
}

/// One parameter's derivative, three ways.
#[derive(Clone, Debug, PartialEq)]
pub struct GradientRow {
    /// `"w1[0,2]"`, `"b2[1]"`, …
    pub name: String,
    /// The forward factor `∂z/∂w`: the input the weight multiplies (1 for a bias).
    pub forward: f64,
    /// The backward factor `∂l/∂z` of the sum the weight feeds.
    pub backward: f64,
    /// `forward × backward`.
    pub product: f64,
    /// The tape's gradient.
    pub tape: f64,
    /// The central finite difference `(l(w + ε) − l(w − ε)) / 2ε`.
    pub finite_difference: f64,
}

/// What experiment 1 measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// The forward pass.
    pub forward: Forward,
    /// The backward pass, by hand.
    pub backward: Backward,
    /// The backward factors `∂l/∂z₁`, `∂l/∂z₂` as the tape computed them for the intermediate
    /// values (kept with `retain_grad`).
    pub tape_dz1: [f64; N_HIDDEN],
    /// See [`Report::tape_dz1`].
    pub tape_dz2: [f64; N_OUT],
    /// One row per parameter, in the order w1, b1, w2, b2.
    pub rows: Vec<GradientRow>,
    /// The largest `|product − tape|`.
    pub max_product_vs_tape: f64,
    /// The largest `|tape − finite difference|`.
    pub max_tape_vs_finite_difference: f64,
    /// Over [`Config::samples`] samples: the largest `|∂L/∂w − Σₙ ∂lⁿ/∂w|`, with `L` the summed
    /// loss differentiated as one expression and each `∂lⁿ/∂w` from its own tape.
    pub max_total_vs_sum_of_samples: f64,
    /// The largest `|sent − ∂l/∂z₁ ⊗ x|` over the entries of what the backward trace shows the
    /// node `z1 = linear(x, w1, b1)` sending to `w1`, with `∂l/∂z₁` from the hand-written backward
    /// pass.
    pub max_trace_w1_vs_outer_product: f64,
    /// The tape's listing after the backward pass, with values and gradients.
    pub listing: String,
    /// The tape's backward trace: each node from the output down with the gradient arriving
    /// there, the local derivative and the product sent to each input.
    pub trace: String,
}

impl Report {
    /// Lines for the terminal.
    pub fn summary(&self) -> Vec<String> {
        let mut table =
            Table::new(&["parameter", "∂z/∂w (forward)", "∂l/∂z (backward)", "product", "tape", "finite diff."]);
        for r in &self.rows {
            table.push(vec![
                r.name.clone(),
                round(r.forward, 6),
                round(r.backward, 6),
                round(r.product, 6),
                round(r.tape, 6),
                round(r.finite_difference, 6),
            ]);
        }
        let mut lines: Vec<String> = vec![format!("loss l = {}", round(self.forward.loss, 6))];
        lines.extend(table.render().lines().map(str::to_string));
        lines.push(format!("max |product − tape| = {:.1e}", self.max_product_vs_tape));
        lines.push(format!("max |tape − finite difference| = {:.1e}", self.max_tape_vs_finite_difference));
        lines.push(format!(
            "backward trace: z1 = linear(x, w1, b1) sends w1 ∂l/∂z1 ⊗ x, max |difference| = {:.1e}",
            self.max_trace_w1_vs_outer_product
        ));
        lines.push(format!("total loss: max |∂L/∂w − Σₙ ∂lⁿ/∂w| = {:.1e}", self.max_total_vs_sum_of_samples));
        lines
    }
}

/// Runs experiment 1 and writes `gradients.csv`, `values.json`, `tape.txt` (the listing),
/// `trace.txt` (the backward trace), `tape.dot`, `gradients.svg`, and `tape.svg` when Graphviz is
/// installed, to `out`.
pub fn run(config: &Config, out: &mut Output) -> Result<Report> {
    let Config { params, x, label, .. } = config;
    if *label >= N_OUT {
        return Err(crate::Error::config("chain-rule", format!("label {label} is not a class of {N_OUT}")));
    }
    let fwd = forward(params, x, *label);
    let bwd = backward(params, &fwd, *label);

    // The same computation on a tape, tracing values and gradients for the listing and the
    // backward trace, with every value the lecture names named the same way.
    let tape = Tape::<f64>::new();
    tape.set_tracing(true);
    let leaves = TapeParams::new(&tape, params);
    let xv = tape.constant(Tensor::from_vec(x.to_vec(), [1, N_IN])?);
    let z1 = xv.linear(&leaves.w1, Some(&leaves.b1))?.named("z1");
    let a = z1.sigmoid().named("a");
    let z2 = a.linear(&leaves.w2, Some(&leaves.b2))?.named("z2");
    let loss = nn::cross_entropy(&z2, &[*label], Reduction::Sum)?.named("l");
    // ∂l/∂z of the intermediate values: kept by the backward pass, as a leaf's gradient is.
    z1.retain_grad()?;
    z2.retain_grad()?;
    loss.backward()?;
    let tape_grads = leaves.grads();
    let (dz1, dz2) = (z1.grad().expect("z1 retains its gradient"), z2.grad().expect("z2 retains its gradient"));

    let mut rows = Vec::new();
    let hand = |name: String, forward: f64, backward: f64, index: usize| GradientRow {
        name,
        forward,
        backward,
        product: forward * backward,
        tape: tape_grads[index],
        finite_difference: finite_difference(params, x, *label, index, config.epsilon),
    };
    let mut index = 0;
    for j in 0..N_HIDDEN {
        for (i, &input) in x.iter().enumerate() {
            rows.push(hand(format!("w1[{j},{i}]"), input, bwd.dz1[j], index));
            index += 1;
        }
    }
    for j in 0..N_HIDDEN {
        rows.push(hand(format!("b1[{j}]"), 1.0, bwd.dz1[j], index));
        index += 1;
    }
    for k in 0..N_OUT {
        for j in 0..N_HIDDEN {
            rows.push(hand(format!("w2[{k},{j}]"), fwd.a[j], bwd.dz2[k], index));
            index += 1;
        }
    }
    for k in 0..N_OUT {
        rows.push(hand(format!("b2[{k}]"), 1.0, bwd.dz2[k], index));
        index += 1;
    }
    let max_diff = |f: &dyn Fn(&GradientRow) -> f64| rows.iter().map(f).fold(0.0, f64::max);
    let max_product_vs_tape = max_diff(&|r| (r.product - r.tape).abs());
    let max_tape_vs_finite_difference = max_diff(&|r| (r.tape - r.finite_difference).abs());
    let listing = tape.to_string();
    let trace = tape.backward_trace();
    // What the linear node z1 sends to w1 is the backward factor times the forward factor for
    // every weight at once: the outer product ∂l/∂z1 ⊗ x.
    let sent = trace
        .entry("z1")
        .and_then(|z1| z1.input("w1"))
        .and_then(|w1| w1.sent.clone())
        .expect("the traced backward pass went through z1 to w1");
    let outer = bwd.dz1.iter().flat_map(|g| x.iter().map(move |xi| g * xi));
    let max_trace_w1_vs_outer_product = sent.data().iter().zip(outer).map(|(s, o)| (s - o).abs()).fold(0.0, f64::max);

    let report = Report {
        tape_dz1: to_array(dz1.data()),
        tape_dz2: to_array(dz2.data()),
        forward: fwd,
        backward: bwd,
        max_total_vs_sum_of_samples: total_loss_check(config)?,
        rows,
        max_product_vs_tape,
        max_tape_vs_finite_difference,
        max_trace_w1_vs_outer_product,
        listing,
        trace: trace.to_string(),
    };
    write(&report, &tape, out)?;
    Ok(report)
}

fn to_array<const N: usize>(values: &[f64]) -> [f64; N] {
    values.try_into().expect("the tape's gradient has the value's shape")
}

/// The parameters as leaves of a tape.
struct TapeParams<'t> {
    w1: Var<'t, f64>,
    b1: Var<'t, f64>,
    w2: Var<'t, f64>,
    b2: Var<'t, f64>,
}

impl<'t> TapeParams<'t> {
    fn new(tape: &'t Tape<f64>, p: &Params) -> Self {
        let tensor = |v: Vec<f64>, shape: &[usize]| Tensor::from_vec(v, shape).expect("sizes match the constants");
        TapeParams {
            w1: tape.var_named("w1", tensor(p.w1.concat(), &[N_HIDDEN, N_IN])),
            b1: tape.var_named("b1", tensor(p.b1.to_vec(), &[N_HIDDEN])),
            w2: tape.var_named("w2", tensor(p.w2.concat(), &[N_OUT, N_HIDDEN])),
            b2: tape.var_named("b2", tensor(p.b2.to_vec(), &[N_OUT])),
        }
    }

    /// Every gradient, flattened in the order w1, b1, w2, b2.
    fn grads(&self) -> Vec<f64> {
        [&self.w1, &self.b1, &self.w2, &self.b2]
            .iter()
            .flat_map(|v| v.grad().expect("the loss depends on every parameter").to_vec())
            .collect()
    }
}

/// Parameter `index` (flattened as in [`TapeParams::grads`]) of `params`, mutably.
fn param_mut(params: &mut Params, index: usize) -> &mut f64 {
    let (w1, b1, w2) = (N_HIDDEN * N_IN, N_HIDDEN, N_OUT * N_HIDDEN);
    match index {
        i if i < w1 => &mut params.w1[i / N_IN][i % N_IN],
        i if i < w1 + b1 => &mut params.b1[i - w1],
        i if i < w1 + b1 + w2 => &mut params.w2[(i - w1 - b1) / N_HIDDEN][(i - w1 - b1) % N_HIDDEN],
        i => &mut params.b2[i - w1 - b1 - w2],
    }
}

/// `(l(θ + εeᵢ) − l(θ − εeᵢ)) / 2ε` with the hand-written forward pass.
fn finite_difference(params: &Params, x: &[f64; N_IN], label: usize, index: usize, eps: f64) -> f64 {
    let shifted = |delta: f64| {
        let mut p = params.clone();
        *param_mut(&mut p, index) += delta;
        forward(&p, x, label).loss
    };
    (shifted(eps) - shifted(-eps)) / (2.0 * eps)
}

/// The total loss over several samples, `L = Σₙ lⁿ`, differentiated as one expression, against
/// the sum of the samples' gradients each differentiated on its own tape.
fn total_loss_check(config: &Config) -> Result<f64> {
    let n = config.samples;
    if n == 0 {
        return Err(crate::Error::config("chain-rule", "the total-loss check needs at least one sample"));
    }
    let mut rng = StdRng::seed_from_u64(config.seed);
    let xs: Vec<f64> = (0..n * N_IN).map(|_| rng.random_range(-1.0..1.0)).collect();
    let labels: Vec<usize> = (0..n).map(|_| rng.random_range(0..N_OUT)).collect();

    let loss_grads = |x: Vec<f64>, labels: &[usize]| -> Result<Vec<f64>> {
        let tape = Tape::<f64>::new();
        let leaves = TapeParams::new(&tape, &config.params);
        let x = tape.constant(Tensor::from_vec(x, [labels.len(), N_IN])?);
        let logits = x.linear(&leaves.w1, Some(&leaves.b1))?.sigmoid().linear(&leaves.w2, Some(&leaves.b2))?;
        nn::cross_entropy(&logits, labels, Reduction::Sum)?.backward()?;
        Ok(leaves.grads())
    };
    let total = loss_grads(xs.clone(), &labels)?;
    let mut summed = vec![0.0; total.len()];
    for (sample, &label) in xs.chunks(N_IN).zip(&labels) {
        for (s, g) in summed.iter_mut().zip(loss_grads(sample.to_vec(), &[label])?) {
            *s += g;
        }
    }
    Ok(total.iter().zip(&summed).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max))
}

fn write(report: &Report, tape: &Tape<f64>, out: &mut Output) -> Result<()> {
    let mut table =
        Table::new(&["parameter", "forward_dz_dw", "backward_dl_dz", "product", "tape", "finite_difference"]);
    for r in &report.rows {
        table.push(vec![
            r.name.clone(),
            cell(r.forward),
            cell(r.backward),
            cell(r.product),
            cell(r.tape),
            cell(r.finite_difference),
        ]);
    }
    out.csv("gradients.csv", &table)?;
    let f = &report.forward;
    out.json(
        "values.json",
        &json!({
            "forward": { "z1": f.z1, "a": f.a, "z2": f.z2, "p": f.p, "loss": f.loss },
            "backward_by_hand": { "dl_dz1": report.backward.dz1, "dl_dz2": report.backward.dz2 },
            "backward_by_tape": { "dl_dz1": report.tape_dz1, "dl_dz2": report.tape_dz2 },
            "max_abs_product_minus_tape": report.max_product_vs_tape,
            "max_abs_tape_minus_finite_difference": report.max_tape_vs_finite_difference,
            "max_abs_trace_w1_minus_outer_product": report.max_trace_w1_vs_outer_product,
            "max_abs_total_loss_gradient_minus_sum_over_samples": report.max_total_vs_sum_of_samples,
        }),
    )?;
    out.text("tape.txt", &report.listing)?;
    out.text("trace.txt", &report.trace)?;
    out.text("tape.dot", &tape.to_dot())?;
    out.tape_svg("tape.svg", tape)?;

    let points = |f: fn(&GradientRow) -> f64| -> Vec<(f64, f64)> {
        report.rows.iter().enumerate().map(|(i, r)| (i as f64, f(r))).collect()
    };
    let values = Chart::new("∂l/∂w for each of the 14 parameters")
        .x_label("parameter (w1, b1, w2, b2 in order)")
        .scatter("∂z/∂w × ∂l/∂z (by hand)", points(|r| r.product))
        .scatter("tape", points(|r| r.tape))
        .scatter("finite difference", points(|r| r.finite_difference));
    let errors = Chart::new("|tape − finite difference|")
        .x_label("parameter (w1, b1, w2, b2 in order)")
        .log_y()
        .scatter("|tape − finite difference|", points(|r| (r.tape - r.finite_difference).abs()));
    out.svg("gradients.svg", &Figure::new().chart(values).chart(errors))
}
