//! [`Ctx`]: what a backward rule sees while the reverse walk differentiates one node.

use crate::error::Pass;
use crate::op::Op;
use crate::tape::{NodeId, NO_NODE};
use crate::{Float, Result, Shape, Tape, Var};

/// What a backward rule sees: the tensors its op saved, the shapes of all its inputs, and a way
/// to hand each input its gradient. Rules are written `ctx.grad(i, || formula)`, one line per
/// input, and the formula runs only if input `i` is tracked (PyTorch's `needs_input_grad`,
/// without the bookkeeping).
pub(crate) struct Ctx<'a, 't, T: Float> {
    tape: &'t Tape<T>,
    node: NodeId,
    op: &'a Op<T>,
    saved: &'a [Var<'t, T>],
    /// Tape positions of the inputs (`NO_NODE` for constants).
    inputs: &'a [NodeId],
    grads: &'a mut [Option<Var<'t, T>>],
}

impl<'a, 't, T: Float> Ctx<'a, 't, T> {
    /// The context of node `node` (recording `op` with these saved tensors and inputs), for a
    /// walk that keeps its gradients, indexed by node, in `grads`.
    pub(crate) fn new(
        tape: &'t Tape<T>,
        node: NodeId,
        op: &'a Op<T>,
        saved: &'a [Var<'t, T>],
        inputs: &'a [NodeId],
        grads: &'a mut [Option<Var<'t, T>>],
    ) -> Self {
        Ctx { tape, node, op, saved, inputs, grads }
    }
}

impl<'t, T: Float> Ctx<'_, 't, T> {
    /// The `i`-th tensor the op saved, in the order it saved them.
    #[inline]
    pub fn saved(&self, i: usize) -> &Var<'t, T> {
        &self.saved[i]
    }

    /// All saved tensors.
    #[inline]
    pub fn saved_all(&self) -> &[Var<'t, T>] {
        self.saved
    }

    /// How many inputs the op has.
    #[inline]
    pub fn arity(&self) -> usize {
        self.inputs.len()
    }

    /// The shape of input `i`, tracked or constant.
    pub fn input_shape(&self, i: usize) -> Shape {
        match self.inputs[i] {
            NO_NODE => self.tape.constant_input_shape(self.node, i),
            node => self.tape.node_shape(node),
        }
    }

    /// Adds `∂L/∂input_i`, computed by `formula`, to input `i`'s gradient. The formula runs only
    /// if the input is tracked.
    #[inline]
    pub fn grad(&mut self, i: usize, formula: impl FnOnce() -> Result<Var<'t, T>>) -> Result<()> {
        let input = self.inputs[i];
        if input == NO_NODE {
            return Ok(());
        }
        let g = formula()?;
        debug_assert_eq!(
            Some(g.shape().clone()),
            Some(self.tape.node_shape(input)),
            "{} returned a gradient of the wrong shape for input {i}",
            self.op.name()
        );
        if self.tape.watching() {
            self.inspect(i, &g)?;
        }
        accumulate(&mut self.grads[input as usize], g)
    }

    /// Whether the tape traces: a rule that can state its local derivative cheaply does so
    /// only then ([`note_local`](Ctx::note_local)).
    #[inline]
    pub fn traced(&self) -> bool {
        self.tape.tracing()
    }

    /// Notes `∂output/∂input_i`, elementwise, for the backward trace (call only when
    /// [`traced`](Ctx::traced)): the factor by which the rule multiplies the incoming gradient.
    #[cold]
    pub fn note_local(&mut self, i: usize, local: crate::Tensor<T>) {
        if let Some(Some(trace)) = self.tape.graph.borrow_mut().traces.get_mut(self.node as usize) {
            trace.local.push((u16::try_from(i).expect("an op has fewer than 65536 inputs"), local));
        }
    }

    /// The slow path of a gradient, in anomaly mode or while tracing: checks it for NaN and ±∞,
    /// keeps it for the backward trace.
    #[cold]
    #[inline(never)]
    fn inspect(&mut self, i: usize, g: &Var<'t, T>) -> Result<()> {
        if self.tape.anomaly_mode() {
            let site = self.tape.graph.borrow().info[self.node as usize].site;
            if let Some(e) = self.tape.anomaly_in(g.value(), self.op, self.node, site, Pass::Backward) {
                return Err(e);
            }
        }
        if self.tape.tracing() {
            if let Some(Some(trace)) = self.tape.graph.borrow_mut().traces.get_mut(self.node as usize) {
                let i = u16::try_from(i).expect("an op has fewer than 65536 inputs");
                trace.sent.push((i, g.value().clone()));
            }
        }
        Ok(())
    }
}

/// Adds one more contribution to a node's gradient (fan-out sums).
#[inline]
pub(crate) fn accumulate<'t, T: Float>(slot: &mut Option<Var<'t, T>>, g: Var<'t, T>) -> Result<()> {
    let Some(prev) = slot else {
        *slot = Some(g);
        return Ok(());
    };
    // Scalar code sums one-element gradients by the million: when neither is recorded (no
    // `create_graph`), add in place what `add` would compute.
    let untracked = !prev.is_tracked() && !g.is_tracked() && prev.shape() == g.shape();
    if let (true, Some(sum), Some(more)) = (untracked, prev.value.one_mut(), g.value.one()) {
        *sum += more;
        return Ok(());
    }
    *prev = prev.add(&g)?;
    Ok(())
}
