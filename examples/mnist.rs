//! # MNIST: a multilayer perceptron learns to read handwritten digits
//!
//! The whole job in one file: read the digits, build a 784-256-128-10 ReLU network, and train
//! it with `train::Fit` by mini-batch gradient descent on the cross-entropy loss, every
//! gradient derived by the tape. A seeded tenth of the training digits is held out for
//! validation; training stops early when the validation loss stops improving and keeps the
//! weights of its best epoch; the test digits are used once, at the end.
//!
//! Data: `data/mnist-10k` (10,000 MNIST digits, vendored: the first 8,000 train, the last 2,000
//! test), or `--data DIR` with the official files (`train-images-idx3-ubyte.gz`,
//! `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`: 60,000
//! to train, 10,000 to test; see `train::data::load_mnist` for the accepted names).
//!
//! ```text
//! cargo run --release --example mnist
//! cargo run --release --example mnist -- --optimizer adam --lr 1e-3 --epochs 10
//! cargo run --release --example mnist -- --dropout 0.2 --l2 1e-4 --patience 5
//! cargo run --release --example mnist -- --data ~/mnist            # the full 60k/10k files
//! cargo run --release --example mnist -- --resume runs/mnist-0/last.safetensors
//! ```
//!
//! Built with the `mpi` feature it also runs data-parallel under `mpirun`, each rank computing
//! its share of every batch (`--batch-size` stays the global batch; rank 0 prints and writes;
//! docs/distributed.md):
//!
//! ```text
//! cargo build --release --features mpi --example mnist
//! mpirun -np 2 target/release/examples/mnist
//! ```
//!
//! Progress is a live bar on a terminal and one plain line per epoch otherwise (`--progress
//! auto`); under `mpirun` it is lines too, since OpenMPI hands each rank a terminal of its own
//! whatever `mpirun`'s output is (`--progress bar` to have the bar anyway, `lines` or `quiet`).
//!
//! It writes into an output folder (`--out`, default `runs/mnist-N`, the first N free), named
//! on the last line: `last.safetensors` (the whole training state, for `--resume`),
//! `model.safetensors` (the final weights), `history.csv`, `history.json` and `curves.svg`.
//! `scripts/mnist_pytorch.py` is this program in PyTorch, for comparison.

use chainrule::distributed::{Communicator, DataParallel, DataParallelConfig};
use chainrule::nn::{l2_penalty, weight_matrices, DropoutConfig, LinearConfig, Module, Relu, Sequential};
use chainrule::optim::{Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, CosineAnnealingLr};
use chainrule::optim::{Optimizer, RmsProp, RmsPropConfig, Sgd, SgdConfig};
use chainrule::train::data::{load_mnist, random_shift};
use chainrule::train::progress::ProgressMode;
use chainrule::train::{cross_entropy, evaluate, EarlyStopping, Fit};
use rand::{rngs::StdRng, SeedableRng};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    // One process, or every rank under `mpirun`; an error on any rank ends the job with it.
    chainrule::distributed::launch(|world| run(world, &args));
    ExitCode::SUCCESS
}

fn run(world: &dyn Communicator, args: &Args) -> chainrule::Result<()> {
    // 1. Data: 28×28 grey levels scaled to [0, 1], one digit per row of a [N, 784] tensor.
    let (train_set, test_set) = load_mnist(&args.data)?;

    // 2. Model: He-initialized linear layers (seeded: same seed, same network) with ReLUs,
    //    and dropout after each hidden layer if asked for.
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut model = Sequential::<f32>::new();
    for (inputs, outputs) in [(784, 256), (256, 128)] {
        model = model.push(LinearConfig::new(inputs, outputs).init(&mut rng)?).push(Relu);
        if args.dropout > 0.0 {
            model = model.push(DropoutConfig::new(args.dropout).init(&mut rng)?);
        }
    }
    let model = model.push(LinearConfig::new(128, 10).init(&mut rng)?);
    // The same model on every rank (rank 0's values), its gradients combined across the ranks.
    let mut replicas = DataParallel::from_module(world, &model, DataParallelConfig::default())?;

    // 3. Optimizer, learning-rate schedule, and the loss: cross-entropy (Fit's default) plus an
    //    optional L2 penalty on the weights (not the biases), which validation leaves out.
    let mut optimizer = args.build_optimizer(&model)?;
    let cosine = CosineAnnealingLr::new(&*optimizer, args.epochs, 0.0)?;
    let penalized = weight_matrices(&model);

    // 4. Training: each epoch visits the training digits once, in a fresh order, each digit
    //    shifted by up to `shift` pixels; a tenth of them is held out for validation.
    let ranks = match world.size() {
        1 => String::new(),
        n => format!(" on {n} ranks"),
    };
    if world.is_root() {
        println!(
            "{} parameters; {} training digits ({:.0} % held out for validation), {} test digits; \
             {} with lr {}, batch {}, up to {} epochs, seed {}{ranks}",
            model.num_parameters(),
            train_set.len(),
            args.val_fraction * 100.0,
            test_set.len(),
            args.optimizer,
            args.lr,
            args.batch_size,
            args.epochs,
            args.seed,
        );
    }
    let mut fit = Fit::new(&model, &mut *optimizer, &train_set)
        .epochs(args.epochs)
        .batch_size(args.batch_size)
        .seed(args.seed)
        .stratified_validation_split(args.val_fraction)
        .augment(|images, rng| random_shift(images, 28, 28, args.shift, rng))
        .out_dir(&args.out)
        .progress(args.progress)
        .data_parallel(&mut replicas);
    if args.l2 != 0.0 {
        fit = fit.penalty(|tape| l2_penalty(tape, &penalized, args.l2));
    }
    if let Some(patience) = args.patience {
        fit = fit.callback(EarlyStopping::new("val_loss").patience(patience).restore_best_weights(true));
    }
    if args.cosine {
        fit = fit.lr_schedule(cosine);
    }
    if let Some(state) = &args.resume {
        fit = fit.resume_from(state);
    }
    let history = fit.run()?;
    if !world.is_root() {
        return Ok(()); // the other ranks hold the same model; rank 0 reports and writes
    }

    // 5. Results: the final model (the best epoch's, with early stopping) on the test digits,
    //    used here for the first and only time.
    let test = evaluate(&model, &test_set, 1_000, cross_entropy)?;
    let kept = match history.best_epoch {
        Some(best) => format!("the weights of epoch {best}"),
        None => "the last epoch's weights".to_string(),
    };
    println!(
        "test accuracy: {:.2} % of {} digits ({kept}), loss {:.4}",
        100.0 * test.accuracy,
        test_set.len(),
        test.loss
    );
    // Every epoch trains on the same number of digits, so the overall speed is the harmonic
    // mean of the epochs' speeds.
    let epochs = history.epochs.len() as f64;
    let speed = epochs / history.epochs.iter().map(|e| e.samples_per_second.recip()).sum::<f64>();
    let seconds: f64 = history.epochs.iter().map(|e| e.seconds).sum();
    println!("training: {speed:.0} samples/s; {epochs} epochs in {seconds:.1} s, validation included");
    chainrule::nn::checkpoint::save(&model, args.out.join("model.safetensors"))?;
    println!("wrote last.safetensors, model.safetensors, history.csv, history.json, curves.svg to");
    println!("{}", args.out.display());
    Ok(())
}

/// The command line: `--flag value` pairs, each optional.
struct Args {
    epochs: usize,
    batch_size: usize,
    optimizer: String,
    lr: f64,
    seed: u64,
    shift: usize,
    cosine: bool,
    data: PathBuf,
    out: PathBuf,
    patience: Option<usize>,
    dropout: f64,
    l2: f64,
    val_fraction: f64,
    resume: Option<PathBuf>,
    progress: ProgressMode,
}

const USAGE: &str = "\
usage: mnist [--epochs 15] [--batch-size 64] [--optimizer momentum] [--lr <per optimizer>] [--seed 0]
             [--shift 1] [--schedule cosine|constant] [--data data/mnist-10k] [--out runs/mnist-N]
             [--patience 3|off] [--dropout 0] [--l2 0] [--val-fraction 0.1] [--resume FILE]
             [--progress auto|bar|lines|quiet]
optimizers (default lr): sgd (0.1), momentum (0.05), nesterov (0.05), adagrad (0.01), rmsprop (0.001),
                         adam (0.001), adamw (0.001)
--resume continues the run saved in FILE (a last.safetensors), writing to FILE's folder unless --out
is given; every other flag must be as in the original run.
--progress auto draws a live bar on a terminal and prints one line per epoch elsewhere, and under
mpirun (whose ranks write to a terminal of OpenMPI's even when mpirun's output is a file); bar and
lines force one, quiet prints only the results.";

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut parsed = Args {
            epochs: 15,
            batch_size: 64,
            optimizer: "momentum".to_string(),
            lr: f64::NAN,
            seed: 0,
            shift: 1,
            cosine: true,
            data: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist-10k")),
            out: PathBuf::new(),
            patience: Some(3),
            dropout: 0.0,
            l2: 0.0,
            val_fraction: 0.1,
            resume: None,
            progress: ProgressMode::Auto,
        };
        let (mut lr, mut out) = (None, None);
        while let Some(flag) = args.next() {
            if flag == "--help" || flag == "-h" {
                println!("{USAGE}");
                std::process::exit(0);
            }
            let value = args.next().ok_or(format!("{flag} needs a value\n{USAGE}"))?;
            let bad = |e: &dyn std::fmt::Display| format!("bad value {value:?} for {flag}: {e}\n{USAGE}");
            match flag.as_str() {
                "--epochs" => parsed.epochs = value.parse().map_err(|e| bad(&e))?,
                "--batch-size" => parsed.batch_size = value.parse().map_err(|e| bad(&e))?,
                "--optimizer" => parsed.optimizer = value.clone(),
                "--lr" => lr = Some(value.parse().map_err(|e| bad(&e))?),
                "--seed" => parsed.seed = value.parse().map_err(|e| bad(&e))?,
                "--shift" => parsed.shift = value.parse().map_err(|e| bad(&e))?,
                "--schedule" => match value.as_str() {
                    "cosine" => parsed.cosine = true,
                    "constant" => parsed.cosine = false,
                    _ => return Err(bad(&"expected cosine or constant")),
                },
                "--data" => parsed.data = PathBuf::from(&value),
                "--out" => out = Some(PathBuf::from(&value)),
                "--patience" => {
                    parsed.patience = if value == "off" { None } else { Some(value.parse().map_err(|e| bad(&e))?) }
                }
                "--dropout" => parsed.dropout = value.parse().map_err(|e| bad(&e))?,
                "--l2" => parsed.l2 = value.parse().map_err(|e| bad(&e))?,
                "--val-fraction" => parsed.val_fraction = value.parse().map_err(|e| bad(&e))?,
                "--resume" => parsed.resume = Some(PathBuf::from(&value)),
                "--progress" => {
                    parsed.progress = match value.as_str() {
                        "auto" => ProgressMode::Auto,
                        "bar" => ProgressMode::Bar,
                        "lines" => ProgressMode::Lines,
                        "quiet" => ProgressMode::Quiet,
                        _ => return Err(bad(&"expected auto, bar, lines or quiet")),
                    }
                }
                _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
            }
        }
        let default_lr = match parsed.optimizer.as_str() {
            "sgd" => 0.1,
            "momentum" | "nesterov" => 0.05,
            "adagrad" => 0.01,
            "rmsprop" | "adam" | "adamw" => 1e-3,
            _ => return Err(format!("unknown optimizer {:?}\n{USAGE}", parsed.optimizer)),
        };
        parsed.lr = lr.unwrap_or(default_lr);
        if parsed.epochs == 0 {
            return Err(format!("--epochs must be at least 1\n{USAGE}"));
        }
        // Dropout's and the split's own checks report a bad --dropout or --val-fraction.
        parsed.out = match (out, &parsed.resume) {
            (Some(out), _) => out,
            (None, Some(state)) => state.parent().map_or_else(|| PathBuf::from("."), PathBuf::from),
            (None, None) => (0..).map(|n| PathBuf::from(format!("runs/mnist-{n}"))).find(|p| !p.exists()).unwrap(),
        };
        Ok(parsed)
    }

    /// The chosen optimizer over the model's parameters, with PyTorch's defaults otherwise.
    fn build_optimizer(&self, model: &Sequential<f32>) -> chainrule::Result<Box<dyn Optimizer<f32>>> {
        let params = model.named_parameters();
        let lr = self.lr;
        Ok(match self.optimizer.as_str() {
            "sgd" => Box::new(Sgd::new(params, SgdConfig { lr, ..Default::default() })?),
            "momentum" => Box::new(Sgd::new(params, SgdConfig { lr, momentum: 0.9, ..Default::default() })?),
            "nesterov" => {
                Box::new(Sgd::new(params, SgdConfig { lr, momentum: 0.9, nesterov: true, ..Default::default() })?)
            }
            "adagrad" => Box::new(Adagrad::new(params, AdagradConfig { lr, ..Default::default() })?),
            "rmsprop" => Box::new(RmsProp::new(params, RmsPropConfig { lr, ..Default::default() })?),
            "adam" => Box::new(Adam::new(params, AdamConfig { lr, ..Default::default() })?),
            "adamw" => Box::new(AdamW::new(params, AdamWConfig { lr, ..Default::default() })?),
            other => unreachable!("Args::parse accepted optimizer {other:?}"),
        })
    }
}
