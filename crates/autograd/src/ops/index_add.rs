//! Adding whole slices along an axis, as `torch.index_add(base, dim, index, source)`: view
//! `source` as `[outer, m, inner]` around `axis` and the output as `[outer, n, inner]`;
//! `y = base; y[o, index[j], i] += source[o, j, i]`, repeated targets adding up. The adjoint of
//! `index_select`. Backward: `∂L/∂base = g`; `∂L/∂source = index_select(g)`, whose backward is
//! `index_add` again. Linear in both inputs: no kinks.

use super::gather::{check_range, spread};
use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::{resized, Lanes};
use crate::op::{AxisIndex, IndexAdd};
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Axis, Error, Float, Indices, Result, Var};

impl<'t, T: Float> Var<'t, T> {
    /// `self` with slice `j` of `source` along `axis` added at position `index[j]`, as
    /// `torch.index_add`: the adjoint of [`index_select`](Var::index_select). `source` has
    /// `self`'s shape except `index.len()` along `axis`. Differentiable in both.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let table = tape.var(Tensor::zeros([3, 2]));
    /// let rows = tape.var(Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], [3, 2]).unwrap());
    /// let y = table.index_add(0, &[2, 0, 2], &rows).unwrap();
    /// assert_eq!(y.value().to_vec(), vec![3., 4., 0., 0., 6., 8.]);
    /// ```
    #[track_caller]
    pub fn index_add(&self, axis: impl Into<Axis>, index: &[usize], source: &Var<'t, T>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        self.same_tape(source, "index_add", site)?;
        let axis = axis.into().resolve("index_add", self.shape(), site)?;
        if source.shape() != &resized(self.shape(), axis, index.len()) {
            let msg = format!(
                "a source of shape {} for {} indices into shape {} along axis {axis}: expected {}",
                source.shape(),
                index.len(),
                self.shape(),
                resized(self.shape(), axis, index.len())
            );
            return Err(Error::InvalidArgument { op: "index_add", msg, site });
        }
        check_range("index_add", index, axis, self.shape(), site)?;
        Ok(self.index_add_at(AxisIndex::new(axis, Indices::vector(index)), source, site))
    }

    /// Records `index_add` with an index already checked against `self`'s shape and a source of
    /// the matching shape.
    pub(super) fn index_add_at(&self, index: AxisIndex, source: &Var<'t, T>, site: Site) -> Var<'t, T> {
        let axis = index.axis();
        let lanes = Lanes::new(self.shape(), axis);
        let (n, m, inner) = (lanes.len, index.positions().len(), lanes.inner);
        let s = source.value.data();
        let mut value = self.value.clone();
        let out = value.data_mut();
        for o in 0..lanes.outer {
            for (j, &k) in index.positions().iter().enumerate() {
                let src = (o * m + j) * inner;
                let dst = (o * n + k) * inner;
                for (d, &v) in out[dst..dst + inner].iter_mut().zip(&s[src..src + inner]) {
                    *d += v;
                }
            }
        }
        self.tape.record(IndexAdd { index }, &[self, source], value, site, Keep::Nothing)
    }
}

impl<T: Float> Rule<T> for IndexAdd {
    /// `∂L/∂base = g`, `∂L/∂source = index_select(g)`.
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        ctx.grad(0, || Ok(g.clone()))?;
        ctx.grad(1, || Ok(g.index_select_at(self.index.clone(), Site::caller())))
    }
}

impl<T: Float> Jvp<T> for IndexAdd {
    /// Linear in both inputs: `ẏ = index_add(ḃase, ṡource)`, with a zero tangent for an input
    /// that has none.
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        match ctx.tangent(1) {
            None => Ok(ctx.tangent(0).cloned()),
            Some(s) => Ok(Some(ctx.tangent_or_zeros(0).index_add_at(self.index.clone(), s, Site::caller()))),
        }
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("index_add", 2, |x| x[0].index_add(1, spread(&[x[1].dims()[1]], x[0].dims()[1]).data(), &x[1]))
        .shapes(&[&[&[2, 3], &[2, 4]], &[&[2, 2, 2], &[2, 5, 2]]])]
}
