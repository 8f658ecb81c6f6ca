//! Experiment 7: why deep (measured in `docs/lecture.md` §7).
//!
//! The lecture's claim: a deep network is modular, each layer building on the simpler
//! features of the one below (as logic circuits compute parity with a few gates per level), so
//! with the same number of parameters a deep, narrow network does better than a shallow, wide
//! one.
//!
//! Measured on two tasks, at several parameter budgets, with one hidden layer ("shallow")
//! against `deep_layers` hidden layers ("deep") whose widths are chosen so both have as nearly
//! as possible the same number of parameters:
//! - **parity** of `bits` bits (±1 inputs; the label is 1 when an odd number are +1), trained on
//!   half of the 2^bits patterns and tested on the other half: a compositional function (a tree
//!   of XORs) that no single unit's threshold can express and that changes with every bit;
//! - **MNIST** digits, where nothing forces a composition.

use crate::common::{mlp_with_init, Activation, InitScheme, Mnist, OptimizerKind};
use crate::output::{cell, Output, Table};
use crate::{Error, Result};
use autograd::Tensor;
use nn::{Module, Sequential};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use train::data::Dataset;
use train::plot::{Chart, Figure};
use train::progress::ProgressMode;
use train::Fit;

/// One task's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskConfig {
    /// Parameter budgets (each architecture's width is chosen to come closest).
    pub budgets: Vec<usize>,
    /// Epochs per run.
    pub epochs: usize,
    /// Seeds per architecture and budget (initial weights and shuffles).
    pub seeds: usize,
}

/// What experiment 7 runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Input bits of the parity task.
    pub bits: usize,
    /// The parity task.
    pub parity: TaskConfig,
    /// The MNIST task (training digits from the 8,000, test digits from the 2,000).
    pub mnist: TaskConfig,
    /// Training digits.
    pub train_samples: usize,
    /// Test digits.
    pub test_samples: usize,
    /// Hidden layers of the deep networks.
    pub deep_layers: usize,
    /// The initialisations compared (every budget and architecture is run with each).
    pub inits: Vec<InitScheme>,
    /// The optimizer of every run.
    pub optimizer: OptimizerKind,
    /// Mini-batch size.
    pub batch_size: usize,
    /// The seed of the parity split and the first seed of the runs.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bits: 12,
            parity: TaskConfig { budgets: vec![250, 500, 1_000, 2_000], epochs: 100, seeds: 3 },
            mnist: TaskConfig { budgets: vec![25_000, 100_000], epochs: 10, seeds: 3 },
            train_samples: 8_000,
            test_samples: 2_000,
            deep_layers: 4,
            inits: vec![InitScheme::PyTorch, InitScheme::He],
            optimizer: OptimizerKind::Adam { lr: 1e-3 },
            batch_size: 64,
            seed: 0,
        }
    }
}

impl Config {
    /// Seconds: 10 bits at one budget with PyTorch's initialisation; MNIST on 500 digits.
    pub fn tiny() -> Self {
        Config {
            bits: 10,
            parity: TaskConfig { budgets: vec![500], epochs: 60, seeds: 1 },
            mnist: TaskConfig { budgets: vec![5_000], epochs: 2, seeds: 1 },
            train_samples: 500,
            test_samples: 200,
            inits: vec![InitScheme::PyTorch],
            ..Config::default()
        }
    }
}

/// The number of parameters of a fully connected network with these layer sizes (weights and
/// biases).
pub fn parameter_count(sizes: &[usize]) -> usize {
    sizes.windows(2).map(|w| (w[0] + 1) * w[1]).sum()
}

/// The layer sizes with `hidden` equal hidden layers whose parameter count is closest to
/// `budget`.
pub fn sizes_for_budget(inputs: usize, outputs: usize, hidden: usize, budget: usize) -> Vec<usize> {
    let sizes = |width: usize| {
        let mut s = vec![inputs];
        s.extend(std::iter::repeat_n(width, hidden));
        s.push(outputs);
        s
    };
    let distance = |width: usize| parameter_count(&sizes(width)).abs_diff(budget);
    let mut width = 1;
    while parameter_count(&sizes(width + 1)) <= budget {
        width += 1;
    }
    if distance(width + 1) < distance(width) {
        width += 1;
    }
    sizes(width)
}

/// The parity data: every pattern of `bits` bits as ±1 features, labelled by the parity of its
/// +1s, split in two halves by a seeded permutation (training, test).
pub fn parity_data(bits: usize, seed: u64) -> Result<(Dataset, Dataset)> {
    if !(2..=20).contains(&bits) {
        return Err(Error::config("why-deep", format!("parity of {bits} bits: use 2 to 20")));
    }
    let n = 1usize << bits;
    let features = Tensor::from_fn([n, bits], |k| if ((k / bits) >> (k % bits)) & 1 == 1 { 1.0 } else { -1.0 });
    let labels = (0..n).map(|i| i.count_ones() as usize % 2).collect();
    let all = Dataset::new(features, labels, 2)?;
    let (train, test) = all.random_split(0.5, seed)?;
    Ok((train, test))
}

/// One architecture at one budget: its measurements over the seeds.
#[derive(Clone, Debug)]
pub struct Row {
    /// `"parity"` or `"MNIST"`.
    pub task: &'static str,
    /// The budget asked for.
    pub budget: usize,
    /// `"shallow"` or `"deep"`.
    pub architecture: &'static str,
    /// How the weights started.
    pub init: InitScheme,
    /// The layer sizes.
    pub sizes: Vec<usize>,
    /// The actual number of parameters.
    pub parameters: usize,
    /// Final accuracy on the training data, one per seed.
    pub train_accuracy: Vec<f64>,
    /// Final accuracy on the test data, one per seed.
    pub test_accuracy: Vec<f64>,
}

impl Row {
    /// The mean test accuracy over the seeds.
    pub fn mean_test(&self) -> f64 {
        mean(&self.test_accuracy)
    }

    /// The mean training accuracy over the seeds.
    pub fn mean_train(&self) -> f64 {
        mean(&self.train_accuracy)
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// What experiment 7 measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// Shallow then deep at each budget, parity first.
    pub rows: Vec<Row>,
}

impl Report {
    /// The row of `task`, `architecture` at `budget` with `init`.
    pub fn row(&self, task: &str, init: InitScheme, architecture: &str, budget: usize) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.task == task && r.init == init && r.architecture == architecture && r.budget == budget)
    }

    /// Lines for the terminal.
    pub fn summary(&self) -> Vec<String> {
        let mut table = Table::new(&[
            "task",
            "init",
            "budget",
            "network",
            "sizes",
            "parameters",
            "train acc.",
            "test acc. (per seed)",
        ]);
        for r in &self.rows {
            let per_seed: Vec<String> = r.test_accuracy.iter().map(|a| format!("{:.1}", 100.0 * a)).collect();
            table.push(vec![
                r.task.into(),
                r.init.name().into(),
                r.budget.to_string(),
                r.architecture.into(),
                format!("{:?}", r.sizes),
                r.parameters.to_string(),
                format!("{:.1} %", 100.0 * r.mean_train()),
                format!("{:.1} % ({})", 100.0 * r.mean_test(), per_seed.join(", ")),
            ]);
        }
        table.render().lines().map(str::to_string).collect()
    }
}

/// Runs experiment 7, writing `results.csv`, `summary.json` and `accuracy_vs_parameters.svg`.
pub fn run(config: &Config, mnist: &Mnist, out: &mut Output) -> Result<Report> {
    if config.deep_layers < 2 {
        return Err(Error::config("why-deep", format!("deep_layers must be at least 2, got {}", config.deep_layers)));
    }
    let mut rows = Vec::new();
    let (parity_train, parity_test) = parity_data(config.bits, config.seed)?;
    rows.extend(compare(config, "parity", &config.parity, &parity_train, &parity_test)?);
    let (train, test) = (mnist.train_prefix(config.train_samples)?, mnist.test_prefix(config.test_samples)?);
    rows.extend(compare(config, "MNIST", &config.mnist, &train, &test)?);
    let report = Report { rows };
    write(&report, config, out)?;
    Ok(report)
}

/// Shallow and deep at every budget of `task`.
fn compare(
    config: &Config,
    name: &'static str,
    task: &TaskConfig,
    train: &Dataset,
    test: &Dataset,
) -> Result<Vec<Row>> {
    let (inputs, outputs) = (train.features(), train.classes());
    let mut rows = Vec::new();
    for (&init, &budget) in config.inits.iter().flat_map(|i| task.budgets.iter().map(move |b| (i, b))) {
        for (architecture, hidden) in [("shallow", 1), ("deep", config.deep_layers)] {
            let sizes = sizes_for_budget(inputs, outputs, hidden, budget);
            let mut row = Row {
                task: name,
                budget,
                architecture,
                init,
                parameters: parameter_count(&sizes),
                sizes,
                train_accuracy: Vec::new(),
                test_accuracy: Vec::new(),
            };
            for s in 0..task.seeds as u64 {
                let seed = config.seed + s;
                let net: Sequential =
                    mlp_with_init(&row.sizes, Activation::Relu, init, &mut StdRng::seed_from_u64(seed))?;
                let mut optimizer = config.optimizer.build(net.named_parameters())?;
                Fit::new(&net, &mut *optimizer, train)
                    .epochs(task.epochs)
                    .batch_size(config.batch_size)
                    .seed(seed)
                    .progress(ProgressMode::Quiet)
                    .run()?;
                row.train_accuracy.push(train::evaluate(&net, train, 1_000, train::cross_entropy)?.accuracy);
                row.test_accuracy.push(train::evaluate(&net, test, 1_000, train::cross_entropy)?.accuracy);
            }
            rows.push(row);
        }
    }
    Ok(rows)
}

fn write(report: &Report, config: &Config, out: &mut Output) -> Result<()> {
    let mut table = Table::new(&[
        "task",
        "init",
        "budget",
        "architecture",
        "sizes",
        "parameters",
        "seed",
        "train_accuracy",
        "test_accuracy",
    ]);
    for r in &report.rows {
        for (s, (train, test)) in r.train_accuracy.iter().zip(&r.test_accuracy).enumerate() {
            let sizes: Vec<String> = r.sizes.iter().map(usize::to_string).collect();
            table.push(vec![
                r.task.into(),
                r.init.name().into(),
                r.budget.to_string(),
                r.architecture.into(),
                sizes.join("-"),
                r.parameters.to_string(),
                (config.seed + s as u64).to_string(),
                cell(*train),
                cell(*test),
            ]);
        }
    }
    out.csv("results.csv", &table)?;
    out.json(
        "summary.json",
        &json!({
            "bits": config.bits,
            "deep_layers": config.deep_layers,
            "optimizer": config.optimizer.name(),
            "lr": config.optimizer.lr(),
            "parity_epochs": config.parity.epochs,
            "mnist_epochs": config.mnist.epochs,
            "rows": report.rows.iter().map(|r| json!({
                "task": r.task,
                "init": r.init.name(),
                "budget": r.budget,
                "architecture": r.architecture,
                "sizes": r.sizes,
                "parameters": r.parameters,
                "mean_train_accuracy": r.mean_train(),
                "mean_test_accuracy": r.mean_test(),
                "test_accuracy_per_seed": r.test_accuracy,
            })).collect::<Vec<_>>(),
        }),
    )?;
    let mut figure = Figure::new();
    for task in ["parity", "MNIST"] {
        let mut chart = Chart::new(format!("{task}: test accuracy at equal parameter count")).x_label("parameters");
        for &init in &config.inits {
            for architecture in ["shallow", "deep"] {
                let rows: Vec<&Row> = report
                    .rows
                    .iter()
                    .filter(|r| r.task == task && r.architecture == architecture && r.init == init)
                    .collect();
                let points = rows.iter().map(|r| (r.parameters as f64, r.mean_test()));
                let layers = if architecture == "deep" { config.deep_layers } else { 1 };
                chart = chart.line(format!("{architecture} ({layers} hidden), {} init", init.name()), points);
            }
        }
        figure = figure.chart(chart);
    }
    out.svg("accuracy_vs_parameters.svg", &figure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_meet_the_budget() {
        assert_eq!(parameter_count(&[12, 70, 2]), 13 * 70 + 71 * 2);
        let shallow = sizes_for_budget(12, 2, 1, 1_000);
        let deep = sizes_for_budget(12, 2, 4, 1_000);
        assert_eq!((shallow.len(), deep.len()), (3, 6));
        // The closest width: one more or one less unit is farther from the budget.
        for sizes in [shallow, deep] {
            let here = parameter_count(&sizes).abs_diff(1_000);
            let mut wider = sizes.clone();
            let mut narrower = sizes.clone();
            for l in 1..sizes.len() - 1 {
                wider[l] += 1;
                narrower[l] -= 1;
            }
            assert!(here <= parameter_count(&wider).abs_diff(1_000));
            assert!(here <= parameter_count(&narrower).abs_diff(1_000));
        }
    }

    #[test]
    fn parity_labels_count_the_ones() {
        let (train, test) = parity_data(4, 0).unwrap();
        assert_eq!(train.len() + test.len(), 16);
        for data in [&train, &test] {
            for (row, &label) in data.images().data().chunks(4).zip(data.labels()) {
                let ones = row.iter().filter(|&&v| v == 1.0).count();
                assert_eq!(label, ones % 2);
            }
        }
    }
}
