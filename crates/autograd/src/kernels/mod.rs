//! Kernels: code that computes on tensors and knows nothing of tapes or gradients. The
//! primitives in `ops/` call these for their forward passes and fused backward passes.
//!
//! - `lanes.rs`: walking the lanes (1-D runs) of a tensor along one axis;
//! - `broadcast.rs`: the index walk pairing a tensor with a broadcast or reduced one, and the
//!   broadcast and sum-to kernels built on it;
//! - `gemm.rs`: matrix products (the GEMM crate, or dot products where its fixed cost dominates);
//! - `exp.rs`: eˣ for `f32` as branch-free arithmetic, so loops calling it vectorize;
//! - `permute.rs`: copying a tensor with its axes reordered;
//! - `scalar.rs`: scalar functions shared by forward kernels and derivative formulas.

mod broadcast;
mod exp;
mod gemm;
mod lanes;
mod permute;
mod scalar;

pub(crate) use broadcast::{broadcast, for_each_pair, for_each_row, sum_to};
pub(crate) use exp::exp_f32;
pub(crate) use gemm::gemm;
pub(crate) use lanes::{along_axis, backward_along_axis, lane_max, map_lanes, resized, Lanes};
pub(crate) use permute::permute;
pub(crate) use scalar::{clamp, powf, sigmoid, sign};

use crate::{Float, Shape, Tensor};

impl<T: Float> Tensor<T> {
    /// A tensor of `shape` whose elements `fill` writes into a zeroed buffer: one allocation,
    /// no copy (a `Vec` turned into shared storage would be copied once more).
    #[inline]
    pub(crate) fn zeroed_with(shape: Shape, fill: impl FnOnce(&mut [T])) -> Tensor<T> {
        let len = shape.numel();
        let write = |p: *mut T| {
            // SAFETY: `p` points at `len` writable elements of `T`; zero bytes are a valid `T`
            // (0.0 for both f32 and f64), so after `write_bytes` the slice is initialized.
            let slice = unsafe {
                std::ptr::write_bytes(p, 0, len);
                std::slice::from_raw_parts_mut(p, len)
            };
            fill(slice);
        };
        // SAFETY: `write` initializes all `len` elements (zeroes them) before `fill` runs.
        unsafe { Tensor::from_writer(shape, write) }
    }
}
