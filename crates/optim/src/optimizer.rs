//! The [`Optimizer`] trait and the bookkeeping every optimizer shares: the named parameters in
//! their parameter groups, the gradient check, lazily created per-parameter state and its
//! save/load as named tensors.

use crate::error::{Error, Result, Site};
use autograd::{Float, Parameter, Shape, Tensor};
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
/// # Parameter groups
/// As in PyTorch, the parameters are split into groups, each with its own options (learning
/// rate, weight decay, momentum, …). The constructor (`Sgd::new(params, config)`) makes group 0;
/// each optimizer's `add_param_group(params, config)` appends another, e.g. the biases without
/// weight decay. [`lr`](Optimizer::lr) reads group 0's rate and [`set_lr`](Optimizer::set_lr)
/// sets every group's; the `group_*` methods read and set one group's. Schedules act on every
/// group (see [`LrScheduler`](crate::LrScheduler)).
///
/// # Learning rate and momentum
/// Hyper-parameters are `f64`, as PyTorch's Python floats, and must stay finite in the element
/// type `T`. A rate (or a momentum) set after construction is rounded to `T` (a no-op for `f64`),
/// so that it survives a round trip through [`state_dict`](Optimizer::state_dict) bit for bit.
pub trait Optimizer<T: Float> {
    /// Updates every trainable parameter once from its gradient and consumes the gradients.
    /// Fails, before changing anything, if a trainable parameter has no gradient, one of the
    /// wrong shape, or state that no longer fits its value's shape.
    #[track_caller]
    fn step(&mut self) -> Result<()>;

    /// Discards every parameter's gradient (frozen ones included).
    fn zero_grad(&self) {
        for (_, p) in self.params() {
            p.zero_grad();
        }
    }

    /// The learning rate of the first parameter group (the only one unless groups were added).
    fn lr(&self) -> f64;

    /// Sets every group's learning rate; fails, changing nothing, if it is negative, NaN,
    /// infinite or overflows `T`.
    #[track_caller]
    fn set_lr(&mut self, lr: f64) -> Result<()>;

    /// The parameters of every group, in order (group 0's first, each in the order given), with
    /// their names.
    fn params(&self) -> &[(String, Parameter<T>)];

    /// The state as named tensors: `"lr"` (group 0's rate, a scalar), for every further group g
    /// `"param_groups.<g>.lr"`, a group's momentum where a schedule has set it (`"momentum"`, or
    /// `"betas[0]"` for the Adam family, prefixed like the rate), and, for every parameter that
    /// has been stepped, `"<name>.step"` (its step count as a scalar, exact up to 2²⁴ steps in
    /// `f32`), its scalars (`"<name>.mu_product"` for NAdam) and `"<name>.<buffer>"` for each
    /// buffer, shaped like the parameter, with PyTorch's buffer names (`momentum_buffer`, `sum`,
    /// `square_avg`, `grad_avg`, `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`, `exp_inf`). A
    /// checkpoint that stores it beside the model's tensors should prefix the keys (e.g.
    /// `"optim."`). The other options are not included: they come from the code that rebuilds
    /// the optimizer.
    fn state_dict(&self) -> StateDict<T>;

    /// Restores a state saved by [`state_dict`](Optimizer::state_dict) of an optimizer of the
    /// same kind and options over parameters of the same names, shapes and groups, learning rates
    /// included. Fails, before changing anything, on a missing, unexpected or misshapen entry.
    #[track_caller]
    fn load_state_dict(&mut self, state: &StateDict<T>) -> Result<()>;

    /// The number of parameter groups.
    fn group_count(&self) -> usize {
        1
    }

    /// Every group's learning rate, in group order.
    fn group_lrs(&self) -> Vec<f64> {
        vec![self.lr()]
    }

    /// Sets one group's learning rate; fails, changing nothing, on a group index past the
    /// groups or a rate that [`set_lr`](Optimizer::set_lr) would reject.
    #[track_caller]
    fn set_group_lr(&mut self, group: usize, lr: f64) -> Result<()> {
        if group != 0 {
            let groups = self.group_count();
            return Err(Error::NoSuchGroup { optimizer: "optimizer", group, groups, site: Site::caller() });
        }
        self.set_lr(lr)
    }

    /// One group's parameters with their names (empty for a group index past the groups).
    fn group_params(&self, group: usize) -> &[(String, Parameter<T>)] {
        if group == 0 {
            self.params()
        } else {
            &[]
        }
    }

    /// One group's momentum — SGD's and RMSprop's `momentum`, the Adam family's `betas[0]` —
    /// or `None` for an optimizer without one (Adagrad) or a group index past the groups.
    /// Momentum-cycling schedules ([`OneCycleLr`](crate::OneCycleLr)) read and set it.
    fn group_momentum(&self, group: usize) -> Option<f64> {
        let _ = group;
        None
    }

    /// Sets one group's momentum (rounded to `T`); fails, changing nothing, if the optimizer has
    /// none ([`Error::NoMomentum`]), on a group index past the groups, or on a value the
    /// optimizer's constructor would reject.
    #[track_caller]
    fn set_group_momentum(&mut self, group: usize, momentum: f64) -> Result<()> {
        let _ = (group, momentum);
        Err(Error::NoMomentum { owner: "optimizer", optimizer: "optimizer", site: Site::caller() })
    }
}

/// An optimizer's options as each parameter group holds them (`SgdConfig`, `AdamConfig`, …):
/// what [`Core`] needs to know of them.
pub(crate) trait Options: Copy {
    /// The optimizer's name, as PyTorch's class (`"SGD"`), for messages.
    const OPTIMIZER: &'static str;
    /// The state-dict key of the momentum schedules may set (`"momentum"`, `"betas[0]"`), if the
    /// optimizer has one.
    const MOMENTUM: Option<&'static str> = None;
    /// The learning rate.
    fn lr(&self) -> f64;
    /// Replaces the learning rate.
    fn set_lr(&mut self, lr: f64);
    /// The momentum (or β₁), if the optimizer has one.
    fn momentum(&self) -> Option<f64> {
        None
    }
    /// Replaces the momentum (or β₁); only called when [`MOMENTUM`](Options::MOMENTUM) is set.
    fn set_momentum(&mut self, momentum: f64) {
        let _ = momentum;
    }
    /// Checks every option, as PyTorch does, plus: no NaN or ∞, nothing that overflows `T`.
    fn validate<T: Float>(&self, site: Site) -> Result<()>;
}

/// Reads one parameter's saved entries, checking buffers against the parameter's shape.
pub(crate) struct Saved<'a, T: Float> {
    owner: &'static str,
    name: &'a str,
    shape: Shape,
    dict: &'a StateDict<T>,
    used: &'a mut [bool],
    site: Site,
}

impl<T: Float> Saved<'_, T> {
    /// A buffer that must be present.
    pub(crate) fn buffer(&mut self, buffer: &'static str) -> Result<Tensor<T>> {
        let key = format!("{}.{buffer}", self.name);
        self.optional(buffer)?.ok_or(Error::MissingState { owner: self.owner, key, site: self.site })
    }

    /// A buffer that may be absent (one created lazily, such as SGD's momentum buffer).
    pub(crate) fn optional(&mut self, buffer: &'static str) -> Result<Option<Tensor<T>>> {
        let key = format!("{}.{buffer}", self.name);
        let Some((index, _, tensor)) = self.dict.get_full(&key) else { return Ok(None) };
        if tensor.shape() != &self.shape {
            let msg = format!("has shape {}, expected {}", tensor.shape(), self.shape);
            return Err(Error::InvalidState { owner: self.owner, key, msg, site: self.site });
        }
        self.used[index] = true;
        Ok(Some(tensor.clone()))
    }

    /// A per-parameter scalar that must be present (NAdam's `mu_product`).
    pub(crate) fn scalar(&mut self, scalar: &'static str) -> Result<T> {
        let key = format!("{}.{scalar}", self.name);
        let (index, _, tensor) = self.dict.get_full(&key).ok_or_else(|| Error::MissingState {
            owner: self.owner,
            key: key.clone(),
            site: self.site,
        })?;
        match tensor.data() {
            [v] if tensor.rank() == 0 && v.is_finite() => {
                self.used[index] = true;
                Ok(*v)
            }
            _ => {
                let msg = format!("holds {:?} of shape {}, expected a finite scalar", tensor.data(), tensor.shape());
                Err(Error::InvalidState { owner: self.owner, key, msg, site: self.site })
            }
        }
    }
}

/// Per-parameter optimizer state (moments, sums) that can be saved as named tensors. The step
/// count is kept beside it by [`Core`].
pub(crate) trait ParamState<T: Float>: Sized {
    /// The buffers, shaped like the parameter, with their PyTorch names (cheap clones: tensors
    /// share storage).
    fn save(&self) -> Vec<(&'static str, Tensor<T>)>;
    /// Per-parameter scalars other than the step count, with their PyTorch names.
    fn scalars(&self) -> Vec<(&'static str, T)> {
        Vec::new()
    }
    /// Overwrites every buffer and scalar of this freshly initialized state with the saved ones
    /// (and sets the lazily created buffers that were saved).
    fn load(&mut self, saved: &mut Saved<'_, T>) -> Result<()>;
}

/// A parameter's state: how many steps it has taken, and its buffers.
pub(crate) struct Slot<S> {
    pub(crate) step: u64,
    pub(crate) state: S,
}

/// A parameter group: its options and where its parameters end in [`Core::params`] (they start
/// where the previous group's end).
pub(crate) struct Group<C> {
    pub(crate) options: C,
    end: usize,
    /// The momentum given at construction, and whether a schedule has since changed it (then it
    /// is part of the state dict).
    given_momentum: Option<f64>,
    momentum_set: bool,
}

/// The bookkeeping shared by all optimizers: the named parameters in their groups, their
/// lazily created state `S` with step counts, and each group's options `C`.
pub(crate) struct Core<T: Float, S, C> {
    pub(crate) params: Vec<(String, Parameter<T>)>,
    pub(crate) slots: Vec<Option<Slot<S>>>,
    pub(crate) groups: Vec<Group<C>>,
}

impl<T: Float, S: ParamState<T>, C: Options> Core<T, S, C> {
    const OPTIMIZER: &'static str = C::OPTIMIZER;

    /// Group 0 from the named parameters, rejecting an empty list and duplicates; checks the
    /// options.
    pub(crate) fn new<K, P>(params: impl IntoIterator<Item = (K, P)>, options: C, site: Site) -> Result<Self>
    where
        K: Into<String>,
        P: Borrow<Parameter<T>>,
    {
        let mut core = Core { params: Vec::new(), slots: Vec::new(), groups: Vec::new() };
        core.add_group(params, options, site)?;
        if core.params.is_empty() {
            return Err(Error::NoParameters { optimizer: Self::OPTIMIZER, site });
        }
        Ok(core)
    }

    /// Appends a parameter group (PyTorch's `add_param_group`); fails, changing nothing, on bad
    /// options or a parameter (or name) already in a group. An empty group is allowed.
    pub(crate) fn add_group<K, P>(
        &mut self,
        params: impl IntoIterator<Item = (K, P)>,
        options: C,
        site: Site,
    ) -> Result<()>
    where
        K: Into<String>,
        P: Borrow<Parameter<T>>,
    {
        let mut options = options;
        options.validate::<T>(site)?;
        options.set_lr(T::from_f64(options.lr()).to_f64());
        let optimizer = Self::OPTIMIZER;
        let added: Vec<(String, Parameter<T>)> =
            params.into_iter().map(|(name, p)| (name.into(), p.borrow().clone())).collect();
        let start = self.params.len();
        for (i, (name, p)) in added.iter().enumerate() {
            for (j, (other, q)) in self.params.iter().chain(&added[..i]).enumerate() {
                let across = if j < start { " (in an earlier parameter group)" } else { "" };
                let what = if other == name {
                    format!("two parameters are named `{name}`{across}")
                } else if p.same_as(q) {
                    format!("the same parameter appears as `{other}`{across} and as `{name}`")
                } else {
                    continue;
                };
                return Err(Error::DuplicateParameter { optimizer, what, site });
            }
        }
        self.slots.extend(added.iter().map(|_| None));
        self.params.extend(added);
        let given_momentum = options.momentum();
        self.groups.push(Group { options, end: self.params.len(), given_momentum, momentum_set: false });
        Ok(())
    }

    /// The range of `params` that group `g` holds.
    pub(crate) fn range(&self, g: usize) -> std::ops::Range<usize> {
        let start = if g == 0 { 0 } else { self.groups[g - 1].end };
        start..self.groups[g].end
    }

    fn no_such_group(&self, group: usize, site: Site) -> Error {
        Error::NoSuchGroup { optimizer: Self::OPTIMIZER, group, groups: self.groups.len(), site }
    }

    /// Checks and stores a group's learning rate, rounded to `T`.
    pub(crate) fn set_group_lr(&mut self, group: usize, lr: f64, site: Site) -> Result<()> {
        let Some(g) = self.groups.get(group) else { return Err(self.no_such_group(group, site)) };
        let mut options = g.options;
        options.set_lr(lr);
        options.validate::<T>(site)?;
        options.set_lr(T::from_f64(lr).to_f64());
        self.groups[group].options = options;
        Ok(())
    }

    /// Sets every group's learning rate, or none if the rate is invalid.
    pub(crate) fn set_lr(&mut self, lr: f64, site: Site) -> Result<()> {
        for g in 0..self.groups.len() {
            self.set_group_lr(g, lr, site)?; // the same rate: if it fails, it fails for group 0
        }
        Ok(())
    }

    /// Checks and stores a group's momentum, rounded to `T`.
    pub(crate) fn set_group_momentum(&mut self, group: usize, momentum: f64, site: Site) -> Result<()> {
        let Some(g) = self.groups.get(group) else { return Err(self.no_such_group(group, site)) };
        if C::MOMENTUM.is_none() {
            return Err(Error::NoMomentum { owner: Self::OPTIMIZER, optimizer: Self::OPTIMIZER, site });
        }
        let mut options = g.options;
        options.set_momentum(momentum);
        options.validate::<T>(site)?;
        options.set_momentum(T::from_f64(momentum).to_f64());
        let g = &mut self.groups[group];
        g.options = options;
        g.momentum_set = true;
        Ok(())
    }

    /// One optimizer step: checks that every trainable parameter has a gradient, and state,
    /// of its own shape; then, for each one, takes the gradient, creates the state with
    /// `init(options, value)` on the first step, counts the step and calls
    /// `update(options, state, t, value, grad)`, where `options` are the
    /// parameter's group's and `t` is the parameter's step number starting at 1. The updates
    /// zip the slices, so a length mismatch would silently update a prefix: hence the checks.
    pub(crate) fn step(
        &mut self,
        site: Site,
        init: impl Fn(&C, &Tensor<T>) -> S,
        mut update: impl FnMut(&C, &mut S, u64, &mut Tensor<T>, &Tensor<T>),
    ) -> Result<()> {
        let optimizer = Self::OPTIMIZER;
        let mut missing = Vec::new();
        for ((name, p), slot) in self.params.iter().zip(&self.slots) {
            if !p.requires_grad() {
                continue;
            }
            let shape = p.value().shape().clone();
            match p.grad() {
                None => missing.push(name.clone()),
                Some(g) if g.shape() != &shape => {
                    let (name, grad) = (name.as_str().into(), g.shape().clone());
                    return Err(Error::GradientShape { optimizer, name, param: shape, grad, site });
                }
                Some(_) => {}
            }
            // The buffers' clones are dropped before the update, which therefore does not copy them.
            let buffers = slot.as_ref().map(|s| s.state.save()).unwrap_or_default();
            if let Some((_, t)) = buffers.into_iter().find(|(_, t)| t.shape() != &shape) {
                let (name, state) = (name.as_str().into(), t.shape().clone());
                return Err(Error::StateShape { optimizer, name, param: shape, state, site });
            }
        }
        if !missing.is_empty() {
            return Err(Error::MissingGradient { optimizer, names: missing, site });
        }
        for g in 0..self.groups.len() {
            let range = self.range(g);
            let options = &self.groups[g].options;
            for ((name, p), slot) in self.params[range.clone()].iter().zip(&mut self.slots[range]) {
                if !p.requires_grad() {
                    continue;
                }
                // Checked above; it could only vanish if another thread took it meanwhile.
                let grad = p.take_grad().ok_or_else(|| Error::MissingGradient {
                    optimizer,
                    names: vec![name.clone()],
                    site,
                })?;
                p.update(|value, _| {
                    let slot = slot.get_or_insert_with(|| Slot { step: 0, state: init(options, value) });
                    slot.step += 1;
                    update(options, &mut slot.state, slot.step, value, &grad);
                });
            }
        }
        Ok(())
    }

    /// The key prefix of group `g`'s entries: none for group 0 (so a one-group state dict is
    /// `"lr"` and the parameters' entries, as before groups existed), `"param_groups.<g>."` after.
    fn prefix(g: usize) -> String {
        if g == 0 {
            String::new()
        } else {
            format!("param_groups.{g}.")
        }
    }

    /// See [`Optimizer::state_dict`].
    pub(crate) fn state_dict(&self) -> StateDict<T> {
        let mut dict = StateDict::new();
        for (g, group) in self.groups.iter().enumerate() {
            let prefix = Self::prefix(g);
            dict.insert(format!("{prefix}lr"), Tensor::scalar(T::from_f64(group.options.lr())));
            if let (Some(key), Some(m), true) = (C::MOMENTUM, group.options.momentum(), group.momentum_set) {
                dict.insert(format!("{prefix}{key}"), Tensor::scalar(T::from_f64(m)));
            }
        }
        for ((name, _), slot) in self.params.iter().zip(&self.slots) {
            if let Some(Slot { step, state }) = slot {
                dict.insert(format!("{name}.step"), Tensor::scalar(T::from_f64(*step as f64)));
                for (scalar, value) in state.scalars() {
                    dict.insert(format!("{name}.{scalar}"), Tensor::scalar(value));
                }
                for (buffer, tensor) in state.save() {
                    dict.insert(format!("{name}.{buffer}"), tensor);
                }
            }
        }
        dict
    }

    /// See [`Optimizer::load_state_dict`]; `init` makes the fresh state whose buffer names
    /// and shapes the saved entries must match.
    pub(crate) fn load_state_dict(
        &mut self,
        dict: &StateDict<T>,
        site: Site,
        init: impl Fn(&C, &Tensor<T>) -> S,
    ) -> Result<()> {
        let owner = Self::OPTIMIZER;
        let invalid = |key: &str, msg: String| Error::InvalidState { owner, key: key.to_string(), msg, site };
        let mut used = vec![false; dict.len()];
        let scalar = |key: &str, used: &mut [bool]| -> Result<Option<f64>> {
            let Some((index, _, tensor)) = dict.get_full(key) else { return Ok(None) };
            used[index] = true;
            match tensor.data() {
                [v] if tensor.rank() == 0 => Ok(Some(v.to_f64())),
                _ => Err(invalid(key, format!("has shape {}, expected a scalar", tensor.shape()))),
            }
        };

        let mut options = Vec::with_capacity(self.groups.len());
        for (g, group) in self.groups.iter().enumerate() {
            let prefix = Self::prefix(g);
            let mut o = group.options;
            let key = format!("{prefix}lr");
            let lr = scalar(&key, &mut used)?.ok_or_else(|| Error::MissingState { owner, key: key.clone(), site })?;
            o.set_lr(lr);
            o.validate::<T>(site).map_err(|e| invalid(&key, strip_site(&e)))?;
            let mut momentum_set = false;
            if let Some(name) = C::MOMENTUM {
                let key = format!("{prefix}{name}");
                match scalar(&key, &mut used)? {
                    Some(m) => {
                        o.set_momentum(m);
                        o.validate::<T>(site).map_err(|e| invalid(&key, strip_site(&e)))?;
                        momentum_set = true;
                    }
                    None => o.set_momentum(group.given_momentum.expect("an optimizer with MOMENTUM has a momentum")),
                }
            }
            options.push((o, momentum_set));
        }

        let mut slots = Vec::with_capacity(self.params.len());
        for (g, (group_options, _)) in options.iter().enumerate() {
            for (name, p) in &self.params[self.range(g)] {
                let step_key = format!("{name}.step");
                let Some(step) = scalar(&step_key, &mut used)? else {
                    slots.push(None); // never stepped when saved
                    continue;
                };
                if !(step >= 1.0 && step.fract() == 0.0 && step < 2f64.powi(53)) {
                    return Err(invalid(&step_key, format!("holds {step}, not a step count (a whole number >= 1)")));
                }
                let value = p.value();
                let mut state = init(group_options, &value);
                let shape = value.shape().clone();
                state.load(&mut Saved { owner, name, shape, dict, used: &mut used, site })?;
                slots.push(Some(Slot { step: step as u64, state }));
            }
        }
        if let Some(index) = used.iter().position(|&u| !u) {
            let key = dict.get_index(index).expect("index below len").0.clone();
            return Err(Error::UnexpectedState { owner, key, site });
        }
        for (group, (o, momentum_set)) in self.groups.iter_mut().zip(options) {
            group.options = o;
            group.momentum_set = momentum_set;
        }
        self.slots = slots;
        Ok(())
    }
}

/// An error's message without its call site, to nest it in another error's message.
fn strip_site(e: &Error) -> String {
    let message = e.to_string();
    match message.rsplit_once(" (at ") {
        Some((head, _)) => head.to_string(),
        None => message,
    }
}

/// Implements [`Optimizer`] for a struct with field `core: Core<T, State, Config>` and inherent
/// `fn init_state() -> impl Fn(&Config, &Tensor<T>) -> State` and
/// `fn apply(&mut self, site: Site) -> Result<()>`, and the inherent group methods every
/// optimizer shares (`add_param_group`, `config`, `group_config`).
macro_rules! impl_optimizer {
    ($ty:ident, $config:ident) => {
        impl<T: autograd::Float> $ty<T> {
            /// Appends a parameter group with its own options (PyTorch's `add_param_group`), e.g.
            /// the biases without weight decay; fails, changing nothing, on a bad option or a
            /// parameter (or name) that is already in a group. An empty group is allowed.
            #[track_caller]
            pub fn add_param_group<K: Into<String>, P: std::borrow::Borrow<autograd::Parameter<T>>>(
                &mut self,
                params: impl IntoIterator<Item = (K, P)>,
                config: $config,
            ) -> $crate::Result<()> {
                self.core.add_group(params, config, $crate::error::Site::caller())
            }

            /// The options of the first parameter group, with its current learning rate (and
            /// momentum, if a schedule changed it).
            pub fn config(&self) -> &$config {
                &self.core.groups[0].options
            }

            /// The options of parameter group `group`, or `None` past the groups.
            pub fn group_config(&self, group: usize) -> Option<&$config> {
                self.core.groups.get(group).map(|g| &g.options)
            }
        }

        impl<T: autograd::Float> $crate::Optimizer<T> for $ty<T> {
            #[track_caller]
            fn step(&mut self) -> $crate::Result<()> {
                self.apply($crate::error::Site::caller())
            }
            fn lr(&self) -> f64 {
                $crate::optimizer::Options::lr(&self.core.groups[0].options)
            }
            #[track_caller]
            fn set_lr(&mut self, lr: f64) -> $crate::Result<()> {
                self.core.set_lr(lr, $crate::error::Site::caller())
            }
            fn params(&self) -> &[(String, autograd::Parameter<T>)] {
                &self.core.params
            }
            fn state_dict(&self) -> $crate::StateDict<T> {
                self.core.state_dict()
            }
            #[track_caller]
            fn load_state_dict(&mut self, state: &$crate::StateDict<T>) -> $crate::Result<()> {
                self.core.load_state_dict(state, $crate::error::Site::caller(), Self::init_state())
            }
            fn group_count(&self) -> usize {
                self.core.groups.len()
            }
            fn group_lrs(&self) -> Vec<f64> {
                self.core.groups.iter().map(|g| $crate::optimizer::Options::lr(&g.options)).collect()
            }
            #[track_caller]
            fn set_group_lr(&mut self, group: usize, lr: f64) -> $crate::Result<()> {
                self.core.set_group_lr(group, lr, $crate::error::Site::caller())
            }
            fn group_params(&self, group: usize) -> &[(String, autograd::Parameter<T>)] {
                match self.core.groups.get(group) {
                    Some(_) => &self.core.params[self.core.range(group)],
                    None => &[],
                }
            }
            fn group_momentum(&self, group: usize) -> Option<f64> {
                self.core.groups.get(group).and_then(|g| $crate::optimizer::Options::momentum(&g.options))
            }
            #[track_caller]
            fn set_group_momentum(&mut self, group: usize, momentum: f64) -> $crate::Result<()> {
                self.core.set_group_momentum(group, momentum, $crate::error::Site::caller())
            }
        }
    };
}
pub(crate) use impl_optimizer;
