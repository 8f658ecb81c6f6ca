//! Every experiment at its tiny size, asserting the property it is about, so none can rot.

use lecture::common::Activation;
use lecture::{chain_rule, minibatch, optimizers, overfitting, relu_variants, vanishing, why_deep, Output};
use std::path::PathBuf;

/// A fresh output folder for one test ([`assert_files`] removes it).
fn out(name: &str) -> Output {
    let dir: PathBuf = std::env::temp_dir().join(format!("chainrule-lecture-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    Output::create(dir).unwrap()
}

fn assert_files(out: &Output, names: &[&str]) {
    for name in names {
        let path = out.dir().join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!text.is_empty(), "{} is empty", path.display());
        if name.ends_with(".svg") {
            assert!(text.starts_with("<svg") || text.starts_with("<?xml"), "{} is not an SVG", path.display());
        }
    }
    std::fs::remove_dir_all(out.dir()).unwrap();
}

#[test]
fn chain_rule_products_are_the_tape_gradients_and_the_finite_differences() {
    let mut out = out("chain-rule");
    let config = chain_rule::Config::tiny();
    let report = chain_rule::run(&config, &mut out).unwrap();
    assert_eq!(report.rows.len(), 14);
    for row in &report.rows {
        assert!((row.product - row.tape).abs() < 1e-15, "{row:?}");
        assert!((row.tape - row.finite_difference).abs() < 1e-8, "{row:?}");
        assert!(row.tape != 0.0, "every parameter matters for this loss: {row:?}");
    }
    // The forward factor of a first-layer weight is the input it multiplies; of a second-layer
    // weight, the hidden activation.
    let w1_02 = report.rows.iter().find(|r| r.name == "w1[0,2]").unwrap();
    assert_eq!(w1_02.forward, config.x[2]);
    let w2_11 = report.rows.iter().find(|r| r.name == "w2[1,1]").unwrap();
    assert_eq!(w2_11.forward, report.forward.a[1]);
    // The tape's ∂l/∂z of the intermediate values is the hand-computed backward pass.
    for (tape, hand) in report.tape_dz1.iter().zip(&report.backward.dz1) {
        assert!((tape - hand).abs() < 1e-15);
    }
    for (tape, hand) in report.tape_dz2.iter().zip(&report.backward.dz2) {
        assert!((tape - hand).abs() < 1e-15);
    }
    assert!(report.max_total_vs_sum_of_samples < 1e-12);
    // The backward trace: the linear node z1 sends w1 the outer product ∂l/∂z1 ⊗ x.
    assert!(report.max_trace_w1_vs_outer_product < 1e-15, "{}", report.max_trace_w1_vs_outer_product);
    for line in ["z1 = linear(const [1 -1 0.5], w1, b1)", "a = sigmoid(z1)", "sigmoid'(z1) = [", "→ w1: ["] {
        assert!(report.trace.contains(line), "{line} in\n{}", report.trace);
    }
    // The listing shows the named values with their forward values and gradients.
    assert!(report.listing.contains("%0 w1") && report.listing.contains("sigmoid") && report.listing.contains("grad"));
    let mut files = vec!["gradients.csv", "values.json", "tape.txt", "trace.txt", "tape.dot", "gradients.svg"];
    if out.dir().join("tape.svg").exists() {
        files.push("tape.svg"); // written where Graphviz is installed
    }
    assert_files(&out, &files);
}

#[test]
fn chain_rule_rejects_a_label_out_of_range() {
    let config = chain_rule::Config { label: 2, ..chain_rule::Config::tiny() };
    let mut out = out("chain-rule-label");
    let err = chain_rule::run(&config, &mut out).unwrap_err();
    assert!(err.to_string().contains("label 2"), "{err}");
    assert_files(&out, &[]);
}

fn mnist() -> lecture::common::Mnist {
    lecture::common::Mnist::load(&lecture::bundled_mnist()).unwrap()
}

#[test]
fn vanishing_gradients_shrink_towards_the_input_with_sigmoid_not_with_relu() {
    let mut out = out("vanishing");
    let config = vanishing::Config::tiny();
    let report = vanishing::run(&config, &mnist(), &mut out).unwrap();
    let (sigmoid, relu) = (&report.runs[0], &report.runs[1]);
    assert_eq!((sigmoid.activation, relu.activation), (Activation::Sigmoid, Activation::Relu));
    // Same weights, different activation: the sigmoid network's gradient at layer 2 is a small
    // fraction of its gradient at layer L−1 (the same shape), the ReLU network's is not.
    assert!(sigmoid.init_ratio() < 0.05, "sigmoid: {}", sigmoid.init_ratio());
    assert!(relu.init_ratio() > 0.2, "ReLU: {}", relu.init_ratio());
    // And it shrinks layer after layer on the way back.
    let n = sigmoid.init_norms.len();
    assert!(sigmoid.init_norms[1..n - 1].windows(2).all(|w| w[0] < w[1]), "{:?}", sigmoid.init_norms);
    for run in &report.runs {
        assert_eq!(run.batch_norms.len(), report.batches_per_epoch * config.epochs);
        assert_eq!(run.history.epochs.len(), config.epochs);
        assert!(run.batch_norms.iter().flatten().all(|v| v.is_finite() && *v > 0.0));
    }
    assert_files(
        &out,
        &["init_norms.csv", "summary.json", "init_norms.svg", "norms_during_training.svg", "curves.svg"],
    );
}

#[test]
fn optimizers_on_the_surface_and_on_mnist() {
    let mut out = out("optimizers");
    let report = optimizers::run(&optimizers::Config::tiny(), &mnist(), &mut out).unwrap();
    let path = |name: &str| report.paths.iter().find(|p| p.name == name).unwrap();
    // Plain SGD crawls on the plateau; the adaptive rates leave it, and stop in the shallow
    // local minimum; momentum carries the parameters through it into the global one.
    assert_eq!(path("SGD").left_plateau_at, None);
    for name in ["Adagrad", "RMSProp", "Adam"] {
        assert!(path(name).left_plateau_at.unwrap() < path("momentum").left_plateau_at.unwrap(), "{name}");
        assert_eq!(path(name).ended_in, "local", "{name}");
    }
    assert_eq!(path("momentum").ended_in, "global");
    assert!(path("momentum").values.last().unwrap() < &0.01);
    // The surface value at the path's points is the surface.
    let sgd = path("SGD");
    assert!((optimizers::surface_at(sgd.points[3].0, sgd.points[3].1) - sgd.values[3]).abs() < 1e-12);
    for run in &report.mnist {
        let (first, last) = (run.step_losses[0], *run.step_losses.last().unwrap());
        assert!(last < first, "{}: loss {first} → {last}", run.name);
    }
    assert_files(&out, &["surface_paths.csv", "mnist_steps.csv", "summary.json", "surface.svg", "mnist_loss.svg"]);
}

#[test]
fn why_deep_compares_networks_of_equal_parameter_counts() {
    let mut out = out("why-deep");
    let config = why_deep::Config::tiny();
    let report = why_deep::run(&config, &mnist(), &mut out).unwrap();
    assert_eq!(report.rows.len(), 2 * (config.parity.budgets.len() + config.mnist.budgets.len()) * config.inits.len());
    for row in &report.rows {
        // Both architectures within 10 % of the budget, the deep one with the configured depth.
        assert!(row.parameters.abs_diff(row.budget) * 10 < row.budget, "{row:?}");
        let hidden = row.sizes.len() - 2;
        assert_eq!(hidden, if row.architecture == "deep" { config.deep_layers } else { 1 });
        assert_eq!(
            row.test_accuracy.len(),
            if row.task == "parity" { config.parity.seeds } else { config.mnist.seeds }
        );
        assert!(row.test_accuracy.iter().chain(&row.train_accuracy).all(|a| (0.0..=1.0).contains(a)));
    }
    // The parity halves are disjoint and cover every pattern.
    let (train, test) = why_deep::parity_data(config.bits, config.seed).unwrap();
    let mut patterns: Vec<Vec<u32>> = [&train, &test]
        .iter()
        .flat_map(|d| {
            d.images()
                .data()
                .chunks(config.bits)
                .map(|r| r.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        })
        .collect();
    patterns.sort();
    patterns.dedup();
    assert_eq!(patterns.len(), 1 << config.bits);
    assert_files(&out, &["results.csv", "summary.json", "accuracy_vs_parameters.svg"]);
}

#[test]
fn overfitting_variants_do_what_the_lecture_says_they_do() {
    use lecture::overfitting::Regularizer;
    let mut out = out("overfitting");
    let config = overfitting::Config::tiny();
    let report = overfitting::run(&config, &mnist(), &mut out).unwrap();
    let variant = |f: &dyn Fn(&Regularizer) -> bool| report.variants.iter().find(|v| f(&v.regularizer)).unwrap();
    let none = variant(&|r| *r == Regularizer::None);
    let stopped = variant(&|r| matches!(r, Regularizer::EarlyStopping { .. }));
    let strong_l2 = variant(&|r| *r == Regularizer::L2(2e-2));
    let strong_l1 = variant(&|r| *r == Regularizer::L1(5e-4));
    let dropout = variant(&|r| matches!(r, Regularizer::Dropout { .. }));

    // One SGD step with a penalty is the lecture's closed form (docs/lecture.md §5), to f32
    // rounding.
    let u = report.update_rules;
    assert!(u.l2 < 1e-6 && u.l1 < 1e-6 && u.step > 1e-3, "{u:?}");
    // Same seed, same batches: early stopping's run is the baseline's, cut where it stopped,
    // and it keeps the epoch of its lowest validation loss.
    let (a, b) = (none.history.metric("val_loss").unwrap(), stopped.history.metric("val_loss").unwrap());
    assert_eq!(a[..b.len()], b[..]);
    let lowest = b.iter().enumerate().min_by(|x, y| x.1.total_cmp(y.1)).unwrap().0 + 1;
    assert_eq!(stopped.history.best_epoch, Some(lowest));
    // The penalties are trained on and reported apart: L2's penalty column is λ/2·Σ‖W‖² (the
    // mean over the last epoch's steps, against the weights it ended with), and val_loss is
    // the cross-entropy alone, of the same order as the baseline's (the penalty is not).
    assert_eq!(none.history.metric("penalty"), None);
    let penalty = strong_l2.history.last().unwrap().get("penalty").unwrap();
    let at_end = 2e-2 / 2.0 * strong_l2.weight_norms.last().unwrap().iter().map(|n| n * n).sum::<f64>();
    assert!((penalty - at_end).abs() < 0.05 * at_end, "{penalty} vs {at_end}");
    let val_loss = |v: &overfitting::VariantReport| v.history.last().unwrap().get("val_loss").unwrap();
    assert!(
        val_loss(strong_l2) < val_loss(none) + penalty / 2.0,
        "{} {} {penalty}",
        val_loss(strong_l2),
        val_loss(none)
    );
    // L2 shrinks the weights; L1 puts more of them at zero.
    assert!(strong_l2.final_weight_norm() < none.final_weight_norm());
    assert!(strong_l1.near_zero[1] > none.near_zero[1]);
    // Dropout makes the training accuracy (measured while dropping) worse.
    let running = |v: &overfitting::VariantReport| v.history.last().unwrap().get("accuracy").unwrap();
    assert!(running(dropout) < running(none));
    let (_, agreement) = dropout.ensemble.unwrap();
    assert!(agreement > 0.5);
    assert_files(
        &out,
        &[
            "variants.csv",
            "weight_norms.csv",
            "summary.json",
            "early_stopping.svg",
            "validation.svg",
            "weight_norms.svg",
            "weights_histogram.svg",
            "dropout.svg",
        ],
    );
}

#[test]
fn minibatch_updates_per_epoch_are_samples_over_batch_size() {
    let mut out = out("minibatch");
    let config = minibatch::Config::tiny();
    let report = minibatch::run(&config, &mnist(), &mut out).unwrap();
    assert_eq!(report.runs.len(), config.batch_sizes.len());
    for run in &report.runs {
        assert_eq!(run.history.epochs.len(), config.epochs);
        assert_eq!(run.updates_per_epoch.len(), run.history.epochs.len());
        let expected = config.train_samples.div_ceil(run.batch_size);
        assert!(
            run.updates_per_epoch.iter().all(|&u| u == expected),
            "batch {}: {:?}",
            run.batch_size,
            run.updates_per_epoch
        );
        assert!(run.train_seconds.iter().all(|s| s.is_finite() && *s > 0.0));
    }
    assert_files(&out, &["batch_sizes.csv", "summary.json", "convergence.svg"]);
}

#[test]
fn relu_variants_thin_linear_networks_learned_slopes_and_convex_maxout_units() {
    let mut out = out("relu-variants");
    let report = relu_variants::run(&relu_variants::Config::tiny(), &mnist(), &mut out).unwrap();
    let run = |a: Activation| report.runs.iter().find(|r| r.activation == a).unwrap();
    // For each digit, the ReLU network is the linear map of its active units.
    let thin = run(Activation::Relu).thinness.as_ref().unwrap();
    assert!(thin.linear_map_error < 1e-4, "{thin:?}");
    assert!(thin.active_fraction.iter().all(|&f| f > 0.0 && f < 1.0), "{thin:?}");
    // PReLU's slopes were trained away from where they started.
    let slopes = &run(Activation::PRelu(0.25)).slopes;
    assert_eq!(slopes.len(), 2);
    assert!(slopes.iter().flatten().any(|&s| (s - 0.25).abs() > 1e-4));
    // Maxout: the pieces' shares of the digits sum to one per unit; along a line each plotted
    // unit is the max of its pieces, a convex function of t.
    let maxout = run(Activation::Maxout(2)).maxout.as_ref().unwrap();
    for shares in &maxout.piece_shares {
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
    assert!(!maxout.curves.is_empty());
    for curve in &maxout.curves {
        for p in &curve.points {
            assert_eq!(p.output, p.pieces.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        }
        for w in curve.points.windows(3) {
            assert!(w[0].output + w[2].output - 2.0 * w[1].output > -1e-5, "not convex: {w:?}");
        }
    }
    for r in &report.runs {
        let losses = r.history.metric("loss").unwrap();
        assert!(losses.iter().all(|l| l.is_finite()), "{}", r.activation.name());
    }
    assert_files(
        &out,
        &["results.csv", "summary.json", "curves.svg", "prelu_slopes.svg", "maxout_units.svg", "relu_active_units.svg"],
    );
}
