//! [`Var`]: a tensor value together with its place on a tape.

use crate::error::Site;
use crate::op::Op;
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

    /// The value of a one-element result.
    ///
    /// # Panics
    /// If the value has more than one element; [`Var::try_item`] is the fallible form.
    #[track_caller]
    pub fn item(&self) -> T {
        self.value.item()
    }

    /// The value of a one-element result, or an error naming its shape.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// assert_eq!(tape.var(Tensor::scalar(2.0)).try_item().unwrap(), 2.0);
    /// assert!(tape.var(Tensor::vector(&[1.0, 2.0])).try_item().is_err());
    /// ```
    #[track_caller]
    pub fn try_item(&self) -> Result<T> {
        self.value.try_item()
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

    /// The gradient accumulated in this value by `backward` calls: for a leaf made by
    /// [`Tape::var`] / [`Tape::param`], and for an intermediate value marked with
    /// [`retain_grad`](Var::retain_grad) before the backward pass. `None` for other values and
    /// when no backward reached this one.
    pub fn grad(&self) -> Option<Tensor<T>> {
        if self.node == NO_NODE {
            return None;
        }
        let graph = self.tape.graph.borrow();
        match graph.nodes[self.node as usize].op {
            Op::Leaf(index) => graph.leaves[index as usize].grad.clone(),
            _ => {
                let k = graph.retained.binary_search_by_key(&self.node, |(n, _)| *n).ok()?;
                graph.retained[k].1.clone()
            }
        }
    }

    /// Asks the next backward passes to keep `∂out/∂self` for this intermediate value, so that
    /// [`grad`](Var::grad) answers after [`backward`](Var::backward) (PyTorch's `retain_grad`).
    /// Like a leaf's, the gradient accumulates over backward passes. A no-op on a leaf (which
    /// keeps its gradient anyway); an error on a constant, which no gradient reaches.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::scalar(0.5));
    /// let z = x.mul_scalar(3.0); // z = 1.5
    /// z.retain_grad().unwrap();
    /// let l = z.powf(2.0); // l = z²
    /// l.backward().unwrap();
    /// assert_eq!(z.grad().unwrap().item(), 3.0); // ∂l/∂z = 2z
    /// assert_eq!(x.grad().unwrap().item(), 9.0); // ∂l/∂x = 2z · 3
    /// ```
    #[track_caller]
    pub fn retain_grad(&self) -> Result<()> {
        if self.node == NO_NODE {
            return Err(Error::invalid(
                "retain_grad",
                "a constant has no gradient to retain: make the value with tape.var or from tracked inputs",
            ));
        }
        let mut graph = self.tape.graph.borrow_mut();
        let graph = &mut *graph;
        let node = &mut graph.nodes[self.node as usize];
        if matches!(node.op, Op::Leaf(_)) || node.retain {
            return Ok(());
        }
        node.retain = true;
        let k = graph.retained.partition_point(|(n, _)| *n < self.node);
        graph.retained.insert(k, (self.node, None));
        Ok(())
    }

    /// Gives this value a name, which tape listings, graph exports, backward traces and errors
    /// show instead of its position (`z1` rather than `%3`). Names live in a table beside the
    /// tape, so recording never pays for them. A constant is not recorded and keeps no name:
    /// listings show constants by their value.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let x = tape.var(Tensor::scalar(2.0));
    /// let y = x.exp().named("y");
    /// assert_eq!(y.name().as_deref(), Some("y"));
    /// assert!(tape.to_string().contains(" y "));
    /// ```
    pub fn named(self, name: impl Into<String>) -> Self {
        if self.node != NO_NODE {
            self.tape.graph.borrow_mut().set_name(self.node, name.into().into());
        }
        self
    }

    /// The name given with [`named`](Var::named) or [`Tape::var_named`], if any.
    pub fn name(&self) -> Option<String> {
        if self.node == NO_NODE {
            return None;
        }
        self.tape.graph.borrow().name(self.node).map(str::to_string)
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
            Some(id) => match self.name() {
                Some(name) => write!(f, "Var(%{id} {name}, {:?})", self.value),
                None => write!(f, "Var(%{id}, {:?})", self.value),
            },
            None => write!(f, "Var(const, {:?})", self.value),
        }
    }
}
