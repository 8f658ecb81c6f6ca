//! `bench-suite run`: every workload as its own child process, chainrule (this binary and,
//! optionally, an LTO build of it) alternating with the PyTorch peer (and, for the deep narrow
//! net, dfdx), repeated; then the ratio table.
//!
//! On a shared machine absolute figures drift with the load, so the table's ratios pair the
//! figures of one repeat (measured seconds apart) and report the median and range of those
//! ratios over the repeats. Each run also checks that both sides computed the same thing: the
//! losses, logits and gradients they report must agree to float rounding.

use crate::record::median;
use serde_json::Value;
use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const USAGE: &str = "usage: bench-suite run [--repeats 3] [--epochs 3] [--only <workload>]... \
                     [--lto-binary <path>] [--dfdx-binary <path>] [--no-peer] [--python python3]";

/// What `run` measures and against what.
pub struct Options {
    repeats: usize,
    epochs: usize,
    only: Vec<String>,
    lto_binary: Option<PathBuf>,
    dfdx_binary: Option<PathBuf>,
    python: Option<String>,
}

impl Options {
    /// Parses `run`'s flags.
    pub fn parse(flags: &[String]) -> Result<Options, Box<dyn Error>> {
        let mut options = Options {
            repeats: 3,
            epochs: 3,
            only: Vec::new(),
            lto_binary: None,
            dfdx_binary: None,
            python: Some("python3".into()),
        };
        let mut flags = flags.iter();
        let mut no_peer = false;
        while let Some(flag) = flags.next() {
            if flag == "--no-peer" {
                no_peer = true;
                continue;
            }
            let value = flags.next().ok_or(format!("{flag} needs a value\n{USAGE}"))?;
            let number = || value.parse::<usize>().map_err(|e| format!("bad value {value:?} for {flag}: {e}"));
            match flag.as_str() {
                "--repeats" => options.repeats = number()?,
                "--epochs" => options.epochs = number()?,
                "--only" => options.only.push(value.clone()),
                "--lto-binary" => options.lto_binary = Some(PathBuf::from(value)),
                "--dfdx-binary" => options.dfdx_binary = Some(PathBuf::from(value)),
                "--python" => options.python = Some(value.clone()),
                _ => return Err(format!("unknown flag {flag}\n{USAGE}").into()),
            }
        }
        if no_peer {
            (options.python, options.dfdx_binary) = (None, None);
        }
        if options.repeats == 0 || options.epochs == 0 {
            return Err(format!("--repeats and --epochs must be at least 1\n{USAGE}").into());
        }
        Ok(options)
    }
}

/// One workload at one setting.
#[derive(Clone, Copy)]
struct Case {
    workload: &'static str,
    batch: usize,
    threads: usize,
}

/// Every figure of `docs/benchmarks.md`, in table order.
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for workload in ["mlp-train", "mlp-infer"] {
        for threads in [1, 2] {
            for batch in [32, 128, 512] {
                cases.push(Case { workload, batch, threads });
            }
        }
    }
    cases.push(Case { workload: "deep-narrow", batch: 64, threads: 1 });
    cases.push(Case { workload: "scalar-chain", batch: 1, threads: 1 });
    cases
}

/// A program that runs one workload and prints its JSON lines: a chainrule build of this suite
/// (`label` is its profile), the PyTorch peer script, or the dfdx peer (`benches/peers/dfdx`).
struct Contender {
    /// The column heading: `chainrule release`, `chainrule lto`, `pytorch`, `dfdx`.
    column: String,
    kind: Kind,
}

enum Kind {
    Chainrule {
        binary: PathBuf,
        label: &'static str,
    },
    Pytorch {
        python: String,
    },
    /// Runs the deep narrow net only.
    Dfdx {
        binary: PathBuf,
    },
}

impl Contender {
    /// Whether this contender runs `case`.
    fn runs(&self, case: Case) -> bool {
        !matches!(self.kind, Kind::Dfdx { .. }) || case.workload == "deep-narrow"
    }

    fn command(&self, case: Case, epochs: usize, fixtures: &Path) -> Command {
        let mut command = match &self.kind {
            Kind::Chainrule { binary, label } => {
                let mut command = Command::new(binary);
                command.args(["workload", case.workload, "--label", label]);
                command
            }
            Kind::Pytorch { python } => {
                let mut command = Command::new(python);
                command.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../peers/suite.py")).arg(case.workload);
                command.arg("--fixtures").arg(fixtures);
                // The intra-op pools PyTorch's backends size at start-up; the peer also calls
                // torch.set_num_threads.
                for var in ["OMP_NUM_THREADS", "MKL_NUM_THREADS"] {
                    command.env(var, case.threads.to_string());
                }
                command
            }
            Kind::Dfdx { binary } => {
                let mut command = Command::new(binary);
                command.arg(case.workload).env("RAYON_NUM_THREADS", case.threads.to_string());
                command
            }
        };
        for (flag, value) in [("--batch", case.batch), ("--threads", case.threads), ("--epochs", epochs)] {
            command.arg(flag).arg(value.to_string());
        }
        command.stdout(Stdio::piped()).stderr(Stdio::inherit());
        command
    }
}

/// A figure from one child: its row, its column, the repeat it came from, and the whole record.
struct Figure {
    row: String,
    column: String,
    repeat: usize,
    record: Value,
}

/// Runs everything and prints the JSON lines as they come, then the tables.
pub fn run(options: Options) -> Result<(), Box<dyn Error>> {
    let this = std::env::current_exe()?;
    let mut contenders = vec![Contender {
        column: "chainrule release".into(),
        kind: Kind::Chainrule { binary: this, label: "release" },
    }];
    if let Some(binary) = &options.lto_binary {
        let kind = Kind::Chainrule { binary: binary.clone(), label: "lto" };
        contenders.push(Contender { column: "chainrule lto".into(), kind });
    }
    if let Some(python) = &options.python {
        contenders.push(Contender { column: "pytorch".into(), kind: Kind::Pytorch { python: python.clone() } });
    }
    if let Some(binary) = &options.dfdx_binary {
        contenders.push(Contender { column: "dfdx".into(), kind: Kind::Dfdx { binary: binary.clone() } });
    }

    let selected = |c: &Case| options.only.is_empty() || options.only.iter().any(|o| o == c.workload);
    let cases: Vec<Case> = cases().into_iter().filter(selected).collect();
    if cases.is_empty() {
        return Err("--only matches no workload (mlp-train, mlp-infer, deep-narrow, scalar-chain)".into());
    }
    let fixtures = std::env::temp_dir().join(format!("chainrule-bench-suite-{}", std::process::id()));
    crate::write_fixtures(&fixtures, options.epochs)?;

    let mut figures = Vec::new();
    for repeat in 0..options.repeats {
        for &case in &cases {
            for contender in contenders.iter().filter(|c| c.runs(case)) {
                figures.extend(run_child(contender, case, repeat, options.epochs, &fixtures)?);
            }
        }
    }
    std::fs::remove_dir_all(&fixtures)?;

    println!();
    print_table(&figures, &contenders);
    print_checks(&figures);
    Ok(())
}

/// Runs one child, echoes its JSON lines and keeps them. A child that fails is reported and
/// skipped, so one broken peer does not lose the other figures.
fn run_child(
    contender: &Contender,
    case: Case,
    repeat: usize,
    epochs: usize,
    fixtures: &Path,
) -> Result<Vec<Figure>, Box<dyn Error>> {
    let output = contender.command(case, epochs, fixtures).output()?;
    if !output.status.success() {
        let Case { workload, batch, threads } = case;
        eprintln!("{} failed on {workload} (batch {batch}, {threads} threads): {}", contender.column, output.status);
        return Ok(Vec::new());
    }
    let mut figures = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines().filter(|l| l.starts_with('{')) {
        println!("{line}");
        let record: Value = serde_json::from_str(line)?;
        figures.push(Figure { row: row_name(&record), column: contender.column.clone(), repeat, record });
    }
    Ok(figures)
}

/// `mlp-train, batch 128, 1 thread: samples_per_s`.
fn row_name(record: &Value) -> String {
    let workload = record["workload"].as_str().unwrap_or("?");
    let threads = record["threads"].as_u64().unwrap_or(1);
    let metric = record["metric"].as_str().unwrap_or("?");
    let threads = if threads == 1 { "1 thread".to_string() } else { format!("{threads} threads") };
    match record["batch"].as_u64() {
        Some(batch) => format!("{workload}, batch {batch}, {threads}: {metric}"),
        None => format!("{workload}, {threads}: {metric}"),
    }
}

/// Whether a larger value of `metric` is better (throughput) or worse (time, memory).
fn higher_is_better(metric: &str) -> bool {
    metric == "samples_per_s"
}

/// The figures of `row` in `column`, by repeat.
fn values(figures: &[Figure], row: &str, column: &str) -> BTreeMap<usize, f64> {
    figures
        .iter()
        .filter(|f| f.row == row && f.column == column)
        .filter_map(|f| Some((f.repeat, f.record["value"].as_f64()?)))
        .collect()
}

/// How many times better `a` is than `b`, repeat by repeat (only repeats that have both).
fn paired_ratios(a: &BTreeMap<usize, f64>, b: &BTreeMap<usize, f64>, higher_better: bool) -> Vec<f64> {
    a.iter()
        .filter_map(|(repeat, a)| {
            let b = b.get(repeat)?;
            Some(if higher_better { a / b } else { b / a })
        })
        .collect()
}

/// `48,700 (47,900–49,100)`: the median and, over several repeats, the range.
fn spread(values: &[f64], format: impl Fn(f64) -> String) -> String {
    let (min, max) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    match values.len() {
        0 => "—".into(),
        1 => format(values[0]),
        _ => format!("{} ({}–{})", format(median(values)), format(min), format(max)),
    }
}

/// A figure with the precision its unit deserves: thousands separators for throughputs.
fn format_value(metric: &str, v: f64) -> String {
    if metric == "samples_per_s" {
        let digits = format!("{:.0}", v.abs());
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if v < 0.0 {
            grouped.insert(0, '-');
        }
        grouped
    } else {
        format!("{v:.1}")
    }
}

fn format_ratio(r: f64) -> String {
    format!("{r:.2}×")
}

/// The rows in the order they were first measured.
fn rows(figures: &[Figure]) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    for f in figures {
        if !rows.contains(&f.row) {
            rows.push(f.row.clone());
        }
    }
    rows
}

/// The main table: each contender's median and range over the repeats, and the paired ratios.
fn print_table(figures: &[Figure], contenders: &[Contender]) {
    let release = "chainrule release";
    let has = |column: &str| contenders.iter().any(|c| c.column == column);
    let mut heading: Vec<String> = vec!["figure".into()];
    heading.extend(contenders.iter().map(|c| c.column.clone()));
    if has("pytorch") {
        heading.push("release vs pytorch (× better)".into());
    }
    if has("dfdx") {
        heading.push("release vs dfdx (× better)".into());
    }
    if has("chainrule lto") {
        heading.push("lto vs release (× better)".into());
    }
    println!("| {} |", heading.join(" | "));
    println!("|{}", " --- |".repeat(heading.len()));
    for row in rows(figures) {
        let metric = row.rsplit(": ").next().unwrap_or("").to_string();
        let mut cells = vec![row.clone()];
        for contender in contenders {
            let v: Vec<f64> = values(figures, &row, &contender.column).into_values().collect();
            cells.push(spread(&v, |x| format_value(&metric, x)));
        }
        let comparable = metric != "rss_growth_mib";
        let ratio = |a: &str, b: &str| {
            let r = paired_ratios(&values(figures, &row, a), &values(figures, &row, b), higher_is_better(&metric));
            if comparable {
                spread(&r, format_ratio)
            } else {
                "—".into()
            }
        };
        if has("pytorch") {
            cells.push(ratio(release, "pytorch"));
        }
        if has("dfdx") {
            cells.push(ratio(release, "dfdx"));
        }
        if has("chainrule lto") {
            cells.push(ratio("chainrule lto", release));
        }
        println!("| {} |", cells.join(" | "));
    }
    println!();

    // chainrule against itself: the tape against its floor, two threads against one.
    let mut own = Vec::new();
    for contender in contenders.iter().filter(|c| c.column.starts_with("chainrule")) {
        let column = &contender.column;
        let tape = values(figures, "scalar-chain, 1 thread: ns_per_op", column);
        let hand = values(figures, "scalar-chain-by-hand, 1 thread: ns_per_op", column);
        // Larger is slower here: the tape's cost in units of the hand-written chain's.
        let r = paired_ratios(&hand, &tape, false);
        if !r.is_empty() {
            own.push(format!("| {column}: scalar chain, tape ÷ by hand (time) | {} |", spread(&r, format_ratio)));
        }
        for (workload, batch) in ["mlp-train", "mlp-infer"].into_iter().flat_map(|w| [32, 128, 512].map(|b| (w, b))) {
            let one = values(figures, &format!("{workload}, batch {batch}, 1 thread: samples_per_s"), column);
            let two = values(figures, &format!("{workload}, batch {batch}, 2 threads: samples_per_s"), column);
            let r = paired_ratios(&two, &one, true);
            if !r.is_empty() {
                own.push(format!(
                    "| {column}: {workload} batch {batch}, 2 threads ÷ 1 thread (speed) | {} |",
                    spread(&r, format_ratio)
                ));
            }
        }
    }
    if !own.is_empty() {
        println!("| chainrule against itself | ratio |\n| --- | --- |");
        own.iter().for_each(|line| println!("{line}"));
        println!();
    }
}

/// Both sides must have computed the same thing: compares what each reports about its result
/// (losses, logit sums, gradients) in the first repeat with chainrule's release build, and the
/// tape's gradients of the scalar chain with the hand-written ones.
fn print_checks(figures: &[Figure]) {
    let fields = [
        ("loss_per_epoch", "mean loss of each epoch"),
        ("logit_sum", "sum of logits"),
        ("loss_last_step", "last step's loss"),
        ("gradients", "gradients of x0, a, b"),
    ];
    let first = |row: &str, column: &str| figures.iter().find(|f| f.row == row && f.column == column && f.repeat == 0);
    let release = "chainrule release";
    let mut pairs = Vec::new();
    for row in rows(figures) {
        for other in ["chainrule lto", "pytorch"] {
            pairs.push((row.clone(), other, row.clone()));
        }
    }
    let by_hand = "scalar-chain-by-hand, 1 thread: ns_per_op".to_string();
    pairs.push(("scalar-chain, 1 thread: ns_per_op".into(), release, by_hand));
    let mut lines = Vec::new();
    for (row, other, other_row) in pairs {
        let (Some(ours), Some(theirs)) = (first(&row, release), first(&other_row, other)) else { continue };
        for (field, what) in fields {
            let (Some(a), Some(b)) = (numbers(&ours.record[field]), numbers(&theirs.record[field])) else { continue };
            let relative = |(a, b): (&f64, &f64)| (a - b).abs() / a.abs().max(b.abs()).max(1e-30);
            let worst = a.iter().zip(&b).map(relative).fold(0.0, f64::max);
            let verdict = if a.len() == b.len() && worst <= 1e-3 { "same" } else { "DIFFERENT" };
            let show = |v: &[f64]| v.iter().map(|x| format!("{x:.6}")).collect::<Vec<_>>().join(", ");
            let setting = |row: &str| row.rsplit_once(": ").map_or(row.to_string(), |(setting, _)| setting.to_string());
            let name = match other_row == row {
                true => format!("{} vs {other}", setting(&row)),
                false => format!("{} vs {}", setting(&row), setting(&other_row)),
            };
            lines.push(format!("| {name}: {what} | {} | {} | {worst:.1e} | {verdict} |", show(&a), show(&b)));
        }
    }
    if !lines.is_empty() {
        println!("| check (first repeat) | chainrule release | other | largest relative difference | verdict |");
        println!("| --- | --- | --- | --- | --- |");
        lines.iter().for_each(|line| println!("{line}"));
    }
}

/// A number, or a list of numbers (per-epoch losses, gradients).
fn numbers(value: &Value) -> Option<Vec<f64>> {
    match value {
        Value::Number(n) => Some(vec![n.as_f64()?]),
        Value::Array(items) if !items.is_empty() => {
            let all: Option<Vec<f64>> = items.iter().map(Value::as_f64).collect();
            all
        }
        _ => None,
    }
}
