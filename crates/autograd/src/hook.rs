//! Gradient hooks: a function that sees a gradient as a backward pass passes it, and may replace
//! it (PyTorch's `register_hook`).
//!
//! - On a value ([`Var::register_hook`]): runs when the reverse walk reaches the value's node,
//!   with its complete gradient (the sum over every use of the value), before the gradient goes
//!   on to the node's inputs. Hooks on one node run in the order they were registered, each
//!   seeing what the one before returned; nodes are visited consumers first. The hook gets the
//!   gradient as a `Var`: recorded under `create_graph`, so a replacement written with `Var` ops
//!   is differentiated again like any other step of the backward.
//! - On a [`Parameter`] ([`Parameter::register_hook`]): runs once per backward pass that reaches
//!   the parameter, on its gradient summed over every use of it on the tape, before that is
//!   added to the gradient buffer; it may replace what is added. It outlives tapes, as the
//!   parameter does. (`grad`, which touches no buffer, does not run it.)
//!
//! Either is removed with the [`HookHandle`] that registering it returned. A backward pass on a
//! tape without value hooks checks one flag per walk, not per node, so hooks cost nothing when
//! none are registered.

use crate::error::Site;
use crate::parameter::ParamHook;
use crate::tape::NodeId;
use crate::thread_bound::ThreadBound;
use crate::{Error, Float, Parameter, Result, Tape, Tensor, Var};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A hook on a value's gradient.
pub(crate) type VarHook<T> = Rc<dyn for<'a> Fn(&Var<'a, T>) -> Option<Var<'a, T>>>;

/// A value hook as the tape keeps it.
pub(crate) struct RegisteredHook<T: Float> {
    pub node: NodeId,
    pub id: u64,
    /// Where it was registered, for errors.
    pub site: Site,
    pub hook: ThreadBound<VarHook<T>>,
}

/// Removes the gradient hook it was returned for ([`Var::register_hook`],
/// [`Parameter::register_hook`]). Dropping the handle keeps the hook.
pub struct HookHandle<'a, T: Float> {
    id: u64,
    on: Target<'a, T>,
}

enum Target<'a, T: Float> {
    Value(&'a Tape<T>),
    Param(Parameter<T>),
}

impl<T: Float> HookHandle<'_, T> {
    /// Removes the hook; whether it was still registered (clearing the tape removes value hooks
    /// with it).
    pub fn remove(self) -> bool {
        match self.on {
            Target::Value(tape) => {
                let mut graph = tape.graph.borrow_mut();
                let before = graph.hooks.len();
                graph.hooks.retain(|h| h.id != self.id);
                graph.hooks.len() < before
            }
            Target::Param(param) => param.remove_hook(self.id),
        }
    }
}

impl<T: Float> std::fmt::Debug for HookHandle<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let on = match self.on {
            Target::Value(_) => "value",
            Target::Param(_) => "parameter",
        };
        f.debug_struct("HookHandle").field("id", &self.id).field("on", &on).finish()
    }
}

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl<'t, T: Float> Var<'t, T> {
    /// Registers `hook` on this value's gradient: each backward pass through this value calls
    /// `hook(gradient)` with the complete gradient (summed over every use of the value) before
    /// it flows on, and passes on what the hook returns instead, if it returns `Some`. The
    /// gradient is a `Var`, so a replacement written with `Var` ops is differentiated again
    /// under `create_graph`. The value must be tracked (a constant gets no gradient).
    ///
    /// Uses: looking at a gradient (`None`: nothing changes), clipping or rescaling the
    /// gradient through one layer, reversing it (a gradient reversal layer). See the module
    /// documentation of `hook.rs` (`docs/functional.md`) for the order hooks run in.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::vector(&[1.0, 2.0]));
    /// let h = x.mul_scalar(3.0); // a layer's output
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// h.register_hook(move |g| {
    ///     log.lock().unwrap().push(g.value().to_vec());
    ///     Some(g.neg()) // a gradient reversal layer
    /// })
    /// .unwrap();
    /// h.sum().backward().unwrap();
    /// assert_eq!(*seen.lock().unwrap(), vec![vec![1.0, 1.0]]);
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![-3.0, -3.0]);
    /// ```
    #[track_caller]
    pub fn register_hook(
        &self,
        hook: impl for<'a> Fn(&Var<'a, T>) -> Option<Var<'a, T>> + 'static,
    ) -> Result<HookHandle<'t, T>> {
        let site = Site::caller();
        if !self.is_tracked() {
            let msg = "the value is a constant, which gets no gradient: make it with tape.var or tape.param, or \
                       compute it from one";
            return Err(Error::InvalidArgument { op: "register_hook", msg: msg.into(), site });
        }
        let id = next_id();
        let hook: VarHook<T> = Rc::new(hook);
        let registered = RegisteredHook { node: self.node, id, site, hook: ThreadBound::new(hook) };
        self.tape.graph.borrow_mut().hooks.push(registered);
        Ok(HookHandle { id, on: Target::Value(self.tape) })
    }
}

impl<T: Float> Parameter<T> {
    /// Registers `hook` on this parameter's gradient: each backward pass that reaches the
    /// parameter calls `hook(gradient)` once, with its gradient summed over every use of the
    /// parameter on the tape, before adding it to the gradient buffer, and adds what the hook
    /// returns instead, if it returns `Some`. Hooks run in the order they were registered, after
    /// the walk, each seeing what the one before returned. The hook stays with the parameter
    /// (across tapes) until removed with the handle.
    ///
    /// Uses: logging a layer's gradient norm, clipping one layer's gradient, freezing part of
    /// a tensor (zeroing its entries).
    ///
    /// ```
    /// use autograd::{Parameter, Tape, Tensor};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let w = Parameter::new(Tensor::<f64>::vector(&[3.0, 4.0]));
    /// let norms = Arc::new(Mutex::new(Vec::new()));
    /// let log = norms.clone();
    /// let handle = w.register_hook(move |g| {
    ///     let norm = g.data().iter().map(|v| v * v).sum::<f64>().sqrt();
    ///     log.lock().unwrap().push(norm);
    ///     (norm > 1.0).then(|| g.map(|v| v / norm)) // clip to norm 1
    /// });
    /// let tape = Tape::new();
    /// let p = tape.param(&w);
    /// p.mul(&p).unwrap().sum().backward().unwrap(); // gradient 2w = (6, 8), norm 10
    /// assert_eq!(*norms.lock().unwrap(), vec![10.0]);
    /// assert_eq!(w.grad().unwrap().to_vec(), vec![0.6, 0.8]);
    /// assert!(handle.remove());
    /// ```
    #[track_caller]
    pub fn register_hook(
        &self,
        hook: impl Fn(&Tensor<T>) -> Option<Tensor<T>> + Send + Sync + 'static,
    ) -> HookHandle<'static, T> {
        let id = next_id();
        let hook: ParamHook<T> = Arc::new(hook);
        self.add_hook(id, Site::caller(), hook);
        HookHandle { id, on: Target::Param(self.clone()) }
    }
}

/// Runs the value hooks registered on `node` on its gradient `g`, in order.
pub(crate) fn run_value_hooks<'t, T: Float>(tape: &'t Tape<T>, node: NodeId, mut g: Var<'t, T>) -> Result<Var<'t, T>> {
    let hooks: Vec<(Site, VarHook<T>)> = {
        let graph = tape.graph.borrow();
        let on_node = graph.hooks.iter().filter(|h| h.node == node);
        on_node
            .map(|h| {
                let hook = h.hook.get().expect("a tape's values are differentiated on the thread that recorded them");
                (h.site, hook.clone())
            })
            .collect()
    };
    for (site, hook) in hooks {
        if let Some(replaced) = hook(&g) {
            check_shape(g.shape(), replaced.shape(), site)?;
            g = replaced;
        }
    }
    Ok(g)
}

/// Runs a parameter's hooks on its gradient `g`, in order.
pub(crate) fn run_param_hooks<T: Float>(param: &Parameter<T>, mut g: Tensor<T>) -> Result<Tensor<T>> {
    for (site, hook) in param.hooks() {
        if let Some(replaced) = hook(&g) {
            check_shape(g.shape(), replaced.shape(), site)?;
            g = replaced;
        }
    }
    Ok(g)
}

fn check_shape(expected: &crate::Shape, got: &crate::Shape, site: Site) -> Result<()> {
    if expected == got {
        return Ok(());
    }
    Err(Error::ShapeMismatch { op: "a gradient hook", lhs: expected.clone(), rhs: got.clone(), site })
}
