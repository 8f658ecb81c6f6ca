//! What a gradient check found: [`Report`] (one check), [`GradcheckError`] (why it did not pass),
//! and the per-element table both print.

use super::options::{GradcheckOptions, Mode};
use crate::Error;
use std::fmt;

/// What one comparison probed: a single input element (full mode) or a random direction
/// (fast mode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// Element `index` (a multi-index into the input's shape) of input number `input`.
    Element {
        /// Position of the input in the list passed to the check.
        input: usize,
        /// The element's multi-index.
        index: Vec<usize>,
    },
    /// The `k`-th random direction pair `(v, u)` of fast mode.
    Direction(usize),
}

/// One comparison of an analytic derivative with its central-difference estimate that failed
/// `|analytic − numeric| ≤ atol + rtol·|numeric|`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// Which input element (column of the Jacobian) or direction was probed.
    pub probe: Probe,
    /// Which output element (row of the Jacobian): the output's position and the element's
    /// multi-index. `None` in fast mode, where every output enters through `u`.
    pub output: Option<(usize, Vec<usize>)>,
    /// The derivative the tape computed: `J[row, column]`, or `⟨v, Jᵀu⟩` in fast mode.
    pub analytic: f64,
    /// The central difference `(f(x + ε) − f(x − ε)) / 2ε`.
    pub numeric: f64,
    /// `|analytic − numeric|`.
    pub abs_error: f64,
    /// `|analytic − numeric| / |numeric|` (∞ when only the numeric value is 0).
    pub rel_error: f64,
    /// Whether the comparison was made at a point moved off a kink (see [`Kink`]).
    pub resampled: bool,
}

/// An input element (or fast-mode direction) whose finite difference straddles a kink: the op
/// branches at `x + ε` or `x − ε` differ from those at `x` (ReLU or `abs` at 0, a tie in `max`,
/// a custom op's declared kink). Its difference quotient says nothing about the derivative,
/// so it is not counted as a failure.
#[derive(Clone, Debug, PartialEq)]
pub struct Kink {
    /// The element or direction whose difference straddled the kink.
    pub probe: Probe,
    /// With [`KinkPolicy::Resample`](super::KinkPolicy::Resample): where it was checked
    /// instead. `None` if it was only reported (or every attempt still straddled a kink).
    pub resampled: Option<Resampled>,
}

/// How a kinked element was moved off its kink and checked again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Resampled {
    /// The offset added to the element (for a fast-mode direction: the largest offset added to
    /// any element, each element moving by its own random offset).
    pub offset: f64,
    /// Which attempt (from 1) found a point whose difference straddles no kink.
    pub attempt: usize,
}

/// The outcome of one gradient check: what was compared, the largest errors, and any kinks.
///
/// A passing check returns it in `Ok`; a failing one inside [`GradcheckError::Mismatch`]. Its
/// `Display` is a summary plus, when comparisons failed, the per-element table.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// What was checked (`"gradcheck"`, or an op name, its shapes and the order).
    pub label: String,
    /// The options the check ran with.
    pub options: GradcheckOptions,
    /// Names of the inputs, as the table prints them (`"0"`, `"1"`, … and `"u"` for the
    /// grad-output direction of [`gradgradcheck`](super::gradgradcheck)).
    pub inputs: Vec<String>,
    /// Names of the outputs (empty for the single output of [`gradcheck`](super::gradcheck)).
    pub outputs: Vec<String>,
    /// How many comparisons were made (Jacobian entries, or directions in fast mode).
    pub compared: usize,
    /// How many were not made because their difference straddled a kink (the entries of each
    /// column in [`kinks`](Report::kinks) that was not checked nearby, or one per direction in
    /// fast mode). A check that skips more entries than it compares fails with
    /// [`GradcheckError::MostlySkipped`].
    pub skipped: usize,
    /// The largest `|analytic − numeric|` over all comparisons.
    pub max_abs_error: f64,
    /// The largest `|analytic − numeric| / |numeric|` over comparisons whose numeric value is
    /// not 0.
    pub max_rel_error: f64,
    /// The comparisons that failed, in the order they were made.
    pub mismatches: Vec<Mismatch>,
    /// Elements (or directions) whose difference straddled a kink.
    pub kinks: Vec<Kink>,
}

impl Report {
    pub(super) fn new(label: String, options: &GradcheckOptions, inputs: Vec<String>, outputs: Vec<String>) -> Self {
        Report {
            label,
            options: options.clone(),
            inputs,
            outputs,
            compared: 0,
            skipped: 0,
            max_abs_error: 0.0,
            max_rel_error: 0.0,
            mismatches: Vec::new(),
            kinks: Vec::new(),
        }
    }

    /// Whether every comparison passed (kinks do not count as failures).
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }

    /// Kinks that were moved off and checked again.
    pub fn resampled(&self) -> impl Iterator<Item = (&Probe, &Resampled)> {
        self.kinks.iter().filter_map(|k| k.resampled.as_ref().map(|r| (&k.probe, r)))
    }

    /// Compares one analytic derivative with its estimate and records the result.
    pub(super) fn compare(
        &mut self,
        probe: impl FnOnce() -> Probe,
        output: impl FnOnce() -> Option<(usize, Vec<usize>)>,
        analytic: f64,
        numeric: f64,
        resampled: bool,
    ) {
        let abs_error = (analytic - numeric).abs();
        let rel_error = if abs_error == 0.0 { 0.0 } else { abs_error / numeric.abs() };
        self.compared += 1;
        // NaN compares false everywhere: count it as the worst error.
        self.max_abs_error = self.max_abs_error.max(if abs_error.is_nan() { f64::INFINITY } else { abs_error });
        if numeric != 0.0 {
            self.max_rel_error = self.max_rel_error.max(if rel_error.is_nan() { f64::INFINITY } else { rel_error });
        }
        let tolerance = self.options.atol + self.options.rtol * numeric.abs();
        // Written so that a NaN on either side fails.
        let passed = abs_error <= tolerance;
        if !passed {
            let (probe, output) = (probe(), output());
            self.mismatches.push(Mismatch { probe, output, analytic, numeric, abs_error, rel_error, resampled });
        }
    }

    fn probe_name(&self, probe: &Probe) -> (String, String) {
        match probe {
            Probe::Element { input, index } => {
                (self.inputs.get(*input).cloned().unwrap_or_else(|| input.to_string()), format!("{index:?}"))
            }
            Probe::Direction(k) => ("all".to_string(), format!("direction {k}")),
        }
    }

    fn output_name(&self, output: &Option<(usize, Vec<usize>)>) -> String {
        match output {
            None => "⟨u, ·⟩".to_string(),
            Some((o, index)) => match self.outputs.get(*o) {
                Some(name) if !name.is_empty() => format!("{name} {index:?}"),
                _ if self.outputs.len() > 1 => format!("{o} {index:?}"),
                _ => format!("{index:?}"),
            },
        }
    }

    fn what(&self) -> &'static str {
        match self.options.mode {
            Mode::Full => "Jacobian entries",
            Mode::Fast { .. } => "random directions",
        }
    }

    fn write_table(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEADER: [&str; 7] = ["input", "element", "output", "analytic", "numeric", "abs error", "rel error"];
        let rows: Vec<[String; 7]> = self
            .mismatches
            .iter()
            .take(self.options.max_rows)
            .map(|m| {
                let (input, element) = self.probe_name(&m.probe);
                let element = if m.resampled { format!("{element}*") } else { element };
                let output = self.output_name(&m.output);
                [input, element, output, num(m.analytic), num(m.numeric), num(m.abs_error), num(m.rel_error)]
            })
            .collect();
        let mut widths = HEADER.map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: [&str; 7]| {
            write!(f, " ")?;
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                // Labels align left, numbers right.
                if i < 3 {
                    write!(f, " {cell:<w$}")?;
                } else {
                    write!(f, "  {cell:>w$}")?;
                }
            }
            writeln!(f)
        };
        line(f, HEADER)?;
        for row in &rows {
            line(f, row.each_ref().map(String::as_str))?;
        }
        if self.mismatches.len() > rows.len() {
            writeln!(f, "  … and {} more", self.mismatches.len() - rows.len())?;
        }
        if self.mismatches.iter().any(|m| m.resampled) {
            writeln!(f, "  (* compared at a point moved off a kink)")?;
        }
        Ok(())
    }

    fn write_kinks(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (moved, stuck): (Vec<&Kink>, Vec<&Kink>) = self.kinks.iter().partition(|k| k.resampled.is_some());
        let name = |k: &Kink| {
            let (input, element) = self.probe_name(&k.probe);
            match k.probe {
                Probe::Element { .. } => format!("input {input} {element}"),
                Probe::Direction(_) => element,
            }
        };
        if !stuck.is_empty() {
            let list: Vec<String> = stuck.iter().take(self.options.max_rows).map(|k| name(k)).collect();
            let more = stuck.len().saturating_sub(list.len());
            let more = if more > 0 { format!(", … and {more} more") } else { String::new() };
            writeln!(f, "  at a kink, not checked: {}{more}", list.join(", "))?;
        }
        if !moved.is_empty() {
            let list: Vec<String> = moved
                .iter()
                .take(self.options.max_rows)
                .map(|k| {
                    let r = k.resampled.expect("partitioned on resampled");
                    format!("{} (moved by {:+.2e}, attempt {})", name(k), r.offset, r.attempt)
                })
                .collect();
            let more = moved.len().saturating_sub(list.len());
            let more = if more > 0 { format!(", … and {more} more") } else { String::new() };
            writeln!(f, "  at a kink, checked nearby: {}{more}", list.join(", "))?;
        }
        Ok(())
    }
}

/// A number in a table cell: scientific notation with seven significant digits and a signed
/// two-digit exponent (`-6.655376e+00`), so the columns line up.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let s = format!("{v:.6e}");
    let (mantissa, exponent) = s.split_once('e').expect("{:e} always writes an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} writes an integer exponent");
    format!("{mantissa}e{exponent:+03}")
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.options;
        let outcome = if self.passed() {
            format!("passed: {} {} compared", self.compared, self.what())
        } else {
            format!("FAILED: {} of {} {} differ", self.mismatches.len(), self.compared, self.what())
        };
        let skipped = if self.skipped > 0 { format!(", {} skipped at kinks", self.skipped) } else { String::new() };
        let mode = match o.mode {
            Mode::Full => String::new(),
            Mode::Fast { .. } => ", fast mode".to_string(),
        };
        writeln!(
            f,
            "{} {outcome}{skipped}{mode}; max abs error {:.2e}, max rel error {:.2e}",
            self.label, self.max_abs_error, self.max_rel_error
        )?;
        if !self.passed() {
            writeln!(
                f,
                "  central differences with eps {:e}; pass iff |analytic − numeric| ≤ {:e} + {:e}·|numeric|",
                o.eps, o.atol, o.rtol
            )?;
            self.write_table(f)?;
        }
        self.write_kinks(f)
    }
}

/// Why a gradient check did not pass.
///
/// `Debug` prints the same text as `Display`, so `check.unwrap()` in a test shows the table.
#[derive(Clone, PartialEq, thiserror::Error)]
pub enum GradcheckError {
    /// Analytic and numeric derivatives disagree: one report per failing check (one for
    /// [`gradcheck`](super::gradcheck), one per failing case and order for
    /// [`OpCheck`](super::OpCheck)), each with its per-element table.
    #[error("{}", reports_text(.0))]
    Mismatch(Vec<Report>),
    /// The function under test returned an error.
    #[error("{label}: the function under test failed {at}: {source}")]
    Function {
        /// What was being checked.
        label: String,
        /// At which point (the checked point, or an input element moved by ±eps).
        at: String,
        /// The error it returned.
        source: Box<Error>,
    },
    /// More entries were skipped at kinks than compared, so a pass would say little: the
    /// point sits on (or next to) the kinks of the function. The report says what was
    /// compared and skipped.
    #[error(
        "{}: {} of {} {} skipped at kinks and only {} compared, too few for a pass to mean much: \
         check at a point away from the kinks, or pass GradcheckOptions::resample_kinks() to check \
         next to them",
        .0.label,
        .0.skipped,
        .0.skipped + .0.compared,
        .0.what(),
        .0.compared
    )]
    MostlySkipped(Box<Report>),
    /// The function's output is NaN or infinite at the checked point, so no derivative can
    /// be checked there.
    #[error("{label}: output {output} has a non-finite value ({value}) at the checked point")]
    NonFinite {
        /// What was being checked.
        label: String,
        /// Which output.
        output: usize,
        /// The offending value.
        value: f64,
    },
    /// The check itself was set up wrongly (no inputs, an input index out of range, a
    /// non-positive eps, shapes that do not match the arity, …).
    #[error("invalid gradient check: {0}")]
    Invalid(String),
}

fn reports_text(reports: &[Report]) -> String {
    reports.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

impl fmt::Debug for GradcheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
