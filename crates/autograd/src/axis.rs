//! [`Axis`] and [`Axes`]: how every op that takes an axis reads it, resolved against the
//! input's rank in one place, with one error for an axis out of range or listed twice.

use crate::error::Site;
use crate::{Error, Result, Shape};
use smallvec::SmallVec;

/// One axis: from the front (`0` is the first) or, negative, from the back (`-1` is the last),
/// as PyTorch's `dim` and NumPy's `axis`.
///
/// Ops take `impl Into<Axis>` (one axis) or `impl Into<Axes>` (one or several), so a caller
/// writes `x.softmax(-1)`, `x.softmax(1)`, `x.sum_axes(&[0, -1], false)` or
/// `x.logsumexp(1, false)` with plain integers of the usual types (`usize`, `isize`, `i32`,
/// `i64`, `u32`; an unsuffixed literal is an `i32`). Each op resolves its axes against its
/// input's rank: an axis out of range is an [`Error::InvalidArgument`] naming the op, the axis
/// and the shape, and so is a list naming one axis twice (`[1, -1]` on a matrix).
///
/// ```
/// use autograd::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::from_fn([2, 3], |i| i as f64));
/// assert_eq!(x.sum_axes(-1, false).unwrap().value().to_vec(), vec![3., 12.]);
/// assert_eq!(x.sum_axes(&[0, -1], false).unwrap().item(), 15.);
/// let e = x.softmax(-3).unwrap_err().to_string();
/// assert!(e.starts_with("invalid argument to softmax: axis -3 out of range for shape [2, 3]"), "{e}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Axis(isize);

/// One axis or several, each from the front or from the back, as [`Axis`]. An empty list names
/// no axis: a reduction over it reduces nothing, as NumPy's `axis=()` (PyTorch reduces
/// everything for `sum(dim=())`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Axes(SmallVec<[isize; 4]>);

/// Resolved axes: positions below the rank, sorted, without repeats.
pub(crate) type AxisList = SmallVec<[usize; 4]>;

impl Axis {
    /// The axis as written: non-negative from the front, negative from the back.
    pub fn get(self) -> isize {
        self.0
    }

    /// The position this axis names in a tensor of `shape`, or an error naming `op`.
    pub(crate) fn resolve(self, op: &'static str, shape: &Shape, site: Site) -> Result<usize> {
        self.position(shape.rank()).ok_or_else(|| out_of_range(op, self.0, shape, site))
    }

    /// The position this axis names among the `shape.rank() + 1` places where a new axis can go
    /// (`unsqueeze`, `stack`): `-1` appends, as PyTorch.
    pub(crate) fn resolve_insertion(self, op: &'static str, shape: &Shape, site: Site) -> Result<usize> {
        let places = shape.rank() + 1;
        self.position(places).ok_or_else(|| {
            let msg = format!(
                "axis {} out of range for inserting into shape {shape}: 0 to {} from the front, or {} to -1 \
                 from the back",
                self.0,
                places - 1,
                -(places as isize)
            );
            Error::InvalidArgument { op, msg, site }
        })
    }

    /// The position among `count` axes, if there is one.
    fn position(self, count: usize) -> Option<usize> {
        let count = isize::try_from(count).ok()?;
        let axis = if self.0 < 0 { self.0 + count } else { self.0 };
        (0..count).contains(&axis).then_some(axis as usize)
    }
}

impl Axes {
    /// The axes as written.
    pub fn as_slice(&self) -> &[isize] {
        &self.0
    }

    /// The positions these axes name in a tensor of `shape`, sorted; an axis out of range, or
    /// two naming the same position, is an error naming `op`.
    pub(crate) fn resolve(&self, op: &'static str, shape: &Shape, site: Site) -> Result<AxisList> {
        let mut positions = AxisList::with_capacity(self.0.len());
        for &axis in &self.0 {
            let position = Axis(axis).resolve(op, shape, site)?;
            if let Some(j) = positions.iter().position(|&p| p == position) {
                let msg = if self.0[j] == axis {
                    format!("axis {axis} listed twice")
                } else {
                    format!("axes {} and {axis} both name axis {position} of shape {shape}", self.0[j])
                };
                return Err(Error::InvalidArgument { op, msg, site });
            }
            positions.push(position);
        }
        positions.sort_unstable();
        Ok(positions)
    }
}

fn out_of_range(op: &'static str, axis: isize, shape: &Shape, site: Site) -> Error {
    let msg = match shape.rank() {
        0 => format!("axis {axis} out of range for shape {shape}: a scalar has no axes"),
        rank => format!(
            "axis {axis} out of range for shape {shape}: rank {rank} has axes 0 to {} from the front, or {} to -1 \
             from the back",
            rank - 1,
            -(rank as isize)
        ),
    };
    Error::InvalidArgument { op, msg, site }
}

/// An integer that does not fit `isize` is out of range for any tensor; saturating keeps it so
/// (a wrapped `usize::MAX` would read as `-1`, the last axis).
fn saturate<I: TryInto<isize>>(i: I, fallback: isize) -> isize {
    i.try_into().unwrap_or(fallback)
}

macro_rules! axes_from_integers {
    ($($int:ty),*) => {$(
        impl From<$int> for Axis {
            #[inline]
            fn from(axis: $int) -> Self {
                Axis(saturate(axis, isize::MAX))
            }
        }

        impl From<$int> for Axes {
            #[inline]
            fn from(axis: $int) -> Self {
                Axes(SmallVec::from_elem(Axis::from(axis).0, 1))
            }
        }

        impl From<&[$int]> for Axes {
            fn from(axes: &[$int]) -> Self {
                Axes(axes.iter().map(|&a| Axis::from(a).0).collect())
            }
        }

        impl<const N: usize> From<&[$int; N]> for Axes {
            fn from(axes: &[$int; N]) -> Self {
                Axes::from(&axes[..])
            }
        }

        impl From<&Vec<$int>> for Axes {
            fn from(axes: &Vec<$int>) -> Self {
                Axes::from(&axes[..])
            }
        }
    )*};
}

axes_from_integers!(usize, isize, i32, i64, u32);

impl From<Axis> for Axes {
    fn from(axis: Axis) -> Self {
        Axes(SmallVec::from_elem(axis.0, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::{Axes, Axis};
    use crate::{Error, Shape, Site};

    fn shape() -> Shape {
        Shape::from([2, 3, 4])
    }

    #[test]
    fn negative_axes_count_from_the_back() {
        let site = Site::caller();
        for (axis, position) in [(0, 0), (2, 2), (-1, 2), (-3, 0)] {
            assert_eq!(Axis::from(axis).resolve("op", &shape(), site), Ok(position));
        }
        assert_eq!(Axis::from(-1).resolve_insertion("op", &shape(), site), Ok(3));
        assert_eq!(Axis::from(3usize).resolve_insertion("op", &shape(), site), Ok(3));
        assert!(Axis::from(-5).resolve_insertion("op", &shape(), site).is_err());
    }

    #[test]
    fn out_of_range_names_the_op_the_axis_and_the_shape() {
        let site = Site::caller();
        for axis in [3, -4, i64::MIN as isize] {
            let e = Axis::from(axis).resolve("softmax", &shape(), site).unwrap_err();
            assert!(matches!(e, Error::InvalidArgument { op: "softmax", .. }));
            let expected = format!("axis {axis} out of range for shape [2, 3, 4]: rank 3 has axes 0 to 2");
            assert!(e.to_string().contains(&expected), "{e}");
        }
        // A usize too large for isize does not wrap around to a negative axis.
        assert!(Axis::from(usize::MAX).resolve("op", &shape(), site).is_err());
        let e = Axis::from(0).resolve("sum", &Shape::scalar(), site).unwrap_err().to_string();
        assert!(e.contains("a scalar has no axes"), "{e}");
    }

    #[test]
    fn several_axes_are_sorted_and_unique() {
        let site = Site::caller();
        let resolved = Axes::from(&[-1, 0]).resolve("op", &shape(), site).unwrap();
        assert_eq!(resolved.as_slice(), &[0, 2]);
        let e = Axes::from(&[1, -2]).resolve("sum", &shape(), site).unwrap_err().to_string();
        assert!(e.contains("axes 1 and -2 both name axis 1 of shape [2, 3, 4]"), "{e}");
        let e = Axes::from(&vec![0i64, 0]).resolve("sum", &shape(), site).unwrap_err().to_string();
        assert!(e.contains("axis 0 listed twice"), "{e}");
        assert!(Axes::from(&[] as &[usize]).resolve("op", &shape(), site).unwrap().is_empty());
    }
}
