//! The forward walk: forward-mode differentiation on a tape.
//!
//! The reverse walk visits the tape from an output down, pulling a gradient back through each
//! node; this walk visits it from the seeded nodes up, pushing a tangent forward through each:
//! a node's tangent is `Σᵢ (∂y/∂xᵢ)·ẋᵢ`, from the tangents of its inputs (already computed,
//! since inputs come first) by the op's JVP rule (`ops::jvp`). One walk gives the directional
//! derivative `J·v` of every node along the seeded direction `v`; the reverse walk gives `vᵀ·J`.
//!
//! The walk runs over a tape that was recorded first (the function's forward pass), so it
//! reads the tensors the ops saved for their backward rules: a JVP rule needs the same Jacobian
//! a backward rule does. It frees nothing, so the same recording serves any number of walks
//! (one per column of a Jacobian) and backward passes. Like the reverse walk, it pauses
//! recording unless the tangents must be differentiable again (`create_graph`), in which case
//! the rules' ops are recorded and the tangents are tracked values.

use crate::backward::pull_back;
use crate::error::Pass;
use crate::op::{CustomOp, Op};
use crate::ops;
use crate::rule::JvpCtx;
use crate::tape::{Graph, NodeId, NO_NODE};
use crate::{Error, Float, GradOptions, Result, Tape, Tensor, Var};
use std::sync::Arc;

/// The tangents of the nodes `bottom..=top` after a forward walk, by tape position.
pub(crate) struct Tangents<'t, T: Float> {
    bottom: NodeId,
    tangents: Vec<Option<Var<'t, T>>>,
}

impl<'t, T: Float> Tangents<'t, T> {
    /// The tangent of `v`: zeros if the walk gave it none (a constant, a value the seeds do not
    /// reach, or one outside the walked range).
    pub fn of(&self, v: &Var<'t, T>) -> Var<'t, T> {
        let found = v.node.checked_sub(self.bottom).and_then(|k| self.tangents.get(k as usize)).cloned().flatten();
        found.unwrap_or_else(|| v.tape.constant(Tensor::zeros(v.shape().clone())))
    }
}

/// Pushes the tangents `seeds` (`(node, tangent)` pairs, the tangents checked by the caller to
/// have their nodes' shapes) forward through every node up to `top`. A seeded node keeps its
/// seed, whatever its inputs' tangents.
pub(crate) fn push_forward<'t, T: Float>(
    tape: &'t Tape<T>,
    seeds: &[(NodeId, Var<'t, T>)],
    top: NodeId,
    options: GradOptions,
) -> Result<Tangents<'t, T>> {
    let seeded = || seeds.iter().map(|(id, _)| *id).filter(|&id| id != NO_NODE);
    let Some(bottom) = seeded().min() else {
        return Ok(Tangents { bottom: 0, tangents: Vec::new() });
    };
    if top < bottom || top == NO_NODE {
        return Ok(Tangents { bottom, tangents: Vec::new() });
    }
    let mut tangents: Vec<Option<Var<'t, T>>> = vec![None; (top - bottom) as usize + 1];
    let mut is_seed = vec![false; tangents.len()];
    for (id, t) in seeds.iter().filter(|(id, _)| *id != NO_NODE && *id <= top) {
        let k = (id - bottom) as usize;
        is_seed[k] = true;
        tangents[k] = Some(match tangents[k].take() {
            None => t.clone(),
            Some(prev) => prev.add(t)?,
        });
    }
    let _recording = tape.pause_recording(options.create_graph);

    // Scratch space reused by every node.
    let mut saved: Vec<Var<'t, T>> = Vec::with_capacity(4);
    let mut inputs: Vec<NodeId> = Vec::with_capacity(4);
    let mut input_tangents: Vec<Option<Var<'t, T>>> = Vec::with_capacity(4);
    for id in bottom..=top {
        let k = (id - bottom) as usize;
        if is_seed[k] {
            continue;
        }
        let op = {
            let graph = tape.graph.borrow();
            let Graph { nodes, input_ids, saved: arena, info, .. } = &*graph;
            let node = &nodes[id as usize];
            if let Op::Leaf(_) = node.op {
                continue;
            }
            inputs.clear();
            inputs.extend_from_slice(&input_ids[node.inputs()]);
            input_tangents.clear();
            input_tangents.extend(inputs.iter().map(|&i| match i.checked_sub(bottom) {
                Some(j) if i != NO_NODE && i < id => tangents[j as usize].clone(),
                _ => None,
            }));
            if input_tangents.iter().all(Option::is_none) {
                continue;
            }
            if node.freed {
                let (op, name, site) = (node.op.name(), graph.name(id).map(str::to_string), info[id as usize].site);
                return Err(Error::GraphFreed { op, node: id as usize, name, site });
            }
            saved.clear();
            saved.extend(arena[node.saved()].iter().map(|s| Var { tape, node: s.node, value: s.value.clone() }));
            node.op.clone()
        };
        let outer = tape.set_backward_node(id);
        let tangent = match &op {
            Op::Custom(custom) => custom_jvp(tape, custom, &saved, &input_tangents, options),
            _ => ops::jvp(&op, &JvpCtx::new(tape, id, &saved, &inputs, &input_tangents)),
        };
        tape.set_backward_node(outer);
        let tangent = tangent?;
        if let Some(t) = &tangent {
            check_tangent(tape, &op, id, t)?;
        }
        tangents[k] = tangent;
    }
    Ok(Tangents { bottom, tangents })
}

/// In anomaly mode, the first non-finite tangent stops the walk, naming the op.
fn check_tangent<T: Float>(tape: &Tape<T>, op: &Op<T>, id: NodeId, t: &Var<'_, T>) -> Result<()> {
    if !tape.anomaly_mode() {
        return Ok(());
    }
    let site = tape.graph.borrow().info[id as usize].site;
    match tape.anomaly_in(t.value(), op, id, site, Pass::Tangent) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The tangent of a custom op's output, from its backward (a custom op states no JVP rule): the
/// backward is linear in the incoming gradient `u`, `b(u) = Jᵀu`, so `⟨b(u), ẋ⟩ = ⟨u, J·ẋ⟩` and
/// `J·ẋ` is the gradient of `⟨b(u), ẋ⟩` with respect to `u` (the double-VJP construction). This
/// needs the backward written with `Var` ops, as differentiating it twice does.
fn custom_jvp<'t, T: Float>(
    tape: &'t Tape<T>,
    op: &Arc<dyn CustomOp<T>>,
    saved: &[Var<'t, T>],
    tangents: &[Option<Var<'t, T>>],
    options: GradOptions,
) -> Result<Option<Var<'t, T>>> {
    let (output, inputs) = saved.split_last().expect("custom ops save inputs and output");
    let _recording = tape.pause_recording(true);
    let u = tape.var(Tensor::zeros(output.shape().clone()));
    let grads = op.backward(inputs, output, &u)?;
    if grads.len() != inputs.len() {
        let msg = format!("backward returned {} gradients for {} inputs", grads.len(), inputs.len());
        return Err(Error::Custom { op: op.name(), msg });
    }
    let mut pairing: Option<Var<'t, T>> = None;
    for (g, t) in grads.iter().zip(tangents) {
        let (Some(g), Some(t)) = (g, t) else { continue };
        if !g.is_tracked() {
            let msg = "forward mode derives this op's tangents from its backward, which must then be written \
                       with Var ops (its gradient is a constant to the tape)";
            return Err(Error::Custom { op: op.name(), msg: msg.into() });
        }
        let term = g.mul(t)?.sum();
        pairing = Some(match pairing {
            None => term,
            Some(p) => p.add(&term)?,
        });
    }
    let Some(pairing) = pairing else { return Ok(None) };
    let seed = tape.constant(Tensor::scalar(T::ONE));
    let inner = GradOptions { retain_graph: options.create_graph, create_graph: options.create_graph, ..options };
    let [jt] = pull_back(tape, &[(pairing.node, seed)], &[&u], inner)?.try_into().expect("one input, one gradient");
    Ok(Some(jt))
}
