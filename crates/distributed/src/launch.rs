//! [`launch`]: the entry point of a data-parallel program, run alone or under `mpirun`.

use crate::Communicator;
use std::fmt::Display;

/// The environment variable that bounds one collective's wait, in seconds (default 300).
pub const TIMEOUT_VARIABLE: &str = "CHAINRULE_COLLECTIVE_TIMEOUT";

/// Runs `run` on this process's world and ends the whole job if any rank fails.
///
/// With the `mpi` feature the world is MPI's (started by `mpirun -np N`, or a world of one
/// without `mpirun`); without it, [`SingleProcess`](crate::SingleProcess). So `main` is written
/// once:
///
/// ```no_run
/// // The whole of `main`:
/// distributed::launch(|world| -> Result<(), Box<dyn std::error::Error>> {
///     println!("rank {} of {}", world.rank(), world.size());
///     Ok(())
/// })
/// ```
///
/// Failures end the job with a message naming the rank, never a hang:
///
/// - `run` returns `Err(e)`: prints `rank R of N failed: e` and ends every rank (`MPI_Abort`);
///   alone, prints `error: e` and exits with code 1;
/// - `run` panics: prints `rank R of N panicked at <file:line>: <message>` and ends every rank;
/// - a collective waits longer than the timeout (another rank is stuck or took fewer steps):
///   prints what this rank waited for and exits, and `mpirun` ends the others. The timeout is
///   300 s, or the seconds in the environment variable `CHAINRULE_COLLECTIVE_TIMEOUT`.
///
/// On success, returns `run`'s value after every rank has finished (MPI is finalized).
pub fn launch<R, E: Display>(run: impl FnOnce(&dyn Communicator) -> Result<R, E>) -> R {
    #[cfg(feature = "mpi")]
    {
        let timeout = match timeout_from_env() {
            Ok(timeout) => timeout,
            Err(message) => exit_with(&message),
        };
        let world = match crate::MpiWorld::init(timeout) {
            Ok(world) => world,
            Err(e) => exit_with(&format!("error: {e}")),
        };
        world.abort_on_panic();
        run_on(&world, run)
    }
    #[cfg(not(feature = "mpi"))]
    {
        run_on(&crate::SingleProcess, run)
    }
}

/// `run(world)`, or the end of the job with its error.
fn run_on<R, E: Display>(world: &dyn Communicator, run: impl FnOnce(&dyn Communicator) -> Result<R, E>) -> R {
    match run(world) {
        Ok(value) => value,
        Err(e) if world.size() == 1 => exit_with(&format!("error: {e}")),
        Err(e) => world.abort(&format!("rank {} of {} failed: {e}", world.rank(), world.size())),
    }
}

fn exit_with(message: &str) -> ! {
    report(message);
    std::process::exit(1)
}

/// Writes `message` and a newline to standard error in one write: `mpirun` merges the ranks'
/// streams, and `eprintln!`'s several writes could interleave with another rank's line.
pub(crate) fn report(message: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(format!("{message}\n").as_bytes());
}

/// The timeout from [`TIMEOUT_VARIABLE`], or the default if it is not set.
#[cfg(feature = "mpi")]
fn timeout_from_env() -> Result<std::time::Duration, String> {
    match std::env::var(TIMEOUT_VARIABLE) {
        Err(_) => Ok(crate::mpi_world::DEFAULT_TIMEOUT),
        Ok(text) => parse_timeout(&text),
    }
}

/// Seconds, finite and positive, as a duration.
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 => Ok(std::time::Duration::from_secs_f64(seconds)),
        _ => Err(format!("error: {TIMEOUT_VARIABLE} must be a positive number of seconds, got {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(parse_timeout("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_timeout(" 60 "), Ok(Duration::from_secs(60)));
        for bad in ["0", "-1", "inf", "NaN", "ten", ""] {
            assert_eq!(
                parse_timeout(bad),
                Err(format!("error: CHAINRULE_COLLECTIVE_TIMEOUT must be a positive number of seconds, got {bad:?}"))
            );
        }
    }

    #[test]
    fn a_successful_run_returns_its_value() {
        assert_eq!(run_on(&crate::SingleProcess, |world| Ok::<_, String>(world.size() * 7)), 7);
    }
}
