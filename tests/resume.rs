//! Resume, end to end: a training run with dropout, augmentation, a validation split, a
//! learning-rate schedule and early stopping is cut off in the middle of an epoch; a fresh
//! process, which sees nothing of the first but its `last.safetensors`, resumes it and ends
//! with the parameters, the dropout state and the history (every metric and learning rate)
//! bit-identical to a run that was never interrupted. For Adam with a cosine schedule, and for
//! SGD with momentum and a plateau schedule on the validation loss.
//!
//! The second half really runs in another process: the test starts this test binary again,
//! running only the ignored test `resume_child`.

use chainrule::autograd::Tensor;
use chainrule::nn::{Checkpoint, DropoutConfig, LinearConfig, Module, Relu, Sequential, Tanh};
use chainrule::optim::{Adam, AdamConfig, CosineAnnealingLr, Optimizer, ReduceLrOnPlateau, ReduceLrOnPlateauConfig};
use chainrule::optim::{Sgd, SgdConfig};
use chainrule::train;
use chainrule::train::data::Dataset;
use chainrule::train::progress::ProgressMode;
use chainrule::train::{EarlyStopping, Fit, History, STATE_FILE};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::Command;

const EPOCHS: usize = 6;
/// The run is cut off during this epoch (counting from 1), so the saved state holds the epochs
/// before it.
const CUT_IN_EPOCH: usize = 4;

fn dataset() -> Dataset {
    let mut rng = StdRng::seed_from_u64(42);
    let images = Tensor::rand_normal([120, 12], 0.0, 1.0, &mut rng);
    let labels = images.data().chunks(12).map(|x| usize::from(x[0] > 0.0) + 2 * usize::from(x[1] > x[2])).collect();
    Dataset::new(images, labels, 4).expect("a valid dataset")
}

/// The model; `init_seed` fixes the initial weights and the dropouts' seeds.
fn model(init_seed: u64) -> Sequential {
    let mut rng = StdRng::seed_from_u64(init_seed);
    Sequential::new()
        .push(LinearConfig::new(12, 16).init(&mut rng).unwrap())
        .push(Relu)
        .push(DropoutConfig::new(0.3).init(&mut rng).unwrap())
        .push(LinearConfig::new(16, 8).init(&mut rng).unwrap())
        .push(Tanh)
        .push(DropoutConfig::new(0.2).init(&mut rng).unwrap())
        .push(LinearConfig::new(8, 4).init(&mut rng).unwrap())
}

/// Runs the job of `kind` on `model`, writing into `out`; `configure` adds to it (a cut-off,
/// a resume).
fn run(
    kind: &str,
    model: &Sequential,
    out: &Path,
    configure: impl FnOnce(Fit<'_>) -> Fit<'_>,
) -> train::Result<History> {
    let data = dataset();
    let params = model.named_parameters();
    let mut opt: Box<dyn Optimizer<f32>> = match kind {
        "adam" => Box::new(Adam::new(params, AdamConfig { lr: 0.01, ..Default::default() }).unwrap()),
        "momentum" => Box::new(Sgd::new(params, SgdConfig { lr: 0.05, momentum: 0.9, ..Default::default() }).unwrap()),
        other => panic!("unknown optimizer {other}"),
    };
    let cosine = CosineAnnealingLr::new(&*opt, EPOCHS, 1e-4).unwrap();
    let fit = Fit::new(model, &mut *opt, &data)
        .epochs(EPOCHS)
        .batch_size(16)
        .seed(7)
        .validation_split(0.2)
        .augment(|images, rng| {
            Ok(Tensor::from_fn(images.shape().clone(), |k| images.data()[k] + rng.random_range(-0.1..0.1)))
        })
        .callback(EarlyStopping::new("val_loss").patience(EPOCHS).restore_best_weights(true))
        .out_dir(out)
        .progress(ProgressMode::Quiet);
    let fit = match kind {
        "adam" => fit.lr_schedule(cosine),
        _ => {
            let config = ReduceLrOnPlateauConfig { patience: 0, factor: 0.5, ..Default::default() };
            fit.reduce_lr_on_plateau(ReduceLrOnPlateau::new(config).unwrap(), "val_loss")
        }
    };
    configure(fit).run()
}

fn bits(model: &Sequential) -> Vec<(String, Vec<u32>)> {
    let params = model.named_parameters();
    params.iter().map(|(name, p)| (name.clone(), p.value().data().iter().map(|v| v.to_bits()).collect())).collect()
}

/// Every metric, learning rate and epoch number of a history as bits (not the wall times).
fn history_bits(history: &History) -> Vec<Vec<(String, u64)>> {
    let epochs = history.epochs.iter();
    epochs
        .map(|e| {
            e.metrics.iter().map(|(n, v)| (n.clone(), v.to_bits())).chain([("lr".into(), e.lr.to_bits())]).collect()
        })
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chainrule-resume-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn resume_in_a_fresh_process(kind: &str) {
    let uninterrupted = model(1);
    let whole_dir = scratch(&format!("{kind}-whole"));
    let whole = run(kind, &uninterrupted, &whole_dir, |fit| fit).unwrap();
    assert_eq!(whole.epochs.len(), EPOCHS);

    // The same run, cut off by an error in the middle of epoch CUT_IN_EPOCH.
    let (cut_dir, result) = (scratch(&format!("{kind}-cut")), scratch(&format!("{kind}-result")));
    let err = run(kind, &model(1), &cut_dir, |fit| {
        fit.after_backward(|ctx| match (ctx.epoch, ctx.batch) {
            (CUT_IN_EPOCH, 2) => {
                Err(train::Error::WriteStream { what: "a test", source: std::io::Error::other("cut off") })
            }
            _ => Ok(()),
        })
    })
    .unwrap_err();
    assert!(err.to_string().contains("cut off"));

    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "resume_child", "--ignored", "--quiet"])
        .env("CHAINRULE_RESUME", format!("{kind}|{}|{}", cut_dir.display(), result.display()))
        .status()
        .unwrap();
    assert!(status.success(), "the child process failed");
    let resumed = Checkpoint::<f32>::load(result.join("model.safetensors")).unwrap();

    let resumed_model = model(2);
    resumed.restore_module(&resumed_model).unwrap();
    assert_eq!(bits(&resumed_model), bits(&uninterrupted), "{kind}: the parameters differ after resuming");
    let history = History::read_csv(result.join("history.csv")).unwrap();
    assert_eq!(history_bits(&history), history_bits(&whole), "{kind}: the histories differ");
    let state = format!("{:?}", uninterrupted.named_state());
    assert_eq!(resumed.metadata("state"), Some(state.as_str()), "{kind}: the dropouts' streams differ");
    // The dropouts drew a mask for every batch of every epoch: 6 epochs of ⌈96 / 16⌉ batches.
    assert_eq!(uninterrupted.named_state()["2.counter"], (EPOCHS * 6) as u64);
    // The run learned something (chance is 1/4), and did move the parameters.
    let accuracy = whole.metric("val_accuracy").unwrap();
    assert!(accuracy[EPOCHS - 1] > 0.4, "{accuracy:?}");
    assert_ne!(bits(&uninterrupted), bits(&model(1)));
    for dir in [whole_dir, cut_dir, result] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn adam_with_a_cosine_schedule_resumes_bit_identically_in_a_fresh_process() {
    resume_in_a_fresh_process("adam");
}

#[test]
fn sgd_with_momentum_and_a_plateau_schedule_resumes_bit_identically_in_a_fresh_process() {
    resume_in_a_fresh_process("momentum");
}

/// The second half, run by the tests above in a child process: a model initialized from other
/// seeds (other weights, other dropout streams: only the file can make it right), a fresh
/// optimizer and schedule, the run resumed from the saved state to its end; the parameters,
/// the history and the model's state written for the parent.
#[test]
#[ignore = "run by the resume tests in a child process"]
fn resume_child() {
    let job = std::env::var("CHAINRULE_RESUME").expect("started by a resume test");
    let [kind, cut_dir, result] = job.split('|').collect::<Vec<_>>().try_into().unwrap();
    let model = model(999);
    let state = Path::new(cut_dir).join(STATE_FILE);
    let history = run(kind, &model, Path::new(cut_dir), |fit| fit.resume_from(&state)).unwrap();
    std::fs::create_dir_all(result).unwrap();
    history.write_csv(Path::new(result).join("history.csv")).unwrap();
    let mut out = Checkpoint::from_module(&model);
    out.set_metadata("state", format!("{:?}", model.named_state()));
    out.save(Path::new(result).join("model.safetensors")).unwrap();
}
