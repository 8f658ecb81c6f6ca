//! Errors and anomalies name the line of the user's call, not a line inside `nn`: the entry
//! points are `#[track_caller]` all the way down to the op or check that fails.

use autograd::{Tape, Tensor};
use nn::{LinearConfig, MaxoutConfig, Module, Reduction, Relu, Sequential};
use rand::{rngs::StdRng, SeedableRng};

/// `"(at <this file>:<line>:"`, the start of the site an error names.
fn here(line: u32) -> String {
    format!("(at {}:{line}:", file!())
}

#[test]
fn a_shape_mismatch_in_linear_forward_names_the_callers_line() {
    let layer = LinearConfig::new(3, 2).init::<f64>(&mut StdRng::seed_from_u64(0)).unwrap();
    let tape = Tape::new();
    let x = tape.constant(Tensor::zeros([4, 5]));
    let (e, line) = (layer.forward(&x).unwrap_err(), line!());
    assert!(e.to_string().contains(&here(line)), "{e}");
    assert!(e.to_string().starts_with("Linear expects input of shape […, 3], got [4, 5] (at "), "{e}");

    // Through another layer called directly: Maxout's forward calls Linear's.
    let maxout = MaxoutConfig::new(3, 2, 2).init::<f64>(&mut StdRng::seed_from_u64(0)).unwrap();
    let (e, line) = (maxout.forward(&x).unwrap_err(), line!());
    assert!(e.to_string().contains(&here(line)), "{e}");
}

#[test]
fn config_loss_and_penalty_errors_name_the_callers_line() {
    let mut rng = StdRng::seed_from_u64(0);
    let (e, line) = (LinearConfig::new(0, 2).init::<f32>(&mut rng).unwrap_err(), line!());
    assert!(e.to_string().contains(&here(line)), "{e}");
    let bad_init = LinearConfig { weight_init: nn::Init::Normal { mean: 0.0, std: -1.0 }, ..LinearConfig::new(2, 2) };
    let (e, line) = (bad_init.init::<f32>(&mut rng).unwrap_err(), line!());
    assert!(e.to_string().contains(&here(line)), "{e}");
    let (e, line) = (MaxoutConfig::new(2, 0, 2).init::<f32>(&mut rng).unwrap_err(), line!());
    assert!(e.to_string().contains(&here(line)), "{e}");

    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros([2, 3]));
    let (e, line) = (nn::cross_entropy(&x, &[0], Reduction::Mean).unwrap_err(), line!());
    assert!(e.to_string().contains(&here(line)), "{e}");
    let (e, line) = (nn::huber_loss(&x, &x, -1.0, Reduction::Mean).unwrap_err(), line!());
    assert!(e.to_string().contains(&here(line)), "{e}");
    let (e, line) = (nn::l2_penalty(&tape, &[], -1.0).unwrap_err(), line!());
    assert!(e.to_string().contains(&here(line)), "{e}");
    let (e, line) = (nn::maxout(&x, 2).unwrap_err(), line!());
    assert!(e.to_string().contains(&here(line)), "{e}");
    // An error from autograd inside a loss (two tapes mixed) names the caller's line too.
    let other = Tape::<f64>::new();
    let y = other.constant(Tensor::zeros([2, 3]));
    let (e, line) = (nn::mse_loss(&x, &y, Reduction::Mean).unwrap_err(), line!());
    assert!(e.to_string().contains(&here(line)), "{e}");
}

/// Anomaly mode names the op and where it was recorded: for an op inside a loss or an
/// activation, the user's line.
#[test]
fn anomalies_inside_losses_and_activations_name_the_callers_line() {
    let tape = Tape::<f64>::new();
    tape.set_anomaly_mode(true);
    let x = tape.var(Tensor::vector(&[1e200, 1.0]));
    let (_, line) = (nn::mse_loss(&x, &tape.constant(Tensor::zeros([2])), Reduction::Sum).unwrap(), line!());
    let e = tape.check_anomaly().unwrap_err();
    assert!(e.to_string().contains(&format!("recorded at {}:{line}:", file!())), "{e}");

    let tape = Tape::<f64>::new();
    tape.set_anomaly_mode(true);
    let x = tape.var(Tensor::vector(&[f64::INFINITY]));
    let (_, line) = (nn::gelu(&x, nn::GeluApproximation::Tanh), line!());
    let e = tape.check_anomaly().unwrap_err();
    assert!(e.to_string().contains(&format!("recorded at {}:{line}:", file!())), "{e}");
}

/// Through `dyn Module` (a `Sequential`): Rust keeps the caller's location through a trait
/// object only because the trait's own method declaration, `Module::forward`, carries
/// `#[track_caller]`; without it the site would be the `Sequential`'s line inside `nn`.
#[test]
fn through_a_sequential_the_error_names_the_callers_line() {
    let mut rng = StdRng::seed_from_u64(0);
    let mlp = Sequential::<f64>::new()
        .push(LinearConfig::new(3, 4).init(&mut rng).unwrap())
        .push(Relu)
        .push(LinearConfig::new(5, 2).init(&mut rng).unwrap());
    let tape = Tape::new();
    let x = tape.constant(Tensor::zeros([1, 3]));
    let (e, line) = (mlp.forward(&x).unwrap_err(), line!());
    assert!(e.to_string().contains(&here(line)), "{e}");
}
