//! Helpers shared by the nn tests.
//!
//! `check_params` is a central-difference gradient check over [`Parameter`]s, through
//! `autograd::gradcheck_params`: modules own their parameters and put them on the tape
//! themselves (`tape.param(&p)`), so the check perturbs the parameters' values in place and
//! reads the analytic gradient from their buffers, which is exactly the path training uses.
//! Inputs to check are made parameters too.
#![allow(dead_code)]

use autograd::{gradcheck_params, GradcheckOptions, NamedParameter, Parameter, Tape, Tensor, Var};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::{Path, PathBuf};

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// A parameter holding N(0, 1) values.
pub fn normal_param(dims: &[usize], seed: u64) -> Parameter<f64> {
    Parameter::new(Tensor::rand_normal(dims, 0.0, 1.0, &mut rng(seed)))
}

/// Checks ∂loss/∂p for every element of every named parameter against central differences
/// of `loss`, which builds the loss on a fresh tape, with PyTorch's gradcheck defaults
/// (eps 1e-6, atol 1e-5, rtol 1e-3). Returns how many Jacobian entries were compared; panics
/// with the failure table, and also if any element sat on a kink (the inputs are meant to
/// avoid them, so a kink would mean fewer comparisons than claimed).
pub fn check_params<P, F>(params: P, loss: F) -> usize
where
    P: IntoIterator,
    P::Item: NamedParameter<f64>,
    F: for<'t> Fn(&'t Tape<f64>) -> nn::Result<Var<'t, f64>>,
{
    let report = gradcheck_params(params, |tape| Ok(loss(tape)?), &GradcheckOptions::default())
        .unwrap_or_else(|e| panic!("gradient check failed:\n{e}"));
    assert!(report.kinks.is_empty(), "elements on a kink were not compared: {:?}", report.kinks);
    report.compared
}

/// A fresh, empty directory under the system temp dir for one test, removed when dropped.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn temp_dir(test: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("chainrule-nn-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("can create a temp dir");
    TempDir(dir)
}
