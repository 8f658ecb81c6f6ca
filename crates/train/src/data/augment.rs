//! Data augmentation: new training samples from old ones by changes that keep the label.
//!
//! A digit moved by a pixel or two is still the same digit, but to a fully connected network,
//! which has no notion of neighbouring pixels, it is a different input. Showing it shifted
//! copies teaches the invariance the architecture lacks (Simard et al., "Best practices for
//! convolutional neural networks applied to visual document analysis", 2003, used
//! translations and elastic distortions on MNIST).

use crate::{Error, Result};
use autograd::{Float, Tensor};
use rand::Rng;

/// Moves every image of a batch by its own random whole-pixel offset `(dy, dx)`, each drawn
/// uniformly from `-max_shift..=max_shift` (`dy` first); pixels that enter from outside are 0
/// (background) and pixels pushed out are lost: `out[r][c] = in[r − dy][c − dx]`.
///
/// `images` is `[N, height · width]`, one row-major image per row (as a [`Batch`]'s images).
/// Fails if the shape does not match `height × width` images. `max_shift = 0` returns the
/// images unchanged.
///
/// [`Batch`]: super::Batch
///
/// ```
/// use autograd::Tensor;
/// use rand::{rngs::StdRng, SeedableRng};
/// use train::data::random_shift;
///
/// // One 3×3 image with a single lit pixel in the middle.
/// let image = Tensor::<f32>::from_vec(vec![0., 0., 0., 0., 1., 0., 0., 0., 0.], [1, 9]).unwrap();
/// let shifted = random_shift(&image, 3, 3, 1, &mut StdRng::seed_from_u64(0)).unwrap();
/// // The pixel moved at most one step in each direction; nothing else lit up.
/// assert_eq!(shifted.data().iter().sum::<f32>(), 1.0);
/// ```
pub fn random_shift<T: Float>(
    images: &Tensor<T>,
    height: usize,
    width: usize,
    max_shift: usize,
    rng: &mut impl Rng,
) -> Result<Tensor<T>> {
    let size = images.dims().get(1).copied().unwrap_or(0);
    if images.rank() != 2 || height.checked_mul(width) != Some(size) {
        let msg = format!("images must be [N, {height}·{width}], got shape {}", images.shape());
        return Err(Error::invalid("random_shift", msg));
    }
    if max_shift == 0 || size == 0 {
        return Ok(images.clone()); // nothing moves (and `chunks_exact` needs a non-zero size)
    }
    let (h, w) = (height as isize, width as isize);
    let s = i64::try_from(max_shift).unwrap_or(i64::MAX);
    let mut out = vec![T::ZERO; images.numel()];
    for (src, dst) in images.data().chunks_exact(size).zip(out.chunks_exact_mut(size)) {
        let (dy, dx) = (rng.random_range(-s..=s) as isize, rng.random_range(-s..=s) as isize);
        // Destination rows r and columns c whose source (r − dy, c − dx) lies inside the image.
        let rows = dy.max(0)..h.saturating_add(dy).min(h);
        let (c0, c1) = (dx.max(0), w.saturating_add(dx).min(w));
        if c0 >= c1 {
            continue; // shifted out sideways: the image stays blank
        }
        for r in rows {
            let from = ((r - dy) * w + c0 - dx) as usize;
            let to = (r * w + c0) as usize;
            let len = (c1 - c0) as usize;
            dst[to..to + len].copy_from_slice(&src[from..from + len]);
        }
    }
    Ok(Tensor::from_vec(out, images.shape().clone()).expect("the output has the input's shape"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// A reference: out[r][c] = in[r − dy][c − dx], 0 outside, written the slow obvious way.
    fn shifted(image: &[f64], h: isize, w: isize, dy: isize, dx: isize) -> Vec<f64> {
        let mut out = vec![0.0; image.len()];
        for r in 0..h {
            for c in 0..w {
                let (sr, sc) = (r - dy, c - dx);
                if (0..h).contains(&sr) && (0..w).contains(&sc) {
                    out[(r * w + c) as usize] = image[(sr * w + sc) as usize];
                }
            }
        }
        out
    }

    #[test]
    fn each_image_is_the_reference_shift_by_the_drawn_offsets() {
        let (n, h, w, s) = (40, 4, 5, 2);
        let images = Tensor::<f64>::from_fn([n, h * w], |k| 1.0 + k as f64);
        let out = random_shift(&images, h, w, s, &mut StdRng::seed_from_u64(9)).unwrap();
        // Replay the draws: dy then dx per image.
        let mut rng = StdRng::seed_from_u64(9);
        let mut offsets = std::collections::HashSet::new();
        for i in 0..n {
            let (dy, dx) = (rng.random_range(-2..=2i64) as isize, rng.random_range(-2..=2i64) as isize);
            offsets.insert((dy, dx));
            let src = &images.data()[i * h * w..(i + 1) * h * w];
            let expected = shifted(src, h as isize, w as isize, dy, dx);
            assert_eq!(&out.data()[i * h * w..(i + 1) * h * w], &expected[..], "image {i}, shift ({dy}, {dx})");
        }
        assert!(offsets.len() > 10, "40 draws from 25 offsets should hit many of them");
    }

    #[test]
    fn shifts_stay_within_the_bound() {
        // One lit pixel in the middle of 7×7 images: it lands at most `max_shift` away.
        let mut images = Tensor::<f32>::zeros([200, 49]);
        images.data_mut().chunks_exact_mut(49).for_each(|im| im[24] = 1.0);
        let out = random_shift(&images, 7, 7, 2, &mut StdRng::seed_from_u64(1)).unwrap();
        let mut seen = std::collections::HashSet::new();
        for image in out.data().chunks_exact(49) {
            let at = image.iter().position(|&v| v == 1.0).expect("the pixel stays inside");
            let (dy, dx) = (at as isize / 7 - 3, at as isize % 7 - 3);
            assert!(dy.abs() <= 2 && dx.abs() <= 2);
            seen.insert((dy, dx));
        }
        assert_eq!(seen.len(), 25, "every offset in -2..=2 × -2..=2 occurs in 200 draws");
    }

    #[test]
    fn no_shift_is_the_identity_and_bad_shapes_are_errors() {
        let images = Tensor::<f32>::from_fn([3, 6], |k| k as f32);
        let same = random_shift(&images, 2, 3, 0, &mut StdRng::seed_from_u64(0)).unwrap();
        assert_eq!(same, images);
        let err = random_shift(&images, 3, 3, 1, &mut StdRng::seed_from_u64(0)).unwrap_err();
        assert_eq!(err.to_string(), "invalid argument to random_shift: images must be [N, 3·3], got shape [3, 6]");
        // Images of no pixels have nothing to move.
        let empty = Tensor::<f32>::zeros([3, 0]);
        assert_eq!(random_shift(&empty, 0, 5, 1, &mut StdRng::seed_from_u64(0)).unwrap(), empty);
    }

    #[test]
    fn a_shift_wider_than_the_image_gives_blank_images() {
        let images = Tensor::<f32>::ones([50, 4]);
        let out = random_shift(&images, 2, 2, 5, &mut StdRng::seed_from_u64(3)).unwrap();
        // Offsets of 2 or more in either direction push the whole 2×2 image out.
        let blank = out.data().chunks_exact(4).filter(|im| im.iter().all(|&v| v == 0.0)).count();
        assert!(blank > 0 && blank < 50, "{blank} blank images");
    }
}
