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

/// The maximum along `axis`, keeping the axis with size 1.
pub(crate) fn max_keepdim<T: Float>(x: &Tensor<T>, axis: usize) -> Tensor<T> {
    let (outer, len, inner) = split_at_axis(x.shape(), axis);
    let data = x.data();
    let mut out = Vec::with_capacity(outer * inner);
    for o in 0..outer {
        for i in 0..inner {
            let start = o * len * inner + i;
            out.push((0..len).map(|k| data[start + k * inner]).fold(T::neg_infinity(), T::max));
        }
    }
    let mut dims = x.dims().to_vec();
    dims[axis] = 1;
    Tensor::from_vec(out, dims).expect("one value per reduced position")
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

/// One-hot rows `[labels.len(), classes]` (the caller checked the labels).
pub(crate) fn one_hot<T: Float>(labels: &[usize], classes: usize) -> Tensor<T> {
    let mut data = vec![T::ZERO; labels.len() * classes];
    for (row, &label) in labels.iter().enumerate() {
        data[row * classes + label] = T::ONE;
    }
    Tensor::from_vec(data, [labels.len(), classes]).expect("one row per label")
}
