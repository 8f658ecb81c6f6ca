//! Progress off a terminal: exactly one plain line per epoch (no carriage return, no escape
//! code), messages as their own lines, and nothing at all in quiet mode. The standard-output
//! cases run in a child process whose output is a pipe, as in CI.

use std::io::Write;
use std::process::Command;
use std::sync::{Arc, Mutex};
use train::progress::{Progress, ProgressMode};
use train::Error;

/// A writer whose bytes the test can read after handing it to `Progress`.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Three epochs of 1,000 samples in batches of 100, a message in the middle of epoch 2, a
/// summary line per epoch: what a fit loop does.
fn run(progress: &mut Progress) {
    for epoch in 1..=3 {
        progress.start_epoch(epoch, 3, 1_000);
        for batch in 1..=10 {
            progress.update(batch * 100, 1.0 / (epoch * batch) as f64);
            if epoch == 2 && batch == 5 {
                progress.println("learning rate reduced to 0.01").unwrap();
            }
        }
        progress.finish_epoch(&format!("epoch {epoch}/3: loss {:.4}, 0.1 s", 0.1 / epoch as f64)).unwrap();
    }
}

const EXPECTED: &str = "epoch 1/3: loss 0.1000, 0.1 s\n\
                        learning rate reduced to 0.01\n\
                        epoch 2/3: loss 0.0500, 0.1 s\n\
                        epoch 3/3: loss 0.0333, 0.1 s\n";

fn assert_plain(text: &str) {
    assert!(!text.contains('\r') && !text.contains('\x1b'), "control codes in {text:?}");
}

#[test]
fn lines_to_a_writer_are_one_plain_line_per_epoch() {
    let log = Shared::default();
    let mut progress = Progress::lines_to(log.clone());
    assert_eq!(progress.mode(), ProgressMode::Lines);
    run(&mut progress);
    assert_eq!(log.text(), EXPECTED);
    assert_plain(&log.text());
}

#[test]
fn a_summary_with_line_breaks_or_escapes_still_makes_one_plain_line() {
    let log = Shared::default();
    let mut progress = Progress::lines_to(log.clone());
    progress.start_epoch(1, 1, 10);
    progress.finish_epoch("epoch 1/1:\n\x1b[1mloss\x1b[0m 0.5\r\n").unwrap();
    assert_eq!(log.text(), "epoch 1/1:  [1mloss [0m 0.5\n");
}

#[test]
fn a_writer_that_fails_is_an_error_not_a_panic() {
    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut progress = Progress::lines_to(Broken);
    progress.start_epoch(1, 1, 10);
    let err = progress.finish_epoch("epoch 1/1").unwrap_err();
    assert!(matches!(err, Error::WriteStream { what: "the progress line", .. }), "{err}");
    assert!(err.to_string().starts_with("cannot write the progress line: "), "{err}");
}

/// Runs [`child`] in a child process with `mode`, its standard output a pipe; returns what it
/// printed between its markers (the test harness prints around them).
fn stdout_of_child(mode: &str) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--ignored", "--quiet", "--test-threads=1"])
        .env("CHAINRULE_PROGRESS_MODE", mode)
        .output()
        .unwrap();
    assert!(output.status.success(), "the child failed: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let start = stdout.find(BEGIN).expect("the child ran") + BEGIN.len();
    let end = stdout.find(END).expect("the child finished");
    stdout[start..end].to_owned()
}

const BEGIN: &str = "<progress>\n";
const END: &str = "</progress>\n";

#[test]
fn off_a_terminal_auto_lines_and_bar_print_only_the_lines() {
    for mode in ["auto", "lines", "bar"] {
        let text = stdout_of_child(mode);
        assert_eq!(text, EXPECTED, "mode {mode}");
        assert_plain(&text);
    }
}

#[test]
fn quiet_prints_nothing() {
    assert_eq!(stdout_of_child("quiet"), "");
}

/// The run printed to standard output, in the mode the parent test names.
#[test]
#[ignore = "run by the standard-output tests in a child process"]
fn child() {
    let mode = match std::env::var("CHAINRULE_PROGRESS_MODE").expect("started by a progress test").as_str() {
        "auto" => ProgressMode::Auto,
        "lines" => ProgressMode::Lines,
        "bar" => ProgressMode::Bar,
        "quiet" => ProgressMode::Quiet,
        other => panic!("unknown mode {other}"),
    };
    let mut progress = Progress::new(mode);
    // Standard output is a pipe here, so Auto must have chosen lines.
    let expected = if mode == ProgressMode::Auto { ProgressMode::Lines } else { mode };
    assert_eq!(progress.mode(), expected);
    // Written straight to standard output (the harness captures only `print!`).
    let mut stdout = std::io::stdout();
    stdout.write_all(BEGIN.as_bytes()).unwrap();
    stdout.flush().unwrap();
    run(&mut progress);
    stdout.write_all(END.as_bytes()).unwrap();
    stdout.flush().unwrap();
}
