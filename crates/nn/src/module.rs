//! The [`Module`] trait, [`Sequential`], and helpers over named parameters.
//!
//! A module is a plain struct holding [`Parameter`]s and sub-modules. It tells the rest of the
//! library about them through two visitors, [`Module::visit_parameters`] (its own parameters,
//! with local names) and [`Module::visit_children`] (its sub-modules, with local names). From
//! these two, the provided methods derive everything else: hierarchical names
//! (`"encoder.1.bias"`), the parameter count, and train/eval mode, so a user-written container
//! cannot forget to pass the mode on to a dropout it holds.
//!
//! A third visitor, [`Module::visit_state`], exposes state that is not a parameter but that a
//! resumed training run needs: the position of a dropout's random stream (PyTorch keeps such
//! things in buffers and in the global RNG). [`Module::named_state`] and [`Module::load_state`]
//! read and write it for the whole tree.

use crate::{Error, Result};
use autograd::{Float, Parameter, Var};
use indexmap::IndexMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Parameters by hierarchical name, in a stable order: a module's own parameters first (in the
/// order it visits them), then each child's, depth first, as PyTorch's `named_parameters()`.
pub type ParamMap<T> = IndexMap<String, Parameter<T>>;

/// Non-parameter state by hierarchical name (`"1.counter"`), in the order of
/// [`ParamMap`]: see [`Module::visit_state`].
pub type StateMap = IndexMap<String, u64>;

/// A differentiable building block: a layer, an activation, a container.
///
/// Implement [`forward`](Module::forward) and, if the module has them, the two visitors. A
/// parameter-free activation is three lines:
///
/// ```
/// use autograd::{Float, Tape, Tensor, Var};
/// use nn::Module;
///
/// /// Swish: x·σ(x).
/// struct Swish;
/// impl<T: Float> Module<T> for Swish {
///     fn forward<'t>(&self, x: &Var<'t, T>) -> nn::Result<Var<'t, T>> {
///         Ok(x.mul(&x.sigmoid())?)
///     }
/// }
///
/// let tape = Tape::<f64>::new();
/// let y = Swish.forward(&tape.var(Tensor::vector(&[0.0, 1.0]))).unwrap();
/// assert_eq!(y.value().at(&[0]), 0.0);
/// ```
///
/// A module with parameters and children names them in the visitors; the provided methods
/// build the hierarchical names from there:
///
/// ```
/// use autograd::{Float, Parameter, Tensor, Var};
/// use nn::{LinearConfig, Module};
/// use rand::{rngs::StdRng, SeedableRng};
///
/// /// y = s·f(x) + x: a residual block with a learnable scale.
/// struct Residual<T: Float> {
///     scale: Parameter<T>,
///     inner: nn::Linear<T>,
/// }
/// impl<T: Float> Module<T> for Residual<T> {
///     fn forward<'t>(&self, x: &Var<'t, T>) -> nn::Result<Var<'t, T>> {
///         let s = x.tape().param(&self.scale);
///         Ok(self.inner.forward(x)?.mul(&s)?.add(x)?)
///     }
///     fn visit_parameters(&self, visit: &mut dyn FnMut(&str, &Parameter<T>)) {
///         visit("scale", &self.scale);
///     }
///     fn visit_children(&self, visit: &mut dyn FnMut(&str, &dyn Module<T>)) {
///         visit("inner", &self.inner);
///     }
/// }
///
/// let mut rng = StdRng::seed_from_u64(0);
/// let block = Residual::<f32> {
///     scale: Parameter::new(Tensor::scalar(1.0)),
///     inner: LinearConfig::new(4, 4).init(&mut rng).unwrap(),
/// };
/// let names: Vec<String> = block.named_parameters().into_keys().collect();
/// assert_eq!(names, ["scale", "inner.weight", "inner.bias"]);
/// assert_eq!(block.num_parameters(), 1 + 16 + 4);
/// ```
pub trait Module<T: Float = f32> {
    /// Computes the module's output on the tape `x` lives on. Parameters go on the same tape with
    /// `x.tape().param(&p)`, so a backward pass fills their gradient buffers.
    #[track_caller]
    fn forward<'t>(&self, x: &Var<'t, T>) -> Result<Var<'t, T>>;

    /// Calls `visit(local_name, parameter)` for each of this module's own parameters (not its
    /// children's), always in the same order. The default has none.
    fn visit_parameters(&self, visit: &mut dyn FnMut(&str, &Parameter<T>)) {
        let _ = visit;
    }

    /// Calls `visit(local_name, child)` for each sub-module, always in the same order. The
    /// default has none.
    fn visit_children(&self, visit: &mut dyn FnMut(&str, &dyn Module<T>)) {
        let _ = visit;
    }

    /// Calls `visit(local_name, word)` for each piece of this module's own non-parameter state
    /// (not its children's): numbers that change as the module runs, are not trained, and
    /// decide what it computes next, such as the seed and position of a dropout's random
    /// stream. A checkpoint that saves them lets a resumed run continue bit for bit. The words
    /// are atomics because `forward` takes `&self` and may run on several threads. The default
    /// has none.
    fn visit_state(&self, visit: &mut dyn FnMut(&str, &AtomicU64)) {
        let _ = visit;
    }

    /// Sets this module's own mode (a dropout's train/eval flag). Only modules that behave
    /// differently in training override it; [`set_training`](Module::set_training) calls it on
    /// every module of the tree.
    fn set_own_training(&self, training: bool) {
        let _ = training;
    }

    /// This module's own mode, for modules that have one (`Some(true)` in training); `None`,
    /// the default, for modules that behave the same in both. Lets a caller switch a tree to
    /// evaluation and restore each module's mode afterwards.
    fn own_training(&self) -> Option<bool> {
        None
    }

    /// A short name for listings (`"Linear(784 → 256)"`). Defaults to the type's name.
    fn describe(&self) -> String {
        let full = std::any::type_name::<Self>();
        let base = full.split('<').next().unwrap_or(full);
        base.rsplit("::").next().unwrap_or(base).to_string()
    }

    /// Every parameter of the tree by hierarchical name (`"0.weight"`, `"encoder.1.bias"`), in
    /// a stable order: own parameters first, then each child's, depth first. Each parameter also
    /// takes that name ([`Parameter::set_name`]), so that tape listings, graph exports and
    /// backward traces show `0.weight` rather than a tape position.
    fn named_parameters(&self) -> ParamMap<T> {
        let mut out = ParamMap::new();
        collect_parameters(self, "", &mut out);
        out
    }

    /// The parameters in the order of [`named_parameters`](Module::named_parameters).
    fn parameters(&self) -> Vec<Parameter<T>> {
        self.named_parameters().into_values().collect()
    }

    /// The total number of scalar parameters (trainable or frozen).
    fn num_parameters(&self) -> usize {
        self.named_parameters().values().map(Parameter::numel).sum()
    }

    /// Every state word of the tree ([`visit_state`](Module::visit_state)) by hierarchical name,
    /// read now, in the order of [`named_parameters`](Module::named_parameters).
    fn named_state(&self) -> StateMap {
        let mut out = StateMap::new();
        collect_state(self, "", &mut out);
        out
    }

    /// Sets every state word of the tree from `state`, as saved by
    /// [`named_state`](Module::named_state). Strict: a word of the tree missing from `state`,
    /// or an entry of `state` that is no word of the tree, is an [`Error::ModuleState`] naming
    /// it, and nothing is written.
    fn load_state(&self, state: &StateMap) -> Result<()> {
        let ours = self.named_state();
        if let Some(name) = ours.keys().find(|name| !state.contains_key(*name)) {
            return Err(Error::ModuleState { name: name.clone(), problem: "is missing from the saved state" });
        }
        if let Some(name) = state.keys().find(|name| !ours.contains_key(*name)) {
            return Err(Error::ModuleState { name: name.clone(), problem: "is not state of this module" });
        }
        store_state(self, "", state);
        Ok(())
    }

    /// Puts the whole tree in training (`true`) or evaluation (`false`) mode.
    fn set_training(&self, training: bool) {
        self.set_own_training(training);
        self.visit_children(&mut |_, child| child.set_training(training));
    }

    /// Training mode: dropout draws masks (PyTorch's `model.train()`).
    fn train(&self) {
        self.set_training(true);
    }

    /// Evaluation mode: dropout is the identity or scales (PyTorch's `model.eval()`).
    fn eval(&self) {
        self.set_training(false);
    }

    /// Clears the gradient buffer of every parameter.
    fn zero_grad(&self) {
        self.visit_parameters(&mut |_, p| p.zero_grad());
        self.visit_children(&mut |_, child| child.zero_grad());
    }
}

fn collect_parameters<T: Float, M: Module<T> + ?Sized>(module: &M, prefix: &str, out: &mut ParamMap<T>) {
    module.visit_parameters(&mut |name, p| {
        let name = join(prefix, name);
        // Tape listings, graph exports and backward traces show the leaf by this name.
        p.set_name(&name);
        out.insert(name, p.clone());
    });
    module.visit_children(&mut |name, child| collect_parameters(child, &join(prefix, name), out));
}

fn collect_state<T: Float, M: Module<T> + ?Sized>(module: &M, prefix: &str, out: &mut StateMap) {
    module.visit_state(&mut |name, word| {
        out.insert(join(prefix, name), word.load(Ordering::Relaxed));
    });
    module.visit_children(&mut |name, child| collect_state(child, &join(prefix, name), out));
}

/// Writes the words of `state` into the tree; the caller checked that the names match.
fn store_state<T: Float, M: Module<T> + ?Sized>(module: &M, prefix: &str, state: &StateMap) {
    module.visit_state(&mut |name, word| {
        let saved = state.get(&join(prefix, name)).expect("load_state checked that every word is saved");
        word.store(*saved, Ordering::Relaxed);
    });
    module.visit_children(&mut |name, child| store_state(child, &join(prefix, name), state));
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The names of the trainable parameters (not frozen) whose gradient buffer is empty.
///
/// After a backward pass, a parameter with no gradient did not take part in the loss: a layer
/// skipped in `forward`, a branch cut by `detach`, a module built but never called. The buffer
/// design makes this visible (an empty buffer is different from a zero gradient); optimizers
/// report it as an error, and this helper lists the culprits.
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::{LinearConfig, Module};
/// use rand::{rngs::StdRng, SeedableRng};
///
/// let layer = LinearConfig::new(3, 2).init::<f64>(&mut StdRng::seed_from_u64(0)).unwrap();
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::ones([1, 3]));
/// // A loss that ignores the bias: only the weight gets a gradient.
/// let w = tape.param(&layer.weight);
/// x.matmul_t(&w, false, true).unwrap().sum().backward().unwrap();
/// assert_eq!(nn::without_grad(&layer.named_parameters()), ["bias"]);
/// ```
pub fn without_grad<T: Float>(params: &ParamMap<T>) -> Vec<String> {
    params.iter().filter(|(_, p)| p.requires_grad() && p.grad().is_none()).map(|(name, _)| name.clone()).collect()
}

/// Modules applied one after the other; children are named by position (`"0"`, `"1"`, …), so
/// parameter names match PyTorch's `nn.Sequential` (`"0.weight"`, `"2.bias"`).
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::{LinearConfig, Module, Relu, Sequential};
/// use rand::{rngs::StdRng, SeedableRng};
///
/// let mut rng = StdRng::seed_from_u64(0);
/// let mlp = Sequential::<f32>::new()
///     .push(LinearConfig::new(4, 8).init(&mut rng).unwrap())
///     .push(Relu)
///     .push(LinearConfig::new(8, 2).init(&mut rng).unwrap());
/// let names: Vec<String> = mlp.named_parameters().into_keys().collect();
/// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
///
/// let tape = Tape::new();
/// let y = mlp.forward(&tape.constant(Tensor::ones([3, 4]))).unwrap();
/// assert_eq!(y.dims(), &[3, 2]);
/// ```
pub struct Sequential<T: Float = f32> {
    layers: Vec<Box<dyn Module<T>>>,
}

impl<T: Float> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Sequential<T> {
    /// An empty sequence (the identity).
    pub fn new() -> Self {
        Sequential { layers: Vec::new() }
    }

    /// Appends a module (builder style).
    pub fn push(mut self, module: impl Module<T> + 'static) -> Self {
        self.layers.push(Box::new(module));
        self
    }

    /// Appends a boxed module.
    pub fn push_boxed(&mut self, module: Box<dyn Module<T>>) {
        self.layers.push(module);
    }

    /// The number of modules.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether the sequence is empty.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The module at position `i`.
    pub fn get(&self, i: usize) -> Option<&dyn Module<T>> {
        self.layers.get(i).map(|m| m.as_ref())
    }
}

impl<T: Float> From<Vec<Box<dyn Module<T>>>> for Sequential<T> {
    fn from(layers: Vec<Box<dyn Module<T>>>) -> Self {
        Sequential { layers }
    }
}

impl<T: Float> Module<T> for Sequential<T> {
    fn forward<'t>(&self, x: &Var<'t, T>) -> Result<Var<'t, T>> {
        let mut y = x.clone();
        for layer in &self.layers {
            y = layer.forward(&y)?;
        }
        Ok(y)
    }

    fn visit_children(&self, visit: &mut dyn FnMut(&str, &dyn Module<T>)) {
        for (i, layer) in self.layers.iter().enumerate() {
            visit(&i.to_string(), layer.as_ref());
        }
    }

    fn describe(&self) -> String {
        let inner: Vec<String> = self.layers.iter().map(|m| m.describe()).collect();
        format!("Sequential({})", inner.join(", "))
    }
}

impl<T: Float, M: Module<T> + ?Sized> Module<T> for Box<M> {
    fn forward<'t>(&self, x: &Var<'t, T>) -> Result<Var<'t, T>> {
        (**self).forward(x)
    }
    fn visit_parameters(&self, visit: &mut dyn FnMut(&str, &Parameter<T>)) {
        (**self).visit_parameters(visit)
    }
    fn visit_children(&self, visit: &mut dyn FnMut(&str, &dyn Module<T>)) {
        (**self).visit_children(visit)
    }
    fn visit_state(&self, visit: &mut dyn FnMut(&str, &AtomicU64)) {
        (**self).visit_state(visit)
    }
    fn set_own_training(&self, training: bool) {
        (**self).set_own_training(training)
    }
    fn own_training(&self) -> Option<bool> {
        (**self).own_training()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}
