//! Selecting whole slices along an axis: view `x` as `[outer, n, inner]` around `axis`;
//! `y[o, j, i] = x[o, index[j], i]` (repeats allowed). Backward: `index_add` of `g` into zeros,
//! so repeated indices sum their gradients; its backward is `index_select` again. Linear: no
//! kinks.

use super::gather::{check_range, spread};
use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::{resized, Lanes};
use crate::op::{AxisIndex, IndexSelect};
use crate::rule::{Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::tensor::check_result;
use crate::{Axis, Float, Indices, Result, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
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
    pub fn index_select(&self, axis: impl Into<Axis>, index: &[usize]) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let axis = axis.into().resolve("index_select", self.shape(), site)?;
        check_range("index_select", index, axis, self.shape(), site)?;
        check_result::<T>("index_select", &resized(self.shape(), axis, index.len()), site)?;
        Ok(self.index_select_at(AxisIndex::new(axis, Indices::vector(index)), site))
    }

    /// Records `index_select` with an index already checked against `self`'s shape.
    pub(super) fn index_select_at(&self, index: AxisIndex, site: Site) -> Var<'t, T> {
        let axis = index.axis();
        let lanes = Lanes::new(self.shape(), axis);
        let (n, m, inner) = (lanes.len, index.positions().len(), lanes.inner);
        let x = self.value.data();
        let value = Tensor::zeroed_with(resized(self.shape(), axis, m), |out| {
            for o in 0..lanes.outer {
                for (j, &k) in index.positions().iter().enumerate() {
                    let src = (o * n + k) * inner;
                    let dst = (o * m + j) * inner;
                    out[dst..dst + inner].copy_from_slice(&x[src..src + inner]);
                }
            }
        });
        self.tape.record(IndexSelect { index }, &[self], value, site, Keep::Nothing)
    }
}

impl<T: Float> Rule<T> for IndexSelect {
    /// `dx = index_add(zeros, g)` at the same positions.
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        let shape = ctx.input_shape(0);
        ctx.grad(0, || Ok(g.constant(Tensor::zeros(shape)).index_add_at(self.index.clone(), g, Site::caller())))
    }
}

impl<T: Float> Jvp<T> for IndexSelect {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        ctx.linear(|t| Ok(t.index_select_at(self.index.clone(), Site::caller())))
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![OpCheck::new("index_select", 1, |x| x[0].index_select(1, spread(&[4], x[0].dims()[1]).data()))
        .shapes(&[&[&[2, 3]], &[&[2, 3, 2]]])]
}
