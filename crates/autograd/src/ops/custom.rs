//! User-defined ops ([`CustomOp`], in the spirit of `torch.autograd.Function`): the user
//! supplies the forward on tensors and the backward (the vector-Jacobian product) on [`Var`]s.
//!
//! A backward written with `Var` ops is differentiable like any built-in rule, so the op works
//! at every order (`grad` with `create_graph`, `gradgradcheck`). A backward that computes on raw
//! tensors and wraps the result with [`Var::constant`] is first-order only.

use crate::error::Site;
use crate::op::{CustomOp, Op};
use crate::rule::{Branches, Ctx, Rule};
use crate::tape::Keep;
use crate::{Error, Float, Result, Shape, Tensor, Var};
use std::sync::Arc;

impl<'t, T: Float> Var<'t, T> {
    /// Applies a user-defined op to `inputs` (all on the same tape).
    #[track_caller]
    pub fn apply_custom(op: &Arc<dyn CustomOp<T>>, inputs: &[&Var<'t, T>]) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let Some(first) = inputs.first() else {
            return Err(Error::Custom { op: op.name(), msg: "a custom op needs at least one input".into() });
        };
        for v in inputs {
            first.same_tape(v, op.name(), site)?;
        }
        let tensors: Vec<&Tensor<T>> = inputs.iter().map(|v| &v.value).collect();
        let value = op.forward(&tensors)?;
        Ok(first.tape.record(Op::Custom(op.clone()), inputs, value, site, Keep::InputsAndOutput))
    }
}

impl<T: Float> Rule<T> for Arc<dyn CustomOp<T>> {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let op = self.as_ref();
        let (output, inputs) = ctx.saved_all().split_last().expect("custom ops save inputs and output");
        let grads = op.backward(inputs, output, g)?;
        if grads.len() != inputs.len() {
            let msg = format!("backward returned {} gradients for {} inputs", grads.len(), inputs.len());
            return Err(Error::Custom { op: op.name(), msg });
        }
        let shapes: Vec<Shape> = inputs.iter().map(|x| x.shape().clone()).collect();
        for (i, (gx, shape)) in grads.into_iter().zip(shapes).enumerate() {
            let Some(gx) = gx else { continue };
            if gx.shape() != &shape {
                let msg = format!("backward returned a gradient of shape {} for an input of shape {shape}", gx.shape());
                return Err(Error::Custom { op: op.name(), msg });
            }
            ctx.grad(i, || Ok(gx))?;
        }
        Ok(())
    }

    /// The kinks the op declares ([`CustomOp::branches`]), from its saved inputs.
    fn branches(&self, saved: &[&Tensor<T>], labels: &mut Branches) {
        let (_output, inputs) = saved.split_last().expect("custom ops save inputs and output");
        for label in CustomOp::branches(self.as_ref(), inputs) {
            labels.note(label);
        }
    }
}
