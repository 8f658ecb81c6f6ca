//! The fit loop end to end on small synthetic problems: early stopping restores exactly the best
//! epoch's parameters, patience counts through a whole run, the history files read back to the
//! returned values, progress off a terminal is one plain line per epoch, callbacks see the
//! gradients before the optimizer consumes them, and every kind of bad input is a clear error.

use autograd::{Tape, Tensor};
use nn::{DropoutConfig, LinearConfig, Module, Relu, Sequential};
use optim::{Adam, AdamConfig, ReduceLrOnPlateau, ReduceLrOnPlateauConfig, Sgd, SgdConfig};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use train::data::Dataset;
use train::metrics::Metric;
use train::progress::{Progress, ProgressMode};
use train::{EarlyStopping, Error, Fit, History, ModelCheckpoint};

/// `n` samples of 8 features in 3 classes: Gaussian blobs around three centres, or, with
/// `random_labels`, the same points with labels that carry no information (a model can only
/// memorize them, so its validation loss rises once it starts to).
fn blobs(n: usize, seed: u64, random_labels: bool) -> Dataset {
    let mut rng = StdRng::seed_from_u64(seed);
    let centres = Tensor::<f32>::rand_normal([3, 8], 0.0, 1.5, &mut rng);
    let labels: Vec<usize> = (0..n).map(|_| rng.random_range(0..3)).collect();
    let noise = Tensor::<f32>::rand_normal([n, 8], 0.0, 1.0, &mut rng);
    let images = Tensor::from_fn([n, 8], |k| centres.data()[labels[k / 8] * 8 + k % 8] + noise.data()[k]);
    let labels = if random_labels { (0..n).map(|_| rng.random_range(0..3)).collect() } else { labels };
    Dataset::new(images, labels, 3).unwrap()
}

fn mlp(seed: u64, hidden: usize, dropout: f64) -> Sequential {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .push(LinearConfig::new(8, hidden).init(&mut rng).unwrap())
        .push(Relu)
        .push(DropoutConfig::new(dropout).init(&mut rng).unwrap())
        .push(LinearConfig::new(hidden, 3).init(&mut rng).unwrap())
}

fn adam(model: &Sequential, lr: f64) -> Adam<f32> {
    Adam::new(model.named_parameters(), AdamConfig { lr, ..Default::default() }).unwrap()
}

/// Every parameter's bits, by name.
fn bits(model: &dyn Module) -> Vec<(String, Vec<u32>)> {
    let params = model.named_parameters();
    params.iter().map(|(name, p)| (name.clone(), p.value().data().iter().map(|v| v.to_bits()).collect())).collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chainrule-fit-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A writer whose bytes the test reads after the run.
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

#[test]
fn early_stopping_restores_exactly_the_best_epochs_parameters() {
    let (train_set, val_set) = (blobs(96, 1, true), blobs(96, 2, true));
    let model = mlp(0, 64, 0.0);
    let mut opt = adam(&model, 0.01);
    let mut snapshots = Vec::new();
    let dir = scratch("early-stopping");
    let history = Fit::new(&model, &mut opt, &train_set)
        .epochs(60)
        .batch_size(16)
        .validation_data(&val_set)
        .callback(EarlyStopping::new("val_loss").patience(3).restore_best_weights(true))
        .callback(ModelCheckpoint::best(dir.join("best.safetensors"), "val_loss"))
        .on_epoch_end(|ctx| {
            snapshots.push(bits(ctx.model));
            Ok(())
        })
        .progress(ProgressMode::Quiet)
        .run()
        .unwrap();
    let val_losses = history.metric("val_loss").unwrap();
    let best = history.best_epoch.expect("early stopping names its best epoch");
    let lowest = (1..=val_losses.len()).min_by(|&a, &b| val_losses[a - 1].total_cmp(&val_losses[b - 1])).unwrap();
    assert_eq!(best, lowest, "val losses {val_losses:?}");
    // It stopped 3 epochs after the best, and the best was not the last: restoring changed the
    // model, to exactly the parameters it had at the end of the best epoch.
    assert_eq!(history.epochs.len(), best + 3, "{:?}", history.stopped);
    assert!(history.stopped.as_deref().unwrap().starts_with("early stopping: val_loss has not improved for 3 epochs"));
    assert_ne!(bits(&model), snapshots[snapshots.len() - 1]);
    assert_eq!(bits(&model), snapshots[best - 1]);
    // The best-model checkpoint holds the same bits.
    let fresh = mlp(7, 64, 0.0);
    nn::checkpoint::load(&fresh, dir.join("best.safetensors")).unwrap();
    assert_eq!(bits(&fresh), snapshots[best - 1]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A metric that replays a script, one value per call: the run computes it once on the
/// training data and once on the validation data per epoch, so the validation values are the
/// odd calls.
struct Scripted {
    values: Vec<f64>,
    calls: Mutex<usize>,
}

impl Metric for Scripted {
    fn name(&self) -> String {
        "scripted".into()
    }
    fn compute(&self, _: &Tensor, _: &[usize]) -> train::Result<f64> {
        let mut calls = self.calls.lock().unwrap();
        *calls += 1;
        Ok(self.values[((*calls - 1) / 2).min(self.values.len() - 1)])
    }
}

#[test]
fn patience_and_min_delta_through_a_whole_run() {
    let data = blobs(32, 3, false);
    // With min_delta 0.05 the gain of epoch 4 (0.02) is no improvement, so patience 3 runs out
    // after epoch 5; with min_delta 0 it is, and the next gain (epoch 6) keeps the run going
    // to epoch 9. Patience 4 reaches epoch 6's gain and epoch 10's, and all 12 epochs run.
    let script = [1.0, 0.9, 0.95, 0.88, 0.89, 0.82, 0.83, 0.84, 0.85, 0.1];
    let cases = [(3, 0.05, 5, 2), (3, 0.0, 9, 6), (4, 0.05, 12, 10), (1, 0.07, 3, 2)];
    for (patience, min_delta, epochs_run, best) in cases {
        let model = mlp(0, 8, 0.0);
        let mut opt = adam(&model, 0.01);
        let history = Fit::new(&model, &mut opt, &data)
            .epochs(12)
            .validation_data(&data)
            .metric(Scripted { values: script.to_vec(), calls: Mutex::new(0) })
            .callback(EarlyStopping::new("val_scripted").mode(train::Mode::Min).patience(patience).min_delta(min_delta))
            .progress(ProgressMode::Quiet)
            .run()
            .unwrap();
        let seen: Vec<f64> = (0..epochs_run).map(|e| script[e.min(script.len() - 1)]).collect();
        assert_eq!(history.metric("val_scripted").unwrap(), seen);
        let case = format!("patience {patience}, min_delta {min_delta}");
        assert_eq!((history.epochs.len(), history.best_epoch), (epochs_run, Some(best)), "{case}");
        assert_eq!(history.stopped.is_some(), epochs_run < 12, "{case}");
    }
}

#[test]
fn the_history_files_read_back_to_the_returned_values() {
    let (train_set, val_set) = (blobs(64, 4, false), blobs(32, 5, false));
    let model = mlp(1, 16, 0.2);
    let mut opt = adam(&model, 0.01);
    let dir = scratch("history");
    let history = Fit::new(&model, &mut opt, &train_set)
        .epochs(4)
        .validation_data(&val_set)
        .metric(train::metrics::TopKAccuracy(2))
        .callback(EarlyStopping::new("val_accuracy").patience(10))
        .out_dir(&dir)
        .progress(ProgressMode::Quiet)
        .run()
        .unwrap();
    let columns = [
        "epoch",
        "loss",
        "accuracy",
        "top_2_accuracy",
        "val_loss",
        "val_accuracy",
        "val_top_2_accuracy",
        "lr",
        "seconds",
        "samples_per_second",
    ];
    assert_eq!(history.columns(), columns);
    assert_eq!(History::read_csv(dir.join("history.csv")).unwrap().epochs, history.epochs);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("history.json")).unwrap()).unwrap();
    assert_eq!(History::from_json(&json).unwrap(), history);
    let best = history.best_epoch.expect("early stopping watched val_accuracy");

    // The curves: two charts, each with a train and a validation line through the 4 epochs,
    // and the marker at the epoch early stopping chose.
    let svg = std::fs::read_to_string(dir.join("curves.svg")).unwrap();
    assert_balanced_svg(&svg);
    for colour in ["#1F77B4", "#FF7F0E"] {
        let lines: Vec<usize> = svg
            .lines()
            .filter(|l| l.starts_with("<polyline") && l.contains(&format!(r#"stroke="{colour}" stroke-width="2""#)))
            .map(|l| l.split(r#"points=""#).nth(1).unwrap().split('"').next().unwrap().split_whitespace().count())
            .filter(|&points| points == 4)
            .collect();
        assert_eq!(lines.len(), 2, "{colour}: one 4-point line in each chart");
    }
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .map(|t| t.split_once('>').unwrap().1.split("</text>").next().unwrap().trim())
        .collect();
    for text in ["loss", "accuracy", "train", "validation", &format!("early stopping: epoch {best}")] {
        assert!(texts.contains(&text), "no text {text:?} in {texts:?}");
    }
    // Real values: the loss fell, the accuracy is a fraction, the top-2 accuracy at least it.
    let losses = history.metric("loss").unwrap();
    assert!(losses[3] < losses[0], "{losses:?}");
    for e in &history.epochs {
        let (acc, top2) = (e.get("val_accuracy").unwrap(), e.get("val_top_2_accuracy").unwrap());
        assert!((0.0..=1.0).contains(&acc) && top2 >= acc);
        assert!(e.seconds > 0.0 && e.samples_per_second > 0.0);
        assert_eq!(e.lr, f64::from(0.01f32), "the rate as the f32 optimizer holds it");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn history_dir_writes_the_history_without_the_training_state() {
    let data = blobs(40, 16, false);
    let model = mlp(2, 8, 0.0);
    let mut opt = adam(&model, 0.01);
    let dir = scratch("history-only");
    let history = Fit::new(&model, &mut opt, &data)
        .epochs(2)
        .validation_split(0.25)
        .history_dir(&dir)
        .progress(ProgressMode::Quiet)
        .run()
        .unwrap();
    let mut files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(files, ["curves.svg", "history.csv", "history.json"]);
    assert_eq!(History::read_csv(dir.join("history.csv")).unwrap().epochs, history.epochs);
    assert_eq!(std::fs::read_to_string(dir.join("curves.svg")).unwrap(), history.curves().to_svg_string().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Checks that `svg` is one `<svg>` element whose tags all close in order.
fn assert_balanced_svg(svg: &str) {
    assert!(svg.starts_with("<svg ") && svg.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
    let mut open = Vec::new();
    for tag in svg.split('<').skip(1).map(|t| t.split('>').next().expect("every tag ends")) {
        let name = tag.split(|c: char| c.is_whitespace() || c == '/').find(|s| !s.is_empty()).unwrap_or("");
        if tag.starts_with('/') {
            assert_eq!(open.pop(), Some(name), "</{name}> closes the wrong element");
        } else if !tag.ends_with('/') {
            open.push(name);
        }
    }
    assert!(open.is_empty(), "unclosed {open:?}");
    assert!(svg.trim_end().ends_with("</svg>"));
}

#[test]
fn progress_to_a_writer_is_one_plain_line_per_epoch() {
    let data = blobs(40, 6, false);
    let model = mlp(2, 8, 0.0);
    let mut opt = adam(&model, 0.01);
    let log = Shared::default();
    let history = Fit::new(&model, &mut opt, &data)
        .epochs(3)
        .validation_split(0.25)
        .progress_to(Progress::lines_to(log.clone()))
        .run()
        .unwrap();
    let text = log.text();
    assert!(!text.contains('\r') && !text.contains('\x1b'), "{text:?}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for (i, line) in lines.iter().enumerate() {
        let e = &history.epochs[i];
        let start = format!(
            "epoch {}/3: loss {:.4}, accuracy {:.4}, val_loss {:.4}, val_accuracy {:.4}, lr 0.01, ",
            i + 1,
            e.get("loss").unwrap(),
            e.get("accuracy").unwrap(),
            e.get("val_loss").unwrap(),
            e.get("val_accuracy").unwrap()
        );
        assert!(line.starts_with(&start) && line.ends_with(" samples/s"), "{line}");
    }
}

/// Off a terminal, the default progress (auto) prints plain lines: the run happens in a child
/// process whose standard output is a pipe, as in CI.
#[test]
fn auto_progress_on_a_pipe_prints_plain_lines() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "auto_progress_child", "--ignored", "--nocapture", "--test-threads", "1"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains('\r') && !text.contains('\x1b'), "{text:?}");
    // The test harness writes "test auto_progress_child ... " before the child's first line.
    let epochs: Vec<&str> = text.lines().filter_map(|l| l.find("epoch ").map(|at| &l[at..])).collect();
    assert_eq!(epochs.len(), 2, "{text}");
    assert!(epochs[0].starts_with("epoch 1/2: loss ") && epochs[1].starts_with("epoch 2/2: loss "), "{text}");
}

#[test]
#[ignore = "run by auto_progress_on_a_pipe_prints_plain_lines in a child process"]
fn auto_progress_child() {
    let data = blobs(40, 6, false);
    let model = mlp(2, 8, 0.0);
    let mut opt = adam(&model, 0.01);
    Fit::new(&model, &mut opt, &data).epochs(2).run().unwrap();
}

#[test]
fn after_backward_sees_every_gradient_before_the_step_and_any_hook_can_stop() {
    let data = blobs(50, 7, false);
    let model = mlp(3, 8, 0.5);
    let mut opt = adam(&model, 0.01);
    let mut calls = Vec::new();
    let history = Fit::new(&model, &mut opt, &data)
        .epochs(5)
        .batch_size(20)
        .after_backward(|ctx| {
            // The optimizer has not consumed the gradients yet: every parameter has one.
            let norms: Vec<f64> = ctx
                .model
                .named_parameters()
                .values()
                .map(|p| p.grad().expect("a gradient").data().iter().map(|&g| f64::from(g).powi(2)).sum::<f64>())
                .collect();
            assert!(norms.iter().all(|n| n.is_finite() && *n > 0.0));
            calls.push((ctx.epoch, ctx.batch, ctx.batches));
            if ctx.epoch == 2 && ctx.batch == 1 {
                ctx.stop("enough");
            }
            Ok(())
        })
        .progress(ProgressMode::Quiet)
        .run()
        .unwrap();
    // Two epochs of ⌈50/20⌉ = 3 batches: the stop lets epoch 2 finish, then ends the run.
    assert_eq!(calls, [(1, 0, 3), (1, 1, 3), (1, 2, 3), (2, 0, 3), (2, 1, 3), (2, 2, 3)]);
    assert_eq!((history.epochs.len(), history.stopped.as_deref()), (2, Some("enough")));
    // Evaluation mode was only borrowed: the dropout is back in training mode.
    assert_eq!(model.get(2).unwrap().own_training(), Some(true));
}

#[test]
fn reduce_lr_on_plateau_follows_the_validation_loss() {
    let (train_set, val_set) = (blobs(64, 8, true), blobs(64, 9, true));
    let model = mlp(4, 32, 0.0);
    let mut opt = adam(&model, 0.02);
    let plateau = ReduceLrOnPlateau::new(ReduceLrOnPlateauConfig { patience: 0, factor: 0.5, ..Default::default() });
    let history = Fit::new(&model, &mut opt, &train_set)
        .epochs(8)
        .validation_data(&val_set)
        .reduce_lr_on_plateau(plateau.unwrap(), "val_loss")
        .progress(ProgressMode::Quiet)
        .run()
        .unwrap();
    // Patience 0: the rate halves after every epoch whose val_loss is no new minimum.
    let (val, lr) = (history.metric("val_loss").unwrap(), history.metric("lr").unwrap());
    let mut best = f64::INFINITY;
    let mut expected = 0.02f32 as f64;
    for e in 0..8 {
        assert_eq!(lr[e], expected, "epoch {}", e + 1);
        if val[e] < best * (1.0 - 1e-4) {
            best = val[e];
        } else {
            expected = (expected * 0.5) as f32 as f64;
        }
    }
    assert!(lr[7] < lr[0], "random labels: the validation loss must stall ({val:?})");
}

#[test]
fn a_whole_run_is_repeatable_bit_for_bit_and_the_seed_matters() {
    let data = blobs(60, 10, false);
    let run = |seed: u64| {
        let model = mlp(5, 16, 0.3);
        let opt = Sgd::new(model.named_parameters(), SgdConfig { lr: 0.05, momentum: 0.9, ..Default::default() });
        let mut opt = opt.unwrap();
        let history = Fit::new(&model, &mut opt, &data)
            .epochs(3)
            .batch_size(8)
            .seed(seed)
            .stratified_validation_split(0.2)
            .augment(|images, rng| {
                Ok(Tensor::from_fn(images.shape().clone(), |k| images.data()[k] + rng.random_range(-0.1..0.1)))
            })
            .progress(ProgressMode::Quiet)
            .run()
            .unwrap();
        (bits(&model), history.metric("val_loss").unwrap())
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1).0, run(2).0);
}

// Bad input: each a clear error, before any training where it can be known in advance.

fn fit_error(configure: impl FnOnce(Fit<'_>) -> Fit<'_>) -> Error {
    let data = blobs(10, 11, false);
    let model = mlp(6, 4, 0.0);
    let mut opt = adam(&model, 0.01);
    configure(Fit::new(&model, &mut opt, &data).epochs(1).progress(ProgressMode::Quiet)).run().unwrap_err()
}

#[test]
fn a_validation_fraction_outside_0_1_or_an_empty_split_is_an_error() {
    for fraction in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
        let err = fit_error(|fit| fit.validation_split(fraction));
        assert!(matches!(err, Error::SplitFraction { .. }), "{fraction}: {err}");
        assert!(err.to_string().contains("must be in (0, 1)"), "{err}");
    }
    let err = fit_error(|fit| fit.validation_split(0.5).eval_batch_size(0));
    assert_eq!(err.to_string(), "invalid argument to Fit::eval_batch_size: the batch size must be at least 1, got 0");
    let err = fit_error(|fit| fit.batch_size(0));
    assert_eq!(err.to_string(), "invalid argument to DataLoader::new: batch_size must be at least 1, got 0");
    let err = fit_error(|fit| fit.validation_split(0.01));
    assert!(matches!(err, Error::EmptySplit { samples: 10, held_out: 0, .. }), "{err}");
    assert!(err.to_string().contains("leaving one side empty"), "{err}");
}

#[test]
fn a_loss_that_is_not_a_scalar_is_an_error() {
    let err = fit_error(|fit| fit.loss(|logits, batch| nn::cross_entropy(logits, &batch.labels, nn::Reduction::None)));
    assert_eq!(
        err.to_string(),
        "the loss must be a scalar, but the loss function returned shape [10] (reduce it, e.g. with Reduction::Mean)"
    );
    let err = fit_error(|fit| fit.loss(|logits, _| Ok(logits.sum().mul_scalar(f32::NAN))));
    assert_eq!(err.to_string(), "the training loss is NaN at epoch 1, batch 0: training diverged");
}

#[test]
fn a_penalty_is_trained_on_reported_apart_and_kept_out_of_validation() {
    let (data, val) = (blobs(48, 14, false), blobs(24, 15, false));
    let lambda = 0.05;
    // The same run twice from the same weights: the penalty inside the loss closure, as one
    // would write it without Fit::penalty, and through Fit::penalty. One batch per epoch, so
    // an epoch's penalty is the one of the weights the previous epoch ended with.
    let run = |through_penalty: bool| {
        let model = mlp(3, 8, 0.0);
        let weights = nn::weight_matrices(&model);
        let mut sgd = Sgd::new(model.named_parameters(), SgdConfig { lr: 0.5, ..Default::default() }).unwrap();
        let mut at_epoch_end = Vec::new();
        let fit = Fit::new(&model, &mut sgd, &data)
            .epochs(4)
            .batch_size(48)
            .validation_data(&val)
            .progress(ProgressMode::Quiet)
            .on_epoch_end(|_| {
                let tape = Tape::new();
                at_epoch_end.push(f64::from(nn::l2_penalty(&tape, &weights, lambda)?.value().data()[0]));
                Ok(())
            });
        let fit = if through_penalty {
            fit.penalty(|tape| nn::l2_penalty(tape, &weights, lambda))
        } else {
            fit.loss(|logits, batch| {
                Ok(train::cross_entropy(logits, batch)?.add(&nn::l2_penalty(logits.tape(), &weights, lambda)?)?)
            })
        };
        let history = fit.run().unwrap();
        (history, bits(&model), at_epoch_end)
    };
    let ((inside, inside_bits, _), (apart, apart_bits, penalties)) = (run(false), run(true));
    // The same training, step for step, and the same training loss (data term + penalty).
    assert_eq!(apart_bits, inside_bits);
    assert_eq!(apart.metric("loss"), inside.metric("loss"));
    assert_eq!(apart.columns()[..4], ["epoch", "loss", "penalty", "accuracy"]);
    assert!(!apart.columns().contains(&"val_penalty".to_string()));
    let (penalty, val_apart, val_inside) =
        (apart.metric("penalty").unwrap(), apart.metric("val_loss").unwrap(), inside.metric("val_loss").unwrap());
    for epoch in 0..4 {
        // The penalty column is the penalty the epoch's step saw ...
        if epoch > 0 {
            assert_eq!(penalty[epoch], penalties[epoch - 1], "epoch {}", epoch + 1);
        }
        // ... and validation leaves it out: with it inside the loss, val_loss was higher by the
        // penalty of the weights the epoch ended with.
        let gap = val_inside[epoch] - val_apart[epoch];
        assert!((gap - penalties[epoch]).abs() < 1e-6, "epoch {}: {gap} vs {}", epoch + 1, penalties[epoch]);
        assert!(penalties[epoch] > 0.01, "{penalties:?}");
    }
    // A penalty that is not one number is an error naming it.
    let err = fit_error(|fit| fit.penalty(|tape| Ok(tape.constant(Tensor::zeros([2])))));
    assert_eq!(
        err.to_string(),
        "invalid argument to Fit::penalty: the penalty must be a scalar, but it returned shape [2]"
    );
}

#[test]
fn a_metric_or_monitor_that_does_not_fit_is_an_error() {
    struct Short;
    impl Metric for Short {
        fn name(&self) -> String {
            "short".into()
        }
        fn compute(&self, logits: &Tensor, labels: &[usize]) -> train::Result<f64> {
            train::metrics::accuracy(logits, &labels[1..])
        }
    }
    assert_eq!(fit_error(|fit| fit.metric(Short)).to_string(), "accuracy: 10 predictions but 9 labels");
    let err = fit_error(|fit| fit.callback(EarlyStopping::new("val_loss")));
    assert_eq!(
        err.to_string(),
        "EarlyStopping monitors \"val_loss\", which this run does not compute \
         (it computes [\"loss\", \"accuracy\"] and \"lr\")"
    );
    let err = fit_error(|fit| fit.callback(EarlyStopping::new("loss")).callback(EarlyStopping::new("loss")));
    assert!(err.to_string().contains("two callbacks are named \"early_stopping_loss\""), "{err}");
}

#[test]
fn an_output_folder_that_cannot_be_written_is_an_error_before_training() {
    // A folder inside a regular file cannot exist, whoever runs the test (root ignores
    // permission bits, not file types).
    let file = std::env::temp_dir().join(format!("chainrule-fit-{}-a-file", std::process::id()));
    std::fs::write(&file, b"not a folder").unwrap();
    let trained = std::rc::Rc::new(std::cell::Cell::new(false));
    let flag = trained.clone();
    let err = fit_error(|fit| {
        fit.out_dir(file.join("run")).after_backward(move |_| {
            flag.set(true);
            Ok(())
        })
    });
    assert!(matches!(err, Error::OutputDir { .. }), "{err}");
    assert!(err
        .to_string()
        .starts_with(&format!("cannot write to the output folder {}: ", file.join("run").display())));
    assert!(!trained.get(), "the error comes before the first batch");
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn resuming_from_the_state_of_another_run_is_an_error_naming_the_mismatch() {
    let data = blobs(30, 12, false);
    let dir = scratch("mismatch");
    let model = mlp(0, 8, 0.1);
    let mut opt = adam(&model, 0.01);
    Fit::new(&model, &mut opt, &data).epochs(1).out_dir(&dir).progress(ProgressMode::Quiet).run().unwrap();
    let state = dir.join(train::STATE_FILE);

    let resume = |model: &Sequential, configure: &dyn Fn(Fit<'_>) -> Fit<'_>| {
        let mut opt = adam(model, 0.01);
        let fit = Fit::new(model, &mut opt, &data).epochs(2).resume_from(&state).progress(ProgressMode::Quiet);
        configure(fit).run().map(|history| history.epochs.len()).map_err(|e| e.to_string())
    };
    let prefix = format!("cannot resume from {}: it was saved ", state.display());
    fn same(fit: Fit<'_>) -> Fit<'_> {
        fit
    }
    let layer = |i, o| LinearConfig::new(i, o).init(&mut StdRng::seed_from_u64(0)).unwrap();
    let cases: [(Sequential, &str); 4] = [
        (mlp(0, 16, 0.1), "from another model: parameter \"0.weight\" is [8, 8] in the file but [16, 8] here"),
        (
            Sequential::new().push(layer(8, 8)),
            "from another model: it has parameter \"3.bias\", which this model lacks",
        ),
        (
            Sequential::new().push(Relu).push(layer(8, 8)).push(Relu).push(layer(8, 3)),
            "from another model: it has no parameter \"1.weight\"",
        ),
        (
            Sequential::new().push(layer(8, 8)).push(Relu).push(Relu).push(layer(8, 3)),
            "from another model: it holds state \"2.seed\", which this model lacks",
        ),
    ];
    for (model, reason) in cases {
        assert_eq!(resume(&model, &same), Err(format!("{prefix}{reason}")));
    }
    let err = resume(&mlp(0, 8, 0.1), &|fit| fit.seed(5)).unwrap_err();
    assert!(err.starts_with(&format!("{prefix}by a run with seed 0, this run has 5")), "{err}");
    let err = resume(&mlp(0, 8, 0.1), &|fit| fit.batch_size(7)).unwrap_err();
    assert!(err.contains("batch size 32, this run has 7"), "{err}");
    let err = resume(&mlp(0, 8, 0.1), &|fit| fit.validation_split(0.5)).unwrap_err();
    assert!(err.contains("train samples 30, this run has 15"), "{err}");
    let plateau = || ReduceLrOnPlateau::new(ReduceLrOnPlateauConfig::default()).unwrap();
    let err = resume(&mlp(0, 8, 0.1), &|fit| fit.reduce_lr_on_plateau(plateau(), "loss")).unwrap_err();
    assert!(err.ends_with("it holds no learning-rate schedule, but this run has one"), "{err}");
    // Another metric or a penalty would make the history's columns differ.
    let err = resume(&mlp(0, 8, 0.1), &|fit| fit.metric(train::metrics::TopKAccuracy(2))).unwrap_err();
    assert!(err.ends_with(r#"recorded ["loss", "accuracy"], this run records ["loss", "accuracy", "top_2_accuracy"] (another metric, validation or penalty)"#), "{err}");
    let err = resume(&mlp(0, 8, 0.1), &|fit| fit.penalty(|tape| nn::l2_penalty(tape, &[], 0.1))).unwrap_err();
    assert!(err.contains(r#"this run records ["loss", "penalty", "accuracy"]"#), "{err}");
    // A callback new to the resumed run starts afresh; the same model continues to epoch 2.
    assert_eq!(resume(&mlp(0, 8, 0.1), &|fit| fit.callback(EarlyStopping::new("loss"))), Ok(2));
    // A model-only checkpoint is not a training state.
    let weights = dir.join("weights.safetensors");
    nn::checkpoint::save(&model, &weights).unwrap();
    let mut opt = adam(&model, 0.01);
    let err = Fit::new(&model, &mut opt, &data).resume_from(&weights).progress(ProgressMode::Quiet).run().unwrap_err();
    assert!(err.to_string().contains("it holds no training state"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn evaluate_and_predict_agree_with_a_plain_forward_pass() {
    let data = blobs(25, 13, false);
    let model = mlp(8, 8, 0.5);
    let result = train::evaluate(&model, &data, 7, train::cross_entropy).unwrap();
    model.eval();
    let tape = Tape::new();
    let logits = model.forward(&tape.constant(data.images().clone())).unwrap();
    // Batches of 7 against one batch of 25: the GEMM kernel may round a row differently with
    // another number of rows, so the logits agree to rounding, not bit for bit.
    assert!(logits.value().max_abs_diff(&result.logits) < 1e-5);
    assert_eq!(result.confusion_matrix().unwrap().accuracy(), result.accuracy);
    assert!(train::predict(&model, data.images(), 4).unwrap().max_abs_diff(&result.logits) < 1e-5);
}
