//! [`Dropout`] (Srivastava et al., 2014): in training, each unit is kept with probability
//! `1 − p` and zeroed otherwise, with a fresh random mask for every forward pass (every
//! mini-batch); in evaluation no unit is dropped.
//!
//! The two scalings and why they agree are documented on [`DropoutScaling`].
//!
//! The module's masks come from a counter-based stream: the k-th mask (counting training-mode
//! forward passes) is drawn from a generator keyed by `(seed, k)`. The module's whole random
//! state is therefore two numbers, `seed` and `counter`, which it exposes through
//! [`Module::visit_state`]: a checkpoint that saves them lets a resumed run draw exactly the
//! masks an uninterrupted one would have, and concurrent forward passes each take their own `k`
//! without a lock.

use crate::{Error, Module, Result};
use autograd::{Float, Tensor, Var};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Where dropout's `1 − p` rescaling happens.
///
/// Two ways to keep training and test activations on the same scale:
///
/// - [`DropoutScaling::Inverted`] (the default, as PyTorch): training multiplies the kept units
///   by `1/(1 − p)`; evaluation is the identity, so nothing changes at test time.
/// - [`DropoutScaling::AtEval`] (the form of the original paper, and of the lecture that
///   `docs/lecture.md` follows, whose §5 compares the two): training keeps units unscaled;
///   evaluation multiplies every unit by `1 − p`, which is the same as multiplying the
///   outgoing weights of the layer by `1 − p`.
///
/// They agree in expectation: with mask `m ~ Bernoulli(1 − p)` per unit, the inverted form
/// gives `E[m·x/(1 − p)] = x`, which is its evaluation output, and the at-eval form gives
/// `E[m·x] = (1 − p)·x`, which is its evaluation output. In both, the training output is an
/// unbiased estimate of the evaluation output, and the two differ only by the constant factor
/// `1 − p`, which the next layer's weights absorb (`tests/dropout.rs` checks it statistically).
///
/// The mask is a constant on the tape: the gradient flows through the kept units (times the
/// same scale) and is zero for dropped ones. No gradient code is involved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DropoutScaling {
    /// Divide kept units by `1 − p` in training; identity in evaluation (PyTorch's).
    #[default]
    Inverted,
    /// No scaling in training; multiply by `1 − p` in evaluation (the original paper's).
    AtEval,
}

/// How to build a [`Dropout`] module.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DropoutConfig {
    /// The probability of dropping each unit, in `[0, 1]`.
    pub p: f64,
    /// Where the `1 − p` rescaling happens.
    pub scaling: DropoutScaling,
}

impl DropoutConfig {
    /// Dropout with probability `p` and inverted scaling.
    pub fn new(p: f64) -> Self {
        DropoutConfig { p, scaling: DropoutScaling::Inverted }
    }

    /// A dropout module whose masks come from a generator seeded from `rng`. Fails, naming
    /// the caller's line, unless `p` is in [0, 1].
    #[track_caller]
    pub fn init(&self, rng: &mut impl Rng) -> Result<Dropout> {
        self.init_seeded(rng.random())
    }

    /// A dropout module whose masks come from a stream keyed by `seed`: the same seed gives
    /// the same sequence of masks. Fails, naming the caller's line, unless `p` is in [0, 1].
    #[track_caller]
    pub fn init_seeded(&self, seed: u64) -> Result<Dropout> {
        check_p(self.p)?;
        Ok(Dropout {
            p: self.p,
            scaling: self.scaling,
            training: AtomicBool::new(true),
            seed: AtomicU64::new(seed),
            counter: AtomicU64::new(0),
        })
    }
}

#[track_caller]
fn check_p(p: f64) -> Result<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(Error::config("Dropout", format!("p must be in [0, 1], got {p}")))
    }
}

/// Dropout as a function: in training (`training = true`) multiplies `x` by a fresh mask drawn
/// from `rng`; otherwise applies the evaluation form of `scaling`.
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::{dropout, DropoutScaling};
/// use rand::{rngs::StdRng, SeedableRng};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::ones([1000]));
/// let y = dropout(&x, 0.5, DropoutScaling::Inverted, true, &mut StdRng::seed_from_u64(0)).unwrap();
/// // Kept units are doubled, dropped ones are zero.
/// assert!(y.value().data().iter().all(|&v| v == 0.0 || v == 2.0));
/// let eval = dropout(&x, 0.5, DropoutScaling::Inverted, false, &mut StdRng::seed_from_u64(0)).unwrap();
/// assert_eq!(eval.value(), x.value());
/// ```
#[track_caller]
pub fn dropout<'t, T: Float>(
    x: &Var<'t, T>,
    p: f64,
    scaling: DropoutScaling,
    training: bool,
    rng: &mut impl Rng,
) -> Result<Var<'t, T>> {
    check_p(p)?;
    if !training {
        return Ok(match scaling {
            DropoutScaling::Inverted => x.clone(),
            DropoutScaling::AtEval => x.mul_scalar(T::from_f64(1.0 - p)),
        });
    }
    if p == 0.0 {
        return Ok(x.clone());
    }
    let kept = match scaling {
        // p = 1 drops everything; the scale is irrelevant (PyTorch returns zeros too).
        DropoutScaling::Inverted if p < 1.0 => T::from_f64(1.0 / (1.0 - p)),
        DropoutScaling::Inverted | DropoutScaling::AtEval => T::ONE,
    };
    let mask = Tensor::from_fn(x.shape(), |_| if rng.random::<f64>() < p { T::ZERO } else { kept });
    Ok(x.mul(&x.constant(mask))?)
}

/// Dropout (Srivastava et al., 2014) as a module: in training, each unit is kept with
/// probability `1 − p` and zeroed otherwise, with a fresh mask for every forward pass (every
/// mini-batch); in evaluation no unit is dropped. See [`DropoutScaling`] for the two ways of
/// rescaling. The masks come from the module's own seeded stream: the k-th training-mode forward
/// pass draws its mask from a generator keyed by `(seed, k)`, so the state words `"seed"` and
/// `"counter"` ([`Module::visit_state`]) fix every future mask. Starts in training mode;
/// [`Module::eval`] switches it (and everything around it) to evaluation.
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::{DropoutConfig, Module};
/// let drop = DropoutConfig::new(0.5).init_seeded(7).unwrap();
/// let tape = Tape::<f32>::new();
/// let x = tape.constant(Tensor::ones([8]));
/// let a = drop.forward(&x).unwrap();
/// let b = drop.forward(&x).unwrap();
/// assert_ne!(a.value(), b.value()); // a fresh mask each call
/// drop.eval();
/// assert_eq!(drop.forward(&x).unwrap().value(), x.value());
///
/// // The random state is two words; copying them replays the stream.
/// let twin = DropoutConfig::new(0.5).init_seeded(0).unwrap();
/// Module::<f32>::load_state(&twin, &Module::<f32>::named_state(&drop)).unwrap();
/// drop.train();
/// assert_eq!(drop.forward(&x).unwrap().value(), twin.forward(&x).unwrap().value());
/// ```
#[derive(Debug)]
pub struct Dropout {
    p: f64,
    scaling: DropoutScaling,
    training: AtomicBool,
    /// Keys the mask stream.
    seed: AtomicU64,
    /// The number of training-mode forward passes so far: the index of the next mask.
    counter: AtomicU64,
}

impl Dropout {
    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Where the rescaling happens.
    pub fn scaling(&self) -> DropoutScaling {
        self.scaling
    }

    /// Training mode (draws masks). The same as [`Module::train`], without naming the element
    /// type.
    pub fn train(&self) {
        self.training.store(true, Ordering::Relaxed);
    }

    /// Evaluation mode. The same as [`Module::eval`], without naming the element type.
    pub fn eval(&self) {
        self.training.store(false, Ordering::Relaxed);
    }

    /// Whether the module is in training mode.
    pub fn is_training(&self) -> bool {
        self.training.load(Ordering::Relaxed)
    }
}

/// The generator of mask `k` of the stream `seed`: a ChaCha key made of both numbers and a tag
/// (so that the stream differs from a data loader's keyed by the same numbers).
fn mask_rng(seed: u64, k: u64) -> StdRng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&k.to_le_bytes());
    key[16..23].copy_from_slice(b"dropout");
    StdRng::from_seed(key)
}

impl<T: Float> Module<T> for Dropout {
    #[track_caller]
    fn forward<'t>(&self, x: &Var<'t, T>) -> Result<Var<'t, T>> {
        if !self.is_training() {
            // The evaluation form draws nothing: no mask index is used up.
            return dropout(x, self.p, self.scaling, false, &mut mask_rng(0, 0));
        }
        let k = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut rng = mask_rng(self.seed.load(Ordering::Relaxed), k);
        dropout(x, self.p, self.scaling, true, &mut rng)
    }

    fn set_own_training(&self, training: bool) {
        self.training.store(training, Ordering::Relaxed);
    }

    fn own_training(&self) -> Option<bool> {
        Some(self.is_training())
    }

    fn visit_state(&self, visit: &mut dyn FnMut(&str, &AtomicU64)) {
        visit("seed", &self.seed);
        visit("counter", &self.counter);
    }

    fn describe(&self) -> String {
        format!("Dropout({})", self.p)
    }
}
