//! Max over axes: `y = max_{i ∈ group} xᵢ`; `∂L/∂xᵢ = g / k` if `xᵢ` equals its group's maximum
//! and `k` elements of the group tie for it, 0 otherwise: ties split the gradient evenly, as
//! PyTorch's `amax`. `max` (over all elements) is a composite of it; `min_axes.rs` reuses the
//! kernel and the rule with the comparison reversed.
//!
//! Without a tie the whole gradient goes to the one winning element (what lets Maxout train only
//! the winning piece); ties split it evenly, as PyTorch's `amax`/`amin` and JAX's `max` (which
//! differ from `torch.max(dim)`, which picks one index). The weights `[xᵢ = y] / k` are
//! piecewise constant, so the rule is `g · w` with a constant `w` and differentiates again. NaN propagates: a group holding NaN has a NaN extremum and sends
//! no gradient.
//!
//! Kinks: where the set of winning elements changes. The rule declares them through the same
//! weights `[xᵢ = y] / k`, so gradient checks see them.
//!
//! The op is recorded with the reduced axes kept (size 1); without `keepdim` a free reshape
//! follows, so the backward never needs to know which axes were reduced.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::kernels::for_each_pair;
use crate::op::{MaxAxes, MinAxes, Op};
use crate::rule::{Branches, Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Axes, Error, Float, Result, Shape, Tensor, Var};

impl<'t, T: Float> Var<'t, T> {
    /// The maximum over `axes` (one axis or several; negative ones count from the back), as
    /// PyTorch's `amax`; with `keepdim` the reduced axes stay as size 1. Ties split the gradient
    /// evenly. An empty axis among `axes` is an error.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![1., 3., 3., 2., -1., 0.], [2, 3]).unwrap());
    /// let m = x.max_axes(&[1], false).unwrap();
    /// assert_eq!(m.value().to_vec(), vec![3., 2.]);
    /// m.sum().backward().unwrap();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0., 0.5, 0.5, 1., 0., 0.]); // the tie splits
    /// assert_eq!(x.max_axes(-1, false).unwrap().value().to_vec(), vec![3., 2.]);
    /// ```
    #[track_caller]
    pub fn max_axes(&self, axes: impl Into<Axes>, keepdim: bool) -> Result<Var<'t, T>> {
        self.extremum(Extremum::Max, &axes.into(), keepdim, Site::caller())
    }

    /// The largest element, as a scalar. Ties split the gradient evenly. An empty tensor is an
    /// error, as an empty axis is in [`max_axes`](Var::max_axes) (and as in PyTorch).
    #[track_caller]
    pub fn max(&self) -> Result<Var<'t, T>> {
        self.extremum_all(Extremum::Max, Site::caller())
    }

    pub(super) fn extremum(&self, which: Extremum, axes: &Axes, keepdim: bool, site: Site) -> Result<Var<'t, T>> {
        let op = which.name();
        let axes = axes.resolve(op, self.shape(), site)?;
        if let Some(&axis) = axes.iter().find(|&&a| self.dims()[a] == 0) {
            let msg = format!("axis {axis} of shape {} is empty: the {op} of no elements is undefined", self.shape());
            return Err(Error::InvalidArgument { op, msg, site });
        }
        let y = self.extremum_kept(which, self.shape().reduced(&axes, true), site);
        if keepdim {
            Ok(y)
        } else {
            y.reshape_at(self.shape().reduced(&axes, false), site)
        }
    }

    pub(super) fn extremum_all(&self, which: Extremum, site: Site) -> Result<Var<'t, T>> {
        let op = which.name();
        if self.numel() == 0 {
            let msg = format!("tensor of shape {} is empty: the {op} of no elements is undefined", self.shape());
            return Err(Error::InvalidArgument { op, msg, site });
        }
        Ok(self
            .extremum_kept(which, Shape::from(vec![1; self.rank()]), site)
            .reshape_at(Shape::scalar(), site)
            .expect("a one-element shape reshapes to a scalar"))
    }

    /// Records the reduction to `kept` (the input's shape with the reduced axes set to 1).
    fn extremum_kept(&self, which: Extremum, kept: Shape, site: Site) -> Var<'t, T> {
        let x = self.value.data();
        let value = Tensor::zeroed_with(kept.clone(), |out| {
            out.fill(which.identity());
            for_each_pair(&kept, self.shape(), |i, k| {
                if which.beats(x[i], out[k]) {
                    out[k] = x[i];
                }
            });
        });
        let op: Op<T> = match which {
            Extremum::Max => MaxAxes.into(),
            Extremum::Min => MinAxes.into(),
        };
        self.tape.record(op, &[self], value, site, Keep::InputsAndOutput)
    }
}

#[derive(Clone, Copy)]
pub(super) enum Extremum {
    Max,
    Min,
}

impl Extremum {
    fn name(self) -> &'static str {
        match self {
            Extremum::Max => "max_axes",
            Extremum::Min => "min_axes",
        }
    }

    /// The starting value of a group: the extremum of no elements.
    fn identity<T: Float>(self) -> T {
        match self {
            Extremum::Max => T::neg_infinity(),
            Extremum::Min => T::infinity(),
        }
    }

    /// Whether `v` replaces the current extremum `cur` (NaN wins and then stays).
    #[inline]
    fn beats<T: Float>(self, v: T, cur: T) -> bool {
        match self {
            Extremum::Max => v > cur || v.is_nan(),
            Extremum::Min => v < cur || v.is_nan(),
        }
    }
}

/// `dx = [x = y] · g / k` (or the weights `[x = y] / k` alone, without `g`), with `g` and `y` of
/// the kept shape and `k` the number of elements tying for their group's extremum: one pass to
/// count the ties, one to write.
fn split_among_winners<T: Float>(x: &Tensor<T>, y: &Tensor<T>, g: Option<&Tensor<T>>) -> Tensor<T> {
    let (xs, ys) = (x.data(), y.data());
    let mut counts = vec![0u32; ys.len()];
    for_each_pair(y.shape(), x.shape(), |i, k| counts[k] += (xs[i] == ys[k]) as u32);
    Tensor::zeroed_with(x.shape().clone(), |dx| {
        for_each_pair(y.shape(), x.shape(), |i, k| {
            if xs[i] == ys[k] {
                let ties = T::from_usize(counts[k] as usize);
                dx[i] = match g {
                    Some(g) => g.data()[k] / ties,
                    None => T::ONE / ties,
                };
            }
        });
    })
}

/// The rule of both `max_axes` and `min_axes`.
pub(super) fn backward<'t, T: Float>(ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
    let (x, y) = (ctx.saved(0).clone(), ctx.saved(1).clone());
    ctx.grad(0, || {
        if g.tape.is_recording() && g.is_tracked() {
            // g broadcast to x, times the constant weights [x = y] / k.
            let w = g.constant(split_among_winners(&x.value, &y.value, None));
            return g.broadcast_at(x.shape(), Site::caller())?.mul(&w);
        }
        Ok(g.constant(split_among_winners(&x.value, &y.value, Some(&g.value))))
    })
}

/// `ẏ = Σ w·ẋ` over the reduced axes, with the backward's weights `w` (the winners' shares).
pub(super) fn jvp<'t, T: Float>(ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
    let (x, y) = (ctx.saved(0), ctx.saved(1));
    ctx.linear(|t| {
        let w = t.constant(split_among_winners(&x.value, &y.value, None));
        t.mul(&w)?.sum_to_at(y.shape(), Site::caller())
    })
}

/// The kinks of both `max_axes` and `min_axes`: an element's branch is its weight `[x = y] / k`,
/// which changes exactly where the set of winners does.
pub(super) fn branches<T: Float>(saved: &[&Tensor<T>], labels: &mut Branches) {
    labels.note_values(&split_among_winners(saved[0], saved[1], None));
}

impl<T: Float> Rule<T> for MaxAxes {
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
        backward(ctx, g)
    }

    fn branches(&self, saved: &[&Tensor<T>], labels: &mut Branches) {
        branches(saved, labels)
    }
}

impl<T: Float> Jvp<T> for MaxAxes {
    fn jvp<'t>(&self, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
        jvp(ctx)
    }
}

/// This op's rows of the gradient-check table (`tests/op_table.rs` runs them all).
pub(super) fn checks() -> Vec<OpCheck<'static>> {
    vec![
        OpCheck::new("max_axes", 1, |x| x[0].max_axes(&[1], false)).shapes(&[&[&[2, 3]], &[&[2, 3, 2]]]),
        OpCheck::new("max_axes (keepdim)", 1, |x| x[0].max_axes(&[0, 2], true)).shapes(&[&[&[2, 3, 2]]]),
        OpCheck::new("max", 1, |x| x[0].max()).shapes(&[&[&[4]], &[&[2, 3]]]),
    ]
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_all_close, check_grad, check_grad2, t};
    use crate::{Tape, Tensor};

    fn input() -> Tensor<f64> {
        t(&[1., 3., 3., 2., -1., 0., 5., 5., 5.], &[3, 3])
    }

    // PyTorch 2.15: x = [[1, 3, 3], [2, -1, 0], [5, 5, 5]]; r = [2, -1, 3]
    // (torch.amax(x, 1) * r).sum().backward(); (torch.amin(x, 0) * r).sum().backward(); x.max().backward()
    #[test]
    fn ties_split_evenly_as_pytorch_amax() {
        let tape = Tape::new();
        let r = tape.constant(Tensor::vector(&[2., -1., 3.]));
        let x = tape.var(input());
        let y = x.max_axes(&[1], false).unwrap();
        assert_eq!(y.value().to_vec(), vec![3., 2., 5.]);
        y.mul(&r).unwrap().sum().backward().unwrap();
        assert_all_close(x.grad().unwrap().data(), &[0., 1., 1., -1., 0., 0., 1., 1., 1.], 1e-15);

        let x = tape.var(input());
        let y = x.min_axes(&[0], true).unwrap();
        assert_eq!(y.dims(), &[1, 3]);
        assert_eq!(y.value().to_vec(), vec![1., -1., 0.]);
        y.mul(&r).unwrap().sum().backward().unwrap();
        assert_all_close(x.grad().unwrap().data(), &[2., 0., 0., 0., -1., 3., 0., 0., 0.], 1e-15);

        let x = tape.var(input());
        let y = x.max().unwrap();
        assert_eq!((y.dims(), y.item()), (&[][..], 5.0));
        y.backward().unwrap();
        let third = 1.0 / 3.0;
        assert_all_close(x.grad().unwrap().data(), &[0., 0., 0., 0., 0., 0., third, third, third], 1e-16);
        let x = tape.var(input());
        x.min().unwrap().backward().unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![0., 0., 0., 0., 1., 0., 0., 0., 0.]);
    }

    #[test]
    fn several_axes_and_nan() {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::from_fn([2, 3, 2], |i| ((i * 7) % 5) as f64));
        // x = [[[0, 2], [4, 1], [3, 0]], [[2, 4], [1, 3], [0, 2]]]
        let y = x.max_axes(&[0, 2], false).unwrap();
        assert_eq!(y.value().to_vec(), vec![4., 4., 3.]);
        let y = x.min_axes(&[2, 1], true).unwrap();
        assert_eq!((y.dims(), y.value().to_vec()), (&[2, 1, 1][..], vec![0., 0.]));
        let n = tape.var(t(&[1., f64::NAN, 2.], &[3]));
        assert!(n.max().unwrap().item().is_nan() && n.min().unwrap().item().is_nan());
        // No elements, no extremum: as an empty axis in max_axes (PyTorch refuses both too).
        let empty = tape.var(Tensor::<f64>::zeros([2, 0]));
        for err in [empty.max().unwrap_err(), empty.min().unwrap_err(), empty.max_axes(&[1], false).unwrap_err()] {
            assert!(err.to_string().contains("empty"), "{err}");
        }
    }

    #[test]
    fn gradients_by_finite_differences() {
        // Distinct values: away from the kinks.
        let x = Tensor::from_fn([2, 3, 2], |i| ((i * 7) % 12) as f64 * 0.3 - 1.0);
        for axes in [&[0][..], &[1], &[2], &[0, 2], &[0, 1, 2], &[]] {
            check_grad(&[&x], |v| v[0].max_axes(axes, false).unwrap().powf(2.0));
            check_grad(&[&x], |v| v[0].min_axes(axes, true).unwrap().powf(2.0));
            check_grad2(&[&x], |v| v[0].max_axes(axes, true).unwrap().powf(3.0));
        }
        check_grad2(&[&x], |v| v[0].min().unwrap().powf(3.0));
    }

    #[test]
    fn bad_axes_are_errors() {
        let tape = Tape::<f32>::new();
        let x = tape.var(Tensor::zeros([2, 0]));
        let e = x.max_axes(&[1], false).unwrap_err().to_string();
        assert!(e.starts_with("invalid argument to max_axes: axis 1 of shape [2, 0] is empty"), "{e}");
        let e = x.min_axes(&[2], false).unwrap_err().to_string();
        assert!(e.starts_with("invalid argument to min_axes: axis 2 out of range for shape [2, 0]"), "{e}");
        assert!(x.max_axes(&[0, 0], false).is_err());
        assert_eq!(x.max_axes(&[0], false).unwrap().dims(), &[0]);
    }
}
