//! Scattering with addition along an axis, as `torch.scatter_add(base, dim, index, src)`:
//! `y = base; y[p with its coordinate along axis replaced by index[p]] += src[p]` for every
//! position `p` of `index`, repeated targets adding up. The adjoint of `gather`. Backward:
//! `∂L/∂base = g`; `∂L/∂src = gather(g)` at the same positions, whose backward is `scatter_add`
//! again, so every order works. Linear in both inputs: no kinks.
//!
//! The primitive takes a source of exactly the index's shape. PyTorch also accepts a larger
//! source and uses only its leading part; the method does the same by narrowing the source
//! first (a composite), so the unused part gets a zero gradient, where PyTorch's backward
//! raises an error.

use super::gather::{check_index, for_each_position, spread, with_axis};
use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::{AxisIndex, ScatterAdd};
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Axis, Error, Float, Indices, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// `self` with `src[p]` added at `p`'s coordinates with the one along `axis` replaced by
    /// `index[p]`, for every position `p` of `index`, as `torch.scatter_add`: the adjoint of
    /// [`gather`](Var::gather). `index` has `self`'s rank and, along the other axes, at most
    /// `self`'s sizes; `src` is at least `index`'s size along every axis (only its leading part
    /// is used). Differentiable in both `self` and `src`.
    ///
    /// ```
    /// use autograd::{Indices, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let counts = tape.constant(Tensor::zeros([2, 3]));
    /// let src = tape.var(Tensor::from_vec(vec![1., 2., 3., 4.], [2, 2]).unwrap());
    /// let y = counts.scatter_add(1, &Indices::new(vec![2, 2, 0, 1], [2, 2]).unwrap(), &src).unwrap();
    /// assert_eq!(y.value().to_vec(), vec![0., 0., 3., 3., 4., 0.]);
    /// ```
    #[track_caller]
    pub fn scatter_add(&self, axis: impl Into<Axis>, index: &Indices, src: &Var<'t, T>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        self.same_tape(src, "scatter_add", site)?;
        let axis = axis.into().resolve("scatter_add", self.shape(), site)?;
        check_index("scatter_add", index, axis, self.shape(), site)?;
        if src.rank() != index.rank() || src.dims().iter().zip(index.dims()).any(|(&s, &i)| s < i) {
            let msg = format!(
                "a source of shape {} is smaller than the index {}: it needs the same rank and at least the \
                 index's size along every axis",
                src.shape(),
                index.shape()
            );
            return Err(Error::InvalidArgument { op: "scatter_add", msg, site });
        }
        let mut used = src.clone();
        for (d, (&s, &i)) in src.dims().iter().zip(index.dims()).enumerate() {
            if s > i {
                used = used.narrow_at(d, 0, i, site)?;
            }
        }
        Ok(self.scatter_add_at(AxisIndex::new(axis, index.clone()), &used, site))
    }

    /// Records `scatter_add` with an index already checked against `self`'s shape and a source
    /// of the index's shape.
    pub(super) fn scatter_add_at(&self, index: AxisIndex, src: &Var<'t, T>, site: Site) -> Var<'t, T> {
        let axis = index.axis();
        let stride = self.shape().strides()[axis];
        let (s, positions) = (src.value.data(), index.positions());
        let mut value = self.value.clone();
        let out = value.data_mut();
        for_each_position(index.indices().shape(), self.shape(), axis, |p, base| {
            out[base + positions[p] * stride] += s[p];
        });
        self.tape.record(ScatterAdd { index }, &[self, src], value, site, Keep::Nothing)
    }
}

impl<T: Float> Rule<T> for ScatterAdd {
    /// `∂L/∂base = g`, `∂L/∂src = gather(g)`.
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        ctx.grad(0, || Ok(g.clone()))?;
        ctx.grad(1, || Ok(g.gather_at(self.index.clone(), Site::caller())))
    }
}

impl<T: Float> Jvp<T> for ScatterAdd {
    /// Linear in both inputs: `ẏ = scatter_add(ḃase, ṡrc)`, with a zero tangent for an input
    /// that has none.
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        match ctx.tangent(1) {
            None => Ok(ctx.tangent(0).cloned()),
            Some(src) => Ok(Some(ctx.tangent_or_zeros(0).scatter_add_at(self.index.clone(), src, Site::caller()))),
        }
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        // A source of the index's shape: several positions per lane, with repeats, along axis 1.
        OpCheck::new("scatter_add", 2, |x| x[0].scatter_add(1, &spread(x[1].dims(), x[0].dims()[1]), &x[1]))
            .shapes(&[&[&[3, 4], &[3, 6]], &[&[2, 3, 2], &[2, 5, 2]]]),
        // A source larger than the index (its leading part used) into a base larger than both.
        OpCheck::new("scatter_add (larger source)", 2, |x| {
            x[0].scatter_add(0, &spread(&with_axis(&[2, 2], 0, 3), x[0].dims()[0]), &x[1])
        })
        .shapes(&[&[&[4, 3], &[3, 3]]]),
    ]
}
