//! Axis permutation of a tensor: the `permute` op's forward and backward, and the transposed
//! copy a [`Parameter`](crate::Parameter) keeps for inference.

use crate::{Float, Shape, Tensor};
use smallvec::SmallVec;

/// The permute kernel: walks the output in row-major order, reading the input through the
/// permuted strides.
pub(crate) fn permute<T: Float>(x: &Tensor<T>, perm: &[usize]) -> Tensor<T> {
    let in_strides = x.shape().strides();
    let dims: SmallVec<[usize; 4]> = perm.iter().map(|&p| x.dims()[p]).collect();
    let strides: SmallVec<[usize; 4]> = perm.iter().map(|&p| in_strides[p]).collect();
    let src = x.data();
    Tensor::zeroed_with(Shape::from(dims.clone()), |out| {
        let rank = dims.len();
        if out.is_empty() || rank == 0 {
            out.copy_from_slice(&src[..out.len()]);
            return;
        }
        let (row_len, row_stride) = (dims[rank - 1], strides[rank - 1]);
        let mut index: SmallVec<[usize; 4]> = SmallVec::from_elem(0, rank - 1);
        let mut offset = 0;
        for row in out.chunks_exact_mut(row_len) {
            for (j, o) in row.iter_mut().enumerate() {
                *o = src[offset + j * row_stride];
            }
            for axis in (0..rank - 1).rev() {
                index[axis] += 1;
                offset += strides[axis];
                if index[axis] < dims[axis] {
                    break;
                }
                offset -= strides[axis] * dims[axis];
                index[axis] = 0;
            }
        }
    })
}
