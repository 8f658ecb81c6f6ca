//! The primitive ops. One file per op: its public method(s) on [`Var`] with the forward kernel,
//! and its backward rule (the vector-Jacobian product), with the formula and its conventions at
//! kinks in the file's doc comment. See `README.md` here for how to add one.
//!
//! This module holds the closed [`Op`] enum and the dispatch from a recorded op to its backward
//! rule: one line per op, so the list reads as a table and the compiler points at every place a
//! new variant must be handled.

use crate::error::Site;
use crate::rule::Ctx;
pub(crate) use crate::tape::Keep;
use crate::{Error, Float, Result, Shape, Var};
use smallvec::SmallVec;
use std::sync::Arc;

mod abs;
mod add;
mod broadcast;
mod clamp;
mod compare;
mod concat;
mod cos;
mod custom;
mod div;
mod elu;
mod exp;
mod extremum;
mod gather;
mod leaky_relu;
mod linear;
mod log;
mod logsumexp;
mod matmul;
mod maximum;
mod mul;
mod narrow;
mod neg;
mod permute;
mod pow;
mod relu;
mod reshape;
mod sigmoid;
mod sign;
mod sin;
mod softmax;
mod softplus;
mod sqrt;
mod sub;
mod sum;
mod tanh;
#[cfg(test)]
mod testing;

pub use custom::CustomOp;

/// A recorded op with the non-tensor data its backward rule needs. Kept at three words (a
/// test checks): larger data (index lists, permutations) lives behind an `Arc`.
#[derive(Clone)]
pub(crate) enum Op<T: Float> {
    /// An input of the graph: index into the tape's leaf slots.
    Leaf(u32),
    // Arithmetic (add.rs, sub.rs, mul.rs, div.rs, neg.rs, pow.rs).
    Add,
    AddScalar,
    Sub,
    Mul,
    MulScalar(T),
    Div,
    Neg,
    PowScalar(T),
    Pow,
    // Elementwise functions of one input (one file each).
    Exp,
    Log,
    Sqrt,
    Abs,
    Sign,
    Sin,
    Cos,
    Tanh,
    Sigmoid,
    Relu,
    LeakyRelu(T),
    Elu(T),
    Softplus,
    Clamp {
        lo: T,
        hi: T,
    },
    // Elementwise functions of two inputs, and selection by a mask (maximum.rs, compare.rs).
    Maximum,
    Minimum,
    /// Selection by a constant mask (input 0) between inputs 1 and 2.
    Where,
    // Matrix products (matmul.rs, linear.rs).
    MatMul {
        transpose_a: bool,
        transpose_b: bool,
    },
    /// `x·wᵀ (+ b)`, fused; `bias` says whether there is a third input.
    Linear {
        bias: bool,
    },
    // Reductions and normalizations (broadcast.rs, extremum.rs, logsumexp.rs, softmax.rs).
    /// Sum down to the (broadcastable) output shape.
    SumTo,
    /// Max over the axes where the output has size 1 (kept).
    MaxAxes,
    /// Min over the axes where the output has size 1 (kept).
    MinAxes,
    /// Log-sum-exp over the axis where the output has size 1 (kept).
    LogSumExp,
    /// Softmax along the axis.
    Softmax(usize),
    /// Log-softmax along the axis.
    LogSoftmax(usize),
    // Indexing (gather.rs). Axes are `u32` to keep `Op` small.
    /// One element per lane along `axis`, at the listed positions.
    Gather {
        axis: u32,
        index: Arc<[usize]>,
    },
    /// The adjoint of `Gather`: adds each element into zeros at the listed positions.
    ScatterAdd {
        axis: u32,
        index: Arc<[usize]>,
    },
    /// Whole slices along `axis`, in the listed order.
    IndexSelect {
        axis: u32,
        index: Arc<[usize]>,
    },
    /// The adjoint of `IndexSelect`: adds each slice into zeros at the listed positions.
    IndexAdd {
        axis: u32,
        index: Arc<[usize]>,
    },
    // Shapes (reshape.rs, broadcast.rs, permute.rs, concat.rs, narrow.rs).
    Reshape,
    /// Repeat along size-1 (or missing leading) axes up to the output shape.
    BroadcastTo,
    /// Axis `k` of the output is axis `perm[k]` of the input.
    Permute(Arc<[usize]>),
    /// The inputs joined along `axis`.
    Concat {
        axis: usize,
    },
    /// A slice from `start` along `axis`.
    Narrow {
        axis: usize,
        start: usize,
    },
    /// Zeros around the input along `axis`, `before` of them first.
    Pad {
        axis: usize,
        before: usize,
    },
    /// A user-defined op (custom.rs).
    Custom(Arc<dyn CustomOp<T>>),
}

/// The name (as tape listings and errors show it) of every built-in primitive: every `Op` variant except leaves and
/// custom ops. The gradient-check table has a row for each.
pub const PRIMITIVES: &[&str] = &[
    "add",
    "add_scalar",
    "sub",
    "mul",
    "mul_scalar",
    "div",
    "neg",
    "powf",
    "pow", //
    "exp",
    "log",
    "sqrt",
    "abs",
    "sign",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "relu",
    "leaky_relu",
    "elu",
    "softplus",
    "clamp", //
    "maximum",
    "minimum",
    "where", //
    "matmul",
    "linear", //
    "sum_to",
    "max",
    "min",
    "logsumexp",
    "softmax",
    "log_softmax", //
    "gather",
    "scatter_add",
    "index_select",
    "index_add", //
    "reshape",
    "broadcast_to",
    "permute",
    "concat",
    "narrow",
    "pad",
];

/// A list of axes, sorted and without repeats.
pub(crate) type Axes = SmallVec<[usize; 4]>;

impl<T: Float> Op<T> {
    /// The op's name, as errors, tape listings and graph exports show it.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Op::Leaf(_) => "leaf",
            Op::Add => "add",
            Op::AddScalar => "add_scalar",
            Op::Sub => "sub",
            Op::Mul => "mul",
            Op::MulScalar(_) => "mul_scalar",
            Op::Div => "div",
            Op::Neg => "neg",
            Op::PowScalar(_) => "powf",
            Op::Pow => "pow",
            Op::Exp => "exp",
            Op::Log => "log",
            Op::Sqrt => "sqrt",
            Op::Abs => "abs",
            Op::Sign => "sign",
            Op::Sin => "sin",
            Op::Cos => "cos",
            Op::Tanh => "tanh",
            Op::Sigmoid => "sigmoid",
            Op::Relu => "relu",
            Op::LeakyRelu(_) => "leaky_relu",
            Op::Elu(_) => "elu",
            Op::Softplus => "softplus",
            Op::Clamp { .. } => "clamp",
            Op::Maximum => "maximum",
            Op::Minimum => "minimum",
            Op::Where => "where",
            Op::MatMul { .. } => "matmul",
            Op::Linear { .. } => "linear",
            Op::SumTo => "sum_to",
            Op::MaxAxes => "max",
            Op::MinAxes => "min",
            Op::LogSumExp => "logsumexp",
            Op::Softmax(_) => "softmax",
            Op::LogSoftmax(_) => "log_softmax",
            Op::Gather { .. } => "gather",
            Op::ScatterAdd { .. } => "scatter_add",
            Op::IndexSelect { .. } => "index_select",
            Op::IndexAdd { .. } => "index_add",
            Op::Reshape => "reshape",
            Op::BroadcastTo => "broadcast_to",
            Op::Permute(_) => "permute",
            Op::Concat { .. } => "concat",
            Op::Narrow { .. } => "narrow",
            Op::Pad { .. } => "pad",
            Op::Custom(op) => op.name(),
        }
    }

    /// The vector-Jacobian product: given `g = ∂L/∂output`, hands each tracked input its
    /// `∂L/∂input` through `ctx`.
    pub(crate) fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        match self {
            Op::Leaf(_) => unreachable!("the backward walk stops at leaves"),
            Op::Add => add::backward(ctx, g),
            Op::AddScalar => add::backward_scalar(ctx, g),
            Op::Sub => sub::backward(ctx, g),
            Op::Mul => mul::backward(ctx, g),
            Op::MulScalar(c) => mul::backward_scalar(*c, ctx, g),
            Op::Div => div::backward(ctx, g),
            Op::Neg => neg::backward(ctx, g),
            Op::PowScalar(p) => pow::backward_scalar(*p, ctx, g),
            Op::Pow => pow::backward(ctx, g),
            Op::Exp => exp::backward(ctx, g),
            Op::Log => log::backward(ctx, g),
            Op::Sqrt => sqrt::backward(ctx, g),
            Op::Abs => abs::backward(ctx, g),
            Op::Sign => sign::backward(ctx, g),
            Op::Sin => sin::backward(ctx, g),
            Op::Cos => cos::backward(ctx, g),
            Op::Tanh => tanh::backward(ctx, g),
            Op::Sigmoid => sigmoid::backward(ctx, g),
            Op::Relu => relu::backward(ctx, g),
            Op::LeakyRelu(slope) => leaky_relu::backward(*slope, ctx, g),
            Op::Elu(alpha) => elu::backward(*alpha, ctx, g),
            Op::Softplus => softplus::backward(ctx, g),
            Op::Clamp { lo, hi } => clamp::backward(*lo, *hi, ctx, g),
            Op::Maximum => maximum::backward_maximum(ctx, g),
            Op::Minimum => maximum::backward_minimum(ctx, g),
            Op::Where => compare::backward_where(ctx, g),
            Op::MatMul { transpose_a, transpose_b } => matmul::backward(*transpose_a, *transpose_b, ctx, g),
            Op::Linear { bias } => linear::backward(*bias, ctx, g),
            Op::SumTo => broadcast::backward_sum_to(ctx, g),
            Op::MaxAxes | Op::MinAxes => extremum::backward(ctx, g),
            Op::LogSumExp => logsumexp::backward(ctx, g),
            Op::Softmax(axis) => softmax::backward_softmax(*axis, ctx, g),
            Op::LogSoftmax(axis) => softmax::backward_log_softmax(*axis, ctx, g),
            Op::Gather { axis, index } => gather::backward_gather(*axis, index, ctx, g),
            Op::ScatterAdd { axis, index } => gather::backward_scatter_add(*axis, index, ctx, g),
            Op::IndexSelect { axis, index } => gather::backward_index_select(*axis, index, ctx, g),
            Op::IndexAdd { axis, index } => gather::backward_index_add(*axis, index, ctx, g),
            Op::Reshape => reshape::backward(ctx, g),
            Op::BroadcastTo => broadcast::backward_broadcast(ctx, g),
            Op::Permute(perm) => permute::backward(perm, ctx, g),
            Op::Concat { axis } => concat::backward(*axis, ctx, g),
            Op::Narrow { axis, start } => narrow::backward_narrow(*axis, *start, ctx, g),
            Op::Pad { axis, before } => narrow::backward_pad(*axis, *before, ctx, g),
            Op::Custom(op) => custom::backward(op.as_ref(), ctx, g),
        }
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Records an elementwise op of one input: `y[i] = f(x[i])`.
    #[inline]
    pub(crate) fn unary(&self, op: Op<T>, keep: Keep, site: Site, f: impl Fn(T) -> T) -> Var<'t, T> {
        let value = self.value.map(f);
        self.tape.record_elementwise(op, &[self], value, site, keep)
    }

    /// Records an elementwise op of two inputs, broadcasting them to a common shape first
    /// (NumPy rules) with explicit `broadcast_to` nodes, so that no elementwise backward rule
    /// ever reasons about shapes.
    #[inline]
    pub(crate) fn binary(
        &self,
        rhs: &Var<'t, T>,
        op: Op<T>,
        keep: Keep,
        site: Site,
        f: impl Fn(T, T) -> T,
    ) -> Result<Var<'t, T>> {
        self.same_tape(rhs, op.name(), site)?;
        if self.shape() == rhs.shape() {
            let value = self.value.zip_map(&rhs.value, f);
            return Ok(self.tape.record_elementwise(op, &[self, rhs], value, site, keep));
        }
        let shape = self.shape().broadcast(rhs.shape()).ok_or_else(|| Error::ShapeMismatch {
            op: op.name(),
            lhs: self.shape().clone(),
            rhs: rhs.shape().clone(),
            site,
        })?;
        let a = self.broadcast_at(&shape, site)?;
        let b = rhs.broadcast_at(&shape, site)?;
        a.binary(&b, op, keep, site, f)
    }
}

/// Checks an axis against a rank.
pub(crate) fn check_axis(op: &'static str, axis: usize, shape: &Shape, site: Site) -> Result<()> {
    if axis < shape.rank() {
        Ok(())
    } else {
        Err(Error::InvalidArgument { op, msg: format!("axis {axis} out of range for shape {shape}"), site })
    }
}

/// Sorts and checks a list of axes (an empty list reduces nothing, as in NumPy).
pub(crate) fn normalize_axes(op: &'static str, axes: &[usize], shape: &Shape, site: Site) -> Result<Axes> {
    let mut sorted: Axes = axes.iter().copied().collect();
    sorted.sort_unstable();
    for w in sorted.windows(2) {
        if w[0] == w[1] {
            return Err(Error::InvalidArgument { op, msg: format!("axis {} listed twice", w[0]), site });
        }
    }
    for &a in &sorted {
        check_axis(op, a, shape, site)?;
    }
    Ok(sorted)
}

#[cfg(test)]
mod tests {
    use super::{Op, PRIMITIVES};
    use std::sync::Arc;

    #[test]
    fn op_stays_small() {
        // Every recorded node holds an `Op`: keep it at three words.
        assert!(std::mem::size_of::<Op<f64>>() <= 24, "{}", std::mem::size_of::<Op<f64>>());
    }

    /// One value of every variant except `Leaf` and `Custom`. The exhaustive `match` below stops
    /// compiling when a variant is added, as a reminder to list it here and in `PRIMITIVES`.
    fn one_of_each() -> Vec<Op<f64>> {
        let index: Arc<[usize]> = Arc::from(vec![0]);
        let ops = vec![
            Op::Add,
            Op::AddScalar,
            Op::Sub,
            Op::Mul,
            Op::MulScalar(2.0),
            Op::Div,
            Op::Neg,
            Op::PowScalar(2.0),
            Op::Pow,
            Op::Exp,
            Op::Log,
            Op::Sqrt,
            Op::Abs,
            Op::Sign,
            Op::Sin,
            Op::Cos,
            Op::Tanh,
            Op::Sigmoid,
            Op::Relu,
            Op::LeakyRelu(0.1),
            Op::Elu(1.0),
            Op::Softplus,
            Op::Clamp { lo: 0.0, hi: 1.0 },
            Op::Maximum,
            Op::Minimum,
            Op::Where,
            Op::MatMul { transpose_a: false, transpose_b: false },
            Op::Linear { bias: true },
            Op::SumTo,
            Op::MaxAxes,
            Op::MinAxes,
            Op::LogSumExp,
            Op::Softmax(0),
            Op::LogSoftmax(0),
            Op::Gather { axis: 0, index: index.clone() },
            Op::ScatterAdd { axis: 0, index: index.clone() },
            Op::IndexSelect { axis: 0, index: index.clone() },
            Op::IndexAdd { axis: 0, index: index.clone() },
            Op::Reshape,
            Op::BroadcastTo,
            Op::Permute(index),
            Op::Concat { axis: 0 },
            Op::Narrow { axis: 0, start: 0 },
            Op::Pad { axis: 0, before: 0 },
        ];
        for op in &ops {
            match op {
                Op::Leaf(_) | Op::Custom(_) => unreachable!(),
                Op::Add
                | Op::AddScalar
                | Op::Sub
                | Op::Mul
                | Op::MulScalar(_)
                | Op::Div
                | Op::Neg
                | Op::PowScalar(_)
                | Op::Pow
                | Op::Exp
                | Op::Log
                | Op::Sqrt
                | Op::Abs
                | Op::Sign
                | Op::Sin
                | Op::Cos
                | Op::Tanh
                | Op::Sigmoid
                | Op::Relu
                | Op::LeakyRelu(_)
                | Op::Elu(_)
                | Op::Softplus
                | Op::Clamp { .. }
                | Op::Maximum
                | Op::Minimum
                | Op::Where
                | Op::MatMul { .. }
                | Op::Linear { .. }
                | Op::SumTo
                | Op::MaxAxes
                | Op::MinAxes
                | Op::LogSumExp
                | Op::Softmax(_)
                | Op::LogSoftmax(_)
                | Op::Gather { .. }
                | Op::ScatterAdd { .. }
                | Op::IndexSelect { .. }
                | Op::IndexAdd { .. }
                | Op::Reshape
                | Op::BroadcastTo
                | Op::Permute(_)
                | Op::Concat { .. }
                | Op::Narrow { .. }
                | Op::Pad { .. } => {}
            }
        }
        ops
    }

    #[test]
    fn primitives_lists_every_op_once() {
        let names: Vec<&str> = one_of_each().iter().map(Op::name).collect();
        assert_eq!(names, PRIMITIVES, "PRIMITIVES must list every variant's name, in enum order");
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "names are unique");
    }
}
