//! Integer indexing along one axis, and the adjoints that make it differentiable.
//!
//! View `x` as `[outer, n, inner]` around `axis`.
//!
//! - `gather(axis, index)`: one element per lane, `y[o, 0, i] = x[o, index[o·inner + i], i]`
//!   (`index` lists one position per element of the other axes, row-major: for logits `[N, C]`
//!   and `axis = 1` it is the `N` labels). Backward: `scatter_add` of `g` into zeros.
//! - `scatter_add(axis, index, n)`: the adjoint, `y = zeros; y[o, index[o·inner + i], i] += x[o, 0, i]`.
//!   Backward: `gather`.
//! - `index_select(axis, index)`: whole slices, `y[o, j, i] = x[o, index[j], i]` (repeats
//!   allowed). Backward: `index_add` of `g` into zeros, so repeated indices sum their gradients.
//! - `index_add(axis, index, n)`: the adjoint, `y = zeros; y[o, index[j], i] += x[o, j, i]`.
//!   Backward: `index_select`.
//!
//! All four are linear in `x`: no kinks, and each pair differentiates into the other, so every
//! order works. An index out of range is [`Error::IndexOutOfRange`].
//!
//! [`Tensor::one_hot`] builds the constant one-hot matrix of a list of labels.

use super::{check_axis, Keep, Op};
use crate::error::Site;
use crate::kernels::{resized, Lanes};
use crate::rule::Ctx;
use crate::{Error, Float, Result, Shape, Tensor, Var};
use std::sync::Arc;

impl<'t, T: Float> Var<'t, T> {
    /// Picks one element along `axis` for every position of the other axes: `index[p]` is the
    /// position along `axis` for the `p`-th (row-major) position of the other axes. The result
    /// has `self`'s shape with `axis` of size 1.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let logp = tape.var(Tensor::from_vec(vec![-0.1, -2.0, -3.0, -1.5, -0.5, -2.5], [2, 3]).unwrap());
    /// let picked = logp.gather(1, &[0, 2]).unwrap(); // the labels of two samples
    /// assert_eq!(picked.dims(), &[2, 1]);
    /// assert_eq!(picked.value().to_vec(), vec![-0.1, -2.5]);
    /// ```
    #[track_caller]
    pub fn gather(&self, axis: usize, index: &[usize]) -> Result<Var<'t, T>> {
        self.gather_at(axis, index.into(), Site::caller())
    }

    /// The adjoint of [`gather`](Var::gather): a tensor of zeros with `self`'s shape except
    /// `size` along `axis` (where `self` has size 1), into which each element of `self` is added
    /// at the position `index` gives for it.
    #[track_caller]
    pub fn scatter_add(&self, axis: usize, index: &[usize], size: usize) -> Result<Var<'t, T>> {
        self.scatter_add_at(axis, index.into(), size, Site::caller())
    }

    /// Selects whole slices along `axis`, in the order `index` lists them (repeats allowed).
    /// The result has `self`'s shape with `index.len()` along `axis`.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let table = tape.var(Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], [3, 2]).unwrap());
    /// let rows = table.index_select(0, &[2, 0, 2]).unwrap();
    /// assert_eq!(rows.value().to_vec(), vec![5., 6., 1., 2., 5., 6.]);
    /// rows.sum().backward().unwrap();
    /// assert_eq!(table.grad().unwrap().to_vec(), vec![1., 1., 0., 0., 2., 2.]);
    /// ```
    #[track_caller]
    pub fn index_select(&self, axis: usize, index: &[usize]) -> Result<Var<'t, T>> {
        self.index_select_at(axis, index.into(), Site::caller())
    }

    /// The adjoint of [`index_select`](Var::index_select): a tensor of zeros with `self`'s shape
    /// except `size` along `axis`, into which slice `j` of `self` is added at position `index[j]`.
    #[track_caller]
    pub fn index_add(&self, axis: usize, index: &[usize], size: usize) -> Result<Var<'t, T>> {
        self.index_add_at(axis, index.into(), size, Site::caller())
    }

    fn gather_at(&self, axis: usize, index: Arc<[usize]>, site: Site) -> Result<Var<'t, T>> {
        check_axis("gather", axis, self.shape(), site)?;
        let lanes = Lanes::new(self.shape(), axis);
        check_positions("gather", &index, lanes, self.shape(), axis, site)?;
        check_range("gather", &index, axis, lanes.len, site)?;
        let (n, inner) = (lanes.len, lanes.inner);
        let x = self.value.data();
        let value = Tensor::from_exact_iter(
            self.shape().reduced(&[axis], true),
            index.iter().enumerate().map(|(p, &k)| x[(p / inner * n + k) * inner + p % inner]),
        );
        let op = Op::Gather { axis: axis_u32(axis), index };
        Ok(self.tape.record(op, &[self], value, site, Keep::Nothing))
    }

    fn scatter_add_at(&self, axis: usize, index: Arc<[usize]>, size: usize, site: Site) -> Result<Var<'t, T>> {
        check_axis("scatter_add", axis, self.shape(), site)?;
        if self.dims()[axis] != 1 {
            let msg = format!("axis {axis} of the source {} must have size 1", self.shape());
            return Err(Error::InvalidArgument { op: "scatter_add", msg, site });
        }
        let lanes = Lanes::new(self.shape(), axis);
        check_positions("scatter_add", &index, lanes, self.shape(), axis, site)?;
        check_range("scatter_add", &index, axis, size, site)?;
        let inner = lanes.inner;
        let shape = resized(self.shape(), axis, size);
        let x = self.value.data();
        let value = Tensor::zeroed_with(shape, |out| {
            for (p, &k) in index.iter().enumerate() {
                out[(p / inner * size + k) * inner + p % inner] += x[p];
            }
        });
        let op = Op::ScatterAdd { axis: axis_u32(axis), index };
        Ok(self.tape.record(op, &[self], value, site, Keep::Nothing))
    }

    fn index_select_at(&self, axis: usize, index: Arc<[usize]>, site: Site) -> Result<Var<'t, T>> {
        check_axis("index_select", axis, self.shape(), site)?;
        let lanes = Lanes::new(self.shape(), axis);
        check_range("index_select", &index, axis, lanes.len, site)?;
        let (n, m, inner) = (lanes.len, index.len(), lanes.inner);
        let x = self.value.data();
        let value = Tensor::zeroed_with(resized(self.shape(), axis, m), |out| {
            for o in 0..lanes.outer {
                for (j, &k) in index.iter().enumerate() {
                    let src = (o * n + k) * inner;
                    let dst = (o * m + j) * inner;
                    out[dst..dst + inner].copy_from_slice(&x[src..src + inner]);
                }
            }
        });
        let op = Op::IndexSelect { axis: axis_u32(axis), index };
        Ok(self.tape.record(op, &[self], value, site, Keep::Nothing))
    }

    fn index_add_at(&self, axis: usize, index: Arc<[usize]>, size: usize, site: Site) -> Result<Var<'t, T>> {
        check_axis("index_add", axis, self.shape(), site)?;
        let lanes = Lanes::new(self.shape(), axis);
        if lanes.len != index.len() {
            let msg = format!("{} indices for axis {axis} of the source {}", index.len(), self.shape());
            return Err(Error::InvalidArgument { op: "index_add", msg, site });
        }
        check_range("index_add", &index, axis, size, site)?;
        let (m, inner) = (lanes.len, lanes.inner);
        let x = self.value.data();
        let value = Tensor::zeroed_with(resized(self.shape(), axis, size), |out| {
            for o in 0..lanes.outer {
                for (j, &k) in index.iter().enumerate() {
                    let src = (o * m + j) * inner;
                    let dst = (o * size + k) * inner;
                    for (d, &s) in out[dst..dst + inner].iter_mut().zip(&x[src..src + inner]) {
                        *d += s;
                    }
                }
            }
        });
        let op = Op::IndexAdd { axis: axis_u32(axis), index };
        Ok(self.tape.record(op, &[self], value, site, Keep::Nothing))
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
        check_range("one_hot", labels, 1, classes, Site::caller())?;
        Ok(Tensor::zeroed_with(Shape::from([labels.len(), classes]), |out| {
            for (row, &label) in labels.iter().enumerate() {
                out[row * classes + label] = T::ONE;
            }
        }))
    }
}

/// Axes are stored as `u32` so that these variants keep `Op` at 24 bytes.
fn axis_u32(axis: usize) -> u32 {
    u32::try_from(axis).expect("an axis below the rank, far below 2^32")
}

/// Checks that `index` has one entry per position of the axes other than `axis`.
fn check_positions(
    op: &'static str,
    index: &[usize],
    lanes: Lanes,
    shape: &Shape,
    axis: usize,
    site: Site,
) -> Result<()> {
    if index.len() == lanes.count() {
        return Ok(());
    }
    let msg = format!(
        "{} indices for a tensor of shape {shape}: expected {}, one for each position of the axes other than {axis}",
        index.len(),
        lanes.count()
    );
    Err(Error::InvalidArgument { op, msg, site })
}

fn check_range(op: &'static str, index: &[usize], axis: usize, size: usize, site: Site) -> Result<()> {
    match index.iter().find(|&&k| k >= size) {
        Some(&index) => Err(Error::IndexOutOfRange { op, index, axis, size, site }),
        None => Ok(()),
    }
}

pub(super) fn backward_gather<'t, T: Float>(
    axis: u32,
    index: &Arc<[usize]>,
    ctx: &mut Ctx<'_, 't, T>,
    g: &Var<'t, T>,
) -> Result<()> {
    let axis = axis as usize;
    let size = ctx.input_shape(0)[axis];
    ctx.grad(0, || g.scatter_add_at(axis, index.clone(), size, Site::caller()))
}

pub(super) fn backward_scatter_add<'t, T: Float>(
    axis: u32,
    index: &Arc<[usize]>,
    ctx: &mut Ctx<'_, 't, T>,
    g: &Var<'t, T>,
) -> Result<()> {
    ctx.grad(0, || g.gather_at(axis as usize, index.clone(), Site::caller()))
}

pub(super) fn backward_index_select<'t, T: Float>(
    axis: u32,
    index: &Arc<[usize]>,
    ctx: &mut Ctx<'_, 't, T>,
    g: &Var<'t, T>,
) -> Result<()> {
    let axis = axis as usize;
    let size = ctx.input_shape(0)[axis];
    ctx.grad(0, || g.index_add_at(axis, index.clone(), size, Site::caller()))
}

pub(super) fn backward_index_add<'t, T: Float>(
    axis: u32,
    index: &Arc<[usize]>,
    ctx: &mut Ctx<'_, 't, T>,
    g: &Var<'t, T>,
) -> Result<()> {
    ctx.grad(0, || g.index_select_at(axis as usize, index.clone(), Site::caller()))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{check_grad, check_grad2, t};
    use crate::{Error, Tape, Tensor};

    fn x() -> Tensor<f64> {
        Tensor::from_fn([2, 3, 2], |i| i as f64 * 0.5 - 1.0)
    }

    // PyTorch: x = torch.arange(12.).reshape(2, 3, 2) * 0.5 - 1
    // x.gather(1, torch.tensor([[[2, 0]], [[1, 1]]])) -> [[[1.0, -0.5]], [[3.0, 3.5]]]
    #[test]
    fn gather_and_its_gradient() {
        let tape = Tape::new();
        let x = tape.var(x());
        let y = x.gather(1, &[2, 0, 1, 1]).unwrap();
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
        assert_eq!(logits.gather(1, &[2, 0]).unwrap().value().to_vec(), vec![0.3, 0.4]);
        assert_eq!(logits.gather(0, &[1, 0, 1]).unwrap().value().to_vec(), vec![0.4, 0.2, 0.6]);
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
        check_grad(&[&x], |v| v[0].gather(1, &[2, 0, 1, 1]).unwrap().powf(2.0));
        check_grad(&[&x], |v| v[0].gather(2, &[1, 0, 0, 1, 1, 1]).unwrap().powf(2.0));
        check_grad(&[&x], |v| v[0].index_select(1, &[2, 2, 0]).unwrap().powf(2.0));
        check_grad2(&[&x], |v| v[0].gather(0, &[1, 0, 0, 1, 1, 0]).unwrap().powf(3.0));
        check_grad2(&[&x], |v| v[0].index_select(0, &[1, 1]).unwrap().powf(3.0));
        let s = Tensor::from_fn([2, 1, 2], |i| i as f64 - 1.5);
        check_grad2(&[&s], |v| v[0].scatter_add(1, &[2, 0, 2, 2], 3).unwrap().powf(3.0));
        check_grad2(&[&x], |v| v[0].index_add(1, &[0, 0, 3], 4).unwrap().powf(3.0));
    }

    #[test]
    fn bad_indices_are_errors() {
        let tape = Tape::<f32>::new();
        let x = tape.var(Tensor::zeros([2, 3]));
        let e = x.gather(1, &[0, 3]).unwrap_err();
        assert!(matches!(e, Error::IndexOutOfRange { op: "gather", index: 3, axis: 1, size: 3, .. }), "{e}");
        assert!(e.to_string().starts_with("index 3 out of range for axis 1 of size 3 in gather (at "), "{e}");
        let e = x.gather(1, &[0, 1, 2]).unwrap_err().to_string();
        assert!(e.contains("3 indices for a tensor of shape [2, 3]: expected 2"), "{e}");
        assert!(x.gather(2, &[0, 0]).is_err());
        let e = x.index_select(0, &[0, 2]).unwrap_err().to_string();
        assert!(e.starts_with("index 2 out of range for axis 0 of size 2 in index_select"), "{e}");
        assert!(x.scatter_add(1, &[0, 0], 3).is_err(), "source axis must have size 1");
        assert!(x.index_add(1, &[0, 1], 3).is_err(), "one index per source slice");
        let e = Tensor::<f32>::one_hot(&[1, 5], 4).unwrap_err().to_string();
        assert!(e.starts_with("index 5 out of range for axis 1 of size 4 in one_hot"), "{e}");
    }

    #[test]
    fn one_hot() {
        let t = Tensor::<f64>::one_hot(&[1, 0, 1], 2).unwrap();
        assert_eq!(t.dims(), &[3, 2]);
        assert_eq!(t.to_vec(), vec![0., 1., 1., 0., 0., 1.]);
    }
}
