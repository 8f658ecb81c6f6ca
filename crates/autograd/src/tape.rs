//! The [`Tape`]: a flat list of recorded ops in creation order.
//!
//! Every op on a tracked [`Var`] appends one [`Node`]: the op (with whatever parameters its
//! backward rule needs, such as axes), the tape positions of its inputs, and the tensors it saved
//! for backward. Because a node's inputs always come before it, walking the list in reverse is a
//! valid order for the chain rule: no recursion and no topological sort (see `backward.rs`).

use crate::error::{Pass, Site};
use crate::hook::RegisteredHook;
use crate::op::Op;
use crate::{Error, Float, Parameter, Result, Shape, Tensor, Var};
use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// A tape position. `NO_NODE` marks a constant: a value no gradient flows to.
pub(crate) type NodeId = u32;
pub(crate) const NO_NODE: NodeId = NodeId::MAX;

/// A tensor an op saved for its backward rule, with its tape position so that, when the rule
/// itself is recorded (`create_graph`), the new nodes link back to it.
#[derive(Clone)]
pub(crate) struct Saved<T: Float> {
    pub node: NodeId,
    pub value: Tensor<T>,
}

/// Which tensors an op keeps for its backward rule.
#[derive(Clone, Copy)]
pub(crate) enum Keep {
    Nothing,
    Inputs,
    Output,
    InputsAndOutput,
}

/// One recorded op: what the backward walk reads, kept small. The input positions and saved
/// tensors live in two tape-wide arenas (`input_ids`, `saved`) addressed by ranges, and the
/// output's shape and call site, needed only for listings and errors, in a third (`info`).
pub(crate) struct Node<T: Float> {
    pub op: Op<T>,
    pub inputs_start: u32,
    pub saved_start: u32,
    pub inputs_len: u16,
    pub saved_len: u16,
    /// Set when a backward pass without `retain_graph` dropped the saved tensors.
    pub freed: bool,
    /// Set by [`Var::retain_grad`]: a backward pass keeps this node's gradient (`retained`).
    pub retain: bool,
}

impl<T: Float> Node<T> {
    pub fn inputs(&self) -> std::ops::Range<usize> {
        self.inputs_start as usize..self.inputs_start as usize + self.inputs_len as usize
    }

    pub fn saved(&self) -> std::ops::Range<usize> {
        self.saved_start as usize..self.saved_start as usize + self.saved_len as usize
    }
}

/// What only listings and error messages need about a node.
pub(crate) struct NodeInfo {
    pub shape: Shape,
    pub site: Site,
}

/// What tracing keeps about a node: its value and its constant inputs' values, and what the
/// last backward pass did there: the gradient it gave the node, and what the node's rule sent
/// to each input (with the local derivative, for elementwise ops).
pub(crate) struct Trace<T: Float> {
    pub value: Tensor<T>,
    /// The values of the constant inputs, by input position.
    pub constants: Vec<(u16, Tensor<T>)>,
    pub grad: Option<Tensor<T>>,
    /// `∂L/∂input` as the rule computed it, by input position, in the order it sent them.
    pub sent: Vec<(u16, Tensor<T>)>,
    /// `∂output/∂input` elementwise, by input position, for the ops that define it.
    pub local: Vec<(u16, Tensor<T>)>,
}

impl<T: Float> Trace<T> {
    /// Forgets what an earlier backward pass did here.
    pub fn reset_backward(&mut self) {
        self.grad = None;
        self.sent.clear();
        self.local.clear();
    }
}

/// The shape of input `input` of node `node`, a constant (which has no node to read its shape
/// from), kept when it differs from the node's output shape. Elementwise ops broadcast their
/// operands first, so their constants (`x · c`, the common case) have the output's shape and
/// are not even compared (`Tape::record_elementwise`).
pub(crate) struct ConstantShape {
    pub node: NodeId,
    pub input: u32,
    pub shape: Shape,
}

/// Everything recorded, in arenas indexed by tape position (one borrow per op).
#[derive(Default)]
pub(crate) struct Graph<T: Float> {
    pub nodes: Vec<Node<T>>,
    pub input_ids: Vec<NodeId>,
    /// The shapes of constant inputs that differ from their node's output shape, in tape order,
    /// so that a backward rule can ask for any input's shape (`Ctx::input_shape`).
    pub constant_shapes: Vec<ConstantShape>,
    pub saved: Vec<Saved<T>>,
    pub info: Vec<NodeInfo>,
    pub leaves: Vec<Leaf<T>>,
    /// The gradients of the intermediate values marked with [`Var::retain_grad`], by node,
    /// sorted (the nodes also carry a `retain` flag, so the walk never searches this list for
    /// nodes that are not in it).
    pub retained: Vec<(NodeId, Option<Tensor<T>>)>,
    /// The names given with [`Tape::var_named`] and [`Var::named`], by node, sorted: a side
    /// table, so that recording an op never touches it.
    pub names: Vec<(NodeId, Arc<str>)>,
    /// Indexed by node; empty unless tracing was on (shorter than `nodes` when it was off).
    pub traces: Vec<Option<Trace<T>>>,
    /// The outputs the last traced backward pass started from, with their seeds.
    pub trace_roots: Vec<(NodeId, Tensor<T>)>,
    /// Gradient hooks on values, in the order they were registered (`hook.rs`).
    pub hooks: Vec<RegisteredHook<T>>,
    /// Parameters that [`Tape::param`] answers with a given value (its node, `NO_NODE` for a
    /// constant) instead of a new leaf: how a gradient check of parameters at second order
    /// makes them inputs of the function it differentiates (`gradcheck/`). Empty otherwise.
    pub param_substitutes: Vec<(Parameter<T>, NodeId, Tensor<T>)>,
}

impl<T: Float> Graph<T> {
    /// The trace of a node, if tracing was on when it was recorded.
    pub fn trace(&self, node: usize) -> Option<&Trace<T>> {
        self.traces.get(node).and_then(Option::as_ref)
    }

    /// The name given to a node, if any.
    pub fn name(&self, node: NodeId) -> Option<&str> {
        let k = self.names.binary_search_by_key(&node, |(n, _)| *n).ok()?;
        Some(&self.names[k].1)
    }

    /// How listings, traces and errors refer to a node: its name, or `%<position>`.
    pub fn label(&self, node: NodeId) -> String {
        match self.name(node) {
            Some(name) => name.to_string(),
            None => format!("%{node}"),
        }
    }

    /// The shape of input `input` of node `node`, a constant (see `Tape::constant_input_shape`).
    pub fn constant_input_shape(&self, node: NodeId, input: usize) -> &Shape {
        let shapes = &self.constant_shapes;
        let k = shapes.partition_point(|c| (c.node, c.input as usize) < (node, input));
        match shapes.get(k) {
            Some(c) if (c.node, c.input as usize) == (node, input) => &c.shape,
            _ => &self.info[node as usize].shape,
        }
    }

    /// Names a node (replacing an earlier name).
    pub fn set_name(&mut self, node: NodeId, name: Arc<str>) {
        match self.names.binary_search_by_key(&node, |(n, _)| *n) {
            Ok(k) => self.names[k].1 = name,
            Err(k) => self.names.insert(k, (node, name)),
        }
    }
}

/// A leaf's gradient slot, and the parameter it feeds, if any.
pub(crate) struct Leaf<T: Float> {
    pub grad: Option<Tensor<T>>,
    pub param: Option<Parameter<T>>,
}

/// The record of a computation, for reverse-mode differentiation.
///
/// Create one per forward pass (or [`clear`](Tape::clear) and reuse it, which keeps its
/// allocation), make inputs with [`var`](Tape::var), [`constant`](Tape::constant) or
/// [`param`](Tape::param), compute, then call [`Var::backward`] or [`grad`](crate::grad).
///
/// ```
/// use autograd::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::scalar(0.5));
/// let y = x.tanh();
/// y.backward().unwrap();
/// let expected = 1.0 - 0.5f64.tanh().powi(2);
/// assert!((x.grad().unwrap().item() - expected).abs() < 1e-15);
/// ```
pub struct Tape<T: Float = f32> {
    pub(crate) graph: RefCell<Graph<T>>,
    recording: Cell<bool>,
    anomaly_mode: Cell<bool>,
    first_anomaly: RefCell<Option<Error>>,
    /// While a backward rule runs, the node it differentiates: nodes the rule records (with
    /// `create_graph`) take that node's call site, so they point at the user's code.
    backward_node: Cell<NodeId>,
    /// Keep every node's value and gradient for listings and graph exports (teaching mode).
    tracing: Cell<bool>,
    /// Anomaly mode or tracing: each gradient a backward rule returns takes the slow path
    /// that checks or keeps it (one flag for the hot path to test).
    watching: Cell<bool>,
    /// Whether the backward pass running now fills leaves' and parameters' gradient buffers
    /// (`backward`) rather than returning gradients (`grad`): a recomputed segment runs a
    /// backward pass of its own and must do the same (`recompute.rs`).
    fills_buffers: Cell<bool>,
}

impl<T: Float> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Tape<T> {
    /// An empty tape that records.
    pub fn new() -> Self {
        Tape {
            graph: RefCell::new(Graph::default()),
            recording: Cell::new(true),
            anomaly_mode: Cell::new(false),
            first_anomaly: RefCell::new(None),
            backward_node: Cell::new(NO_NODE),
            tracing: Cell::new(false),
            watching: Cell::new(false),
            fills_buffers: Cell::new(false),
        }
    }

    /// Forgets every node and leaf but keeps the allocations, so a training loop can reuse one
    /// tape per step. The borrow checker guarantees no [`Var`] of the old graph is alive.
    pub fn clear(&mut self) {
        let graph = self.graph.get_mut();
        graph.nodes.clear();
        graph.input_ids.clear();
        graph.constant_shapes.clear();
        graph.saved.clear();
        graph.info.clear();
        graph.leaves.clear();
        graph.retained.clear();
        graph.names.clear();
        graph.traces.clear();
        graph.trace_roots.clear();
        graph.hooks.clear();
        graph.param_substitutes.clear();
        *self.first_anomaly.get_mut() = None;
    }

    /// Number of recorded nodes.
    pub fn len(&self) -> usize {
        self.graph.borrow().nodes.len()
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A leaf that requires a gradient: after `backward`, [`Var::grad`] holds ∂out/∂leaf.
    #[track_caller]
    pub fn var(&self, value: Tensor<T>) -> Var<'_, T> {
        self.leaf(value, None, Site::caller())
    }

    /// [`var`](Tape::var) with a name, which listings, graph exports, backward traces and
    /// errors show instead of the node's position (`w1` rather than `%0`).
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let w1 = tape.var_named("w1", Tensor::vector(&[0.5, -0.3]));
    /// let z = w1.tanh().named("z");
    /// assert_eq!((w1.name().as_deref(), z.name().as_deref()), (Some("w1"), Some("z")));
    /// assert!(tape.to_string().contains("w1"));
    /// ```
    #[track_caller]
    pub fn var_named(&self, name: impl Into<String>, value: Tensor<T>) -> Var<'_, T> {
        self.leaf(value, None, Site::caller()).named(name)
    }

    /// A value no gradient flows to (data, labels, masks). Records nothing.
    pub fn constant(&self, value: Tensor<T>) -> Var<'_, T> {
        Var { tape: self, node: NO_NODE, value }
    }

    /// A scalar constant.
    pub fn scalar(&self, value: T) -> Var<'_, T> {
        self.constant(Tensor::scalar(value))
    }

    /// Puts a persistent [`Parameter`] on this tape as a leaf. A backward pass adds the leaf's
    /// gradient to the parameter's gradient buffer. Each call makes a new leaf.
    #[track_caller]
    pub fn param(&self, param: &Parameter<T>) -> Var<'_, T> {
        self.param_at(param, Site::caller())
    }

    /// [`param`](Tape::param) with the call site given.
    pub(crate) fn param_at(&self, param: &Parameter<T>, site: Site) -> Var<'_, T> {
        if let Some(substitute) = self.substitute(param) {
            return substitute;
        }
        let (value, requires_grad, name) = param.for_tape();
        if !requires_grad {
            return self.constant(value);
        }
        let leaf = self.leaf(value, Some(param.clone()), site);
        if let Some(name) = name {
            self.graph.borrow_mut().set_name(leaf.node, name);
        }
        leaf
    }

    /// Makes [`param`](Tape::param) answer `params[i]` with `values[i]` (values on this tape).
    pub(crate) fn substitute_params(&self, params: &[Parameter<T>], values: &[Var<'_, T>]) {
        let substitutes = params.iter().zip(values).map(|(p, v)| (p.clone(), v.node, v.value.clone()));
        self.graph.borrow_mut().param_substitutes.extend(substitutes);
    }

    fn substitute(&self, param: &Parameter<T>) -> Option<Var<'_, T>> {
        let graph = self.graph.borrow();
        let (_, node, value) = graph.param_substitutes.iter().find(|(p, _, _)| p.same_as(param))?;
        Some(Var { tape: self, node: *node, value: value.clone() })
    }

    pub(crate) fn leaf(&self, value: Tensor<T>, param: Option<Parameter<T>>, site: Site) -> Var<'_, T> {
        let mut graph = self.graph.borrow_mut();
        let index = u32::try_from(graph.leaves.len()).expect("fewer than 2^32 leaves on one tape");
        graph.leaves.push(Leaf { grad: None, param });
        drop(graph);
        let node = self.push_node::<true>(Op::Leaf(index), &[], Keep::Nothing, &value, site);
        Var { tape: self, node, value }
    }

    /// Runs `f` without recording: ops inside compute values only (PyTorch's `no_grad`).
    pub fn no_grad<R>(&self, f: impl FnOnce() -> R) -> R {
        let _restore = self.pause_recording(false);
        f()
    }

    /// Whether ops are being recorded now.
    pub fn is_recording(&self) -> bool {
        self.recording.get()
    }

    /// Sets recording on or off until the returned guard drops.
    pub(crate) fn pause_recording(&self, on: bool) -> RestoreRecording<'_, T> {
        let before = self.recording.replace(on);
        RestoreRecording { tape: self, before }
    }

    /// Whether the backward pass running now fills gradient buffers (see the field).
    pub(crate) fn fills_buffers(&self) -> bool {
        self.fills_buffers.get()
    }

    /// Sets what [`fills_buffers`](Tape::fills_buffers) says until the returned guard drops.
    pub(crate) fn filling_buffers(&self, on: bool) -> RestoreFilling<'_, T> {
        let before = self.fills_buffers.replace(on);
        RestoreFilling { tape: self, before }
    }

    /// Turns anomaly mode on or off. When on, every op's output and every gradient a backward
    /// rule returns is checked for NaN and ±∞; the first forward anomaly is remembered and
    /// returned by [`Tape::check_anomaly`] and by the next backward, and a backward anomaly
    /// stops the backward pass. Each error names the op, its tape position and call site.
    pub fn set_anomaly_mode(&self, on: bool) {
        self.anomaly_mode.set(on);
        self.watching.set(on || self.tracing.get());
    }

    /// Turns tracing on or off. While on, the tape keeps every recorded node's value, and each
    /// backward pass stores the gradient it computed for every node it visits, so that the
    /// listing (`{tape}`) and [`to_dot`](Tape::to_dot) can show the whole forward and backward
    /// computation: a teaching and debugging aid that costs memory, off by default.
    pub fn set_tracing(&self, on: bool) {
        self.tracing.set(on);
        self.watching.set(on || self.anomaly_mode.get());
    }

    /// Whether tracing is on.
    #[inline]
    pub fn tracing(&self) -> bool {
        self.tracing.get()
    }

    /// Whether anomaly mode or tracing is on: what `Ctx::grad` tests before its slow path.
    #[inline]
    pub(crate) fn watching(&self) -> bool {
        self.watching.get()
    }

    /// Whether anomaly mode is on.
    pub fn anomaly_mode(&self) -> bool {
        self.anomaly_mode.get()
    }

    /// The first forward anomaly seen in anomaly mode, if any.
    pub fn check_anomaly(&self) -> Result<()> {
        let Some(mut e) = self.first_anomaly.borrow().clone() else {
            return Ok(());
        };
        // The value may have been named after the op that produced it was recorded.
        if let Error::Anomaly { node, name, .. } = &mut e {
            if let Ok(node) = NodeId::try_from(*node) {
                *name = self.name_of(node);
            }
        }
        Err(e)
    }

    /// The name given to a node, if any (for errors).
    pub(crate) fn name_of(&self, node: NodeId) -> Option<String> {
        if node == NO_NODE {
            return None;
        }
        self.graph.borrow().name(node).map(str::to_string)
    }

    /// In anomaly mode, checks a value an op produced; returns the error describing it.
    pub(crate) fn anomaly_in(
        &self,
        value: &Tensor<T>,
        op: &Op<T>,
        node: NodeId,
        site: Site,
        pass: Pass,
    ) -> Option<Error> {
        if !self.anomaly_mode.get() {
            return None;
        }
        let bad = value.data().iter().find(|v| !v.is_finite())?;
        Some(Error::Anomaly {
            op: op.name(),
            node: if node == NO_NODE { usize::MAX } else { node as usize },
            name: self.name_of(node),
            site,
            pass,
            what: if bad.is_nan() { "NaN" } else { "inf" },
        })
    }

    /// Records an op's result, keeping the tensors `keep` names for its backward rule. Inputs
    /// that are all constants, or a paused tape, give a constant and record nothing.
    #[inline]
    pub(crate) fn record<'t>(
        &'t self,
        op: impl Into<Op<T>>,
        inputs: &[&Var<'t, T>],
        value: Tensor<T>,
        site: Site,
        keep: Keep,
    ) -> Var<'t, T> {
        self.record_with::<false>(op.into(), inputs, value, site, keep)
    }

    /// [`record`](Tape::record) for an elementwise op, whose inputs all have the output's shape
    /// (binary ops broadcast their operands first): no constant input's shape needs keeping.
    #[inline]
    pub(crate) fn record_elementwise<'t>(
        &'t self,
        op: impl Into<Op<T>>,
        inputs: &[&Var<'t, T>],
        value: Tensor<T>,
        site: Site,
        keep: Keep,
    ) -> Var<'t, T> {
        let op = op.into();
        debug_assert!(inputs.iter().all(|v| v.shape() == value.shape()), "{}: inputs of another shape", op.name());
        self.record_with::<true>(op, inputs, value, site, keep)
    }

    #[inline]
    fn record_with<'t, const ELEMENTWISE: bool>(
        &'t self,
        op: Op<T>,
        inputs: &[&Var<'t, T>],
        value: Tensor<T>,
        site: Site,
        keep: Keep,
    ) -> Var<'t, T> {
        let tracked = self.recording.get() && inputs.iter().any(|v| v.node != NO_NODE);
        if !tracked {
            if self.anomaly_mode.get() {
                self.note_forward_anomaly(&value, &op, NO_NODE, site);
            }
            return Var { tape: self, node: NO_NODE, value };
        }
        let site = match self.backward_node.get() {
            NO_NODE => site,
            differentiated => self.graph.borrow().info[differentiated as usize].site,
        };
        let node = self.next_id();
        if self.anomaly_mode.get() {
            self.note_forward_anomaly(&value, &op, node, site);
        }
        self.push_node::<ELEMENTWISE>(op, inputs, keep, &value, site);
        Var { tape: self, node, value }
    }

    #[cold]
    fn note_forward_anomaly(&self, value: &Tensor<T>, op: &Op<T>, node: NodeId, site: Site) {
        // Inside a backward rule the ops are steps of a gradient formula, not the user's forward
        // computation: `Ctx::grad` checks the gradient the rule returns and names the op it
        // differentiates. Noting an intermediate here would blame an internal op and poison
        // `check_anomaly` (and every later backward) with it.
        if self.backward_node.get() != NO_NODE {
            return;
        }
        if let Some(e) = self.anomaly_in(value, op, node, site, Pass::Forward) {
            self.first_anomaly.borrow_mut().get_or_insert(e);
        }
    }

    fn next_id(&self) -> NodeId {
        id_after(self.graph.borrow().nodes.len())
    }

    /// Appends a node. `ELEMENTWISE` says all inputs have the output's shape, so no constant
    /// input's shape is compared or kept.
    fn push_node<const ELEMENTWISE: bool>(
        &self,
        op: Op<T>,
        inputs: &[&Var<'_, T>],
        keep: Keep,
        value: &Tensor<T>,
        site: Site,
    ) -> NodeId {
        let mut graph = self.graph.borrow_mut();
        let Graph { nodes, input_ids, constant_shapes, saved, info, traces, .. } = &mut *graph;
        let id = id_after(nodes.len());
        let (inputs_start, saved_start) = (input_ids.len(), saved.len());
        for v in inputs {
            if !ELEMENTWISE && v.node == NO_NODE && v.shape() != value.shape() {
                let input = input_ids.len() - inputs_start;
                keep_constant_shape(constant_shapes, id, input, v.shape());
            }
            input_ids.push(v.node);
        }
        if let Keep::Inputs | Keep::InputsAndOutput = keep {
            for v in inputs {
                saved.push(Saved { node: v.node, value: v.value.clone() });
            }
        }
        if let Keep::Output | Keep::InputsAndOutput = keep {
            saved.push(Saved { node: id, value: value.clone() });
        }
        nodes.push(Node {
            op,
            inputs_start: u32::try_from(inputs_start).expect("fewer than 2^32 inputs on one tape"),
            saved_start: u32::try_from(saved_start).expect("fewer than 2^32 saved tensors on one tape"),
            inputs_len: u16::try_from(inputs.len()).expect("an op has fewer than 65536 inputs"),
            saved_len: u16::try_from(saved.len() - saved_start).expect("an op saves fewer than 65536 tensors"),
            freed: false,
            retain: false,
        });
        info.push(NodeInfo { shape: value.shape().clone(), site });
        if self.tracing.get() {
            trace_node(traces, id, inputs, value);
        }
        id
    }

    /// Marks the start (`node`) and end (the node returned, the one whose rule was running
    /// before: `NO_NODE` unless walks nest) of the backward or forward-mode rule of a node.
    pub(crate) fn set_backward_node(&self, node: NodeId) -> NodeId {
        self.backward_node.replace(node)
    }

    /// The recorded shape of a node's output.
    pub(crate) fn node_shape(&self, node: NodeId) -> Shape {
        self.graph.borrow().info[node as usize].shape.clone()
    }

    /// The shape of input `input` of node `node`, a constant: kept if it differs from the
    /// node's output shape, the output shape otherwise.
    pub(crate) fn constant_input_shape(&self, node: NodeId, input: usize) -> Shape {
        self.graph.borrow().constant_input_shape(node, input).clone()
    }
}

/// Keeps a node's value and its constant inputs' values (tracing only). Out of line, so that
/// `push_node` stays small.
#[cold]
#[inline(never)]
fn trace_node<T: Float>(traces: &mut Vec<Option<Trace<T>>>, id: NodeId, inputs: &[&Var<'_, T>], value: &Tensor<T>) {
    let constants = inputs
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_tracked())
        .map(|(k, v)| (u16::try_from(k).expect("an op has fewer than 65536 inputs"), v.value.clone()))
        .collect();
    traces.resize_with(id as usize, || None);
    let trace = Trace { value: value.clone(), constants, grad: None, sent: Vec::new(), local: Vec::new() };
    traces.push(Some(trace));
}

/// Out of line: constants of another shape than the op's output are rare (concatenation), and
/// `push_node` stays tighter without this body.
#[cold]
#[inline(never)]
fn keep_constant_shape(shapes: &mut Vec<ConstantShape>, node: NodeId, input: usize, shape: &Shape) {
    let input = u32::try_from(input).expect("an op has fewer than 65536 inputs");
    shapes.push(ConstantShape { node, input, shape: shape.clone() });
}

/// The id of the node after `len` recorded ones.
fn id_after(len: usize) -> NodeId {
    NodeId::try_from(len).ok().filter(|&id| id != NO_NODE).expect("fewer than 2^32 - 1 nodes on one tape")
}

/// Restores the recording flag when dropped.
pub(crate) struct RestoreRecording<'a, T: Float> {
    tape: &'a Tape<T>,
    before: bool,
}

impl<T: Float> Drop for RestoreRecording<'_, T> {
    fn drop(&mut self) {
        self.tape.recording.set(self.before);
    }
}

/// Restores the buffer-filling flag when dropped.
pub(crate) struct RestoreFilling<'a, T: Float> {
    tape: &'a Tape<T>,
    before: bool,
}

impl<T: Float> Drop for RestoreFilling<'_, T> {
    fn drop(&mut self) {
        self.tape.fills_buffers.set(self.before);
    }
}
