//! [`Indices`]: an n-dimensional array of positions, what `gather` and `scatter_add` read and
//! what `argmax`, `argmin` and `topk` return (PyTorch's `int64` tensors of indices).

use crate::{Error, Result, Shape};
use std::fmt;
use std::sync::Arc;

/// An n-dimensional, row-major array of positions along some axis of another tensor: the index
/// argument of [`Var::gather`](crate::Var::gather) and [`Var::scatter_add`](crate::Var::scatter_add),
/// and the result of [`Tensor::argmax`](crate::Tensor::argmax), `argmin` and `topk`.
///
/// Plain data, never differentiated; cloning is cheap (clones share the storage). Whether each
/// position is in range is checked by the op that reads it, against the tensor it indexes.
///
/// ```
/// use autograd::Indices;
/// let idx = Indices::new(vec![2, 0, 1, 1], [2, 2]).unwrap();
/// assert_eq!((idx.dims(), idx.at(&[1, 0])), (&[2, 2][..], 1));
/// assert_eq!(Indices::column(&[3, 1]).dims(), &[2, 1]); // one label per row
/// assert!(Indices::new(vec![0, 1, 2], [2, 2]).is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Indices {
    shape: Shape,
    data: Arc<[usize]>,
}

impl Indices {
    /// Positions of the given shape from row-major data; fails if the lengths disagree.
    pub fn new(data: Vec<usize>, shape: impl Into<Shape>) -> Result<Self> {
        let shape = shape.into();
        if shape.checked_numel() != Some(data.len()) {
            return Err(Error::DataLength { len: data.len(), shape });
        }
        Ok(Indices { shape, data: data.into() })
    }

    /// A vector of positions (shape `[n]`).
    pub fn vector(data: &[usize]) -> Self {
        Indices { shape: Shape::from([data.len()]), data: data.into() }
    }

    /// A column of positions (shape `[n, 1]`): one per row of a matrix, as class labels to pick
    /// from logits with `gather(1, ..)`.
    pub fn column(data: &[usize]) -> Self {
        Indices { shape: Shape::from([data.len(), 1]), data: data.into() }
    }

    /// Wraps data whose length is known to match (crate-internal constructor for kernels).
    pub(crate) fn from_parts(data: Vec<usize>, shape: Shape) -> Self {
        debug_assert_eq!(data.len(), shape.numel(), "kernel produced the wrong number of indices");
        Indices { shape, data: data.into() }
    }

    /// The shape.
    #[inline]
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The dimensions.
    #[inline]
    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }

    /// Number of dimensions.
    #[inline]
    pub fn rank(&self) -> usize {
        self.shape.rank()
    }

    /// Number of positions.
    #[inline]
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// The positions in row-major order.
    #[inline]
    pub fn data(&self) -> &[usize] {
        &self.data
    }

    /// The positions as a new `Vec`.
    pub fn to_vec(&self) -> Vec<usize> {
        self.data.to_vec()
    }

    /// The same positions under another shape with the same number of elements (no copy).
    #[track_caller]
    pub fn reshape(&self, shape: impl Into<Shape>) -> Result<Self> {
        let shape = shape.into();
        if shape.checked_numel() != Some(self.numel()) {
            return Err(Error::shapes("reshape", &self.shape, &shape));
        }
        Ok(Indices { shape, data: self.data.clone() })
    }

    /// The position at a multi-index.
    ///
    /// # Panics
    /// If the multi-index has the wrong rank or is out of range (a test and debugging helper).
    #[track_caller]
    pub fn at(&self, index: &[usize]) -> usize {
        assert_eq!(index.len(), self.rank(), "index {index:?} into indices of shape {}", self.shape);
        let mut flat = 0;
        for (&i, &d) in index.iter().zip(self.dims()) {
            assert!(i < d, "index {index:?} out of range for shape {}", self.shape);
            flat = flat * d + i;
        }
        self.data[flat]
    }
}

impl fmt::Debug for Indices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Indices{} ", self.shape)?;
        const SHOWN: usize = 16;
        f.debug_list().entries(self.data.iter().take(SHOWN)).finish()?;
        if self.data.len() > SHOWN {
            write!(f, " … ({} more)", self.data.len() - SHOWN)?;
        }
        Ok(())
    }
}
