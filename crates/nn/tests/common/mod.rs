//! Helpers shared by the nn tests.
//!
//! `check_params` is a central-difference gradient check over [`Parameter`]s: modules own
//! their parameters and put them on the tape themselves (`tape.param(&p)`), so the check
//! perturbs the parameters' values in place and reads the analytic gradient from their
//! buffers, which is exactly the path training uses. Inputs to check are made parameters too.
//! (`autograd::gradcheck` takes the inputs as tensors and cannot reach a module's parameters.)
#![allow(dead_code)]

use autograd::{Parameter, Tape, Tensor, Var};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// Tolerances, PyTorch's gradcheck defaults: pass iff |a − n| ≤ atol + rtol·|n|.
pub const EPS: f64 = 1e-6;
pub const ATOL: f64 = 1e-5;
pub const RTOL: f64 = 1e-3;

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// A parameter holding N(0, 1) values.
pub fn normal_param(dims: &[usize], seed: u64) -> Parameter<f64> {
    Parameter::new(Tensor::rand_normal(dims, 0.0, 1.0, &mut rng(seed)))
}

/// Checks ∂loss/∂p for every element of every named parameter against central differences
/// of `loss`, which builds the scalar loss on a fresh tape. Returns how many elements were
/// compared; panics with a table of the failures.
pub fn check_params<F>(params: &[(&str, &Parameter<f64>)], loss: F) -> usize
where
    F: for<'t> Fn(&'t Tape<f64>) -> nn::Result<Var<'t, f64>>,
{
    for (_, p) in params {
        p.zero_grad();
    }
    let tape = Tape::new();
    let out = loss(&tape).expect("the loss evaluates");
    assert_eq!(out.numel(), 1, "the checked function must return a scalar");
    out.backward().expect("backward runs");
    let eval = |tape: &Tape<f64>| loss(tape).expect("the loss evaluates").item();

    let mut failures = Vec::new();
    let mut compared = 0;
    for (name, p) in params {
        let analytic = p.grad().unwrap_or_else(|| panic!("parameter {name} received no gradient"));
        let original = p.value();
        assert_eq!(analytic.shape(), original.shape(), "gradient shape of {name}");
        for j in 0..original.numel() {
            let mut plus = original.clone();
            plus.data_mut()[j] += EPS;
            p.set_value(plus);
            let f_plus = eval(&Tape::new());
            let mut minus = original.clone();
            minus.data_mut()[j] -= EPS;
            p.set_value(minus);
            let f_minus = eval(&Tape::new());
            p.set_value(original.clone());
            let numeric = (f_plus - f_minus) / (2.0 * EPS);
            let a = analytic.data()[j];
            compared += 1;
            // Written so that a NaN on either side fails.
            let passes = (a - numeric).abs() <= ATOL + RTOL * numeric.abs();
            if !passes {
                failures.push(format!("{name}[{j}]: analytic {a:.10e}, numeric {numeric:.10e}"));
            }
        }
    }
    assert!(failures.is_empty(), "gradient check failed for {} elements:\n{}", failures.len(), failures.join("\n"));
    compared
}

/// Relative closeness of two values for reference comparisons.
pub fn assert_close(actual: f64, expected: f64, rtol: f64, what: &str) {
    let err = (actual - expected).abs();
    assert!(
        err <= rtol * expected.abs().max(1e-300),
        "{what}: {actual} vs {expected} (relative error {})",
        err / expected.abs()
    );
}

/// A fresh, empty directory under the system temp dir for one test.
pub fn temp_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("chainrule-nn-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("can create a temp dir");
    dir
}
