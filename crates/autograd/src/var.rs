//! [`Var`]: a tensor value together with its place on a tape.

use crate::error::Site;
use crate::tape::{NodeId, NO_NODE};
use crate::{Error, Float, Result, Shape, Tape, Tensor};
use std::fmt;

/// A value in a differentiable computation: a [`Tensor`] plus the tape node that produced it.
///
/// Ops on `Var`s compute their result right away (define-by-run) and, when any input is
/// tracked and the tape is recording, append a node to the tape. Methods that can fail on user
/// input (shapes, axes, indices) return [`Result`]; elementwise unary ops cannot fail and return
/// a `Var`. The operators `+ - * /` are sugar for the fallible methods and panic with the same
/// message on a shape mismatch.
///
/// Cloning is cheap (the value's storage is shared).
///
/// ```
/// use autograd::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let a = tape.var(Tensor::vector(&[1.0, 2.0]));
/// let b = tape.var(Tensor::vector(&[3.0, 4.0]));
/// let dot = (&a * &b).sum();
/// assert_eq!(dot.item(), 11.0);
/// dot.backward().unwrap();
/// assert_eq!(a.grad().unwrap().to_vec(), vec![3.0, 4.0]);
/// ```
#[derive(Clone)]
pub struct Var<'t, T: Float = f32> {
    pub(crate) tape: &'t Tape<T>,
    pub(crate) node: NodeId,
    pub(crate) value: Tensor<T>,
}

impl<'t, T: Float> Var<'t, T> {
    /// The computed value.
    #[inline]
    pub fn value(&self) -> &Tensor<T> {
        &self.value
    }

    /// The shape of the value.
    #[inline]
    pub fn shape(&self) -> &Shape {
        self.value.shape()
    }

    /// The dimensions of the value.
    #[inline]
    pub fn dims(&self) -> &[usize] {
        self.value.dims()
    }

    /// Number of dimensions.
    #[inline]
    pub fn rank(&self) -> usize {
        self.value.rank()
    }

    /// Number of elements.
    #[inline]
    pub fn numel(&self) -> usize {
        self.value.numel()
    }

    /// The value of a one-element result. Panics otherwise (see [`Tensor::item`]).
    #[track_caller]
    pub fn item(&self) -> T {
        self.value.item()
    }

    /// The tape this value lives on.
    #[inline]
    pub fn tape(&self) -> &'t Tape<T> {
        self.tape
    }

    /// Whether gradients flow through this value (it has a node on the tape).
    #[inline]
    pub fn is_tracked(&self) -> bool {
        self.node != NO_NODE
    }

    /// The tape position of the node that produced this value, if it is tracked.
    pub fn node(&self) -> Option<usize> {
        self.is_tracked().then_some(self.node as usize)
    }

    /// The same value as a constant: gradients stop here (PyTorch's `detach`).
    pub fn detach(&self) -> Var<'t, T> {
        self.tape.constant(self.value.clone())
    }

    /// A constant on the same tape (for literals inside expressions).
    pub fn constant(&self, value: Tensor<T>) -> Var<'t, T> {
        self.tape.constant(value)
    }

    /// A scalar constant on the same tape.
    pub fn scalar(&self, value: T) -> Var<'t, T> {
        self.tape.scalar(value)
    }

    /// The gradient accumulated in this leaf by `backward` calls, or `None` if this is not a
    /// leaf made by [`Tape::var`] / [`Tape::param`] or no backward reached it.
    pub fn grad(&self) -> Option<Tensor<T>> {
        let index = self.leaf_index()?;
        self.tape.graph.borrow().leaves[index].grad.clone()
    }

    pub(crate) fn leaf_index(&self) -> Option<usize> {
        if self.node == NO_NODE {
            return None;
        }
        match self.tape.graph.borrow().nodes[self.node as usize].op {
            crate::op::Op::Leaf(i) => Some(i as usize),
            _ => None,
        }
    }

    /// Checks that `other` lives on the same tape, for ops combining two values; `site` is the
    /// user's call, which the error names.
    #[inline]
    pub(crate) fn same_tape(&self, other: &Var<'t, T>, op: &'static str, site: Site) -> Result<()> {
        if std::ptr::eq(self.tape, other.tape) {
            Ok(())
        } else {
            Err(tape_mismatch(op, site))
        }
    }
}

/// Kept out of line: the check above sits on every binary op's path.
#[cold]
fn tape_mismatch(op: &'static str, site: Site) -> Error {
    Error::TapeMismatch { op, site }
}

impl<T: Float> fmt::Debug for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.node() {
            Some(id) => write!(f, "Var(%{id}, {:?})", self.value),
            None => write!(f, "Var(const, {:?})", self.value),
        }
    }
}
