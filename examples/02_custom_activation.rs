//! A custom activation, Swish (`swish(x) = x·σ(x)`), written two ways and gradient-checked at
//! first and second order:
//!
//! 1. by composition of existing ops: no gradient code at all, the tape derives it;
//! 2. as a `CustomOp`: forward on tensors, backward written by hand with `Var` ops
//!    (`σ(x) + x·σ(x)(1 − σ(x))`), so the backward is itself differentiable.
//!
//! Then one `OpCheck` call each registers the op and checks it over several shapes, and a
//! deliberately broken variant shows what a failing check prints.
//!
//! Swish is built in as `nn::silu` (PyTorch's name); it is rebuilt here because it is the smallest
//! activation whose derivative is worth deriving.
//!
//! Run with `cargo run --example 02_custom_activation`.

use chainrule::autograd::{
    checkable, gradcheck, gradgradcheck, CustomOp, GradcheckOptions, OpCheck, Result, Tensor, Var,
};
use std::sync::Arc;

/// Swish by composition: the tape records `sigmoid` and `mul` and differentiates them.
fn swish<'t>(x: &Var<'t, f64>) -> Result<Var<'t, f64>> {
    x.mul(&x.sigmoid())
}

/// Swish as a custom op with a hand-written backward.
struct Swish {
    /// Break the backward on purpose (drop the `x·σ'(x)` term) to see a failing check.
    broken: bool,
}

impl CustomOp<f64> for Swish {
    fn name(&self) -> &'static str {
        if self.broken {
            "broken_swish"
        } else {
            "swish"
        }
    }

    fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>> {
        Ok(inputs[0].map(|x| x / (1.0 + (-x).exp())))
    }

    /// ∂L/∂x = g · (σ(x) + x·σ(x)(1 − σ(x))), with `Var` ops so `create_graph` can
    /// differentiate it again.
    fn backward<'t>(
        &self,
        inputs: &[Var<'t, f64>],
        _output: &Var<'t, f64>,
        grad: &Var<'t, f64>,
    ) -> Result<Vec<Option<Var<'t, f64>>>> {
        let x = &inputs[0];
        let s = x.sigmoid();
        let derivative = if self.broken {
            s
        } else {
            let ds = s.mul(&s.neg().add_scalar(1.0))?; // σ'(x) = σ(1 − σ)
            s.add(&x.mul(&ds)?)?
        };
        Ok(vec![Some(grad.mul(&derivative)?)])
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let x = [Tensor::from_vec(vec![-3.0, -1.0, -0.25, 0.0, 0.5, 2.0], [2, 3])?];
    let options = GradcheckOptions::default();

    // 1. By composition.
    let composed = checkable(|v| swish(&v[0]));
    print!("{}", gradcheck(composed, &x, &options)?);
    print!("{}", gradgradcheck(composed, &x, &options)?);

    // 2. As a custom op.
    let op: Arc<dyn CustomOp<f64>> = Arc::new(Swish { broken: false });
    let custom = checkable(|v| Var::apply_custom(&op, &[&v[0]]));
    print!("{}", gradcheck(custom, &x, &options)?);
    print!("{}", gradgradcheck(custom, &x, &options)?);

    // Both agree on the values too.
    let tape = chainrule::autograd::Tape::<f64>::new();
    let xv = tape.var(x[0].clone());
    let difference = swish(&xv)?.value().max_abs_diff(Var::apply_custom(&op, &[&xv])?.value());
    println!("max |composed − custom| = {difference:e}");

    // One call checks an op over scalars, vectors, matrices (and broadcasting for binary ops),
    // at both orders, with inputs sampled from its domain.
    print!("{}", OpCheck::new("swish", 1, |v| Var::apply_custom(&op, &[&v[0]])).run()?);

    // A broken backward fails with a table that points at every wrong entry.
    let broken: Arc<dyn CustomOp<f64>> = Arc::new(Swish { broken: true });
    match gradcheck(|v| Var::apply_custom(&broken, &[&v[0]]), &x, &options) {
        Ok(_) => println!("\nthe broken op passed?!"),
        Err(e) => println!("\nAs expected, the broken op fails:\n{e}"),
    }
    Ok(())
}
