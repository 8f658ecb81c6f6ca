//! [`Recompute`]: a module whose intermediate values are computed again during backward instead
//! of being kept on the tape (gradient checkpointing, as `torch.utils.checkpoint`), through
//! [`autograd::recompute`].
//!
//! Running a module again must give the same output, so a dropout inside must draw the same
//! mask. A module's random streams are its state words ([`Module::visit_state`]: a dropout's
//! `seed` and `counter`, its mask `k` keyed by `(seed, k)`), so the replay sets the tree's words
//! back to what they were before the forward pass, runs it, and puts back the words it found:
//! the same masks, and the streams continue where they were, as if nothing had been recomputed.
//! (The module must not run forward on another thread while its backward replays it.)

use crate::{Module, Result};
use autograd::{Float, Parameter, Var};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// Wraps a module so that its intermediate values are dropped after the forward pass and
/// computed again when the backward pass reaches it: memory for the activations of one wrapped
/// module at a time instead of all of them, for one more forward pass of each. Gradients are the
/// same bits as without the wrapper, dropout included (its masks are replayed). Parameters and
/// state keep the wrapped module's names, so a checkpoint file loads into either.
///
/// Higher-order derivatives through it are not supported (an error says so).
///
/// ```
/// use autograd::{Parameter, Tape, Tensor};
/// use nn::{DropoutConfig, LinearConfig, Module, Recompute, Relu, Sequential};
/// use rand::{rngs::StdRng, SeedableRng};
///
/// let block = |seed| {
///     let mut rng = StdRng::seed_from_u64(seed);
///     Sequential::new()
///         .push(LinearConfig::new(4, 4).init(&mut rng).unwrap())
///         .push(Relu)
///         .push(DropoutConfig::new(0.5).init_seeded(seed).unwrap())
///         .push(LinearConfig::new(4, 4).init(&mut rng).unwrap())
/// };
/// let (plain, wrapped) = (block(7), Recompute::new(block(7)));
/// let x = Tensor::<f32>::from_vec((0..8).map(|i| i as f32 / 8.0).collect(), [2, 4]).unwrap();
/// for model in [&plain as &dyn Module, &wrapped] {
///     let tape = Tape::new();
///     model.forward(&tape.constant(x.clone())).unwrap().sum().backward().unwrap();
/// }
/// let grads = |m: &dyn Module| m.parameters().iter().map(|p| p.grad().unwrap()).collect::<Vec<_>>();
/// assert_eq!(grads(&plain), grads(&wrapped));
/// assert_eq!(plain.named_state(), wrapped.named_state());
/// ```
pub struct Recompute<M> {
    inner: Arc<M>,
}

impl<M> Recompute<M> {
    /// Wraps `module`.
    pub fn new(module: M) -> Self {
        Recompute { inner: Arc::new(module) }
    }

    /// The wrapped module.
    pub fn inner(&self) -> &M {
        &self.inner
    }
}

impl<T: Float, M: Module<T> + 'static> Module<T> for Recompute<M> {
    #[track_caller]
    fn forward<'t>(&self, x: &Var<'t, T>) -> Result<Var<'t, T>> {
        let module = self.inner.clone();
        let before = module.named_state();
        let replaying = Cell::new(false);
        // The first run's error is returned as it is; a replay's goes through the tape's error.
        let first_error = Rc::new(RefCell::new(None));
        let keep_error = first_error.clone();
        let result = autograd::recompute(&[x], move |xs| {
            if !replaying.replace(true) {
                return module.forward(&xs[0]).map_err(|e| {
                    let tape_error = to_tape_error(&e);
                    *keep_error.borrow_mut() = Some(e);
                    tape_error
                });
            }
            let now = module.named_state();
            module.load_state(&before).expect("a module's own state words load back");
            let y = module.forward(&xs[0]);
            module.load_state(&now).expect("a module's own state words load back");
            y.map_err(|e| to_tape_error(&e))
        });
        match (result, first_error.take()) {
            (Err(_), Some(e)) => Err(e),
            (result, _) => Ok(result?),
        }
    }

    fn visit_parameters(&self, visit: &mut dyn FnMut(&str, &Parameter<T>)) {
        self.inner.visit_parameters(visit)
    }

    fn visit_children(&self, visit: &mut dyn FnMut(&str, &dyn Module<T>)) {
        self.inner.visit_children(visit)
    }

    fn visit_state(&self, visit: &mut dyn FnMut(&str, &AtomicU64)) {
        self.inner.visit_state(visit)
    }

    fn set_own_training(&self, training: bool) {
        self.inner.set_own_training(training)
    }

    fn own_training(&self) -> Option<bool> {
        self.inner.own_training()
    }

    fn describe(&self) -> String {
        format!("Recompute({})", self.inner.describe())
    }
}

/// An error of the wrapped module as the tape reports errors.
fn to_tape_error(e: &crate::Error) -> autograd::Error {
    match e {
        crate::Error::Autograd(e) => e.clone(),
        other => autograd::Error::Custom { op: "recompute", msg: other.to_string() },
    }
}
