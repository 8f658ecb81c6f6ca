//! Sums over axes. A composite: `sum_to` the shape with the reduced axes set to 1 (the one
//! place gradients of repeated elements are summed, see `broadcast.rs`), then a free reshape if
//! the axes are dropped. No gradient code here.

use super::normalize_axes;
use crate::error::Site;
use crate::{Float, Result, Shape, Var};

impl<'t, T: Float> Var<'t, T> {
    /// The sum of all elements, as a scalar (rank 0).
    #[track_caller]
    pub fn sum(&self) -> Var<'t, T> {
        let site = Site::caller();
        self.sum_to_at(&Shape::from(vec![1; self.rank()]), site)
            .and_then(|s| s.reshape_at(Shape::scalar(), site))
            .expect("every shape sums to all-ones")
    }

    /// Sums over `axes`; with `keepdim` the reduced axes stay as size 1.
    #[track_caller]
    pub fn sum_axes(&self, axes: &[usize], keepdim: bool) -> Result<Var<'t, T>> {
        let site = Site::caller();
        let axes = normalize_axes("sum", axes, self.shape(), site)?;
        let kept = self.shape().reduced(&axes, true);
        let summed = self.sum_to_at(&kept, site)?;
        if keepdim {
            Ok(summed)
        } else {
            summed.reshape_at(self.shape().reduced(&axes, false), site)
        }
    }

    /// The mean of all elements, as a scalar.
    #[track_caller]
    pub fn mean(&self) -> Var<'t, T> {
        let n = T::from_usize(self.numel());
        self.sum().mul_scalar(T::ONE / n)
    }

    /// The mean over `axes`; with `keepdim` the reduced axes stay as size 1.
    #[track_caller]
    pub fn mean_axes(&self, axes: &[usize], keepdim: bool) -> Result<Var<'t, T>> {
        let summed = self.sum_axes(axes, keepdim)?;
        let n = T::from_usize(self.numel() / summed.numel().max(1));
        Ok(summed.mul_scalar(T::ONE / n))
    }
}
