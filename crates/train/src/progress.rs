//! [`Progress`]: what a training run shows while it runs.
//!
//! On a terminal, each epoch gets a live bar (drawn by the `indicatif` crate, at most 20 times a
//! second, as wide as the terminal) with the epoch, samples done, running loss, samples per
//! second and ETA:
//!
//! ```text
//! epoch 3/15 [==========>         ] 4,352/8,000 · loss 0.1234 · 51,830 samples/s · ETA 0s
//! ```
//!
//! and when the epoch ends the bar is replaced by the caller's one-line summary, so the
//! scrollback holds one line per epoch. When standard output is not a terminal (CI logs, pipes,
//! files) the bar would fill the log with carriage returns and escape codes, so only the summary
//! lines are printed: exactly one plain line per epoch. Quiet prints nothing.
//!
//! A process started by an MPI launcher (`mpirun`, `mpiexec`) prints lines too, terminal or
//! not: OpenMPI gives each rank a pseudo-terminal for its output and forwards it wherever
//! `mpirun`'s own output goes, a pipe or a log file included, so a rank cannot tell whether a
//! person is watching. [`ProgressMode::Bar`] still forces the bar there.
//!
//! ```
//! use train::progress::Progress;
//! # use std::sync::{Arc, Mutex};
//! # #[derive(Clone, Default)] struct Shared(Arc<Mutex<Vec<u8>>>);
//! # impl std::io::Write for Shared {
//! #     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(b) }
//! #     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
//! # }
//! # let log = Shared::default();
//! // Lines to any writer (here a shared buffer; a `File` works the same).
//! let mut progress = Progress::lines_to(log.clone());
//! for epoch in 1..=2 {
//!     progress.start_epoch(epoch, 2, 8_000);
//!     for done in (64..=8_000).step_by(64) {
//!         progress.update(done, 0.25); // ignored off a terminal
//!     }
//!     progress.finish_epoch(&format!("epoch {epoch}/2: loss 0.2500"))?;
//! }
//! let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
//! assert_eq!(text, "epoch 1/2: loss 0.2500\nepoch 2/2: loss 0.2500\n");
//! # Ok::<(), train::Error>(())
//! ```

use crate::{Error, Result};
use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::fmt;
use std::io::{self, IsTerminal, Write};

/// How [`Progress`] shows a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProgressMode {
    /// [`ProgressMode::Bar`] if standard output is a terminal and no MPI launcher started the
    /// process (see the [module documentation](self)), else [`ProgressMode::Lines`].
    #[default]
    Auto,
    /// A live bar per epoch on standard output, replaced by the epoch's summary line when the
    /// epoch ends. (If standard output is not a terminal, the bar is not drawn and only the
    /// lines appear.)
    Bar,
    /// One plain line per epoch on standard output: no carriage returns, no escape codes.
    Lines,
    /// Nothing at all.
    Quiet,
}

/// Live per-epoch progress: a bar on a terminal, plain lines elsewhere, or nothing (see the
/// [module documentation](self)).
///
/// The caller drives it: [`Progress::start_epoch`], [`Progress::update`] after each batch,
/// [`Progress::finish_epoch`] with the epoch's summary; [`Progress::println`] for anything else
/// (it does not break the bar).
pub struct Progress {
    output: Output,
}

enum Output {
    /// The current epoch's bar, if an epoch is running.
    Bar(Option<ProgressBar>),
    Lines(Box<dyn Write + Send>),
    Quiet,
}

impl Progress {
    /// Progress on standard output in `mode`; [`ProgressMode::Auto`] is resolved here, by
    /// asking whether standard output is a terminal and whether an MPI launcher started the
    /// process.
    ///
    /// ```
    /// use train::progress::{Progress, ProgressMode};
    /// assert_eq!(Progress::new(ProgressMode::Quiet).mode(), ProgressMode::Quiet);
    /// assert_ne!(Progress::new(ProgressMode::Auto).mode(), ProgressMode::Auto);
    /// ```
    pub fn new(mode: ProgressMode) -> Progress {
        let mode = match mode {
            ProgressMode::Auto => auto(io::stdout().is_terminal(), |name| std::env::var_os(name).is_some()),
            mode => mode,
        };
        let output = match mode {
            ProgressMode::Bar => Output::Bar(None),
            ProgressMode::Auto | ProgressMode::Lines => Output::Lines(Box::new(io::stdout())),
            ProgressMode::Quiet => Output::Quiet,
        };
        Progress { output }
    }

    /// Plain lines, one per epoch, written to `writer` (a file, a buffer) and flushed after each
    /// line, so a log file is current while the run goes on.
    pub fn lines_to(writer: impl Write + Send + 'static) -> Progress {
        Progress { output: Output::Lines(Box::new(writer)) }
    }

    /// The mode in effect: [`ProgressMode::Bar`], [`ProgressMode::Lines`] or
    /// [`ProgressMode::Quiet`] (never `Auto`).
    pub fn mode(&self) -> ProgressMode {
        match self.output {
            Output::Bar(_) => ProgressMode::Bar,
            Output::Lines(_) => ProgressMode::Lines,
            Output::Quiet => ProgressMode::Quiet,
        }
    }

    /// Starts epoch `epoch` of `epochs` (shown as `epoch {epoch}/{epochs}`, so pass the number
    /// counting from 1) over `total_samples` samples. In bar mode, a bar still running from an
    /// epoch that was not finished is cleared.
    pub fn start_epoch(&mut self, epoch: usize, epochs: usize, total_samples: usize) {
        if let Output::Bar(current) = &mut self.output {
            if let Some(old) = current.take() {
                old.finish_and_clear();
            }
            let bar = ProgressBar::with_draw_target(Some(total_samples as u64), ProgressDrawTarget::stdout())
                .with_style(bar_style())
                .with_prefix(format!("{epoch}/{epochs}"))
                .with_message("loss -");
            bar.tick();
            *current = Some(bar);
        }
    }

    /// Reports `samples_done` samples of the epoch done, with the mean loss over them so far.
    /// Only the bar shows it; lines and quiet mode ignore it, so it is cheap to call after every
    /// batch.
    pub fn update(&mut self, samples_done: usize, running_loss: f64) {
        if let Output::Bar(Some(bar)) = &self.output {
            bar.set_message(format!("loss {running_loss:.4}"));
            bar.set_position(samples_done as u64);
        }
    }

    /// Ends the epoch: the bar (if any) gives way to `line`, the caller's summary of the epoch
    /// (e.g. `epoch 3/15: loss 0.1234, val_loss 0.1500, val_accuracy 0.9650, lr 0.05, 2.1 s,
    /// 52,000 samples/s`), printed as one line. Control characters in `line` (a newline, a
    /// carriage return, an escape) become spaces, so one epoch is always one plain line.
    ///
    /// Fails if the output refuses the write (a closed pipe, a full disk).
    pub fn finish_epoch(&mut self, line: &str) -> Result<()> {
        if let Output::Bar(current) = &mut self.output {
            if let Some(bar) = current.take() {
                bar.finish_and_clear();
            }
        }
        self.write_line(&plain(line), "the progress line")
    }

    /// Prints `message` as its own line, above the bar if one is running (the bar is redrawn
    /// below it); in quiet mode, nothing. Control characters become spaces, as in
    /// [`Progress::finish_epoch`].
    ///
    /// Fails if the output refuses the write.
    pub fn println(&mut self, message: &str) -> Result<()> {
        self.write_line(&plain(message), "a progress message")
    }

    fn write_line(&mut self, line: &str, what: &'static str) -> Result<()> {
        let written = match &mut self.output {
            Output::Bar(Some(bar)) => bar.suspend(|| writeln!(io::stdout().lock(), "{line}")),
            Output::Bar(None) => writeln!(io::stdout().lock(), "{line}"),
            Output::Lines(writer) => writeln!(writer, "{line}").and_then(|()| writer.flush()),
            Output::Quiet => Ok(()),
        };
        written.map_err(|source| Error::WriteStream { what, source })
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress").field("mode", &self.mode()).finish_non_exhaustive()
    }
}

/// The variables by which MPI launchers tell a process its rank: OpenMPI's, Hydra's (MPICH,
/// Intel MPI, MVAPICH) and any PMIx launcher's (OpenMPI 5, Slurm's `srun --mpi=pmix`).
const MPI_LAUNCHER_VARIABLES: [&str; 3] = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"];

/// What [`ProgressMode::Auto`] means for a process whose standard output is or is not a
/// terminal, with `is_set` telling which environment variables are set.
fn auto(stdout_is_terminal: bool, is_set: impl Fn(&str) -> bool) -> ProgressMode {
    if stdout_is_terminal && !MPI_LAUNCHER_VARIABLES.into_iter().any(is_set) {
        ProgressMode::Bar
    } else {
        ProgressMode::Lines
    }
}

/// `text` with trailing line breaks dropped and every other control character made a space.
fn plain(text: &str) -> String {
    text.trim_end_matches(['\n', '\r']).chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "epoch {prefix} [{wide_bar}] {human_pos}/{human_len} · {msg} · {samples_per_sec} · ETA {eta}",
    )
    .expect("the template is a valid indicatif template")
    .progress_chars("=> ")
    .with_key("samples_per_sec", |state: &ProgressState, w: &mut dyn fmt::Write| {
        // A formatting error here only garbles one frame of the bar.
        let _ = write!(w, "{} samples/s", HumanCount(state.per_sec().round() as u64));
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_spaces_and_trailing_breaks_go() {
        assert_eq!(plain("epoch 1/2: loss 0.5\n"), "epoch 1/2: loss 0.5");
        assert_eq!(plain("a\rb\x1b[2Kc\td\r\n"), "a b [2Kc d");
        assert_eq!(plain("two\nlines"), "two lines");
    }

    #[test]
    fn auto_is_a_bar_only_on_a_terminal_outside_an_mpi_launcher() {
        let nothing = |_: &str| false;
        assert_eq!(auto(true, nothing), ProgressMode::Bar);
        assert_eq!(auto(false, nothing), ProgressMode::Lines);
        // The variables `mpirun -np 2` (OpenMPI 4.1) and `mpiexec` (MPICH) set on each rank.
        for variable in ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"] {
            assert_eq!(auto(true, |name| name == variable), ProgressMode::Lines, "{variable}");
        }
        assert_eq!(auto(true, |name| name == "OMPI_MCA_plm"), ProgressMode::Bar, "a setting is not a launch");
    }

    #[test]
    fn the_bar_follows_the_epoch_without_a_terminal() {
        let mut progress = Progress { output: Output::Bar(None) };
        for epoch in 1..=2 {
            progress.start_epoch(epoch, 2, 10);
            progress.update(5, 0.5);
            let Output::Bar(Some(bar)) = &progress.output else { panic!("start_epoch did not start a bar") };
            assert_eq!((bar.position(), bar.length(), bar.message()), (5, Some(10), "loss 0.5000".to_owned()));
            assert_eq!(bar.prefix(), format!("{epoch}/2"));
        }
    }
}
