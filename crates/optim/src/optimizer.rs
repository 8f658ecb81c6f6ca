//! The [`Optimizer`] trait and the bookkeeping every optimizer shares: the named parameter
//! list, the gradient check, lazily created per-parameter state and its save/load as named
//! tensors.

use crate::error::{self, Error, Result};
use autograd::{Float, Parameter, Tensor};
use indexmap::IndexMap;
use std::borrow::Borrow;

/// Optimizer state as named tensors, ready for a checkpoint (see [`Optimizer::state_dict`]).
pub type StateDict<T> = IndexMap<String, Tensor<T>>;

/// What every optimizer can do.
///
/// # Gradients are consumed
/// [`step`](Optimizer::step) *takes* each parameter's gradient
/// ([`Parameter::take_grad`]), so after a step every gradient buffer is empty and the next
/// backward pass starts from zero. Forgetting [`zero_grad`](Optimizer::zero_grad) therefore
/// cannot silently mix gradients of two batches, as it can in PyTorch. Gradient accumulation
/// still works: several backward passes before one `step` add up in the buffers.
/// `zero_grad` remains for discarding gradients without stepping.
///
/// # Missing gradients are errors
/// A trainable parameter (`requires_grad() == true`) without a gradient at `step` is an
/// [`Error::MissingGradient`] naming it, and nothing is updated: a parameter the loss forgot to
/// use is a bug worth hearing about (PyTorch skips it silently). Frozen parameters
/// (`set_requires_grad(false)`) are skipped and keep their gradient buffer untouched.
///
/// # Learning rate
/// Hyper-parameters are `f64`, as PyTorch's Python floats. The learning rate is rounded to
/// the element type `T` when set (a no-op for `f64`), so that it survives a round trip
/// through [`state_dict`](Optimizer::state_dict) bit for bit.
pub trait Optimizer<T: Float> {
    /// Updates every trainable parameter once from its gradient and consumes the gradients.
    /// Fails, before changing anything, if a trainable parameter has no gradient, one of the
    /// wrong shape, or state that no longer fits its value's shape.
    fn step(&mut self) -> Result<()>;

    /// Discards every parameter's gradient (frozen ones included).
    fn zero_grad(&self) {
        for (_, p) in self.params() {
            p.zero_grad();
        }
    }

    /// The learning rate used by the next [`step`](Optimizer::step).
    fn lr(&self) -> f64;

    /// Sets the learning rate (schedules call this); fails if it is negative, NaN or infinite.
    fn set_lr(&mut self, lr: f64) -> Result<()>;

    /// The parameters, in the order given at construction, with their names.
    fn params(&self) -> &[(String, Parameter<T>)];

    /// The state as named tensors: `"lr"` (a scalar) and, for every parameter that has been
    /// stepped, `"<name>.step"` (its step count as a scalar, exact up to 2²⁴ steps in `f32`) and
    /// `"<name>.<buffer>"` for each buffer, shaped like the parameter, with PyTorch's buffer
    /// names (`momentum_buffer`, `sum`, `square_avg`, `grad_avg`, `exp_avg`, `exp_avg_sq`,
    /// `max_exp_avg_sq`). A checkpoint that stores it beside the model's tensors should prefix
    /// the keys (e.g. `"optim."`). The options are not included: they come from the code that
    /// rebuilds the optimizer.
    fn state_dict(&self) -> StateDict<T>;

    /// Restores a state saved by [`state_dict`](Optimizer::state_dict) of an optimizer of the
    /// same kind and options over parameters of the same names and shapes, learning rate
    /// included. Fails, before changing anything, on a missing, unexpected or misshapen entry.
    fn load_state_dict(&mut self, state: &StateDict<T>) -> Result<()>;
}

/// Looks up a saved buffer by name, checking it against the fresh buffer's shape.
pub(crate) type Getter<'a, T> = dyn FnMut(&'static str, &Tensor<T>) -> Result<Tensor<T>> + 'a;

/// Per-parameter optimizer buffers (moments, sums) that can be saved as named tensors. The step
/// count is kept beside them by [`Core`].
pub(crate) trait ParamState<T: Float>: Sized {
    /// The buffers with their PyTorch names (cheap clones: tensors share storage).
    fn save(&self) -> Vec<(&'static str, Tensor<T>)>;
    /// Overwrites every buffer of this freshly initialized state with `get(name, &buffer)`,
    /// which returns the saved entry after checking that it exists and has the buffer's shape.
    fn load(&mut self, get: &mut Getter<'_, T>) -> Result<()>;
}

/// A parameter's state: how many steps it has taken, and its buffers.
pub(crate) struct Slot<S> {
    pub(crate) step: u64,
    pub(crate) state: S,
}

/// The bookkeeping shared by all optimizers: the named parameters, their lazily created
/// state `S` with step counts, and the learning rate.
pub(crate) struct Core<T: Float, S> {
    /// The optimizer's name, for error messages.
    pub(crate) optimizer: &'static str,
    pub(crate) params: Vec<(String, Parameter<T>)>,
    pub(crate) slots: Vec<Option<Slot<S>>>,
    pub(crate) lr: f64,
}

impl<T: Float, S: ParamState<T>> Core<T, S> {
    /// Collects the named parameters, rejecting an empty list and duplicates; checks `lr`.
    pub(crate) fn new<K, P>(optimizer: &'static str, params: impl IntoIterator<Item = (K, P)>, lr: f64) -> Result<Self>
    where
        K: Into<String>,
        P: Borrow<Parameter<T>>,
    {
        let params: Vec<(String, Parameter<T>)> =
            params.into_iter().map(|(name, p)| (name.into(), p.borrow().clone())).collect();
        if params.is_empty() {
            return Err(Error::NoParameters { optimizer });
        }
        for (i, (name, p)) in params.iter().enumerate() {
            for (other, q) in &params[..i] {
                if other == name {
                    return Err(Error::DuplicateParameter {
                        optimizer,
                        what: format!("two parameters are named `{name}`"),
                    });
                }
                if p.same_as(q) {
                    return Err(Error::DuplicateParameter {
                        optimizer,
                        what: format!("the same parameter appears as `{other}` and as `{name}`"),
                    });
                }
            }
        }
        let slots = params.iter().map(|_| None).collect();
        let mut core = Core { optimizer, params, slots, lr: 0.0 };
        core.set_lr(lr)?;
        Ok(core)
    }

    /// Checks and stores a learning rate, rounded to `T`.
    pub(crate) fn set_lr(&mut self, lr: f64) -> Result<()> {
        error::non_negative(self.optimizer, "lr", lr)?;
        self.lr = T::from_f64(lr).to_f64();
        Ok(())
    }

    /// One optimizer step: checks that every trainable parameter has a gradient, and state,
    /// of its own shape; then, for each one, takes the gradient, creates the state with
    /// `init(value)` on the first step, counts the step and calls `update(state, t, value, grad)`
    /// on the raw elements, where `t` is the parameter's step number starting at 1. The updates
    /// zip the slices, so a length mismatch would silently update a prefix: hence the checks.
    pub(crate) fn step(
        &mut self,
        init: impl Fn(&Tensor<T>) -> S,
        mut update: impl FnMut(&mut S, u64, &mut [T], &[T]),
    ) -> Result<()> {
        let optimizer = self.optimizer;
        let mut missing = Vec::new();
        for ((name, p), slot) in self.params.iter().zip(&self.slots) {
            if !p.requires_grad() {
                continue;
            }
            let shape = p.value().shape().clone();
            match p.grad() {
                None => missing.push(name.clone()),
                Some(g) if g.shape() != &shape => {
                    return Err(Error::GradientShape {
                        optimizer,
                        name: name.clone(),
                        param: shape,
                        grad: g.shape().clone(),
                    });
                }
                Some(_) => {}
            }
            // The buffers' clones are dropped before the update, which therefore does not copy them.
            let buffers = slot.as_ref().map(|s| s.state.save()).unwrap_or_default();
            if let Some((_, t)) = buffers.into_iter().find(|(_, t)| t.shape() != &shape) {
                return Err(Error::StateShape {
                    optimizer,
                    name: name.clone(),
                    param: shape,
                    state: t.shape().clone(),
                });
            }
        }
        if !missing.is_empty() {
            return Err(Error::MissingGradient { optimizer, names: missing });
        }
        for ((name, p), slot) in self.params.iter().zip(&mut self.slots) {
            if !p.requires_grad() {
                continue;
            }
            // Checked above; it could only vanish if another thread took it meanwhile.
            let grad = p.take_grad().ok_or_else(|| Error::MissingGradient { optimizer, names: vec![name.clone()] })?;
            p.update(|value, _| {
                let slot = slot.get_or_insert_with(|| Slot { step: 0, state: init(value) });
                slot.step += 1;
                update(&mut slot.state, slot.step, value.data_mut(), grad.data());
            });
        }
        Ok(())
    }

    /// See [`Optimizer::state_dict`].
    pub(crate) fn state_dict(&self) -> StateDict<T> {
        let mut dict = StateDict::new();
        dict.insert("lr".to_string(), Tensor::scalar(T::from_f64(self.lr)));
        for ((name, _), slot) in self.params.iter().zip(&self.slots) {
            if let Some(Slot { step, state }) = slot {
                dict.insert(format!("{name}.step"), Tensor::scalar(T::from_f64(*step as f64)));
                for (buffer, tensor) in state.save() {
                    dict.insert(format!("{name}.{buffer}"), tensor);
                }
            }
        }
        dict
    }

    /// See [`Optimizer::load_state_dict`]; `init` makes the fresh state whose buffer names
    /// and shapes the saved entries must match.
    pub(crate) fn load_state_dict(&mut self, dict: &StateDict<T>, init: impl Fn(&Tensor<T>) -> S) -> Result<()> {
        let optimizer = self.optimizer;
        let invalid = |key: &str, msg: String| Error::InvalidState { owner: optimizer, key: key.to_string(), msg };
        let mut used = vec![false; dict.len()];
        let scalar = |key: &str, used: &mut [bool]| -> Result<Option<f64>> {
            let Some((index, _, tensor)) = dict.get_full(key) else { return Ok(None) };
            used[index] = true;
            match tensor.data() {
                [v] if tensor.rank() == 0 => Ok(Some(v.to_f64())),
                _ => Err(invalid(key, format!("has shape {}, expected a scalar", tensor.shape()))),
            }
        };
        let lr = scalar("lr", &mut used)?.ok_or_else(|| Error::MissingState { owner: optimizer, key: "lr".into() })?;
        error::non_negative(optimizer, "lr", lr).map_err(|e| invalid("lr", e.to_string()))?;

        let mut slots = Vec::with_capacity(self.params.len());
        for (name, p) in &self.params {
            let step_key = format!("{name}.step");
            let Some(step) = scalar(&step_key, &mut used)? else {
                slots.push(None); // never stepped when saved
                continue;
            };
            if !(step >= 1.0 && step.fract() == 0.0 && step < 2f64.powi(53)) {
                return Err(invalid(&step_key, format!("holds {step}, not a step count (a whole number >= 1)")));
            }
            let mut state = init(&p.value());
            state.load(&mut |buffer, fresh| {
                let key = format!("{name}.{buffer}");
                let (index, _, tensor) =
                    dict.get_full(&key).ok_or_else(|| Error::MissingState { owner: optimizer, key: key.clone() })?;
                if tensor.shape() != fresh.shape() {
                    return Err(invalid(&key, format!("has shape {}, expected {}", tensor.shape(), fresh.shape())));
                }
                used[index] = true;
                Ok(tensor.clone())
            })?;
            slots.push(Some(Slot { step: step as u64, state }));
        }
        if let Some(index) = used.iter().position(|&u| !u) {
            let key = dict.get_index(index).expect("index below len").0.clone();
            return Err(Error::UnexpectedState { owner: optimizer, key });
        }
        self.lr = lr;
        self.slots = slots;
        Ok(())
    }
}

/// Implements [`Optimizer`] for a struct with fields `core: Core<T, State>` and an inherent
/// `fn init_state(&self) -> impl Fn(&Tensor<T>) -> State` and `fn apply(&mut self) -> Result<()>`.
macro_rules! impl_optimizer {
    ($ty:ident) => {
        impl<T: autograd::Float> $crate::Optimizer<T> for $ty<T> {
            fn step(&mut self) -> $crate::Result<()> {
                self.apply()
            }
            fn lr(&self) -> f64 {
                self.core.lr
            }
            fn set_lr(&mut self, lr: f64) -> $crate::Result<()> {
                self.core.set_lr(lr)
            }
            fn params(&self) -> &[(String, autograd::Parameter<T>)] {
                &self.core.params
            }
            fn state_dict(&self) -> $crate::StateDict<T> {
                self.core.state_dict()
            }
            fn load_state_dict(&mut self, state: &$crate::StateDict<T>) -> $crate::Result<()> {
                let init = self.init_state();
                self.core.load_state_dict(state, init)
            }
        }
    };
}
pub(crate) use impl_optimizer;
