//! Functional transforms, as `torch.func` and JAX: derivatives of a function given as a
//! closure, rather than of values already on a tape.
//!
//! | transform | computes | how |
//! | --- | --- | --- |
//! | [`vjp`] | `f(x)` and `uᵀ·J` | one reverse walk |
//! | [`jvp`] | `f(x)` and `J·v` | one forward walk (forward mode) |
//! | [`jacrev`] | the Jacobian, a row at a time | one reverse walk per output element |
//! | [`jacfwd`] | the Jacobian, a column at a time | one forward walk per input element |
//! | [`jacobian`] | the Jacobian | `jacrev` if there are no more outputs than inputs, else `jacfwd` |
//! | [`hessian`] | the Hessian of a scalar function | `jacfwd` of the gradient (forward over reverse) |
//! | [`hvp`] | `f(x)` and `H·v` | `jvp` of the gradient (forward over reverse) |
//!
//! Each takes the function `f: &[Var] → outputs` and the point as values on a tape (constants,
//! or tracked values of a larger computation; given as `&[&x, &y]` or `&[x, y]`, as is handy), records `f` once on that tape, and walks the
//! recording as many times as it needs. The point enters `f` through fresh nodes of its own,
//! so only the paths through `f`'s arguments count, whatever else `f` reads. With
//! [`GradOptions::create_graph`] the results are tracked values on the same tape, so the
//! transforms nest: a Hessian of a function that takes a gradient, the Jacobian of a Jacobian,
//! the gradient of a loss built on `hvp`. Without it, the results are constants (and cheaper:
//! nothing of the derivative computation is recorded).
//!
//! ```
//! use autograd::functional::{hessian, jacobian, jvp};
//! use autograd::{GradOptions, Tape, Tensor, Var};
//!
//! // f(x) = Σ xᵢ³: gradient 3xᵢ², Hessian diag(6xᵢ). (A function used twice is a `fn`: a closure
//! // bound with `let` gets a signature tied to one call's lifetimes.)
//! fn f<'t>(x: &[Var<'t, f64>]) -> autograd::Result<Var<'t, f64>> {
//!     Ok(x[0].powf(3.0).sum())
//! }
//! let tape = Tape::<f64>::new();
//! let x = tape.constant(Tensor::vector(&[0.5, -1.0, 2.0]));
//! let h = hessian(f, &[&x], GradOptions::default()).unwrap();
//! assert_eq!(h[0][0].value().to_vec(), vec![3.0, 0.0, 0.0, 0.0, -6.0, 0.0, 0.0, 0.0, 12.0]);
//! // The directional derivative along v = (1, 1, 1): Σ 3xᵢ² = 15.75.
//! let v = tape.constant(Tensor::vector(&[1.0, 1.0, 1.0]));
//! let (y, dy) = jvp(f, &[&x], &[&v], GradOptions::default()).unwrap();
//! assert_eq!((y[0].item(), dy[0].item()), (7.125, 15.75));
//! // The Jacobian of x ↦ x·xᵀ (an output of shape [3, 3]): shape [3, 3, 3].
//! let j = jacobian(|x| x[0].unsqueeze(1)?.matmul(&x[0].unsqueeze(0)?), &[&x], GradOptions::default()).unwrap();
//! assert_eq!(j[0][0].dims(), &[3, 3, 3]);
//! ```
//!
//! Forward mode is real tangent propagation: every primitive has a JVP rule next to its backward
//! rule (`ops/<name>.rs`), and [`jvp`] costs about as much as [`vjp`] (the measurements and why
//! this design was chosen over deriving `J·v` from two reverse passes are in
//! `docs/functional.md`).

use crate::backward::pull_back;
use crate::error::Site;
use crate::forward::push_forward;
use crate::op::Reshape;
use crate::tape::{Keep, NodeId, NO_NODE};
use crate::{Error, Float, GradOptions, Result, Shape, Tape, Tensor, Var};
use std::borrow::Borrow;
use std::cell::RefCell;

/// What a function given to a transform may return: one value, or several (a `Vec` or an
/// array). Transforms return one result per output, in order.
pub trait Outputs<'t, T: Float> {
    /// The outputs, in order.
    fn into_outputs(self) -> Vec<Var<'t, T>>;
}

impl<'t, T: Float> Outputs<'t, T> for Var<'t, T> {
    fn into_outputs(self) -> Vec<Var<'t, T>> {
        vec![self]
    }
}

impl<'t, T: Float> Outputs<'t, T> for Vec<Var<'t, T>> {
    fn into_outputs(self) -> Vec<Var<'t, T>> {
        self
    }
}

impl<'t, T: Float, const N: usize> Outputs<'t, T> for [Var<'t, T>; N] {
    fn into_outputs(self) -> Vec<Var<'t, T>> {
        self.into()
    }
}

/// A Jacobian in blocks, `blocks[o][i]` = ∂output_o/∂input_i, of shape `output_o.dims() ++
/// input_i.dims()` (as `torch.autograd.functional.jacobian`). For a Hessian, `blocks[i][j]` =
/// ∂²f/∂input_i∂input_j, of shape `input_i.dims() ++ input_j.dims()`.
pub type Blocks<'t, T> = Vec<Vec<Var<'t, T>>>;

/// What [`vjp`] and [`jvp`] return: the function's outputs, and one derivative per input
/// (`vjp`) or per output (`jvp`).
pub type ValuesAndDerivatives<'t, T> = (Vec<Var<'t, T>>, Vec<Var<'t, T>>);

/// `f(primals)` and the vector-Jacobian products `Σ_o cotangent_oᵀ·∂output_o/∂primal_i`, one per
/// primal (reverse mode): `torch.func.vjp`, `jax.vjp`. `cotangents` has one value per output,
/// of its shape; tracked cotangents make the results differentiable in them too (with
/// `create_graph`).
///
/// ```
/// use autograd::functional::vjp;
/// use autograd::{GradOptions, Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::vector(&[1.0, 2.0]));
/// let u = tape.constant(Tensor::vector(&[1.0, -1.0]));
/// // f(x) = x², Jᵀu = 2x·u.
/// let (y, g) = vjp(|x| Ok(x[0].powf(2.0)), &[&x], &[&u], GradOptions::default()).unwrap();
/// assert_eq!((y[0].value().to_vec(), g[0].value().to_vec()), (vec![1.0, 4.0], vec![2.0, -4.0]));
/// ```
#[track_caller]
pub fn vjp<'t, T: Float, O: Outputs<'t, T>>(
    f: impl FnOnce(&[Var<'t, T>]) -> Result<O>,
    primals: &[impl Borrow<Var<'t, T>>],
    cotangents: &[impl Borrow<Var<'t, T>>],
    options: GradOptions,
) -> Result<ValuesAndDerivatives<'t, T>> {
    let site = Site::caller();
    let tape = tape_of("vjp", primals, site)?;
    let (xs, ys) = record(tape, f, primals, site)?;
    check_pairs("vjp", "cotangent", "output", &ys, cotangents, site)?;
    let roots: Vec<(NodeId, Var<'t, T>)> =
        ys.iter().zip(cotangents).map(|(y, u)| (y.node, u.borrow().clone())).collect();
    let grads = pull_back(tape, &roots, &xs.iter().collect::<Vec<_>>(), options)?;
    Ok((ys, grads))
}

/// `f(primals)` and the Jacobian-vector products `Σ_i ∂output_o/∂primal_i·tangent_i`, one per
/// output (forward mode): `torch.func.jvp`, `jax.jvp`. `tangents` has one value per primal, of
/// its shape; tracked tangents make the results differentiable in them too (with
/// `create_graph`).
///
/// ```
/// use autograd::functional::jvp;
/// use autograd::{GradOptions, Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::vector(&[0.0, 1.0]));
/// let v = tape.constant(Tensor::vector(&[1.0, 2.0]));
/// // f(x) = sin x, J·v = cos x · v.
/// let (_, t) = jvp(|x| Ok(x[0].sin()), &[&x], &[&v], GradOptions::default()).unwrap();
/// assert_eq!(t[0].value().to_vec(), vec![1.0, 2.0 * 1f64.cos()]);
/// ```
#[track_caller]
pub fn jvp<'t, T: Float, O: Outputs<'t, T>>(
    f: impl FnOnce(&[Var<'t, T>]) -> Result<O>,
    primals: &[impl Borrow<Var<'t, T>>],
    tangents: &[impl Borrow<Var<'t, T>>],
    options: GradOptions,
) -> Result<ValuesAndDerivatives<'t, T>> {
    let site = Site::caller();
    let tape = tape_of("jvp", primals, site)?;
    check_pairs("jvp", "tangent", "primal", primals, tangents, site)?;
    let (xs, ys) = record(tape, f, primals, site)?;
    let seeds: Vec<(NodeId, Var<'t, T>)> = xs.iter().zip(tangents).map(|(x, t)| (x.node, t.borrow().clone())).collect();
    let top = ys.iter().map(|y| y.node).filter(|&id| id != NO_NODE).max().unwrap_or(0);
    let walked = push_forward(tape, &seeds, top, options)?;
    let out = ys.iter().map(|y| walked.of(y)).collect();
    Ok((ys, out))
}

/// The Jacobian of `f` at `primals`, in blocks (see [`Blocks`]), computed by rows (reverse
/// mode, [`jacrev`]) when `f` has no more output elements than input elements, by columns
/// (forward mode, [`jacfwd`]) otherwise: the cheaper of the two.
#[track_caller]
pub fn jacobian<'t, T: Float, O: Outputs<'t, T>>(
    f: impl FnOnce(&[Var<'t, T>]) -> Result<O>,
    primals: &[impl Borrow<Var<'t, T>>],
    options: GradOptions,
) -> Result<Blocks<'t, T>> {
    let site = Site::caller();
    let tape = tape_of("jacobian", primals, site)?;
    let (xs, ys) = record(tape, f, primals, site)?;
    let inputs: usize = xs.iter().map(Var::numel).sum();
    let outputs: usize = ys.iter().map(Var::numel).sum();
    if outputs <= inputs {
        by_rows(tape, &xs, &ys, options)
    } else {
        by_columns(tape, &xs, &ys, options)
    }
}

/// The Jacobian of `f` at `primals` by rows: one reverse walk per output element (as
/// `torch.func.jacrev`). See [`jacobian`].
///
/// ```
/// use autograd::functional::{jacfwd, jacrev};
/// use autograd::{GradOptions, Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::vector(&[1.0, 2.0]));
/// let w = tape.constant(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [3, 2]).unwrap());
/// // f(x) = W·x: the Jacobian is W, whichever way it is computed.
/// let by_rows = jacrev(|x| w.matmul(&x[0].unsqueeze(1)?)?.squeeze(1), &[&x], GradOptions::default()).unwrap();
/// let by_columns = jacfwd(|x| w.matmul(&x[0].unsqueeze(1)?)?.squeeze(1), &[&x], GradOptions::default()).unwrap();
/// assert_eq!(by_rows[0][0].value(), w.value());
/// assert_eq!(by_columns[0][0].value(), w.value());
/// ```
#[track_caller]
pub fn jacrev<'t, T: Float, O: Outputs<'t, T>>(
    f: impl FnOnce(&[Var<'t, T>]) -> Result<O>,
    primals: &[impl Borrow<Var<'t, T>>],
    options: GradOptions,
) -> Result<Blocks<'t, T>> {
    let site = Site::caller();
    let tape = tape_of("jacrev", primals, site)?;
    let (xs, ys) = record(tape, f, primals, site)?;
    by_rows(tape, &xs, &ys, options)
}

/// The Jacobian of `f` at `primals` by columns: one forward walk per input element (as
/// `torch.func.jacfwd`). See [`jacobian`] and [`jacrev`].
#[track_caller]
pub fn jacfwd<'t, T: Float, O: Outputs<'t, T>>(
    f: impl FnOnce(&[Var<'t, T>]) -> Result<O>,
    primals: &[impl Borrow<Var<'t, T>>],
    options: GradOptions,
) -> Result<Blocks<'t, T>> {
    let site = Site::caller();
    let tape = tape_of("jacfwd", primals, site)?;
    let (xs, ys) = record(tape, f, primals, site)?;
    by_columns(tape, &xs, &ys, options)
}

/// The Hessian of a scalar function `f` at `primals`, in blocks: `blocks[i][j]` =
/// ∂²f/∂primal_i∂primal_j, of shape `primal_i.dims() ++ primal_j.dims()`
/// (`torch.autograd.functional.hessian`). Computed as the Jacobian of the gradient by columns,
/// forward over reverse (`jax.hessian`): one reverse walk that records the gradient, then one
/// forward walk through it per input element.
///
/// ```
/// use autograd::functional::hessian;
/// use autograd::{GradOptions, Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let (a, b) = (tape.constant(Tensor::scalar(2.0)), tape.constant(Tensor::scalar(3.0)));
/// // f(a, b) = a²·b: ∂²f/∂a² = 2b, ∂²f/∂a∂b = 2a, ∂²f/∂b² = 0.
/// let h = hessian(|x| Ok(x[0].powf(2.0).mul(&x[1])?), &[&a, &b], GradOptions::default()).unwrap();
/// let h: Vec<Vec<f64>> = h.iter().map(|row| row.iter().map(|v| v.item()).collect()).collect();
/// assert_eq!(h, vec![vec![6.0, 4.0], vec![4.0, 0.0]]);
/// ```
#[track_caller]
pub fn hessian<'t, T: Float, O: Outputs<'t, T>>(
    f: impl FnOnce(&[Var<'t, T>]) -> Result<O>,
    primals: &[impl Borrow<Var<'t, T>>],
    options: GradOptions,
) -> Result<Blocks<'t, T>> {
    let site = Site::caller();
    let tape = tape_of("hessian", primals, site)?;
    let (xs, grads) = record(tape, |xs| gradient("hessian", f, xs, site), primals, site)?;
    by_columns(tape, &xs, &grads, options)
}

/// `f(primals)` and the Hessian-vector products `Σ_j ∂²f/∂primal_i∂primal_j·v_j`, one per
/// primal, for a scalar function `f`, without forming the Hessian (`torch.func` composes it as
/// `jvp(grad(f))`): forward over reverse, one reverse walk recording the gradient and one
/// forward walk through it, a few times the cost of the gradient. `v` has one value per primal,
/// of its shape.
///
/// ```
/// use autograd::functional::hvp;
/// use autograd::{GradOptions, Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let (a, b) = (tape.constant(Tensor::scalar(2.0)), tape.constant(Tensor::scalar(3.0)));
/// let (v0, v1) = (tape.scalar(1.0), tape.scalar(0.0));
/// // f(a, b) = a²·b: H = [[2b, 2a], [2a, 0]], H·(1, 0) = (2b, 2a) = (6, 4).
/// let (y, hv) = hvp(|x| x[0].powf(2.0).mul(&x[1]), &[&a, &b], &[&v0, &v1], GradOptions::default()).unwrap();
/// assert_eq!((y.item(), hv[0].item(), hv[1].item()), (12.0, 6.0, 4.0));
/// ```
#[track_caller]
pub fn hvp<'t, T: Float, O: Outputs<'t, T>>(
    f: impl FnOnce(&[Var<'t, T>]) -> Result<O>,
    primals: &[impl Borrow<Var<'t, T>>],
    v: &[impl Borrow<Var<'t, T>>],
    options: GradOptions,
) -> Result<(Var<'t, T>, Vec<Var<'t, T>>)> {
    let site = Site::caller();
    let tape = tape_of("hvp", primals, site)?;
    check_pairs("hvp", "vector", "primal", primals, v, site)?;
    let value = RefCell::new(None);
    let f = |xs: &[Var<'t, T>]| {
        let y = f(xs)?.into_outputs();
        *value.borrow_mut() = y.first().cloned();
        Ok(y)
    };
    let (xs, grads) = record(tape, |xs| gradient("hvp", f, xs, site), primals, site)?;
    let seeds: Vec<(NodeId, Var<'t, T>)> = xs.iter().zip(v).map(|(x, t)| (x.node, t.borrow().clone())).collect();
    let top = grads.iter().map(|g| g.node).filter(|&id| id != NO_NODE).max().unwrap_or(0);
    let walked = push_forward(tape, &seeds, top, options)?;
    let y = value.into_inner().expect("gradient() checked there is one output");
    Ok((y, grads.iter().map(|g| walked.of(g)).collect()))
}

/// The gradient of the one-element output of `f` with respect to `xs`, recorded so that it can
/// be differentiated again.
fn gradient<'t, T: Float, O: Outputs<'t, T>>(
    transform: &'static str,
    f: impl FnOnce(&[Var<'t, T>]) -> Result<O>,
    xs: &[Var<'t, T>],
    site: Site,
) -> Result<Vec<Var<'t, T>>> {
    let ys = f(xs)?.into_outputs();
    let [y] = <[Var<'t, T>; 1]>::try_from(ys).map_err(|ys| {
        let msg = format!("the function must return one scalar, got {} outputs", ys.len());
        Error::InvalidArgument { op: transform, msg, site }
    })?;
    if y.numel() != 1 {
        let msg = format!("the function must return one scalar, got shape {}", y.shape());
        return Err(Error::InvalidArgument { op: transform, msg, site });
    }
    let seed = y.constant(Tensor::full(y.shape().clone(), T::ONE));
    pull_back(y.tape, &[(y.node, seed)], &xs.iter().collect::<Vec<_>>(), GradOptions::create_graph())
}

/// The tape of the primals, checking they share one.
fn tape_of<'t, T: Float>(
    transform: &'static str,
    primals: &[impl Borrow<Var<'t, T>>],
    site: Site,
) -> Result<&'t Tape<T>> {
    let Some(first) = primals.first().map(Borrow::borrow) else {
        return Err(Error::InvalidArgument {
            op: transform,
            msg: "no inputs to differentiate with respect to".into(),
            site,
        });
    };
    for x in primals {
        first.same_tape(x.borrow(), transform, site)?;
    }
    Ok(first.tape)
}

/// Checks one `what` per `of` (a tangent per primal, a cotangent per output), of its shape and
/// on its tape.
fn check_pairs<'t, T: Float>(
    transform: &'static str,
    what: &str,
    of: &str,
    values: &[impl Borrow<Var<'t, T>>],
    pairs: &[impl Borrow<Var<'t, T>>],
    site: Site,
) -> Result<()> {
    if values.len() != pairs.len() {
        let msg = format!("{} {what}s for {} {of}s", pairs.len(), values.len());
        return Err(Error::InvalidArgument { op: transform, msg, site });
    }
    for (k, (v, p)) in values.iter().zip(pairs).enumerate() {
        let (v, p) = (v.borrow(), p.borrow());
        if !std::ptr::eq(v.tape, p.tape) {
            return Err(Error::TapeMismatch { op: transform, site });
        }
        if v.shape() != p.shape() {
            let msg = format!("{what} {k} has shape {} but {of} {k} has shape {}", p.shape(), v.shape());
            return Err(Error::InvalidArgument { op: transform, msg, site });
        }
    }
    Ok(())
}

/// Records `f` on `tape` at fresh nodes standing for the primals: an identity node for a
/// tracked primal (so results stay connected to what it was computed from), a new leaf for a
/// constant. Recording is on while `f` runs, whatever the caller's setting: the transforms walk
/// the recording.
fn record<'t, T: Float, O: Outputs<'t, T>>(
    tape: &'t Tape<T>,
    f: impl FnOnce(&[Var<'t, T>]) -> Result<O>,
    primals: &[impl Borrow<Var<'t, T>>],
    site: Site,
) -> Result<ValuesAndDerivatives<'t, T>> {
    let _recording = tape.pause_recording(true);
    let xs: Vec<Var<'t, T>> = primals.iter().map(|x| stand_in(x.borrow(), site)).collect();
    let ys = f(&xs)?.into_outputs();
    for y in &ys {
        if !std::ptr::eq(y.tape, tape) {
            return Err(Error::TapeMismatch { op: "a function's output", site });
        }
    }
    Ok((xs, ys))
}

/// A new node with `x`'s value: an identity of `x` if it is tracked, a leaf otherwise.
fn stand_in<'t, T: Float>(x: &Var<'t, T>, site: Site) -> Var<'t, T> {
    if x.is_tracked() {
        x.tape.record(Reshape, &[x], x.value.clone(), site, Keep::Nothing)
    } else {
        x.tape.leaf(x.value.clone(), None, site)
    }
}

/// The Jacobian by rows: one reverse walk per output element.
fn by_rows<'t, T: Float>(
    tape: &'t Tape<T>,
    xs: &[Var<'t, T>],
    ys: &[Var<'t, T>],
    options: GradOptions,
) -> Result<Blocks<'t, T>> {
    let inputs: Vec<&Var<'t, T>> = xs.iter().collect();
    let options = GradOptions { retain_graph: true, ..options };
    let mut blocks = Vec::with_capacity(ys.len());
    for y in ys {
        // rows[i][k] = ∂y[k]/∂x_i
        let mut rows: Vec<Vec<Var<'t, T>>> = vec![Vec::with_capacity(y.numel()); xs.len()];
        for k in 0..y.numel() {
            let seed = tape.constant(one_hot(y.shape(), k));
            for (i, g) in pull_back(tape, &[(y.node, seed)], &inputs, options)?.into_iter().enumerate() {
                rows[i].push(g);
            }
        }
        let block: Result<Vec<_>> =
            rows.iter().zip(xs).map(|(rows, x)| assemble(tape, rows, y.shape(), x.shape(), false)).collect();
        blocks.push(block?);
    }
    Ok(blocks)
}

/// The Jacobian by columns: one forward walk per input element.
fn by_columns<'t, T: Float>(
    tape: &'t Tape<T>,
    xs: &[Var<'t, T>],
    ys: &[Var<'t, T>],
    options: GradOptions,
) -> Result<Blocks<'t, T>> {
    let top = ys.iter().map(|y| y.node).filter(|&id| id != NO_NODE).max().unwrap_or(0);
    // columns[o][i][j] = ∂y_o/∂x_i[j]
    let mut columns: Vec<Vec<Vec<Var<'t, T>>>> = vec![vec![Vec::new(); xs.len()]; ys.len()];
    for (i, x) in xs.iter().enumerate() {
        for j in 0..x.numel() {
            let seed = tape.constant(one_hot(x.shape(), j));
            let walked = push_forward(tape, &[(x.node, seed)], top, options)?;
            for (o, y) in ys.iter().enumerate() {
                columns[o][i].push(walked.of(y));
            }
        }
    }
    columns
        .iter()
        .zip(ys)
        .map(|(per_input, y)| {
            per_input.iter().zip(xs).map(|(columns, x)| assemble(tape, columns, y.shape(), x.shape(), true)).collect()
        })
        .collect()
}

/// One block `∂y/∂x` of shape `y.dims() ++ x.dims()` from its rows (`∂y[k]/∂x`, each of `x`'s
/// shape) or its columns (`∂y/∂x[j]`, each of `y`'s shape).
fn assemble<'t, T: Float>(
    tape: &'t Tape<T>,
    parts: &[Var<'t, T>],
    y: &Shape,
    x: &Shape,
    columns: bool,
) -> Result<Var<'t, T>> {
    let dims: Vec<usize> = y.dims().iter().chain(x.dims()).copied().collect();
    let Some(first) = parts.first() else {
        // An empty output or input: an empty block.
        return Ok(tape.constant(Tensor::zeros(dims)));
    };
    if parts.iter().all(|p| !p.is_tracked()) {
        let (count, len) = (parts.len(), first.numel());
        let mut data = vec![T::ZERO; count * len];
        for (k, p) in parts.iter().enumerate() {
            for (e, &v) in p.value.data().iter().enumerate() {
                // Rows are stored in order; columns are scattered with stride `count`.
                data[if columns { e * count + k } else { k * len + e }] = v;
            }
        }
        return Ok(tape.constant(Tensor::from_vec(data, dims)?));
    }
    let refs: Vec<&Var<'t, T>> = parts.iter().collect();
    let stacked = Var::stack(&refs, 0)?;
    let stacked = if columns {
        // [x.numel(), y.dims()…] → [y.dims()…, x.numel()]
        let rank = stacked.rank();
        let perm: Vec<usize> = (1..rank).chain([0]).collect();
        stacked.permute(&perm)?
    } else {
        stacked
    };
    stacked.reshape(dims)
}

/// A tensor of `shape` that is 1 at flat index `k` and 0 elsewhere.
fn one_hot<T: Float>(shape: &Shape, k: usize) -> Tensor<T> {
    let mut t = Tensor::zeros(shape.clone());
    t.data_mut()[k] = T::ONE;
    t
}
