//! Data parallelism under a real `mpirun` (feature `mpi`; `scripts/test-mpi.sh` runs it).
//!
//! This file is both sides of each test. Run by cargo, it is the *driver*: for each scenario it
//! starts `mpirun -np W` on its own executable with the scenario's name in the environment,
//! waits a bounded time, and checks the exit status and the output. Started by `mpirun`, it is
//! the *worker*: every rank runs the scenario through `distributed::launch`.
//!
//! - `two_ranks_match_one_process` (and three ranks): W ranks at global batch B (B/W each) and
//!   one process at batch B, from the same seed, reach the same parameters after N steps, up to
//!   the reassociation of floating-point sums; the ranks stay identical bit for bit.
//! - `failing_rank_ends_the_job`, `panicking_rank_…`, `killed_rank_…`, `stalled_rank_…`,
//!   `mismatched_model_…`: one rank fails in some way while the other waits in a collective;
//!   the job ends within a bounded time, with a message naming the rank and the failure.

use autograd::{Float, Tape, Tensor};
use distributed::{Communicator, DataParallel, DataParallelConfig, DistributedSampler, SingleProcess};
use nn::{cross_entropy, LinearConfig, Module, Reduction, Relu, Sequential};
use optim::{Optimizer, Sgd, SgdConfig};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::error::Error;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable that tells a process started by `mpirun` which scenario to run.
const SCENARIO: &str = "CHAINRULE_MPI_TEST_SCENARIO";

/// Samples, features and classes of the synthetic data set.
const N: usize = 96;
const D: usize = 10;
const C: usize = 4;
/// The global batch (divisible by 1, 2, 3 and 4 ranks) and the number of steps (3¼ epochs).
const GLOBAL_BATCH: usize = 24;
const STEPS: usize = 13;
/// The `Fit` scenarios' epochs, output folder and training state to resume from.
const EPOCHS: &str = "CHAINRULE_MPI_TEST_EPOCHS";
const DIR: &str = "CHAINRULE_MPI_TEST_DIR";
const RESUME: &str = "CHAINRULE_MPI_TEST_RESUME";

/// The step at which a failing rank fails.
const FAILING_STEP: usize = 3;

fn main() {
    match std::env::var(SCENARIO) {
        Ok(scenario) => worker(&scenario),
        Err(_) => driver(),
    }
}

// ---------------------------------------------------------------------------------------------
// The worker: one rank of a scenario.

fn worker(scenario: &str) {
    let scenario = scenario.to_string();
    distributed::launch(move |world| -> Result<(), Box<dyn Error>> {
        match scenario.as_str() {
            "train" => compare_with_one_process(world),
            "fit" => fit_compared_with_one_process(world),
            "mismatch" => {
                let hidden = if world.rank() == 1 { 17 } else { 16 };
                DataParallel::from_module(world, &mlp::<f32>(0, hidden), DataParallelConfig::default())?;
                Ok(())
            }
            failure => {
                train::<f32>(world, Some(failure))?;
                Ok(())
            }
        }
    })
}

/// Trains on `world` and, on rank 0, alone at the same global batch; prints the largest
/// difference, for f64 and f32.
fn compare_with_one_process(world: &dyn Communicator) -> Result<(), Box<dyn Error>> {
    let ranks64 = train::<f64>(world, None)?;
    let ranks32 = train::<f32>(world, None)?;
    if world.is_root() {
        let (alone64, alone32) = (train::<f64>(&SingleProcess, None)?, train::<f32>(&SingleProcess, None)?);
        let start = values(&mlp::<f64>(1, 16));
        println!("f64: {}", difference(&ranks64, &alone64, &start));
        println!("f32: {}", difference(&ranks32, &alone32, &values(&mlp::<f32>(1, 16))));
    }
    Ok(())
}

/// Runs `Fit` data-parallel on `world` for `$EPOCHS` epochs in all (rank 0 writing `$DIR`,
/// resuming from `$RESUME` if set) and, on rank 0, alone and uninterrupted; prints the largest
/// difference.
fn fit_compared_with_one_process(world: &dyn Communicator) -> Result<(), Box<dyn Error>> {
    let epochs: usize = std::env::var(EPOCHS)?.parse()?;
    let dir = std::env::var_os(DIR).map(PathBuf::from);
    let resume = std::env::var_os(RESUME).map(PathBuf::from);
    let ranks = fit(world, epochs, dir.as_deref(), resume.as_deref())?;
    if world.is_root() {
        let alone = fit(&SingleProcess, epochs, None, None)?;
        println!("f64: {}", difference(&ranks, &alone, &values(&mlp::<f64>(1, 16))));
    }
    Ok(())
}

/// `Fit` of an f64 MLP on the synthetic data: 72 samples to train (a quarter held out), batches
/// of 20, so every epoch ends with a batch of 12 that ranks share unequally; early stopping and
/// a best-model checkpoint keep state that the training state must carry.
fn fit(
    world: &dyn Communicator,
    epochs: usize,
    dir: Option<&Path>,
    resume: Option<&Path>,
) -> Result<Vec<Vec<f64>>, Box<dyn Error>> {
    let mut rng = StdRng::seed_from_u64(42);
    let images = Tensor::<f64>::rand_normal([N, D], 0.0, 1.0, &mut rng);
    let labels: Vec<usize> = (0..N).map(|_| rng.random_range(0..C)).collect();
    let data = ::train::data::Dataset::new(images, labels, C)?;
    let model = mlp::<f64>(world.rank() as u64 + 1, 16);
    let mut ddp = DataParallel::from_module(world, &model, DataParallelConfig { bucket_bytes: 400 })?;
    let mut sgd = Sgd::new(model.named_parameters(), SgdConfig { lr: 0.05, momentum: 0.9, ..Default::default() })?;
    let mut run = ::train::Fit::new(&model, &mut sgd, &data)
        .epochs(epochs)
        .batch_size(20)
        .validation_split(0.25)
        .seed(5)
        .callback(::train::EarlyStopping::new("val_loss").patience(100))
        .progress(::train::progress::ProgressMode::Quiet)
        .data_parallel(&mut ddp);
    if let Some(dir) = dir {
        run = run.out_dir(dir).callback(::train::ModelCheckpoint::best(dir.join("best.safetensors"), "val_loss"));
    }
    if let Some(path) = resume {
        run = run.resume_from(path);
    }
    run.run()?;
    Ok(values(&model))
}

/// `max|a − b| / (1 + |b|)` over every parameter, and how far `b` moved from `start`.
fn difference<T: Float>(a: &[Vec<T>], b: &[Vec<T>], start: &[Vec<T>]) -> String {
    let flat = |v: &[Vec<T>]| v.iter().flatten().map(|x| x.to_f64()).collect::<Vec<f64>>();
    let (a, b, start) = (flat(a), flat(b), flat(start));
    let relative = a.iter().zip(&b).map(|(a, b)| (a - b).abs() / (1.0 + b.abs())).fold(0.0, f64::max);
    let moved = b.iter().zip(&start).map(|(b, s)| (b - s).abs()).fold(0.0, f64::max);
    format!("relative difference {relative:e} over {} values; training moved them by up to {moved:e}", a.len())
}

fn mlp<T: Float>(seed: u64, hidden: usize) -> Sequential<T> {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .push(LinearConfig::new(D, hidden).init(&mut rng).expect("valid sizes"))
        .push(Relu)
        .push(LinearConfig::new(hidden, C).init(&mut rng).expect("valid sizes"))
}

fn values<T: Float>(model: &Sequential<T>) -> Vec<Vec<T>> {
    model.parameters().iter().map(|p| p.value().to_vec()).collect()
}

/// `STEPS` steps of SGD with momentum on the synthetic data, each rank on its sampler shard at
/// `GLOBAL_BATCH / size` samples per step; the parameters at the end. With `failure`, rank 1
/// fails in that way at step `FAILING_STEP`.
fn train<T: Float>(world: &dyn Communicator, failure: Option<&str>) -> Result<Vec<Vec<T>>, Box<dyn Error>> {
    let mut rng = StdRng::seed_from_u64(42);
    let images = Tensor::<T>::rand_normal([N, D], T::ZERO, T::ONE, &mut rng);
    let labels: Vec<usize> = (0..N).map(|_| rng.random_range(0..C)).collect();
    let model = mlp::<T>(world.rank() as u64 + 1, 16); // rank 0's initialization is broadcast
                                                       // Small buckets, so that a step makes several all-reduces (the model has 244 values).
    let mut ddp = DataParallel::from_module(world, &model, DataParallelConfig { bucket_bytes: 400 })?;
    let config = SgdConfig { lr: 0.05, momentum: 0.9, weight_decay: 1e-3, ..Default::default() };
    let mut sgd = Sgd::new(model.named_parameters(), config)?;
    let sampler = DistributedSampler::for_world(N, world)?.shuffle(7);
    let batch = GLOBAL_BATCH / world.size();
    let per_epoch = sampler.num_samples() / batch;
    let mut tape = Tape::new();
    for step in 0..STEPS {
        if step == FAILING_STEP && world.rank() == 1 {
            fail(failure)?;
        }
        let shard = sampler.indices((step / per_epoch) as u64);
        let mine = &shard[(step % per_epoch) * batch..][..batch];
        let x = tape.constant(images.clone()).index_select(0, mine)?;
        let y: Vec<usize> = mine.iter().map(|&i| labels[i]).collect();
        cross_entropy(&model.forward(&x)?, &y, Reduction::Mean)?.backward()?;
        ddp.average_gradients()?;
        sgd.step()?;
        tape.clear();
    }
    ddp.check_in_sync()?;
    Ok(values(&model))
}

/// Rank 1's way of failing.
fn fail(failure: Option<&str>) -> Result<(), Box<dyn Error>> {
    match failure {
        None => Ok(()),
        Some("error") => Err(format!("injected failure at step {FAILING_STEP}").into()),
        Some("panic") => panic!("injected panic at step {FAILING_STEP}"),
        Some("kill") => {
            let pid = std::process::id().to_string();
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            std::thread::sleep(Duration::from_secs(3600));
            Ok(())
        }
        Some("stall") => {
            std::thread::sleep(Duration::from_secs(3600));
            Ok(())
        }
        Some(other) => Err(format!("unknown scenario {other}").into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The driver: one `mpirun` per scenario.

/// What a finished `mpirun` left.
struct Run {
    success: bool,
    output: String,
    seconds: f64,
}

/// Runs the scenario on `ranks` processes and waits at most `limit` for the job to end.
fn mpirun(scenario: &str, ranks: usize, timeout: Option<&str>, limit: Duration) -> Result<Run, String> {
    mpirun_with(scenario, ranks, timeout, limit, &[])
}

/// [`mpirun`] with more environment variables for the ranks.
fn mpirun_with(
    scenario: &str,
    ranks: usize,
    timeout: Option<&str>,
    limit: Duration,
    env: &[(&str, &std::ffi::OsStr)],
) -> Result<Run, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot find the test executable: {e}"))?;
    let launcher = std::env::var("MPIRUN").unwrap_or_else(|_| "mpirun".into());
    let mut command = Command::new(&launcher);
    command
        .args(["-np", &ranks.to_string()])
        .arg(&me)
        .env(SCENARIO, scenario)
        // OpenMPI's switches by environment (MPICH ignores them): run as root in CI containers,
        // more ranks than cores.
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(seconds) = timeout {
        command.env(distributed::TIMEOUT_VARIABLE, seconds);
    }
    command.envs(env.iter().copied());
    let start = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("cannot start {launcher}: {e}"))?;
    let (mut out, mut err) = (child.stdout.take().expect("piped"), child.stderr.take().expect("piped"));
    let readers = [std::thread::spawn(move || read_all(&mut out)), std::thread::spawn(move || read_all(&mut err))];
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > limit {
            // SIGTERM lets mpirun end its ranks; SIGKILL would leave them behind.
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let _ = child.wait();
            return Err(format!("the job did not end within {} s", limit.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = readers.into_iter().map(|r| r.join().expect("a reader thread")).collect::<Vec<_>>().join("");
    Ok(Run { success: status.success(), output, seconds: start.elapsed().as_secs_f64() })
}

fn read_all(source: &mut impl Read) -> String {
    let mut bytes = Vec::new();
    let _ = source.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A scenario that must succeed and print the f64 and f32 comparisons within tolerance.
fn ranks_match_one_process(ranks: usize) -> Result<String, String> {
    let run = mpirun("train", ranks, None, Duration::from_secs(120))?;
    if !run.success {
        return Err(format!("the job failed:\n{}", run.output));
    }
    // f64 sums reassociated differ by ~1e-16 per operation; f32 by ~1e-7, grown over the steps.
    compared(&run, &[("f64", 1e-12), ("f32", 1e-5)], &format!("{ranks} ranks"))
}

/// Checks the job's comparison lines (`<label>: relative difference … moved them by up to …`)
/// against the tolerances; returns them.
fn compared(run: &Run, tolerances: &[(&str, f64)], what: &str) -> Result<String, String> {
    let mut report = Vec::new();
    for &(label, tolerance) in tolerances {
        let line = run
            .output
            .lines()
            .find(|l| l.starts_with(&format!("{label}: ")))
            .ok_or(format!("no {label} line in the output:\n{}", run.output))?;
        let number = |prefix: &str| -> Result<f64, String> {
            let rest = line.split(prefix).nth(1).ok_or(format!("no `{prefix}` in {line:?}"))?;
            rest.split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches(';')
                .parse()
                .map_err(|e| format!("{e} in {line:?}"))
        };
        let (difference, moved) = (number("relative difference ")?, number("moved them by up to ")?);
        if difference > tolerance {
            return Err(format!("{label}: {what} and one process differ by {difference:e} > {tolerance:e}"));
        }
        if moved < 1e-2 {
            return Err(format!("{label}: training barely moved the parameters ({moved:e}): the test is vacuous"));
        }
        report.push(line.to_string());
    }
    Ok(report.join("; "))
}

/// `Fit` on two ranks writes its training state after 2 epochs; resumed on three ranks and on
/// one process for 2 more, both end where one uninterrupted process ends.
fn fit_resumes_on_any_number_of_ranks() -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("chainrule-mpi-fit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let limit = Duration::from_secs(120);
    let first = mpirun_with("fit", 2, None, limit, &[(EPOCHS, "2".as_ref()), (DIR, dir.as_os_str())])?;
    if !first.success {
        return Err(format!("the first job failed:\n{}", first.output));
    }
    let mut notes = vec![compared(&first, &[("f64", 1e-12)], "2 ranks")?];
    for file in [::train::STATE_FILE, "history.csv", "best.safetensors"] {
        if !dir.join(file).is_file() {
            return Err(format!("rank 0 did not write {file}"));
        }
    }
    let saved = dir.join("after-2-epochs.safetensors");
    std::fs::copy(dir.join(::train::STATE_FILE), &saved).map_err(|e| e.to_string())?;
    for ranks in [3, 1] {
        let env = [(EPOCHS, "4".as_ref()), (DIR, dir.as_os_str()), (RESUME, saved.as_os_str())];
        let resumed = mpirun_with("fit", ranks, None, limit, &env)?;
        if !resumed.success {
            return Err(format!("resuming on {ranks} rank(s) failed:\n{}", resumed.output));
        }
        notes.push(compared(&resumed, &[("f64", 1e-12)], &format!("2 ranks resumed on {ranks}"))?);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(notes.join("; "))
}

/// A scenario in which rank 1 fails: the job must end unsuccessfully within `limit`, and the
/// output must contain every one of `expected`.
fn job_ends_with(scenario: &str, timeout: Option<&str>, limit: Duration, expected: &[&str]) -> Result<String, String> {
    let run = mpirun(scenario, 2, timeout, limit)?;
    if run.success {
        return Err(format!("the job succeeded although rank 1 failed:\n{}", run.output));
    }
    for text in expected {
        if !run.output.contains(text) {
            return Err(format!("the output lacks {text:?}:\n{}", run.output));
        }
    }
    Ok(format!("ended after {:.1} s", run.seconds))
}

/// A test of the driver: a note on success, what went wrong on failure.
type Check = Box<dyn Fn() -> Result<String, String>>;

fn driver() {
    let tests: Vec<(&str, Check)> = vec![
        ("two_ranks_match_one_process", Box::new(|| ranks_match_one_process(2))),
        ("three_ranks_match_one_process", Box::new(|| ranks_match_one_process(3))),
        ("fit_resumes_on_any_number_of_ranks", Box::new(fit_resumes_on_any_number_of_ranks)),
        (
            "failing_rank_ends_the_job",
            Box::new(|| {
                job_ends_with(
                    "error",
                    None,
                    Duration::from_secs(60),
                    &["rank 1 of 2 failed: injected failure at step 3"],
                )
            }),
        ),
        (
            "panicking_rank_ends_the_job",
            Box::new(|| {
                job_ends_with(
                    "panic",
                    None,
                    Duration::from_secs(60),
                    &["rank 1 of 2 panicked at ", "injected panic at step 3"],
                )
            }),
        ),
        (
            "killed_rank_ends_the_job",
            Box::new(|| job_ends_with("kill", None, Duration::from_secs(60), &["rank 1", "signal 9"])),
        ),
        (
            "stalled_rank_ends_the_job_after_the_timeout",
            Box::new(|| {
                job_ends_with(
                    "stall",
                    Some("3"),
                    Duration::from_secs(60),
                    &["rank 0 of 2: an all-reduce of ", "did not complete within 3 s"],
                )
            }),
        ),
        (
            "mismatched_model_ends_the_job",
            Box::new(|| {
                job_ends_with(
                    "mismatch",
                    None,
                    Duration::from_secs(60),
                    &["rank 1 of 2 failed: rank 1's model differs from rank 0's: parameter 0 is `0.weight` of shape [17, 10]"],
                )
            }),
        ),
    ];
    println!("running {} tests (each under mpirun)", tests.len());
    let mut failed = Vec::new();
    for (name, test) in &tests {
        match test() {
            Ok(note) => println!("test {name} ... ok ({note})"),
            Err(why) => {
                println!("test {name} ... FAILED\n{why}");
                failed.push(*name);
            }
        }
    }
    println!("\n{} passed, {} failed", tests.len() - failed.len(), failed.len());
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
