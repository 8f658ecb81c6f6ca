//! Recomputation (gradient checkpointing, as `torch.utils.checkpoint`): a segment of the forward
//! pass that keeps only its inputs on the tape and computes its intermediate values again when
//! the backward pass reaches it.
//!
//! A plain forward pass keeps, for every op, the tensors its backward rule needs: for a deep
//! network, every layer's activations, alive until backward. [`recompute`] runs the segment on
//! a scratch tape without recording, so its intermediates are dropped as soon as they are used,
//! and puts one node on the tape, whose saved tensors are the segment's inputs (and its output,
//! which the next op keeps anyway). When the reverse walk reaches that node, the segment runs
//! again on a scratch tape, recording, and a backward pass through it, seeded with the node's
//! gradient, gives the inputs their gradients and, if the outer pass fills buffers, the
//! parameters inside the segment theirs. Peak memory holds the inputs of every segment plus the
//! intermediates of one; the cost is one more forward pass of each segment.
//!
//! The gradients are the bits of the plain path: the recomputed segment performs the same ops on
//! the same values, and its backward the same rules in the same order. (Where a value is used
//! both inside a segment and after it, the segment's contributions to its gradient are summed
//! before being added to the others', which can change the last bit of that sum.)
//!
//! The segment must compute the same output each time it runs: a random draw inside it must be
//! replayed (`nn::Recompute` rewinds the modules' random streams). The recomputed output is
//! compared with the first, bit for bit, and a difference is an error, not a silently wrong
//! gradient. Higher-order derivatives (`create_graph`, forward mode) through a recomputed segment
//! are not supported and are an error that says so.

use crate::error::Site;
use crate::op::Op;
use crate::tape::Keep;
use crate::thread_bound::ThreadBound;
use crate::{grad_with, CustomOp, Error, Float, GradOptions, Parameter, Result, Tape, Tensor, Var};
use std::rc::Rc;
use std::sync::Arc;

/// A segment of a forward pass: from its inputs on some tape, its output on the same tape.
type SegmentFn<T> = dyn for<'a> Fn(&[Var<'a, T>]) -> Result<Var<'a, T>>;

/// Runs `segment` on `inputs` without keeping its intermediate values on the tape; the backward
/// pass computes them again when it needs them (gradient checkpointing). The result and the
/// gradients are those of `segment(inputs)` run directly, bit for bit; the tape holds only the
/// segment's inputs and output. `segment` is called once now and once per backward pass through
/// it, each time on a scratch tape, so it must compute from its arguments only (parameters are
/// put on the tape it is given, `xs[0].tape().param(&w)`) and give the same output each time.
///
/// ```
/// use autograd::{recompute, Parameter, Result, Tape, Tensor, Var};
///
/// // Three layers sharing one weight.
/// fn layers<'t>(w: &Parameter<f64>, x: &Var<'t, f64>) -> Result<Var<'t, f64>> {
///     let w = x.tape().param(w);
///     Ok(x.matmul(&w)?.tanh().matmul(&w)?.tanh().matmul(&w)?.tanh())
/// }
/// let w = Parameter::new(Tensor::<f64>::from_vec(vec![0.5, -0.2, 0.3, 0.8], [2, 2]).unwrap());
/// let x = Tensor::from_vec(vec![1.0, -2.0, 0.5, 0.25], [2, 2]).unwrap();
///
/// let tape = Tape::new();
/// let segment_w = w.clone();
/// let y = recompute(&[&tape.constant(x.clone())], move |xs| layers(&segment_w, &xs[0])).unwrap();
/// assert_eq!(tape.len(), 2, "a leaf for w and one node for the three layers");
/// y.sum().backward().unwrap();
/// let recomputed = w.take_grad().unwrap();
///
/// let tape = Tape::new();
/// layers(&w, &tape.constant(x)).unwrap().sum().backward().unwrap();
/// assert_eq!(w.take_grad().unwrap(), recomputed);
/// ```
#[track_caller]
pub fn recompute<'t, T: Float>(
    inputs: &[&Var<'t, T>],
    segment: impl for<'a> Fn(&[Var<'a, T>]) -> Result<Var<'a, T>> + 'static,
) -> Result<Var<'t, T>> {
    let site = Site::caller();
    let Some(first) = inputs.first() else {
        return Err(Error::InvalidArgument { op: "recompute", msg: "a segment needs at least one input".into(), site });
    };
    for v in inputs {
        first.same_tape(v, "recompute", site)?;
    }
    let tape = first.tape();
    let segment: Rc<SegmentFn<T>> = Rc::new(segment);
    let op = Segment { run: ThreadBound::new(segment), arity: inputs.len(), site };
    let tensors: Vec<&Tensor<T>> = inputs.iter().map(|v| v.value()).collect();
    let (value, params) = op.run_without_recording(&tensors)?;
    // The parameters the segment uses are inputs of its node: the node is tracked when they
    // are, and a listing shows what it depends on. Their gradients come from the segment's own
    // backward pass, not through these leaves.
    let params: Vec<Var<'t, T>> = params.iter().map(|p| tape.param_at(p, site)).collect();
    let all: Vec<&Var<'t, T>> = inputs.iter().copied().chain(&params).collect();
    Ok(tape.record(Op::Custom(Arc::new(op)), &all, value, site, Keep::InputsAndOutput))
}

/// The recorded node of a recomputed segment. Its inputs are the segment's `arity` inputs, then
/// the parameters it uses.
struct Segment<T: Float> {
    run: ThreadBound<Rc<SegmentFn<T>>>,
    arity: usize,
    /// Where `recompute` was called, for errors.
    site: Site,
}

impl<T: Float> Segment<T> {
    fn error(&self, msg: impl Into<String>) -> Error {
        Error::InvalidArgument { op: "recompute", msg: msg.into(), site: self.site }
    }

    fn segment(&self) -> Result<&SegmentFn<T>> {
        let run = self.run.get().ok_or_else(|| {
            self.error("the segment was recorded on another thread; a tape is differentiated where it was recorded")
        })?;
        Ok(run.as_ref())
    }

    /// The segment on a scratch tape that records nothing, so that its intermediates are dropped
    /// as it goes: its output, and the parameters it put on the tape (each once).
    fn run_without_recording(&self, inputs: &[&Tensor<T>]) -> Result<(Tensor<T>, Vec<Parameter<T>>)> {
        let scratch = Tape::new();
        let xs: Vec<Var<'_, T>> = inputs.iter().map(|x| scratch.constant((*x).clone())).collect();
        let y = scratch.no_grad(|| (self.segment()?)(&xs))?;
        let mut params: Vec<Parameter<T>> = Vec::new();
        for p in scratch.graph.borrow().leaves.iter().filter_map(|leaf| leaf.param.as_ref()) {
            if !params.iter().any(|q| q.same_as(p)) {
                params.push(p.clone());
            }
        }
        Ok((y.value().clone(), params))
    }
}

impl<T: Float> CustomOp<T> for Segment<T> {
    fn name(&self) -> &'static str {
        "recompute"
    }

    /// The segment's output, computed without keeping its intermediates.
    fn forward(&self, inputs: &[&Tensor<T>]) -> Result<Tensor<T>> {
        Ok(self.run_without_recording(&inputs[..self.arity])?.0)
    }

    /// The segment again on a scratch tape, recording, and a backward pass through it.
    fn backward<'t>(
        &self,
        inputs: &[Var<'t, T>],
        output: &Var<'t, T>,
        grad: &Var<'t, T>,
    ) -> Result<Vec<Option<Var<'t, T>>>> {
        let tape = grad.tape();
        if tape.is_recording() {
            return Err(self.error(
                "higher-order derivatives (create_graph, forward mode) through a recomputed segment are not \
                 supported: call the segment directly where they are needed",
            ));
        }
        let scratch = Tape::new();
        let xs: Vec<Var<'_, T>> = inputs[..self.arity]
            .iter()
            .map(|x| match x.is_tracked() {
                true => scratch.var(x.value().clone()),
                false => scratch.constant(x.value().clone()),
            })
            .collect();
        let y = (self.segment()?)(&xs)?;
        let same_bits = y.shape() == output.shape()
            && y.value()
                .data()
                .iter()
                .zip(output.value().data())
                .all(|(a, b)| a.to_f64().to_bits() == b.to_f64().to_bits());
        if !same_bits {
            return Err(self.error(
                "the segment computed another output when run again: a random draw inside it must be replayed \
                 (nn::Recompute does this for modules)",
            ));
        }
        // The parameters' leaves (the last inputs) get nothing: the segment's backward pass
        // fills the parameters' buffers itself.
        let mut grads = vec![None; inputs.len()];
        if !y.is_tracked() {
            return Ok(grads);
        }
        let seed = grad.value().clone();
        if tape.fills_buffers() {
            // As the outer pass does: into the parameters' buffers too.
            y.backward_with(Some(seed), GradOptions::default())?;
            for (slot, x) in grads.iter_mut().zip(&xs) {
                *slot = x.grad().map(|g| tape.constant(g));
            }
        } else {
            let tracked: Vec<&Var<'_, T>> = xs.iter().filter(|x| x.is_tracked()).collect();
            // An input the segment does not use gets zeros, as in the outer pass.
            let mut pulled =
                grad_with(&[&y], Some(&[seed]), &tracked, GradOptions::default().allow_unused())?.into_iter();
            for (slot, x) in grads.iter_mut().zip(&xs) {
                if x.is_tracked() {
                    *slot = pulled.next().map(|g| tape.constant(g.value().clone()));
                }
            }
        }
        Ok(grads)
    }
}
