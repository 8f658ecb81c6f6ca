//! Where an experiment writes its numbers and plots: one folder per experiment, CSV for tables,
//! JSON for the summary, SVG for figures, plain text for listings.

use crate::{Error, Result};
use autograd::{Float, Tape};
use serde_json::Value;
use std::path::{Path, PathBuf};
use train::plot::Figure;

/// An experiment's output folder, created on first use, and the files written to it.
#[derive(Debug)]
pub struct Output {
    dir: PathBuf,
    written: Vec<PathBuf>,
}

impl Output {
    /// An output folder at `dir` (created with its parents now, so that a run that cannot write
    /// fails before it computes anything).
    pub fn create(dir: impl Into<PathBuf>) -> Result<Output> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| Error::Write { path: dir.clone(), source })?;
        Ok(Output { dir, written: Vec::new() })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The files written so far, in order.
    pub fn written(&self) -> &[PathBuf] {
        &self.written
    }

    /// A subfolder for a sub-run (a fit loop's history files), created now.
    pub fn subdir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.dir.join(name);
        std::fs::create_dir_all(&dir).map_err(|source| Error::Write { path: dir.clone(), source })?;
        Ok(dir)
    }

    /// Writes `table` as `name` (a `.csv` file).
    pub fn csv(&mut self, name: &str, table: &Table) -> Result<()> {
        let path = self.dir.join(name);
        let io = |e: csv::Error| Error::Write { path: path.clone(), source: e.into() };
        let mut writer = csv::Writer::from_path(&path).map_err(io)?;
        writer.write_record(&table.header).map_err(io)?;
        for row in &table.rows {
            writer.write_record(row).map_err(io)?;
        }
        writer.flush().map_err(|source| Error::Write { path: path.clone(), source })?;
        self.written.push(path);
        Ok(())
    }

    /// Writes `value` as pretty-printed JSON.
    pub fn json(&mut self, name: &str, value: &Value) -> Result<()> {
        let text = serde_json::to_string_pretty(value).expect("a serde_json::Value always serializes");
        self.text(name, &(text + "\n"))
    }

    /// Writes `figure` as SVG.
    pub fn svg(&mut self, name: &str, figure: &Figure) -> Result<()> {
        let path = self.dir.join(name);
        figure.write_svg(&path)?;
        self.written.push(path);
        Ok(())
    }

    /// Renders a tape's graph as SVG with Graphviz's `dot` if it is installed (Graphviz is not a
    /// dependency); returns whether it was written.
    pub fn tape_svg<T: Float>(&mut self, name: &str, tape: &Tape<T>) -> Result<bool> {
        let path = self.dir.join(name);
        match tape.write_svg(&path) {
            Ok(()) => {
                self.written.push(path);
                Ok(true)
            }
            Err(autograd::Error::GraphvizMissing { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes `text` as it is.
    pub fn text(&mut self, name: &str, text: &str) -> Result<()> {
        let path = self.dir.join(name);
        std::fs::write(&path, text).map_err(|source| Error::Write { path: path.clone(), source })?;
        self.written.push(path);
        Ok(())
    }
}

/// A table of results: a header and rows of cells, written as CSV and printed aligned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(header: &[&str]) -> Table {
        Table { header: header.iter().map(|s| s.to_string()).collect(), rows: Vec::new() }
    }

    /// Appends a row; it must have one cell per column.
    pub fn push(&mut self, row: Vec<String>) {
        assert_eq!(
            row.len(),
            self.header.len(),
            "a row of {} cells in a table of {} columns",
            row.len(),
            self.header.len()
        );
        self.rows.push(row);
    }

    /// The table as aligned text, one line per row, for the terminal.
    pub fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r[c].chars().count())
                    .chain([self.header[c].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells.iter().zip(&widths).map(|(cell, &w)| format!("{cell:<w$}")).collect();
            padded.join("  ").trim_end().to_string()
        };
        let mut out = line(&self.header);
        for row in &self.rows {
            out.push('\n');
            out.push_str(&line(row));
        }
        out
    }
}

/// A number as a CSV cell: Rust's shortest representation that reads back to the same value.
pub fn cell(v: f64) -> String {
    format!("{v}")
}

/// A number rounded for reading: `digits` significant digits.
pub fn round(v: f64, digits: usize) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        return format!("{v:.*e}", digits.saturating_sub(1));
    }
    let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
    format!("{v:.decimals$}")
}

/// A file-name form of a run's name: `"sigmoid + SGD"` → `"sigmoid-sgd"`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_file_names() {
        assert_eq!(super::slug("sigmoid + SGD"), "sigmoid-sgd");
        assert_eq!(super::slug("leaky ReLU (0.01)"), "leaky-relu-0.01");
    }
}
