//! The reverse walk: the chain rule applied to a tape.
//!
//! Nodes are stored in creation order, so every node comes after its inputs. Walking from the
//! output down to position 0, a node's gradient is complete when the walk reaches it (all its
//! consumers are later on the tape and were visited first). For each node the walk asks the op's
//! backward rule for the vector-Jacobian product with the node's gradient, and adds the result
//! into each input's gradient. A value used several times simply receives several additions.
//!
//! Backward rules are written with the same differentiable ops as forward code. Without
//! `create_graph` the walk pauses recording, so those ops compute values only; with it they are
//! recorded like any other op, which is all that higher-order derivatives need.

use crate::error::Site;
use crate::hook::{run_param_hooks, run_value_hooks};
use crate::op::Op;
use crate::ops;
use crate::parameter::add_into;
use crate::rule::{accumulate, Ctx};
use crate::tape::{Graph, Leaf, NodeId, NO_NODE};
use crate::{Error, Float, Parameter, Result, Tape, Tensor, Var};

/// How a backward pass treats the graph.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GradOptions {
    /// Keep the saved tensors so the same graph can be differentiated again. Without it, a
    /// backward frees each node's saved tensors as soon as it has used them.
    pub retain_graph: bool,
    /// Record the backward computation itself, so the gradients it returns are tracked values
    /// that can be differentiated again (Hessian-vector products, gradient penalties). Implies
    /// `retain_graph`.
    pub create_graph: bool,
    /// For [`grad`] and [`grad_with`]: give a zero gradient for an input the outputs do not
    /// depend on (and for every input when an output depends on no tracked input) instead of
    /// [`Error::UnusedInput`] / [`Error::OutputNotTracked`], as PyTorch's `allow_unused=True`
    /// with `materialize_grads=True`. A constant input stays an error
    /// ([`Error::GradOfConstant`]).
    pub allow_unused: bool,
}

impl GradOptions {
    /// Options that keep the graph and record the backward pass (for higher-order derivatives).
    pub fn create_graph() -> Self {
        GradOptions { retain_graph: true, create_graph: true, allow_unused: false }
    }

    /// Options that keep the graph for another backward pass.
    pub fn retain_graph() -> Self {
        GradOptions { retain_graph: true, create_graph: false, allow_unused: false }
    }

    /// These options, with zero gradients for inputs the outputs do not depend on
    /// ([`allow_unused`](GradOptions::allow_unused)).
    ///
    /// ```
    /// use autograd::{grad_with, Error, GradOptions, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let (x, unused) = (tape.var(Tensor::scalar(3.0)), tape.var(Tensor::scalar(1.0)));
    /// let y = x.powf(2.0);
    /// let err = grad_with(&[&y], None, &[&x, &unused], GradOptions::retain_graph()).unwrap_err();
    /// assert!(matches!(err, Error::UnusedInput { input: 1, .. }), "{err}");
    /// let options = GradOptions::default().allow_unused();
    /// let [dx, du] = grad_with(&[&y], None, &[&x, &unused], options).unwrap().try_into().unwrap();
    /// assert_eq!((dx.item(), du.item()), (6.0, 0.0));
    /// ```
    pub fn allow_unused(self) -> Self {
        GradOptions { allow_unused: true, ..self }
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Computes the gradient of this one-element value with respect to every leaf that
    /// contributes to it, and adds it to the leaves' gradients ([`Var::grad`],
    /// [`Parameter::grad`](crate::Parameter::grad)). Frees the graph's saved tensors.
    #[track_caller]
    pub fn backward(&self) -> Result<()> {
        self.backward_with(None, GradOptions::default())
    }

    /// [`backward`](Var::backward) with a seed gradient (for outputs with more than one element,
    /// `∂L/∂self`; `None` means 1 for a one-element output) and options.
    #[track_caller]
    pub fn backward_with(&self, seed: Option<Tensor<T>>, options: GradOptions) -> Result<()> {
        if !self.is_tracked() {
            return Err(Error::NotTracked { site: Site::caller() });
        }
        let seed = seed_for(self, seed)?;
        backprop(self.tape, &[(self.node, seed)], Wanted::Leaves, options)?;
        Ok(())
    }
}

/// The gradients of one-element `outputs` (summed) with respect to `inputs`, as
/// `torch.autograd.grad` or `jax.grad`. Leaves' `.grad` buffers are not touched. Frees the
/// graph's saved tensors.
///
/// As PyTorch, it is an error to ask for the gradient with respect to a constant
/// ([`Error::GradOfConstant`]), with respect to a value the outputs do not depend on
/// ([`Error::UnusedInput`]), or of an output that depends on no tracked input
/// ([`Error::OutputNotTracked`]): a zero there usually means the graph is not the one intended.
/// [`GradOptions::allow_unused`] (through [`grad_with`]) gives zeros for the last two instead.
///
/// ```
/// use autograd::{grad, Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::scalar(2.0));
/// let y = x.powf(3.0); // y = x³
/// let [dy] = grad(&[&y], &[&x]).unwrap().try_into().unwrap();
/// assert_eq!(dy.item(), 12.0);
/// ```
#[track_caller]
pub fn grad<'t, T: Float>(outputs: &[&Var<'t, T>], inputs: &[&Var<'t, T>]) -> Result<Vec<Var<'t, T>>> {
    grad_with(outputs, None, inputs, GradOptions::default())
}

/// [`grad`] with seed gradients (one per output, `∂L/∂output`; `None` means ones for one-element
/// outputs) and options. With [`GradOptions::create_graph`], the returned gradients are on the
/// tape and can be differentiated again.
///
/// ```
/// use autograd::{grad_with, GradOptions, Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::scalar(0.3));
/// let y = x.tanh();
/// let [dy] = grad_with(&[&y], None, &[&x], GradOptions::create_graph()).unwrap().try_into().unwrap();
/// let [d2y] = grad_with(&[&dy], None, &[&x], GradOptions::default()).unwrap().try_into().unwrap();
/// let t = 0.3f64.tanh();
/// assert!((d2y.item() - (-2.0 * t * (1.0 - t * t))).abs() < 1e-15);
/// ```
#[track_caller]
pub fn grad_with<'t, T: Float>(
    outputs: &[&Var<'t, T>],
    seeds: Option<&[Tensor<T>]>,
    inputs: &[&Var<'t, T>],
    options: GradOptions,
) -> Result<Vec<Var<'t, T>>> {
    let Some(first) = outputs.first().or(inputs.first()) else {
        return Ok(Vec::new());
    };
    let (tape, site) = (first.tape, Site::caller());
    for v in outputs.iter().chain(inputs) {
        first.same_tape(v, "grad", site)?;
    }
    if let Some(seeds) = seeds {
        if seeds.len() != outputs.len() {
            return Err(Error::invalid("grad", format!("{} seeds for {} outputs", seeds.len(), outputs.len())));
        }
    }
    if let Some(input) = inputs.iter().position(|x| !x.is_tracked()) {
        return Err(Error::GradOfConstant { input, site });
    }
    if !options.allow_unused {
        if let Some(output) = outputs.iter().position(|y| !y.is_tracked()) {
            return Err(Error::OutputNotTracked { output, site });
        }
    }
    let mut roots = Vec::with_capacity(outputs.len());
    for (i, out) in outputs.iter().enumerate() {
        let seed = seed_for(out, seeds.map(|s| s[i].clone()))?;
        roots.push((out.node, seed));
    }
    let grads = reached(tape, &roots, inputs, options)?;
    inputs
        .iter()
        .zip(grads)
        .enumerate()
        .map(|(input, (x, g))| match g {
            Some(g) => Ok(g),
            None if options.allow_unused => Ok(zeros_like(x)),
            None => Err(Error::UnusedInput { input, name: tape.graph.borrow().name(x.node).map(str::to_string), site }),
        })
        .collect()
}

/// The vector-Jacobian products `Σ_o seed_oᵀ·∂output_o/∂input` for `roots` = `(output node,
/// seed)` pairs whose seeds (values on the tape, possibly tracked, checked by the caller) have
/// their outputs' shapes; zeros for inputs the outputs do not reach.
pub(crate) fn pull_back<'t, T: Float>(
    tape: &'t Tape<T>,
    roots: &[(NodeId, Var<'t, T>)],
    inputs: &[&Var<'t, T>],
    options: GradOptions,
) -> Result<Vec<Var<'t, T>>> {
    let grads = reached(tape, roots, inputs, options)?;
    Ok(inputs.iter().zip(grads).map(|(x, g)| g.unwrap_or_else(|| zeros_like(x))).collect())
}

/// The vector-Jacobian products of [`pull_back`], `None` for inputs the reverse walk did not
/// reach (constants, values the outputs do not depend on).
fn reached<'t, T: Float>(
    tape: &'t Tape<T>,
    roots: &[(NodeId, Var<'t, T>)],
    inputs: &[&Var<'t, T>],
    options: GradOptions,
) -> Result<Vec<Option<Var<'t, T>>>> {
    let wanted: Vec<NodeId> = inputs.iter().map(|v| v.node).collect();
    let grads = backprop(tape, roots, Wanted::Nodes(&wanted), options)?;
    Ok(inputs.iter().map(|x| grads.get(x.node as usize).cloned().flatten()).collect())
}

/// The gradient of an input no output depends on.
fn zeros_like<'t, T: Float>(x: &Var<'t, T>) -> Var<'t, T> {
    x.tape.constant(Tensor::zeros(x.shape().clone()))
}

/// Checks or makes the seed gradient of one output.
#[track_caller]
fn seed_for<'t, T: Float>(output: &Var<'t, T>, seed: Option<Tensor<T>>) -> Result<Var<'t, T>> {
    let seed = match seed {
        Some(s) if s.shape() != output.shape() => {
            return Err(Error::SeedShape { output: output.shape().clone(), seed: s.shape().clone() })
        }
        Some(s) => s,
        None if output.numel() == 1 => Tensor::full(output.shape().clone(), T::ONE),
        None => return Err(Error::NonScalarBackward { shape: output.shape().clone() }),
    };
    Ok(output.tape.constant(seed))
}

/// Which gradients the caller wants back.
enum Wanted<'a> {
    /// Deposit into leaves' gradient slots and parameters; return nothing.
    Leaves,
    /// Return the gradients of these nodes.
    Nodes(&'a [NodeId]),
}

/// The reverse walk. Returns gradients indexed by node (only the wanted ones are kept).
fn backprop<'t, T: Float>(
    tape: &'t Tape<T>,
    roots: &[(NodeId, Var<'t, T>)],
    wanted: Wanted<'_>,
    options: GradOptions,
) -> Result<Vec<Option<Var<'t, T>>>> {
    tape.check_anomaly()?;
    let retain = options.retain_graph || options.create_graph;
    let Some(top) = roots.iter().filter(|(id, _)| *id != NO_NODE).map(|(id, _)| *id).max() else {
        return Ok(Vec::new()); // nothing tracked: every gradient is zero
    };
    let bottom = match wanted {
        Wanted::Leaves => 0,
        Wanted::Nodes(ids) => ids.iter().copied().filter(|&i| i != NO_NODE).min().unwrap_or(top),
    };
    let mut grads: Vec<Option<Var<'t, T>>> = vec![None; top as usize + 1];
    // Checked once per walk, so that a tape without hooks pays one branch per node.
    let hooked = !tape.graph.borrow().hooks.is_empty();
    // The gradients of parameters with hooks, summed over their leaves, hooked after the walk.
    let mut deferred: Vec<(Parameter<T>, Tensor<T>, Site)> = Vec::new();
    let _recording = tape.pause_recording(options.create_graph);
    let _filling = tape.filling_buffers(matches!(wanted, Wanted::Leaves));
    for (id, seed) in roots {
        if *id != NO_NODE {
            accumulate(&mut grads[*id as usize], seed.clone())?;
        }
    }
    if !tape.graph.borrow().traces.is_empty() {
        start_trace(&mut tape.graph.borrow_mut(), roots);
    }

    // Scratch space reused by every node: a node's saved tensors and input positions.
    let mut saved: Vec<Var<'t, T>> = Vec::with_capacity(4);
    let mut inputs: Vec<NodeId> = Vec::with_capacity(4);
    for id in (bottom..=top).rev() {
        let keep = match wanted {
            Wanted::Leaves => false,
            Wanted::Nodes(ids) => ids.contains(&id),
        };
        let mut g = match &mut grads[id as usize] {
            None => continue,
            Some(g) if keep => g.clone(),
            slot => slot.take().expect("matched Some"),
        };
        if hooked {
            g = run_value_hooks(tape, id, g)?;
            if keep {
                grads[id as usize] = Some(g.clone());
            }
        }
        let op = {
            let mut graph = tape.graph.borrow_mut();
            let Graph { nodes, input_ids, saved: arena, info, leaves, traces, retained, .. } = &mut *graph;
            if let Some(Some(trace)) = traces.get_mut(id as usize) {
                trace.grad = Some(g.value().clone());
            }
            let node = &mut nodes[id as usize];
            if node.freed {
                return Err(graph_freed(&graph, id));
            }
            if let Op::Leaf(index) = node.op {
                if let Wanted::Leaves = wanted {
                    deposit_in_leaf(&mut leaves[index as usize], g.value(), info[id as usize].site, &mut deferred)?;
                }
                continue;
            }
            if node.retain {
                if let Wanted::Leaves = wanted {
                    deposit_retained(retained, id, g.value());
                }
            }
            inputs.clear();
            inputs.extend_from_slice(&input_ids[node.inputs()]);
            saved.clear();
            for entry in &mut arena[node.saved()] {
                let value = if retain {
                    entry.value.clone()
                } else {
                    std::mem::replace(&mut entry.value, Tensor::scalar(T::ZERO))
                };
                saved.push(Var { tape, node: entry.node, value });
            }
            node.freed = !retain;
            node.op.clone()
        };
        let outer = tape.set_backward_node(id);
        let mut ctx = Ctx::new(tape, id, &op, &saved, &inputs, &mut grads);
        let result = ops::backward(&op, &mut ctx, &g);
        tape.set_backward_node(outer);
        result?;
    }
    for (param, g, site) in deferred {
        param.accumulate_grad(&run_param_hooks(&param, g)?, site)?;
    }
    Ok(grads)
}

/// A second backward pass reached a node whose saved tensors the first one freed.
#[cold]
#[inline(never)]
fn graph_freed<T: Float>(graph: &Graph<T>, id: NodeId) -> Error {
    let (op, site) = (graph.nodes[id as usize].op.name(), graph.info[id as usize].site);
    Error::GraphFreed { op, node: id as usize, name: graph.name(id).map(str::to_string), site }
}

/// Adds the gradient of an intermediate value marked with `retain_grad` into its slot. Out of
/// line: only nodes flagged `retain` get here.
#[cold]
#[inline(never)]
fn deposit_retained<T: Float>(retained: &mut [(NodeId, Option<Tensor<T>>)], node: NodeId, g: &Tensor<T>) {
    let k = retained.binary_search_by_key(&node, |(n, _)| *n).expect("a node flagged retain is in the list");
    add_into(&mut retained[k].1, g);
}

/// Forgets what the previous backward pass left in the traces and notes where this one starts
/// (tracing only).
#[cold]
#[inline(never)]
fn start_trace<T: Float>(graph: &mut Graph<T>, roots: &[(NodeId, Var<'_, T>)]) {
    for trace in graph.traces.iter_mut().flatten() {
        trace.reset_backward();
    }
    graph.trace_roots.clear();
    graph
        .trace_roots
        .extend(roots.iter().filter(|(id, _)| *id != NO_NODE).map(|(id, seed)| (*id, seed.value().clone())));
}

/// Adds a leaf's gradient into its slot and into the parameter it came from, if any; for a
/// parameter with hooks, into `deferred` instead, summed per parameter. Out of line: leaves
/// are few, and the reverse walk's loop stays tighter without this body.
#[inline(never)]
fn deposit_in_leaf<T: Float>(
    leaf: &mut Leaf<T>,
    g: &Tensor<T>,
    site: Site,
    deferred: &mut Vec<(Parameter<T>, Tensor<T>, Site)>,
) -> Result<()> {
    add_into(&mut leaf.grad, g);
    let Some(param) = &leaf.param else { return Ok(()) };
    if param.accumulate_grad_unless_hooked(g, site)? {
        return Ok(());
    }
    match deferred.iter_mut().find(|(p, _, _)| p.same_as(param)) {
        Some((_, sum, _)) if sum.shape() != g.shape() => {
            return Err(Error::ShapeMismatch {
                op: "parameter gradient",
                lhs: sum.shape().clone(),
                rhs: g.shape().clone(),
                site,
            })
        }
        Some((_, sum, _)) => sum.data_mut().iter_mut().zip(g.data()).for_each(|(s, &g)| *s += g),
        None => deferred.push((param.clone(), g.clone(), site)),
    }
    Ok(())
}
