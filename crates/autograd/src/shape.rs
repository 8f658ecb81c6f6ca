//! Shapes: dimension lists, NumPy broadcasting, axis arithmetic.

use smallvec::SmallVec;
use std::fmt;

/// The dimensions of a tensor, outermost first (row-major). Up to four dimensions live inline.
#[derive(Eq, Default)]
pub struct Shape(SmallVec<[usize; 4]>);

impl PartialEq for Shape {
    /// Shapes are compared on every binary op and every constant input an op records, almost
    /// always at rank ≤ 4: a loop over the dimensions, without the derived comparison's call into
    /// `memcmp`.
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.dims(), other.dims());
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
    }
}

impl std::hash::Hash for Shape {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.dims().hash(state);
    }
}

impl Clone for Shape {
    /// Shapes are cloned on every op (the output's, the saved tensors'), so the common case
    /// avoids both the derived clone's element-by-element `Extend` and a `memcpy` call.
    #[inline]
    fn clone(&self) -> Self {
        match self.0.as_slice() {
            // A fixed-size copy of the inline array: no call into `memcpy` with a runtime length.
            dims if dims.len() <= 4 => {
                let mut inline = [0; 4];
                for (to, &from) in inline.iter_mut().zip(dims) {
                    *to = from;
                }
                Shape(SmallVec::from_buf_and_len(inline, dims.len()))
            }
            dims => Shape(SmallVec::from_slice(dims)),
        }
    }
}

impl Shape {
    /// The shape of a scalar: no dimensions, one element.
    pub fn scalar() -> Self {
        Shape(SmallVec::new())
    }

    /// The dimensions as a slice.
    #[inline]
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// Number of dimensions.
    #[inline]
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Number of elements (1 for a scalar).
    ///
    /// # Panics
    /// If the count overflows `usize`. No tensor of such a shape can exist: the fallible
    /// constructors ([`Tensor::from_vec`](crate::Tensor::from_vec), `reshape`, `broadcast_to`)
    /// reject the shape with an error first. The check keeps a wrapped count from ever sizing a
    /// buffer that the kernels' raw-pointer code would then overrun.
    #[inline]
    pub fn numel(&self) -> usize {
        match self.checked_numel() {
            Some(n) => n,
            None => panic!("shape {self} has more elements than usize can count"),
        }
    }

    /// Number of elements, or `None` if the count overflows `usize` (a shape with a zero
    /// dimension has 0 elements, however large the others).
    #[inline]
    pub fn checked_numel(&self) -> Option<usize> {
        let mut n = Some(1usize);
        for &d in &self.0 {
            if d == 0 {
                return Some(0);
            }
            n = n.and_then(|n| n.checked_mul(d));
        }
        n
    }

    /// Row-major strides in elements.
    pub fn strides(&self) -> SmallVec<[usize; 4]> {
        let mut strides = SmallVec::from_elem(1, self.rank());
        for i in (0..self.rank().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * self.0[i + 1];
        }
        strides
    }

    /// The shape both `self` and `other` broadcast to under NumPy's rules (align the trailing
    /// dimensions; each pair must be equal or contain a 1), or `None` if they are incompatible.
    pub fn broadcast(&self, other: &Shape) -> Option<Shape> {
        let rank = self.rank().max(other.rank());
        let mut out = SmallVec::with_capacity(rank);
        for i in 0..rank {
            let a = self.dim_from_end(rank - 1 - i);
            let b = other.dim_from_end(rank - 1 - i);
            out.push(match (a, b) {
                (a, b) if a == b => a,
                (1, b) => b,
                (a, 1) => a,
                _ => return None,
            });
        }
        Some(Shape(out))
    }

    /// Whether `self` can be broadcast to `target` (the NumPy rule, one direction).
    pub fn broadcasts_to(&self, target: &Shape) -> bool {
        self.rank() <= target.rank()
            && (0..self.rank()).all(|i| {
                let d = self.dim_from_end(i);
                d == 1 || d == target.dim_from_end(i)
            })
    }

    /// Dimension `i` counted from the last one, 1 beyond the rank.
    fn dim_from_end(&self, i: usize) -> usize {
        if i < self.rank() {
            self.0[self.rank() - 1 - i]
        } else {
            1
        }
    }

    /// This shape with `axes` (sorted, unique, in range) set to 1 (`keepdim`) or removed.
    pub(crate) fn reduced(&self, axes: &[usize], keepdim: bool) -> Shape {
        let mut out = SmallVec::new();
        for (i, &d) in self.0.iter().enumerate() {
            if !axes.contains(&i) {
                out.push(d);
            } else if keepdim {
                out.push(1);
            }
        }
        Shape(out)
    }

    /// Views the shape as `[outer, dims[axis], inner]` and returns those three sizes: the
    /// layout every single-axis kernel (softmax, concat, gather) iterates over.
    pub(crate) fn split_at_axis(&self, axis: usize) -> (usize, usize, usize) {
        let outer = self.0[..axis].iter().product();
        let inner = self.0[axis + 1..].iter().product();
        (outer, self.0[axis], inner)
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl std::ops::Index<usize> for Shape {
    type Output = usize;
    fn index(&self, i: usize) -> &usize {
        &self.0[i]
    }
}

impl From<&[usize]> for Shape {
    fn from(dims: &[usize]) -> Self {
        Shape(SmallVec::from_slice(dims))
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(dims: [usize; N]) -> Self {
        Shape(SmallVec::from_slice(&dims))
    }
}

impl<const N: usize> From<&[usize; N]> for Shape {
    fn from(dims: &[usize; N]) -> Self {
        Shape(SmallVec::from_slice(dims))
    }
}

impl From<Vec<usize>> for Shape {
    fn from(dims: Vec<usize>) -> Self {
        Shape(SmallVec::from_vec(dims))
    }
}

impl From<&Shape> for Shape {
    fn from(shape: &Shape) -> Self {
        shape.clone()
    }
}

impl From<SmallVec<[usize; 4]>> for Shape {
    fn from(dims: SmallVec<[usize; 4]>) -> Self {
        Shape(dims)
    }
}

impl From<usize> for Shape {
    fn from(len: usize) -> Self {
        Shape(SmallVec::from_slice(&[len]))
    }
}

impl FromIterator<usize> for Shape {
    fn from_iter<I: IntoIterator<Item = usize>>(iter: I) -> Self {
        Shape(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        let s = |d: &[usize]| Shape::from(d);
        assert_eq!(s(&[3, 1]).broadcast(&s(&[4])), Some(s(&[3, 4])));
        assert_eq!(s(&[2, 1, 5]).broadcast(&s(&[3, 1])), Some(s(&[2, 3, 5])));
        assert_eq!(s(&[]).broadcast(&s(&[2, 2])), Some(s(&[2, 2])));
        assert_eq!(s(&[3]).broadcast(&s(&[4])), None);
        assert!(s(&[1, 4]).broadcasts_to(&s(&[3, 4])));
        assert!(!s(&[3, 4]).broadcasts_to(&s(&[4])));
    }

    #[test]
    fn strides_are_row_major() {
        assert_eq!(Shape::from([2, 3, 4]).strides().as_slice(), &[12, 4, 1]);
        assert_eq!(Shape::scalar().numel(), 1);
    }

    #[test]
    fn element_counts_never_wrap() {
        let huge = 1usize << 40;
        assert_eq!(Shape::from([huge, huge]).checked_numel(), None);
        assert_eq!(Shape::from([huge, huge, 0]).checked_numel(), Some(0), "a zero axis makes it empty");
        assert_eq!(Shape::from([2, 3, 4]).checked_numel(), Some(24));
        let caught = std::panic::catch_unwind(|| Shape::from([huge, huge]).numel()).unwrap_err();
        assert!(caught.downcast_ref::<String>().unwrap().contains("more elements than usize can count"));
    }
}
