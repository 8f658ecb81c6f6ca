//! Lanes: the 1-D runs of a tensor along one axis (softmax, logsumexp, concatenation and
//! indexing work lane by lane).

use crate::{Float, Shape, Tensor};

/// The sizes of a tensor viewed as `[outer, len, inner]` around one axis: a lane is the run of
/// `len` elements at stride `inner` along the axis, one for each `(outer, inner)` position.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lanes {
    pub outer: usize,
    pub len: usize,
    pub inner: usize,
}

impl Lanes {
    pub fn new(shape: &Shape, axis: usize) -> Self {
        let (outer, len, inner) = shape.split_at_axis(axis);
        Lanes { outer, len, inner }
    }

    /// Number of lanes.
    pub fn count(&self) -> usize {
        self.outer * self.inner
    }
}

/// Calls `f(inputs' lanes, output lane)` for every lane along an axis, where the inputs all have
/// the lane layout `ins` and the output the layout `out` (same `outer` and `inner`, its own
/// `len`). Lanes along the last axis are contiguous and passed as they are; otherwise they are
/// copied through scratch buffers (one allocation per call, not per lane).
pub(crate) fn map_lanes<T: Float, const K: usize>(
    inputs: [&[T]; K],
    ins: Lanes,
    out: &mut [T],
    out_len: usize,
    mut f: impl FnMut([&[T]; K], &mut [T]),
) {
    let (n, m) = (ins.len, out_len);
    if ins.inner == 1 {
        for o in 0..ins.outer {
            let lanes = inputs.map(|x| &x[o * n..(o + 1) * n]);
            f(lanes, &mut out[o * m..(o + 1) * m]);
        }
        return;
    }
    let inner = ins.inner;
    let mut scratch = vec![T::ZERO; K * n + m];
    for o in 0..ins.outer {
        for i in 0..inner {
            let (ins_buf, out_buf) = scratch.split_at_mut(K * n);
            let base = o * n * inner + i;
            for (x, buf) in inputs.iter().zip(ins_buf.chunks_exact_mut(n.max(1))) {
                for (k, b) in buf.iter_mut().enumerate().take(n) {
                    *b = x[base + k * inner];
                }
            }
            let lanes: [&[T]; K] = std::array::from_fn(|j| &ins_buf[j * n..(j + 1) * n]);
            f(lanes, out_buf);
            let out_base = o * m * inner + i;
            for (k, &v) in out_buf.iter().enumerate() {
                out[out_base + k * inner] = v;
            }
        }
    }
}

/// `shape` with `axis` set to `size`.
pub(crate) fn resized(shape: &Shape, axis: usize, size: usize) -> Shape {
    let mut dims: smallvec::SmallVec<[usize; 4]> = shape.dims().into();
    dims[axis] = size;
    Shape::from(dims)
}

/// The value at a lane's maximum, NaN if the lane holds one (as PyTorch), −∞ if it is empty.
#[inline]
pub(crate) fn lane_max<T: Float>(lane: &[T]) -> T {
    let mut m = T::neg_infinity();
    for &v in lane {
        if v > m || v.is_nan() {
            m = v;
            if v.is_nan() {
                break;
            }
        }
    }
    m
}

/// Applies a lane kernel to every lane of `x` along `axis`, into a tensor of `x`'s shape.
pub(crate) fn along_axis<T: Float>(x: &Tensor<T>, axis: usize, kernel: impl Fn(&[T], &mut [T])) -> Tensor<T> {
    let lanes = Lanes::new(x.shape(), axis);
    Tensor::zeroed_with(x.shape().clone(), |out| map_lanes([x.data()], lanes, out, lanes.len, |[x], y| kernel(x, y)))
}

/// Applies a backward lane kernel `(g, y) ↦ ∂L/∂x` to every lane of `g` and `y`.
pub(crate) fn backward_along_axis<T: Float>(
    g: &Tensor<T>,
    y: &Tensor<T>,
    axis: usize,
    kernel: impl Fn(&[T], &[T], &mut [T]),
) -> Tensor<T> {
    let lanes = Lanes::new(g.shape(), axis);
    Tensor::zeroed_with(g.shape().clone(), |out| {
        map_lanes([g.data(), y.data()], lanes, out, lanes.len, |[g, y], dx| kernel(g, y, dx))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_along_a_middle_axis() {
        // x[o, k, i] = 100·o + 10·k + i, shape [2, 3, 2]; reverse each lane along axis 1.
        let x: Vec<f64> = (0..12).map(|f| (100 * (f / 6) + 10 * ((f / 2) % 3) + f % 2) as f64).collect();
        let lanes = Lanes::new(&Shape::from([2, 3, 2]), 1);
        let mut out = vec![0.0; 12];
        map_lanes([&x[..]], lanes, &mut out, 3, |[x], y| {
            for (k, v) in y.iter_mut().enumerate() {
                *v = x[2 - k];
            }
        });
        assert_eq!(&out[..6], &[20.0, 21.0, 10.0, 11.0, 0.0, 1.0]);
        assert_eq!(&out[6..], &[120.0, 121.0, 110.0, 111.0, 100.0, 101.0]);
    }

    #[test]
    fn lane_max_propagates_nan() {
        assert_eq!(lane_max(&[1.0, 3.0, 2.0]), 3.0);
        assert!(lane_max(&[1.0, f64::NAN, 2.0]).is_nan());
        assert_eq!(lane_max::<f64>(&[]), f64::NEG_INFINITY);
    }
}
