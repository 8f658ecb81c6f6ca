//! # The lecture's claims, measured
//!
//! Runs the experiments of `crates/lecture` (see `docs/lecture.md` for what each measures and
//! the results of the default run) and writes their numbers (CSV, JSON) and figures (SVG) into
//! one folder per experiment.
//!
//! ```text
//! cargo run --release --example lecture -- all
//! cargo run --release --example lecture -- vanishing overfitting
//! cargo run --release --example lecture -- all --tiny --out runs/lecture-tiny
//! ```
//!
//! Options: `--out DIR` (default `runs/lecture`), `--data DIR` (a folder with MNIST IDX files;
//! default the bundled `data/mnist-10k`), `--tiny` (seconds instead of minutes), `--list`.
//! The last line printed names the output folder.

use lecture::{Experiment, Settings, Size};
use std::time::Instant;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), lecture::Error> {
    let mut settings = Settings::new("runs/lecture");
    let mut chosen = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| usage(&format!("{flag} needs a value")));
        match arg.as_str() {
            "all" => chosen.extend(Experiment::ALL),
            "--out" => settings.out_dir = value("--out")?.into(),
            "--data" => settings.data_dir = value("--data")?.into(),
            "--tiny" => settings.size = Size::Tiny,
            "--list" => {
                for e in Experiment::ALL {
                    println!("{:<16} {}", e.name(), e.claim());
                }
                return Ok(());
            }
            name => {
                chosen.push(Experiment::from_name(name).ok_or_else(|| usage(&format!("unknown experiment {name:?}")))?)
            }
        }
    }
    if chosen.is_empty() {
        return Err(usage("name an experiment, or all"));
    }
    let mut last = settings.out_dir.clone();
    let several = chosen.len() > 1;
    for experiment in chosen {
        println!("== {}: {}", experiment.name(), experiment.claim());
        let started = Instant::now();
        let (lines, dir) = lecture::run(experiment, &settings)?;
        for line in lines {
            println!("{line}");
        }
        println!("({} took {:.1} s; files in {})\n", experiment.name(), started.elapsed().as_secs_f64(), dir.display());
        last = dir;
    }
    if several {
        last = settings.out_dir.clone();
    }
    println!("output: {}", last.display());
    Ok(())
}

fn usage(problem: &str) -> lecture::Error {
    let names: Vec<&str> = Experiment::ALL.iter().map(|e| e.name()).collect();
    lecture::Error::Usage(format!(
        "{problem}\nusage: lecture (all | {}) [--out DIR] [--data DIR] [--tiny] [--list]",
        names.join(" | ")
    ))
}
