//! chainrule's benchmark suite: the figures of `docs/benchmarks.md`, each printed as one JSON
//! line, measured the way a user's crate builds chainrule (see `Cargo.toml`).
//!
//! ```text
//! bench-suite run [--repeats 3] [--epochs 3] [--only mlp-train] [--lto-binary PATH] [--no-peer]
//! bench-suite workload <name> [--batch 128] [--threads 1] [--epochs 3] [--reps N] [--variant tape]
//! bench-suite fixtures <dir> [--epochs 3]
//! ```
//!
//! `run` starts one child process per workload, implementation and repeat (so each peak RSS
//! belongs to one workload), alternating chainrule and its PyTorch peer
//! (`benches/peers/suite.py`) so both see the same load on a shared machine, then prints the
//! ratio table. `workload` runs one workload in this process and prints its JSON lines: it is
//! what `run` starts, and what `valgrind --tool=callgrind` should be pointed at. `fixtures`
//! writes the initial weights, batch orders and data the PyTorch peer loads, so both sides start
//! from the same bits and see the same batches.

mod deep_narrow;
mod memory;
mod mlp;
mod record;
mod runner;
mod scalar_chain;

use std::error::Error;
use std::path::PathBuf;

/// The one seed behind every initialization, shuffle and synthetic input of the suite.
pub const SEED: u64 = 0;

/// A workload's settings, from the command line.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Mini-batch size (MLP training and inference).
    pub batch: usize,
    /// Threads requested.
    pub threads: usize,
    /// Timed epochs (MLP training) or passes over the digits (inference), after one untimed one.
    pub epochs: usize,
    /// Overrides the number of timed repetitions (chains, steps), for instruction counting.
    pub reps: Option<usize>,
    /// Which variant of a workload to run, where it has several (`tape`, `by-hand`, `both`).
    pub variant: String,
    /// The build this binary was made with, as the runner names it (`release`, `lto`).
    pub label: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { batch: 128, threads: 1, epochs: 3, reps: None, variant: "both".into(), label: "release".into() }
    }
}

/// Sets chainrule's thread count (`autograd::set_num_threads`) and returns the count it uses.
pub fn use_threads(requested: usize) -> usize {
    chainrule::autograd::set_num_threads(requested).expect("the command line checked that --threads is at least 1");
    chainrule::autograd::num_threads()
}

const USAGE: &str = "usage:
  bench-suite run [--repeats 3] [--epochs 3] [--only <workload>] [--lto-binary <path>] [--no-peer] [--python python3]
  bench-suite workload <mlp-train|mlp-infer|deep-narrow|scalar-chain> [--batch 128] [--threads 1] [--epochs 3]
                       [--reps N] [--variant both|tape|by-hand] [--label release]
  bench-suite fixtures <dir> [--epochs 3]";

fn main() {
    if let Err(e) = dispatch(std::env::args().skip(1).collect()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn dispatch(args: Vec<String>) -> Result<(), Box<dyn Error>> {
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("run", &args[..]),
    };
    match command {
        "run" => runner::run(runner::Options::parse(rest)?),
        "workload" => {
            let (name, flags) = rest.split_first().ok_or(format!("workload needs a name\n{USAGE}"))?;
            let settings = parse_settings(flags)?;
            use_threads(settings.threads);
            match name.as_str() {
                "mlp-train" => mlp::train(&settings),
                "mlp-infer" => mlp::infer(&settings),
                "deep-narrow" => deep_narrow::run(&settings),
                "scalar-chain" => scalar_chain::run(&settings),
                other => Err(format!("unknown workload {other:?}\n{USAGE}").into()),
            }
        }
        "fixtures" => {
            let (dir, flags) = rest.split_first().ok_or(format!("fixtures needs a directory\n{USAGE}"))?;
            write_fixtures(&PathBuf::from(dir), parse_settings(flags)?.epochs)
        }
        "--help" | "-h" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n{USAGE}").into()),
    }
}

/// Writes what the PyTorch peer needs to run the same workloads from the same bits.
pub fn write_fixtures(dir: &std::path::Path, epochs: usize) -> Result<(), Box<dyn Error>> {
    std::fs::create_dir_all(dir)?;
    mlp::write_fixture(&dir.join("mlp.safetensors"), epochs)?;
    deep_narrow::write_fixture(&dir.join("deep_narrow.safetensors"))?;
    Ok(())
}

fn parse_settings(flags: &[String]) -> Result<Settings, Box<dyn Error>> {
    let mut settings = Settings::default();
    let mut flags = flags.iter();
    while let Some(flag) = flags.next() {
        let value = flags.next().ok_or(format!("{flag} needs a value\n{USAGE}"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("bad value {value:?} for {flag}: {e}"));
        match flag.as_str() {
            "--batch" => settings.batch = number()?,
            "--threads" => settings.threads = number()?,
            "--epochs" => settings.epochs = number()?,
            "--reps" => settings.reps = Some(number()?),
            "--variant" => settings.variant = value.clone(),
            "--label" => settings.label = value.clone(),
            _ => return Err(format!("unknown flag {flag}\n{USAGE}").into()),
        }
    }
    if settings.batch == 0 || settings.threads == 0 || settings.epochs == 0 {
        return Err(format!("--batch, --threads and --epochs must be at least 1\n{USAGE}").into());
    }
    Ok(settings)
}
