//! [`Parameter`]: a tensor that outlives tapes and collects gradients from them.

use crate::error::Site;
use crate::{Error, Float, Result, Tensor};
use std::sync::{Arc, Mutex, MutexGuard};

/// A persistent, shared, trainable tensor with a gradient buffer.
///
/// A forward pass puts it on a tape with [`Tape::param`](crate::Tape::param); a backward pass
/// adds ∂loss/∂parameter into [`grad`](Parameter::grad) (summing over every use and over
/// successive backward passes, as PyTorch's `.grad`); an optimizer reads the gradient, updates
/// the value and clears the buffer. Clones share the same parameter.
///
/// ```
/// use autograd::{Parameter, Tape, Tensor};
/// let w = Parameter::new(Tensor::<f64>::scalar(3.0));
/// for _ in 0..2 {
///     let tape = Tape::new();
///     let x = tape.param(&w);
///     (&x * &x).backward().unwrap(); // d(w²)/dw = 6
/// }
/// assert_eq!(w.grad().unwrap().item(), 12.0); // two backward passes accumulate
/// ```
#[derive(Clone)]
pub struct Parameter<T: Float = f32> {
    inner: Arc<Mutex<Inner<T>>>,
}

struct Inner<T: Float> {
    value: Tensor<T>,
    grad: Option<Tensor<T>>,
    requires_grad: bool,
    name: Option<Arc<str>>,
    /// Gradient hooks by id, with where they were registered, in the order they were.
    hooks: Vec<(u64, Site, ParamHook<T>)>,
    /// The value transposed, kept by [`Parameter::transposed_value`] until the value changes.
    transposed: Option<Tensor<T>>,
}

/// A hook on a parameter's gradient: sees the gradient of one backward pass (summed over every
/// use of the parameter on the tape) before it is added to the buffer, and may replace it.
pub(crate) type ParamHook<T> = Arc<dyn Fn(&Tensor<T>) -> Option<Tensor<T>> + Send + Sync>;

impl<T: Float> Parameter<T> {
    /// A trainable parameter holding `value`, with no gradient yet.
    pub fn new(value: Tensor<T>) -> Self {
        Parameter {
            inner: Arc::new(Mutex::new(Inner {
                value,
                grad: None,
                requires_grad: true,
                name: None,
                hooks: Vec::new(),
                transposed: None,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        // A panic while holding the lock cannot leave a tensor half-written (assignments are
        // whole-value), so a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current value (a cheap clone sharing storage).
    pub fn value(&self) -> Tensor<T> {
        self.lock().value.clone()
    }

    /// Replaces the value. The shape may change only through this call, never by an update.
    pub fn set_value(&self, value: Tensor<T>) {
        let mut inner = self.lock();
        inner.value = value;
        inner.transposed = None;
    }

    /// The value of a matrix parameter with its two axes swapped (`[n, m]` for an `[m, n]`
    /// value), stored contiguously. The copy is made at the first call and kept until the value
    /// changes ([`set_value`](Parameter::set_value), [`update`](Parameter::update), which every
    /// optimizer step goes through), so repeated inference reads it for free: `nn::Linear` in
    /// evaluation mode multiplies by its weight in this layout, with
    /// [`Var::affine`](crate::Var::affine), because that is the layout the GEMM reads without
    /// repacking the weight at every call. It costs a second copy of the weight's memory while kept. Fails if
    /// the value is not a matrix.
    ///
    /// ```
    /// use autograd::{Parameter, Tensor};
    /// let w = Parameter::new(Tensor::<f32>::from_vec(vec![1., 2., 3., 4., 5., 6.], [2, 3]).unwrap());
    /// let w_t = w.transposed_value().unwrap();
    /// assert_eq!((w_t.dims(), w_t.to_vec()), (&[3, 2][..], vec![1., 4., 2., 5., 3., 6.]));
    /// w.update(|value, _| value.data_mut()[0] = 10.);
    /// assert_eq!(w.transposed_value().unwrap().to_vec(), vec![10., 4., 2., 5., 3., 6.]);
    /// assert!(Parameter::new(Tensor::<f32>::zeros([3])).transposed_value().is_err());
    /// ```
    #[track_caller]
    pub fn transposed_value(&self) -> Result<Tensor<T>> {
        let mut inner = self.lock();
        if inner.value.rank() != 2 {
            let msg = format!("the value must be a matrix, got shape {}", inner.value.shape());
            return Err(Error::InvalidArgument { op: "transposed_value", msg, site: Site::caller() });
        }
        let Inner { value, transposed, .. } = &mut *inner;
        Ok(transposed.get_or_insert_with(|| crate::kernels::permute(value, &[1, 0])).clone())
    }

    /// The accumulated gradient, if any backward pass reached this parameter since the last
    /// [`zero_grad`](Parameter::zero_grad) or [`take_grad`](Parameter::take_grad).
    pub fn grad(&self) -> Option<Tensor<T>> {
        self.lock().grad.clone()
    }

    /// Removes and returns the accumulated gradient.
    pub fn take_grad(&self) -> Option<Tensor<T>> {
        self.lock().grad.take()
    }

    /// Replaces the gradient buffer (for clipping and tests).
    pub fn set_grad(&self, grad: Option<Tensor<T>>) {
        self.lock().grad = grad;
    }

    /// Forgets the accumulated gradient.
    pub fn zero_grad(&self) {
        self.lock().grad = None;
    }

    /// Whether backward passes should compute a gradient for this parameter. A frozen
    /// parameter goes on tapes as a constant.
    pub fn requires_grad(&self) -> bool {
        self.lock().requires_grad
    }

    /// Freezes (`false`) or unfreezes (`true`) the parameter.
    pub fn set_requires_grad(&self, on: bool) {
        self.lock().requires_grad = on;
    }

    /// The parameter's name, if it has one: what tape listings, graph exports and backward
    /// traces show for the leaves it puts on tapes. `nn` names each parameter after its place in
    /// the module that last listed it (`"0.weight"`).
    pub fn name(&self) -> Option<Arc<str>> {
        self.lock().name.clone()
    }

    /// Names the parameter (see [`name`](Parameter::name)).
    pub fn set_name(&self, name: &str) {
        let mut inner = self.lock();
        if inner.name.as_deref() != Some(name) {
            inner.name = Some(name.into());
        }
    }

    /// What [`Tape::param`](crate::Tape::param) reads, under one lock: the value, whether it
    /// requires a gradient, the name.
    pub(crate) fn for_tape(&self) -> (Tensor<T>, bool, Option<Arc<str>>) {
        let inner = self.lock();
        (inner.value.clone(), inner.requires_grad, inner.name.clone())
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.lock().value.numel()
    }

    /// Updates value and gradient in place under one lock: `f(value, grad)`. The value's
    /// storage is copied first only if something else still shares it.
    pub fn update<R>(&self, f: impl FnOnce(&mut Tensor<T>, Option<&Tensor<T>>) -> R) -> R {
        let mut inner = self.lock();
        inner.transposed = None;
        let Inner { value, grad, .. } = &mut *inner;
        f(value, grad.as_ref())
    }

    /// Adds a gradient into the buffer (called by backward passes). A buffer of another shape
    /// (left from before [`set_value`](Parameter::set_value) changed the shape) is an error, as
    /// in PyTorch, rather than a silently partial sum.
    pub(crate) fn accumulate_grad(&self, g: &Tensor<T>, site: Site) -> Result<()> {
        let mut inner = self.lock();
        accumulate_locked(&mut inner, g, site)
    }

    /// [`accumulate_grad`](Parameter::accumulate_grad), unless the parameter has gradient hooks:
    /// then nothing is added and `Ok(false)` says so (the backward pass sums the parameter's
    /// gradient over the tape first and runs the hooks on the sum). One lock either way.
    pub(crate) fn accumulate_grad_unless_hooked(&self, g: &Tensor<T>, site: Site) -> Result<bool> {
        let mut inner = self.lock();
        if !inner.hooks.is_empty() {
            return Ok(false);
        }
        accumulate_locked(&mut inner, g, site).map(|()| true)
    }

    /// Registers a gradient hook under `id`.
    pub(crate) fn add_hook(&self, id: u64, site: Site, hook: ParamHook<T>) {
        self.lock().hooks.push((id, site, hook));
    }

    /// Removes the hook registered under `id`; whether there was one.
    pub(crate) fn remove_hook(&self, id: u64) -> bool {
        let mut inner = self.lock();
        let before = inner.hooks.len();
        inner.hooks.retain(|(k, _, _)| *k != id);
        inner.hooks.len() < before
    }

    /// The gradient hooks, in the order they were registered (handles, so that they run
    /// without the lock held).
    pub(crate) fn hooks(&self) -> Vec<(Site, ParamHook<T>)> {
        self.lock().hooks.iter().map(|(_, site, hook)| (*site, hook.clone())).collect()
    }

    /// Whether two handles refer to the same parameter.
    pub fn same_as(&self, other: &Parameter<T>) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

fn accumulate_locked<T: Float>(inner: &mut Inner<T>, g: &Tensor<T>, site: Site) -> Result<()> {
    if let Some(acc) = &inner.grad {
        if acc.shape() != g.shape() {
            return Err(Error::ShapeMismatch {
                op: "parameter gradient",
                lhs: acc.shape().clone(),
                rhs: g.shape().clone(),
                site,
            });
        }
    }
    add_into(&mut inner.grad, g);
    Ok(())
}

/// Adds `g` into a gradient slot of the same shape, or puts it there if the slot is empty.
pub(crate) fn add_into<T: Float>(slot: &mut Option<Tensor<T>>, g: &Tensor<T>) {
    match slot {
        Some(acc) => {
            debug_assert_eq!(acc.shape(), g.shape());
            for (a, &b) in acc.data_mut().iter_mut().zip(g.data()) {
                *a += b;
            }
        }
        None => *slot = Some(g.clone()),
    }
}

impl<T: Float> std::fmt::Debug for Parameter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Parameter")
            .field("name", &inner.name)
            .field("shape", inner.value.shape())
            .field("has_grad", &inner.grad.is_some())
            .field("requires_grad", &inner.requires_grad)
            .field("hooks", &inner.hooks.len())
            .finish()
    }
}
