//! Forward mode: [`Jvp`], the rule that pushes a tangent through a primitive, and [`JvpCtx`],
//! what such a rule sees.
//!
//! A backward rule applies the transpose of the op's Jacobian to the output's gradient; a JVP
//! rule applies the Jacobian itself to the inputs' tangents, `ẏ = Σᵢ (∂y/∂xᵢ)·ẋᵢ`. Both read the
//! same saved tensors (the Jacobian is the same), so an op saves nothing extra for forward
//! mode. Like backward rules, JVP rules are written with `Var` ops: recorded when the tangents
//! must be differentiable again (`create_graph`), values only otherwise.

use crate::tape::{NodeId, NO_NODE};
use crate::{Float, Result, Shape, Tape, Tensor, Var};

/// A primitive's forward-mode rule, implemented next to its backward rule in `ops/<name>.rs`
/// (an elementwise op of one input gets it from its `Derivative`).
pub(crate) trait Jvp<T: Float> {
    /// The output's tangent `Σᵢ (∂y/∂xᵢ)·ẋᵢ`, from the tangents of the inputs that have one
    /// (`ctx.tangent(i)` is `None` for an input whose tangent is zero). `None` if the output's
    /// tangent is zero.
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>>;
}

/// What a JVP rule sees: the tensors the op saved (as its backward rule sees them), the shapes
/// of its inputs and output, and the inputs' tangents.
pub(crate) struct JvpCtx<'a, 't, T: Float> {
    tape: &'t Tape<T>,
    node: NodeId,
    saved: &'a [Var<'t, T>],
    /// Tape positions of the inputs (`NO_NODE` for constants).
    inputs: &'a [NodeId],
    /// One per input.
    tangents: &'a [Option<Var<'t, T>>],
}

impl<'a, 't, T: Float> JvpCtx<'a, 't, T> {
    pub(crate) fn new(
        tape: &'t Tape<T>,
        node: NodeId,
        saved: &'a [Var<'t, T>],
        inputs: &'a [NodeId],
        tangents: &'a [Option<Var<'t, T>>],
    ) -> Self {
        debug_assert_eq!(inputs.len(), tangents.len());
        JvpCtx { tape, node, saved, inputs, tangents }
    }

    /// The `i`-th tensor the op saved, in the order it saved them.
    #[inline]
    pub fn saved(&self, i: usize) -> &Var<'t, T> {
        &self.saved[i]
    }

    /// How many inputs the op has.
    #[inline]
    pub fn arity(&self) -> usize {
        self.inputs.len()
    }

    /// Input `i`'s tangent, or `None` where it is zero.
    #[inline]
    pub fn tangent(&self, i: usize) -> Option<&Var<'t, T>> {
        self.tangents[i].as_ref()
    }

    /// The shape of input `i`, tracked or constant.
    pub fn input_shape(&self, i: usize) -> Shape {
        match self.inputs[i] {
            NO_NODE => self.tape.constant_input_shape(self.node, i),
            node => self.tape.node_shape(node),
        }
    }

    /// The shape of the op's output.
    pub fn output_shape(&self) -> Shape {
        self.tape.node_shape(self.node)
    }

    /// The tangent of an op linear in its one input: the op itself, `f`, applied to the tangent.
    #[inline]
    pub fn linear(&self, f: impl FnOnce(&Var<'t, T>) -> Result<Var<'t, T>>) -> Result<Option<Var<'t, T>>> {
        self.tangent(0).map(f).transpose()
    }

    /// The sum of one term per input, `term(i, ẋᵢ)`, over the inputs that have a tangent.
    pub fn sum_over_inputs(
        &self,
        mut term: impl FnMut(usize, &Var<'t, T>) -> Result<Var<'t, T>>,
    ) -> Result<Option<Var<'t, T>>> {
        let mut total: Option<Var<'t, T>> = None;
        for i in 0..self.arity() {
            let Some(t) = self.tangent(i) else { continue };
            let next = term(i, t)?;
            total = Some(match total {
                None => next,
                Some(sum) => sum.add(&next)?,
            });
        }
        Ok(total)
    }

    /// A zero tangent of input `i`'s shape, for ops that need every input's tangent at once.
    pub fn tangent_or_zeros(&self, i: usize) -> Var<'t, T> {
        match self.tangent(i) {
            Some(t) => t.clone(),
            None => self.tape.constant(Tensor::zeros(self.input_shape(i))),
        }
    }
}
