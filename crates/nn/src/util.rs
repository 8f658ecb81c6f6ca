//! Small tensor helpers on plain values (no tape): the "which element is largest" questions
//! whose answers are piecewise constant, so they enter graphs as constants.

use autograd::{Float, Shape, Tensor};

/// `(outer, len, inner)` of a row-major shape split at `axis`: the tensor is `outer` blocks of
/// `len × inner`, and the elements along `axis` are `inner` apart.
pub(crate) fn split_at_axis(shape: &Shape, axis: usize) -> (usize, usize, usize) {
    let dims = shape.dims();
    let outer = dims[..axis].iter().product();
    let inner = dims[axis + 1..].iter().product();
    (outer, dims[axis], inner)
}

/// A 0/1 mask of `x`'s shape marking, along `axis`, the first position of the maximum.
pub(crate) fn argmax_mask<T: Float>(x: &Tensor<T>, axis: usize) -> Tensor<T> {
    let (outer, len, inner) = split_at_axis(x.shape(), axis);
    let data = x.data();
    let mut mask = vec![T::ZERO; data.len()];
    for o in 0..outer {
        for i in 0..inner {
            let start = o * len * inner + i;
            let mut best = start;
            for k in 1..len {
                if data[start + k * inner] > data[best] {
                    best = start + k * inner;
                }
            }
            mask[best] = T::ONE;
        }
    }
    Tensor::from_vec(mask, x.shape().clone()).expect("mask has the input's shape")
}
