//! [`load_mnist`]: MNIST's training and test digits from a folder, in either of two layouts.
//!
//! The layouts it reads are listed on [`load_mnist`].

use super::Dataset;
use crate::{Error, Result};
use autograd::Float;
use std::path::{Path, PathBuf};

/// The first existing file among the spellings of `stem` (`"train-images"`) with `kind`
/// (`"idx3-ubyte"`): `-` or `.` before it, gzipped or not.
fn find(dir: &Path, stem: &str, kind: &str) -> Option<PathBuf> {
    let names =
        [format!("{stem}-{kind}.gz"), format!("{stem}-{kind}"), format!("{stem}.{kind}.gz"), format!("{stem}.{kind}")];
    names.iter().map(|name| dir.join(name)).find(|path| path.is_file())
}

/// The training and test digits of the MNIST files in `dir`: `(train, test)`, pixels scaled to
/// [0, 1], 10 classes. Two layouts are read:
///
/// - **the official files**: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte` (60,000
///   digits, to train) and `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (10,000, to
///   test), each gzipped (`.gz`) or not, with `-` or `.` before `idx`;
/// - **one set** (the repository's `data/mnist-10k`): `images-idx3-ubyte` and
///   `labels-idx1-ubyte`, gzipped or not, of which the first 80 % train and the rest test.
///
/// If a folder holds both, the official files win.
///
/// ```no_run
/// let (train, test) = train::data::load_mnist::<f32>("data/mnist-10k")?;
/// assert_eq!((train.len(), test.len()), (8_000, 2_000));
/// // With the official files: (60_000, 10_000).
/// # Ok::<(), train::Error>(())
/// ```
///
/// Fails if the folder holds neither layout (the error lists the names it looked for), or if a
/// file is malformed (the error names it).
pub fn load_mnist<T: Float>(dir: impl AsRef<Path>) -> Result<(Dataset<T>, Dataset<T>)> {
    let dir = dir.as_ref();
    let official = (
        find(dir, "train-images", "idx3-ubyte"),
        find(dir, "train-labels", "idx1-ubyte"),
        find(dir, "t10k-images", "idx3-ubyte"),
        find(dir, "t10k-labels", "idx1-ubyte"),
    );
    if let (Some(train_images), Some(train_labels), Some(test_images), Some(test_labels)) = official {
        let train = Dataset::from_idx(train_images, train_labels, 10)?;
        let test = Dataset::from_idx(test_images, test_labels, 10)?;
        return Ok((train, test));
    }
    if let (Some(images), Some(labels)) = (find(dir, "images", "idx3-ubyte"), find(dir, "labels", "idx1-ubyte")) {
        let all = Dataset::from_idx(images, labels, 10)?;
        return all.split_at(all.len() * 4 / 5);
    }
    Err(Error::NoMnist { dir: dir.to_path_buf() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::idx::tests::{idx_bytes, scratch_dir, write_file};
    use crate::data::idx::{IMAGES_MAGIC, LABELS_MAGIC};

    /// Writes `n` 2×2 images whose first pixel is the sample's number, labelled `i % 10`.
    fn write_set(dir: &Path, images: &str, labels: &str, n: u8, offset: u8) {
        let pixels: Vec<u8> = (0..n).flat_map(|i| [i + offset, 0, 0, 0]).collect();
        write_file(dir, images, &idx_bytes(IMAGES_MAGIC, &[n as u32, 2, 2], &pixels));
        let label_bytes: Vec<u8> = (0..n).map(|i| i % 10).collect();
        write_file(dir, labels, &idx_bytes(LABELS_MAGIC, &[n as u32], &label_bytes));
    }

    fn first_pixels(data: &Dataset<f64>) -> Vec<u8> {
        data.images().data().chunks(4).map(|row| (row[0] * 255.0).round() as u8).collect()
    }

    #[test]
    fn the_official_layout_trains_on_train_and_tests_on_t10k_in_any_spelling() {
        for (sep, gz) in [("-", ".gz"), ("-", ""), (".", ".gz"), (".", "")] {
            let dir = scratch_dir(&format!("mnist-official{sep}{gz}"));
            write_set(
                &dir,
                &format!("train-images{sep}idx3-ubyte{gz}"),
                &format!("train-labels{sep}idx1-ubyte{gz}"),
                6,
                0,
            );
            write_set(
                &dir,
                &format!("t10k-images{sep}idx3-ubyte{gz}"),
                &format!("t10k-labels{sep}idx1-ubyte{gz}"),
                3,
                100,
            );
            // A one-set pair beside them is ignored: the official files win.
            write_set(&dir, "images-idx3-ubyte.gz", "labels-idx1-ubyte.gz", 5, 200);
            let (train, test) = load_mnist::<f64>(&*dir).unwrap();
            assert_eq!(first_pixels(&train), [0, 1, 2, 3, 4, 5]);
            assert_eq!(first_pixels(&test), [100, 101, 102]);
            assert_eq!((train.classes(), test.labels()), (10, &[0, 1, 2][..]));
        }
    }

    #[test]
    fn one_set_is_split_four_fifths_to_one_fifth_in_order() {
        let dir = scratch_dir("mnist-one-set");
        write_set(&dir, "images-idx3-ubyte.gz", "labels-idx1-ubyte.gz", 10, 0);
        let (train, test) = load_mnist::<f64>(&*dir).unwrap();
        assert_eq!(first_pixels(&train), [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(first_pixels(&test), [8, 9]);
    }

    #[test]
    fn a_folder_without_mnist_files_says_what_it_looked_for() {
        let dir = scratch_dir("mnist-none");
        // Half of the official layout is not enough.
        write_set(&dir, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 2, 0);
        let err = load_mnist::<f32>(&*dir).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{} holds no MNIST files: expected", dir.display())), "{err}");
        assert!(err.contains("t10k-images-idx3-ubyte.gz") && err.contains("images-idx3-ubyte.gz"), "{err}");
    }
}
