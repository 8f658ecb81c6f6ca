//! Positions of the largest and smallest elements along an axis: [`Tensor::argmax`],
//! [`Tensor::argmin`] and [`Tensor::topk`] (and the same on a [`Var`]'s value). They return
//! [`Indices`], which are not differentiable; [`Var::topk`]'s values are a
//! [`gather`](Var::gather) at those positions, so their gradient flows as PyTorch's does.
//!
//! # One tie rule
//!
//! Among equal elements the **first** (lowest position) wins: `argmax([0.2, 0.7, 0.7]) = 1`, as
//! `torch.argmax` and NumPy's `argmax`, and `topk` lists tied elements in increasing position
//! (a stable sort). NaN counts as larger than every number: `argmax` returns the first NaN of a
//! lane holding one (NaN propagates, as in [`Var::max_axes`]), and so does `argmin` (as
//! `torch.argmin` and NumPy: a NaN is the lane's minimum too), while `topk` ranks NaN above
//! every number in both directions (as `torch.topk` and `torch.sort`), so the `k` smallest skip
//! NaNs while numbers remain. `train::metrics` (accuracy, top-k accuracy, the confusion matrix)
//! predicts with these, so a model's accuracy agrees with `argmax` on every input.
//!
//! Where this differs from PyTorch: `torch.topk` leaves the order among tied elements
//! unspecified (on CPU it often lists the last one first), and `sorted=False` returns an
//! unspecified order; here the order is always sorted and ties are always by position, so a
//! result never depends on the implementation. The values agree with PyTorch's in every case.

use crate::error::Site;
use crate::kernels::{resized, Lanes};
use crate::{Axis, Error, Float, Indices, Result, Tensor, Var};
use std::cmp::Ordering;

impl<T: Float> Tensor<T> {
    /// The position of the first largest element along `axis` (negative counts from the back);
    /// NaN counts as the largest (see [the tie rule](crate#one-tie-rule)). The result has
    /// `self`'s shape without `axis`, or with it as size 1 if `keepdim`. An empty axis is an
    /// error.
    ///
    /// ```
    /// use autograd::Tensor;
    /// let x = Tensor::<f32>::from_vec(vec![0.2, 0.7, 0.7, 3.0, f32::NAN, 0.0], [2, 3]).unwrap();
    /// assert_eq!(x.argmax(1, false).unwrap().to_vec(), vec![1, 1]); // the first of a tie; NaN
    /// assert_eq!(x.argmin(-1, false).unwrap().to_vec(), vec![0, 1]);
    /// assert_eq!(x.argmax(0, true).unwrap().dims(), &[1, 3]);
    /// ```
    #[track_caller]
    pub fn argmax(&self, axis: impl Into<Axis>, keepdim: bool) -> Result<Indices> {
        self.arg_extremum("argmax", axis.into(), keepdim, Ordering::Greater, Site::caller())
    }

    /// The position of the first smallest element along `axis`; NaN wins here too, as in
    /// `torch.argmin` (see [the tie rule](crate#one-tie-rule)). Otherwise as
    /// [`argmax`](Tensor::argmax).
    #[track_caller]
    pub fn argmin(&self, axis: impl Into<Axis>, keepdim: bool) -> Result<Indices> {
        self.arg_extremum("argmin", axis.into(), keepdim, Ordering::Less, Site::caller())
    }

    /// The `k` largest (or, with `largest = false`, smallest) elements along `axis` and their
    /// positions, sorted (largest first, or smallest first), ties in increasing position, NaN
    /// ranking above every number (see [the tie rule](crate#one-tie-rule)). Both results
    /// have `self`'s shape with `k` along `axis`; `k` larger than the axis is an error.
    ///
    /// ```
    /// use autograd::Tensor;
    /// let x = Tensor::<f64>::from_vec(vec![1., 3., 3., 2., 3.], [5]).unwrap();
    /// let (values, positions) = x.topk(2, 0, true).unwrap();
    /// assert_eq!((values.to_vec(), positions.to_vec()), (vec![3., 3.], vec![1, 2]));
    /// let (values, positions) = x.topk(2, -1, false).unwrap();
    /// assert_eq!((values.to_vec(), positions.to_vec()), (vec![1., 2.], vec![0, 3]));
    /// ```
    #[track_caller]
    pub fn topk(&self, k: usize, axis: impl Into<Axis>, largest: bool) -> Result<(Tensor<T>, Indices)> {
        let (axis, positions) = self.topk_positions(k, axis.into(), largest, Site::caller())?;
        let Lanes { len, inner, .. } = Lanes::new(self.shape(), axis);
        let x = self.data();
        // Position p of the result is (o, j, i) in [outer, k, inner]; its element is x[o, positions[p], i].
        let values = Tensor::from_exact_iter(
            positions.shape().clone(),
            positions.data().iter().enumerate().map(|(p, &at)| x[(p / (k * inner) * len + at) * inner + p % inner]),
        );
        Ok((values, positions))
    }

    fn arg_extremum(&self, op: &'static str, axis: Axis, keepdim: bool, wins: Ordering, site: Site) -> Result<Indices> {
        let axis = axis.resolve(op, self.shape(), site)?;
        let lanes = Lanes::new(self.shape(), axis);
        if lanes.len == 0 {
            let msg = format!("axis {axis} of shape {} is empty: no element to pick", self.shape());
            return Err(Error::InvalidArgument { op, msg, site });
        }
        let x = self.data();
        let mut out = Vec::with_capacity(lanes.count());
        for o in 0..lanes.outer {
            for i in 0..lanes.inner {
                let at = |j: usize| x[(o * lanes.len + j) * lanes.inner + i];
                // NaN wins over every number and then stays (the first NaN).
                let best = (1..lanes.len).fold(0, |best, j| {
                    let (v, b) = (at(j), at(best));
                    if (v.is_nan() && !b.is_nan()) || v.partial_cmp(&b) == Some(wins) {
                        j
                    } else {
                        best
                    }
                });
                out.push(best);
            }
        }
        let shape = self.shape().reduced(&[axis], keepdim);
        Ok(Indices::from_parts(out, shape))
    }

    /// The resolved axis and the positions of `topk`.
    fn topk_positions(&self, k: usize, axis: Axis, largest: bool, site: Site) -> Result<(usize, Indices)> {
        let axis = axis.resolve("topk", self.shape(), site)?;
        let lanes = Lanes::new(self.shape(), axis);
        if k > lanes.len {
            let msg = format!("k = {k} is larger than axis {axis} of shape {}", self.shape());
            return Err(Error::InvalidArgument { op: "topk", msg, site });
        }
        let x = self.data();
        let mut out = vec![0; lanes.outer * k * lanes.inner];
        let mut order: Vec<usize> = Vec::with_capacity(lanes.len);
        for o in 0..lanes.outer {
            for i in 0..lanes.inner {
                let at = |j: usize| x[(o * lanes.len + j) * lanes.inner + i];
                order.clear();
                order.extend(0..lanes.len);
                // A stable sort keeps tied elements in increasing position.
                if largest {
                    order.sort_by(|&a, &b| rank(at(b), at(a)));
                } else {
                    order.sort_by(|&a, &b| rank(at(a), at(b)));
                }
                for (j, &position) in order[..k].iter().enumerate() {
                    out[(o * k + j) * lanes.inner + i] = position;
                }
            }
        }
        Ok((axis, Indices::from_parts(out, resized(self.shape(), axis, k))))
    }
}

/// The order `topk` ranks by: numbers by value, NaN above every number and equal to NaN.
fn rank<T: Float>(a: T, b: T) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).expect("numbers that are not NaN compare"),
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// [`Tensor::argmax`] of the value: positions, not differentiable.
    #[track_caller]
    pub fn argmax(&self, axis: impl Into<Axis>, keepdim: bool) -> Result<Indices> {
        self.value().arg_extremum("argmax", axis.into(), keepdim, Ordering::Greater, Site::caller())
    }

    /// [`Tensor::argmin`] of the value: positions, not differentiable.
    #[track_caller]
    pub fn argmin(&self, axis: impl Into<Axis>, keepdim: bool) -> Result<Indices> {
        self.value().arg_extremum("argmin", axis.into(), keepdim, Ordering::Less, Site::caller())
    }

    /// The `k` largest (or smallest) elements along `axis` and their positions, as
    /// [`Tensor::topk`]. The values are `self.gather(axis, &positions)`, differentiable: the
    /// gradient of each reaches the element it came from, as in PyTorch.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![0.5, -1., 2., 1.5], [2, 2]).unwrap());
    /// let (top, positions) = x.topk(1, -1, true).unwrap();
    /// assert_eq!((top.value().to_vec(), positions.to_vec()), (vec![0.5, 2.], vec![0, 0]));
    /// top.sum().backward().unwrap();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1., 0., 1., 0.]);
    /// ```
    #[track_caller]
    pub fn topk(&self, k: usize, axis: impl Into<Axis>, largest: bool) -> Result<(Var<'t, T>, Indices)> {
        let site = Site::caller();
        let (axis, positions) = self.value().topk_positions(k, axis.into(), largest, site)?;
        Ok((self.gather(axis, &positions)?, positions))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Indices, Tape, Tensor};

    fn x() -> Tensor<f64> {
        let nan = f64::NAN;
        Tensor::from_vec(vec![1., 3., 3., 2., 3., 0., 0., 1., 1., -1., 2., nan, 5., nan, 2.], [3, 5]).unwrap()
    }

    // PyTorch 2.15: torch.argmax/argmin(x, 1) -> [1, 2, 1], [0, 4, 1]; along 0 -> [2, 2, 2, 2, 0]
    // and [1, 2, 1, 2, 1] (the NaNs of row 2 win both ways).
    #[test]
    fn the_first_extremum_wins_and_nan_counts_as_one() {
        let x = x();
        assert_eq!(x.argmax(1, false).unwrap(), Indices::vector(&[1, 2, 1]));
        assert_eq!(x.argmin(-1, true).unwrap(), Indices::new(vec![0, 4, 1], [3, 1]).unwrap());
        assert_eq!(x.argmax(0, false).unwrap().to_vec(), vec![2, 2, 2, 2, 0]);
        assert_eq!(x.argmin(-2, false).unwrap().to_vec(), vec![1, 2, 1, 2, 1]);
    }

    #[test]
    fn topk_sorts_ties_by_position_and_ranks_nan_highest() {
        // PyTorch 2.15 lists [[2, 4, 1], [3, 2, 1], [1, 3, 2]]: the same values, ties in its own order.
        let (values, positions) = x().topk(3, 1, true).unwrap();
        assert_eq!(positions.to_vec(), vec![1, 2, 4, 2, 3, 0, 1, 3, 2]);
        assert_eq!(&values.to_vec()[..6], &[3., 3., 3., 1., 1., 0.]);
        assert!(values.to_vec()[6..8].iter().all(|v| v.is_nan()) && values.to_vec()[8] == 5.);
        // The smallest skip NaN while numbers remain (as torch.topk(largest=False)).
        let (values, positions) = x().topk(4, -1, false).unwrap();
        assert_eq!(positions.to_vec(), vec![0, 3, 1, 2, 4, 0, 1, 2, 0, 4, 2, 1]);
        assert_eq!(values.dims(), &[3, 4]);
        assert!(values.to_vec()[11].is_nan());
        // Along the first axis, k = all: a full sort of each column.
        let (_, positions) = x().topk(3, 0, true).unwrap();
        assert_eq!(positions.to_vec(), vec![2, 2, 2, 2, 0, 0, 0, 0, 0, 2, 1, 1, 1, 1, 1]);
        // topk(1) is argmax on every lane.
        for axis in [0, 1] {
            assert_eq!(x().topk(1, axis, true).unwrap().1.to_vec(), x().argmax(axis, false).unwrap().to_vec());
        }
    }

    #[test]
    fn topk_values_are_differentiable() {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_vec(vec![0.5, -1., 2., 1.5, 4., 4.], [2, 3]).unwrap());
        let (top, positions) = x.topk(2, 1, true).unwrap();
        assert_eq!(positions.to_vec(), vec![2, 0, 1, 2]);
        top.mul(&tape.constant(Tensor::from_vec(vec![1., 2., 3., 4.], [2, 2]).unwrap()))
            .unwrap()
            .sum()
            .backward()
            .unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![2., 0., 1., 0., 3., 4.]);
        assert_eq!(x.argmax(1, false).unwrap().to_vec(), vec![2, 1]);
        assert_eq!(x.argmin(0, false).unwrap().to_vec(), vec![0, 0, 0]);
    }

    #[test]
    fn bad_arguments_are_errors() {
        let x = Tensor::<f32>::zeros([2, 0]);
        let e = x.argmax(1, false).unwrap_err().to_string();
        assert!(e.starts_with("invalid argument to argmax: axis 1 of shape [2, 0] is empty"), "{e}");
        assert!(x.argmin(2, false).unwrap_err().to_string().contains("axis 2 out of range for shape [2, 0]"));
        assert_eq!(x.argmax(0, false).unwrap().dims(), &[0]);
        let e = Tensor::<f32>::zeros([2, 3]).topk(4, -1, true).unwrap_err().to_string();
        assert!(e.starts_with("invalid argument to topk: k = 4 is larger than axis 1 of shape [2, 3]"), "{e}");
        assert_eq!(Tensor::<f32>::zeros([2, 3]).topk(0, 0, false).unwrap().0.dims(), &[0, 3]);
    }
}
