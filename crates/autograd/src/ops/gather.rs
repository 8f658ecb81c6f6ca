//! Gathering one element per lane: view `x` as `[outer, n, inner]` around `axis`; then
//! `y[o, 0, i] = x[o, index[o·inner + i], i]` (`index` lists one position per element of the
//! other axes, row-major: for logits `[N, C]` and `axis = 1` it is the `N` labels). Backward:
//! `scatter_add` of `g` into zeros, its adjoint, whose backward is `gather` again, so every
//! order works. Linear in `x`: no kinks. An index out of range is [`Error::IndexOutOfRange`].
//!
//! [`Tensor::one_hot`] builds the constant one-hot matrix of a list of labels. The index checks
//! here serve the other indexing ops too (`scatter_add`, `index_select`, `index_add`).

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::Lanes;
use crate::op::{AxisIndex, Gather};
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Axis, Error, Float, Result, Shape, Tensor, Var};

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
    pub fn gather(&self, axis: impl Into<Axis>, index: &[usize]) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let axis = axis.into().resolve("gather", self.shape(), site)?;
        self.gather_at(AxisIndex::new(axis, index), site)
    }

    pub(super) fn gather_at(&self, index: AxisIndex, site: Site) -> Result<Var<'t, T>> {
        let axis = index.axis();
        let lanes = Lanes::new(self.shape(), axis);
        check_positions("gather", index.positions(), lanes, self.shape(), axis, site)?;
        check_range("gather", index.positions(), axis, lanes.len, site)?;
        let (n, inner) = (lanes.len, lanes.inner);
        let x = self.value.data();
        let value = Tensor::from_exact_iter(
            self.shape().reduced(&[axis], true),
            index.positions().iter().enumerate().map(|(p, &k)| x[(p / inner * n + k) * inner + p % inner]),
        );
        Ok(self.tape.record(Gather { index }, &[self], value, site, Keep::Nothing))
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

/// Checks that `index` has one entry per position of the axes other than `axis`.
pub(super) fn check_positions(
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

pub(super) fn check_range(op: &'static str, index: &[usize], axis: usize, size: usize, site: Site) -> Result<()> {
    match index.iter().find(|&&k| k >= size) {
        Some(&index) => Err(Error::IndexOutOfRange { op, index, axis, size, site }),
        None => Ok(()),
    }
}

impl<T: Float> Rule<T> for Gather {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let axis = self.index.axis();
        let size = ctx.input_shape(0)[axis];
        ctx.grad(0, || g.scatter_add_at(self.index.clone(), size, Site::caller()))
    }
}

impl<T: Float> Jvp<T> for Gather {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        ctx.linear(|t| t.gather_at(self.index.clone(), Site::caller()))
    }
}

/// `count` positions below `size`, spread out and with repeats once `count > size`: index lists
/// for the indexing ops' check rows, which depend on the sampled shape.
pub(super) fn spread(count: usize, size: usize) -> Vec<usize> {
    (0..count).map(|p| (3 * p + 1) % size).collect()
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        // Positions along axis 1, depending on the sampled shape.
        OpCheck::new("gather", 1, |x| x[0].gather(1, &spread(x[0].numel() / x[0].dims()[1], x[0].dims()[1])))
            .shapes(&[&[&[3, 4]], &[&[2, 3, 2]]]),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::{check_grad, check_grad2, t};
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
