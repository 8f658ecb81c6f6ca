//! Gathering along an axis, as `torch.gather(x, dim, index)`: the result has `index`'s shape and
//! `y[p] = x[p with its coordinate along axis replaced by index[p]]`, so each lane of `index`
//! may list several positions, repeated or not. `index` has `x`'s rank and along every other
//! axis at most `x`'s size (it reads the leading part of `x` there). Backward: `g` added at the
//! same positions into zeros of `x`'s shape (`scatter_add`, its adjoint), whose backward is
//! `gather` again, so every order works. Linear in `x`: no kinks. An index out of range is
//! [`Error::IndexOutOfRange`] naming the op, the index, the axis's size and the shape.
//!
//! [`Tensor::one_hot`] builds the constant one-hot matrix of a list of labels. The index checks
//! and the loop over an index's positions here serve `scatter_add`, `index_select` and
//! `index_add` too.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::{AxisIndex, Gather};
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::tensor::check_result;
use crate::{Axis, Error, Float, Indices, Result, Shape, Tensor, Var};
use smallvec::SmallVec;

impl<'t, T: Float> Var<'t, T> {
    /// Picks elements along `axis` (negative counts from the back), as `torch.gather`: the
    /// result has `index`'s shape, and its element at `p` is `self`'s element at `p` with the
    /// coordinate along `axis` replaced by `index[p]`. `index` has `self`'s rank and, along the
    /// other axes, at most `self`'s sizes. Differentiable; repeated positions add their
    /// gradients.
    ///
    /// ```
    /// use autograd::{Indices, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], [2, 3]).unwrap());
    /// let y = x.gather(1, &Indices::new(vec![2, 0, 0, 1, 1, 1], [2, 3]).unwrap()).unwrap();
    /// assert_eq!(y.value().to_vec(), vec![3., 1., 1., 5., 5., 5.]);
    /// y.sum().backward().unwrap();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![2., 0., 1., 0., 3., 0.]);
    /// // One label per row, as cross-entropy picks the log-probabilities of the classes:
    /// let picked = x.gather(-1, &Indices::column(&[2, 0])).unwrap();
    /// assert_eq!((picked.dims(), picked.value().to_vec()), (&[2, 1][..], vec![3., 4.]));
    /// ```
    #[track_caller]
    pub fn gather(&self, axis: impl Into<Axis>, index: &Indices) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let axis = axis.into().resolve("gather", self.shape(), site)?;
        check_index("gather", index, axis, self.shape(), site)?;
        Ok(self.gather_at(AxisIndex::new(axis, index.clone()), site))
    }

    /// Records `gather` with an index already checked against `self`'s shape.
    pub(super) fn gather_at(&self, index: AxisIndex, site: Site) -> Var<'t, T> {
        let axis = index.axis();
        let stride = self.shape().strides()[axis];
        let (x, positions) = (self.value.data(), index.positions());
        let value = Tensor::zeroed_with(index.indices().shape().clone(), |out| {
            for_each_position(index.indices().shape(), self.shape(), axis, |p, base| {
                out[p] = x[base + positions[p] * stride];
            });
        });
        self.tape.record(Gather { index }, &[self], value, site, Keep::Nothing)
    }
}

impl<T: Float> Tensor<T> {
    /// The one-hot encoding of `labels`: a `[labels.len(), classes]` matrix with a 1 in column
    /// `labels[i]` of row `i` and zeros elsewhere (a constant: no gradient).
    ///
    /// ```
    /// use autograd::Tensor;
    /// let t = Tensor::<f32>::one_hot(&[2, 0], 3).unwrap();
    /// assert_eq!(t.to_vec(), vec![0., 0., 1., 1., 0., 0.]);
    /// assert!(Tensor::<f32>::one_hot(&[3], 3).is_err());
    /// ```
    #[track_caller]
    pub fn one_hot(labels: &[usize], classes: usize) -> Result<Tensor<T>> {
        let shape = Shape::from([labels.len(), classes]);
        check_range("one_hot", labels, 1, &shape, Site::caller())?;
        check_result::<T>("one_hot", &shape, Site::caller())?;
        Ok(Tensor::zeroed_with(shape, |out| {
            for (row, &label) in labels.iter().enumerate() {
                out[row * classes + label] = T::ONE;
            }
        }))
    }
}

/// Checks an index for `gather` or `scatter_add` on a tensor of shape `target`: the same rank,
/// at most `target`'s size along every axis but `axis`, and positions below `target`'s size
/// along `axis`.
pub(super) fn check_index(op: &'static str, index: &Indices, axis: usize, target: &Shape, site: Site) -> Result<()> {
    let fits = index.rank() == target.rank()
        && index.dims().iter().zip(target.dims()).enumerate().all(|(d, (&i, &t))| d == axis || i <= t);
    if !fits {
        let msg = format!(
            "an index of shape {} does not fit a tensor of shape {target}: it needs the same rank and, along \
             every axis but {axis}, at most the tensor's size",
            index.shape()
        );
        return Err(Error::InvalidArgument { op, msg, site });
    }
    check_range(op, index.data(), axis, target, site)
}

/// Checks that every position is below `shape`'s size along `axis`.
pub(super) fn check_range(op: &'static str, index: &[usize], axis: usize, shape: &Shape, site: Site) -> Result<()> {
    let size = shape.dims()[axis];
    match index.iter().find(|&&k| k >= size) {
        Some(&index) => Err(Error::IndexOutOfRange { op, index, axis, size, shape: shape.clone(), site }),
        None => Ok(()),
    }
}

/// Calls `f(p, base)` for every position `p` (row-major) of an index of shape `index`, where
/// `base` is the flat offset, in a tensor of shape `target`, of `p`'s coordinates with the one
/// along `axis` set to 0: the element that `index[p]` names is at `base + index[p] · stride`,
/// `stride` being `axis`'s stride in `target`. Walks the coordinates like an odometer, so the
/// index may be smaller than `target` along any axis.
pub(super) fn for_each_position(index: &Shape, target: &Shape, axis: usize, mut f: impl FnMut(usize, usize)) {
    let (dims, strides) = (index.dims(), target.strides());
    let mut coords: SmallVec<[usize; 4]> = SmallVec::from_elem(0, dims.len());
    let mut base = 0;
    for p in 0..index.numel() {
        f(p, base);
        for d in (0..dims.len()).rev() {
            let step = if d == axis { 0 } else { strides[d] };
            coords[d] += 1;
            base += step;
            if coords[d] < dims[d] {
                break;
            }
            base -= step * dims[d];
            coords[d] = 0;
        }
    }
}

impl<T: Float> Rule<T> for Gather {
    /// `dx = scatter_add(zeros, g)` at the same positions.
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let shape = ctx.input_shape(0);
        ctx.grad(0, || Ok(g.constant(Tensor::zeros(shape)).scatter_add_at(self.index.clone(), g, Site::caller())))
    }
}

impl<T: Float> Jvp<T> for Gather {
    /// Linear: `ẏ = gather(ẋ)`.
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        ctx.linear(|t| Ok(t.gather_at(self.index.clone(), Site::caller())))
    }
}

/// Positions below `size` for an index of shape `shape`, spread out and with repeats: index
/// tensors for the indexing ops' check rows, which depend on the sampled shape.
pub(super) fn spread(shape: &[usize], size: usize) -> Indices {
    let numel = shape.iter().product();
    Indices::new((0..numel).map(|p| (3 * p + 1) % size).collect(), shape).expect("numel positions fill the shape")
}

/// `shape` with `axis` resized to `size`.
pub(super) fn with_axis(shape: &[usize], axis: usize, size: usize) -> Vec<usize> {
    let mut dims = shape.to_vec();
    dims[axis] = size;
    dims
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        // Several positions per lane, with repeats, along axis 1 of the sampled shape.
        OpCheck::new("gather", 1, |x| x[0].gather(1, &spread(&with_axis(x[0].dims(), 1, 5), x[0].dims()[1])))
            .shapes(&[&[&[3, 4]], &[&[2, 3, 2]]]),
        // An index smaller than the input along the other axes, along the last axis.
        OpCheck::new("gather (smaller index)", 1, |x| x[0].gather(-1, &spread(&[2, 2, 3], x[0].dims()[2])))
            .shapes(&[&[&[3, 2, 4]]]),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::{check_grad, check_grad2, t};
    use crate::{Error, Indices, Tape, Tensor};

    fn x() -> Tensor<f64> {
        Tensor::from_fn([2, 3, 2], |i| i as f64 * 0.5 - 1.0)
    }

    fn idx(data: &[usize], shape: &[usize]) -> Indices {
        Indices::new(data.to_vec(), shape).unwrap()
    }

    // PyTorch: x = torch.arange(12.).reshape(2, 3, 2) * 0.5 - 1
    // x.gather(1, torch.tensor([[[2, 0]], [[1, 1]]])) -> [[[1.0, -0.5]], [[3.0, 3.5]]]
    #[test]
    fn gather_and_its_gradient() {
        let tape = Tape::new();
        let x = tape.var(x());
        let y = x.gather(1, &idx(&[2, 0, 1, 1], &[2, 1, 2])).unwrap();
        assert_eq!(y.dims(), &[2, 1, 2]);
        assert_eq!(y.value().to_vec(), vec![1.0, -0.5, 3.0, 3.5]);
        y.mul(&tape.constant(Tensor::from_vec(vec![1., 2., 3., 4.], [2, 1, 2]).unwrap()))
            .unwrap()
            .sum()
            .backward()
            .unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0., 2., 0., 0., 1., 0., 0., 0., 3., 4., 0., 0.]);
        // Cross-entropy's use: one label per row.
        let logits = tape.constant(t(&[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], &[2, 3]));
        assert_eq!(logits.gather(1, &Indices::column(&[2, 0])).unwrap().value().to_vec(), vec![0.3, 0.4]);
        assert_eq!(logits.gather(0, &idx(&[1, 0, 1], &[1, 3])).unwrap().value().to_vec(), vec![0.4, 0.2, 0.6]);
    }

    // PyTorch: x.gather(1, torch.tensor([[[2], [2], [0], [1]]])) with x as above: an index
    // longer than x along the axis (repeats) and shorter along the last axis.
    #[test]
    fn several_positions_per_lane_and_a_smaller_index() {
        let tape = Tape::new();
        let x = tape.var(x());
        let y = x.gather(1, &idx(&[2, 2, 0, 1], &[1, 4, 1])).unwrap();
        assert_eq!((y.dims(), y.value().to_vec()), (&[1, 4, 1][..], vec![1.0, 1.0, -1.0, 0.0]));
        y.sum().backward().unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![1., 0., 1., 0., 2., 0., 0., 0., 0., 0., 0., 0.]);
    }

    #[test]
    fn index_select_with_repeats_sums_gradients() {
        let tape = Tape::new();
        let x = tape.var(x());
        let y = x.index_select(2, &[1, 1, 0]).unwrap();
        assert_eq!(y.dims(), &[2, 3, 3]);
        assert_eq!(&y.value().to_vec()[..6], &[-0.5, -0.5, -1.0, 0.5, 0.5, 0.0]);
        y.sum().backward().unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), [1.0, 2.0].repeat(6));
    }

    #[test]
    fn gradients_by_finite_differences() {
        let x = x();
        check_grad(&[&x], |v| v[0].gather(1, &idx(&[2, 0, 1, 1, 0, 2], &[1, 3, 2])).unwrap().powf(2.0));
        check_grad(&[&x], |v| v[0].gather(2, &idx(&[1, 0, 0, 1, 1, 1, 0, 0], &[2, 2, 2])).unwrap().powf(2.0));
        check_grad(&[&x], |v| v[0].index_select(1, &[2, 2, 0]).unwrap().powf(2.0));
        check_grad2(&[&x], |v| v[0].gather(0, &idx(&[1, 0, 0, 1, 1, 0, 1, 1], &[4, 1, 2])).unwrap().powf(3.0));
        check_grad2(&[&x], |v| v[0].index_select(0, &[1, 1]).unwrap().powf(3.0));
        let s = Tensor::from_fn([2, 2, 2], |i| i as f64 - 3.5);
        let scatter = idx(&[2, 0, 2, 2, 1, 1, 0, 2], &[2, 2, 2]);
        check_grad2(&[&x, &s], |v| v[0].scatter_add(1, &scatter, &v[1]).unwrap().powf(3.0));
        let source = Tensor::from_fn([2, 3, 2], |i| i as f64 * 0.25 - 1.0);
        check_grad2(&[&x, &source], |v| v[0].index_add(1, &[0, 0, 2], &v[1]).unwrap().powf(3.0));
    }

    #[test]
    fn bad_indices_are_errors() {
        let tape = Tape::<f32>::new();
        let x = tape.var(Tensor::zeros([2, 3]));
        let e = x.gather(1, &Indices::column(&[0, 3])).unwrap_err();
        assert!(matches!(e, Error::IndexOutOfRange { op: "gather", index: 3, axis: 1, size: 3, .. }), "{e}");
        let msg = "index 3 out of range for axis 1 (size 3) of shape [2, 3] in gather (at ";
        assert!(e.to_string().starts_with(msg), "{e}");
        let e = x.gather(1, &Indices::column(&[0, 1, 2])).unwrap_err().to_string();
        assert!(e.contains("an index of shape [3, 1] does not fit a tensor of shape [2, 3]"), "{e}");
        assert!(x.gather(1, &Indices::vector(&[0, 0])).is_err(), "the index's rank differs");
        assert!(x.gather(2, &Indices::column(&[0, 0])).is_err());
        let e = x.index_select(0, &[0, 2]).unwrap_err().to_string();
        assert!(e.starts_with("index 2 out of range for axis 0 (size 2) of shape [2, 3] in index_select"), "{e}");
        let e = Tensor::<f32>::one_hot(&[1, 5], 4).unwrap_err().to_string();
        assert!(e.starts_with("index 5 out of range for axis 1 (size 4) of shape [2, 4] in one_hot"), "{e}");
    }

    #[test]
    fn one_hot() {
        let t = Tensor::<f64>::one_hot(&[1, 0, 1], 2).unwrap();
        assert_eq!(t.dims(), &[3, 2]);
        assert_eq!(t.to_vec(), vec![0., 1., 1., 0., 0., 1.]);
    }
}
