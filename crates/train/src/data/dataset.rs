//! [`Dataset`]: samples as rows of one tensor, with their class labels.

use super::idx;
use crate::{Error, Result};
use autograd::{Float, Tensor};
use std::path::Path;

/// A classification dataset held in memory: `N` samples of `D` features as one `[N, D]`
/// tensor, and one class index in `0..classes` per sample.
///
/// Cloning is cheap for the images (tensors share storage) and copies the labels.
///
/// ```
/// use autograd::Tensor;
/// use train::data::Dataset;
///
/// let images = Tensor::<f32>::from_vec(vec![0.0, 0.5, 1.0, 0.25, 0.75, 0.125], [3, 2]).unwrap();
/// let data = Dataset::new(images, vec![1, 0, 1], 2).unwrap();
/// assert_eq!((data.len(), data.features(), data.classes()), (3, 2, 2));
/// assert_eq!(data.class_counts(), vec![1, 2]);
///
/// let (train, test) = data.split_at(2).unwrap();
/// assert_eq!((train.labels(), test.labels()), (&[1, 0][..], &[1][..]));
/// ```
#[derive(Clone, Debug)]
pub struct Dataset<T: Float = f32> {
    images: Tensor<T>,
    labels: Vec<usize>,
    classes: usize,
}

impl<T: Float> Dataset<T> {
    /// A dataset from an `[N, D]` tensor of samples and `N` labels in `0..classes`.
    ///
    /// Fails if the tensor is not of rank 2, if the counts differ, if `classes` is 0 or if a
    /// label is out of range.
    pub fn new(images: Tensor<T>, labels: Vec<usize>, classes: usize) -> Result<Self> {
        if images.rank() != 2 {
            return Err(Error::invalid("Dataset::new", format!("images must be [N, D], got shape {}", images.shape())));
        }
        check(images.dims()[0], &labels, classes, "Dataset::new", "Dataset::new")?;
        Ok(Dataset { images, labels, classes })
    }

    /// Loads an IDX images file and an IDX labels file (gzipped or plain, see [`idx`]):
    /// grey levels 0–255 become features `v / 255` in [0, 1], each image one row of
    /// `rows · cols` features.
    ///
    /// Fails if a file is missing or malformed, if the two files hold different numbers of
    /// samples, or if a label is not below `classes`; the error names the file.
    ///
    /// ```no_run
    /// use train::data::Dataset;
    /// let dir = "data/mnist-10k";
    /// let mnist: Dataset = Dataset::from_idx(
    ///     format!("{dir}/images-idx3-ubyte.gz"),
    ///     format!("{dir}/labels-idx1-ubyte.gz"),
    ///     10,
    /// ).unwrap();
    /// assert_eq!(mnist.features(), 28 * 28);
    /// ```
    pub fn from_idx(images: impl AsRef<Path>, labels: impl AsRef<Path>, classes: usize) -> Result<Self> {
        let (images_path, labels_path) = (images.as_ref(), labels.as_ref());
        let images = idx::read_images(images_path)?;
        let labels: Vec<usize> = idx::read_labels(labels_path)?.into_iter().map(usize::from).collect();
        let origin = format!("{} and {}", images_path.display(), labels_path.display());
        check(images.count, &labels, classes, &origin, &labels_path.display().to_string())?;
        // One table of the 256 grey levels, so every pixel converts identically.
        let scale: Vec<T> = (0..=255).map(|v| T::from_f64(f64::from(v) / 255.0)).collect();
        let features = images.rows * images.cols;
        // Collected straight into the tensor's storage (`from_vec` does not copy), so loading
        // holds the bytes and the floats once each.
        let data = images.pixels.iter().map(|&p| scale[usize::from(p)]).collect();
        let images = Tensor::from_vec(data, [images.count, features]).expect("the IDX reader checked the length");
        Ok(Dataset { images, labels, classes })
    }

    /// The number of samples `N`.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the dataset holds no sample.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The number of features per sample `D` (784 for MNIST).
    pub fn features(&self) -> usize {
        self.images.dims()[1]
    }

    /// The number of classes; every label is below it.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The samples, one per row: an `[N, D]` tensor.
    pub fn images(&self) -> &Tensor<T> {
        &self.images
    }

    /// The class index of each sample.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// How many samples each class has, indexed by class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        self.labels.iter().for_each(|&label| counts[label] += 1);
        counts
    }

    /// The first `n` samples and the rest, in order (`split_at(8000)` on the 10,000 MNIST digits
    /// gives the 8,000 training and 2,000 test samples). Fails if `n > len()`.
    pub fn split_at(&self, n: usize) -> Result<(Dataset<T>, Dataset<T>)> {
        if n > self.len() {
            return Err(Error::invalid("Dataset::split_at", format!("cannot split {} samples at {n}", self.len())));
        }
        let head: Vec<usize> = (0..n).collect();
        let tail: Vec<usize> = (n..self.len()).collect();
        Ok((self.gather(&head), self.gather(&tail)))
    }

    /// The samples at `indices`, in that order (repeats allowed). Fails if an index is out of
    /// range.
    pub fn subset(&self, indices: &[usize]) -> Result<Dataset<T>> {
        if let Some(&index) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(Error::invalid(
                "Dataset::subset",
                format!("index {index} out of range for {} samples", self.len()),
            ));
        }
        Ok(self.gather(indices))
    }

    /// The rows at `indices`, which the caller has checked.
    pub(crate) fn gather(&self, indices: &[usize]) -> Dataset<T> {
        let labels = indices.iter().map(|&i| self.labels[i]).collect();
        // Consecutive samples (an unshuffled epoch: evaluation, inference) are a view of the
        // images, not a copy.
        if let (Some(&first), true) = (indices.first(), indices.windows(2).all(|w| w[1] == w[0] + 1)) {
            let images = self.images.rows(first..first + indices.len()).expect("indices of this dataset's samples");
            return Dataset { images, labels, classes: self.classes };
        }
        let d = self.features();
        let source = self.images.data();
        let mut data = Vec::with_capacity(indices.len() * d);
        indices.iter().for_each(|&i| data.extend_from_slice(&source[i * d..(i + 1) * d]));
        let images = Tensor::from_vec(data, [indices.len(), d]).expect("one row of D features per index");
        Dataset { images, labels, classes: self.classes }
    }

    /// The images and labels, taking the dataset apart.
    pub fn into_parts(self) -> (Tensor<T>, Vec<usize>) {
        (self.images, self.labels)
    }
}

/// Checks that `count` samples have `count` labels, all below `classes`.
fn check(count: usize, labels: &[usize], classes: usize, origin: &str, labels_origin: &str) -> Result<()> {
    if classes == 0 {
        return Err(Error::invalid("Dataset", "a dataset needs at least one class, got classes = 0"));
    }
    if count != labels.len() {
        return Err(Error::CountMismatch { origin: origin.to_owned(), images: count, labels: labels.len() });
    }
    match labels.iter().position(|&label| label >= classes) {
        Some(index) => {
            Err(Error::LabelOutOfRange { origin: labels_origin.to_owned(), index, label: labels[index], classes })
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::idx::tests::{idx_bytes, scratch_dir, write_file};
    use crate::data::idx::{IMAGES_MAGIC, LABELS_MAGIC};

    /// `n` samples of 3 features; sample `i` is `[i, i + 0.25, i + 0.5]`, labelled `i % classes`.
    fn numbered(n: usize, classes: usize) -> Dataset<f64> {
        let images = Tensor::from_fn([n, 3], |k| (k / 3) as f64 + (k % 3) as f64 * 0.25);
        Dataset::new(images, (0..n).map(|i| i % classes).collect(), classes).unwrap()
    }

    #[test]
    fn idx_files_load_as_features_in_unit_range() {
        let dir = scratch_dir("dataset-idx");
        let pixels = [0, 255, 51, 102, 1, 254, 0, 0];
        for (images, labels) in [("images", "labels"), ("images.gz", "labels.gz")] {
            let images = write_file(&dir, images, &idx_bytes(IMAGES_MAGIC, &[2, 2, 2], &pixels));
            let labels = write_file(&dir, labels, &idx_bytes(LABELS_MAGIC, &[2], &[9, 3]));
            let data = Dataset::<f64>::from_idx(&images, &labels, 10).unwrap();
            assert_eq!(data.images().dims(), &[2, 4]);
            assert_eq!(data.images().to_vec(), pixels.map(|p| p as f64 / 255.0).to_vec());
            assert_eq!(data.labels(), &[9, 3]);
            assert_eq!(data.classes(), 10);
            let data32 = Dataset::<f32>::from_idx(&images, &labels, 10).unwrap();
            assert_eq!(data32.images().to_vec(), pixels.map(|p| (p as f64 / 255.0) as f32).to_vec());
        }
    }

    #[test]
    fn idx_files_that_disagree_on_the_count_are_an_error() {
        let dir = scratch_dir("dataset-count");
        let images = write_file(&dir, "images.gz", &idx_bytes(IMAGES_MAGIC, &[3, 1, 2], &[0; 6]));
        let labels = write_file(&dir, "labels.gz", &idx_bytes(LABELS_MAGIC, &[2], &[0, 1]));
        let err = Dataset::<f32>::from_idx(&images, &labels, 10).unwrap_err();
        assert!(matches!(err, Error::CountMismatch { images: 3, labels: 2, .. }));
        assert_eq!(err.to_string(), format!("{} and {}: 3 images but 2 labels", images.display(), labels.display()));
    }

    #[test]
    fn labels_out_of_range_are_an_error_naming_the_file() {
        let dir = scratch_dir("dataset-labels");
        let images = write_file(&dir, "images", &idx_bytes(IMAGES_MAGIC, &[3, 1, 1], &[0; 3]));
        let labels = write_file(&dir, "labels", &idx_bytes(LABELS_MAGIC, &[3], &[4, 10, 200]));
        let err = Dataset::<f32>::from_idx(&images, &labels, 10).unwrap_err();
        assert!(matches!(err, Error::LabelOutOfRange { index: 1, label: 10, classes: 10, .. }));
        assert_eq!(
            err.to_string(),
            format!("{}: label 10 of sample 1 is out of range for 10 classes (0..10)", labels.display())
        );
    }

    #[test]
    fn errors_of_the_files_pass_through() {
        let dir = scratch_dir("dataset-missing");
        let labels = write_file(&dir, "labels", &idx_bytes(LABELS_MAGIC, &[1], &[0]));
        let missing = dir.join("images.gz");
        let err = Dataset::<f32>::from_idx(&missing, &labels, 10).unwrap_err();
        assert!(err.to_string().starts_with(&format!("cannot read {}", missing.display())), "{err}");
        let err = Dataset::<f32>::from_idx(&labels, &labels, 10).unwrap_err();
        assert!(matches!(err, Error::BadMagic { kind: "images", .. }), "{err}");
    }

    #[test]
    fn new_checks_its_arguments() {
        let err = |images: Tensor<f32>, labels: Vec<usize>, classes| {
            Dataset::new(images, labels, classes).unwrap_err().to_string()
        };
        assert_eq!(
            err(Tensor::zeros([2, 2, 2]), vec![0, 0], 2),
            "invalid argument to Dataset::new: images must be [N, D], got shape [2, 2, 2]"
        );
        assert_eq!(err(Tensor::zeros([2, 3]), vec![0], 2), "Dataset::new: 2 images but 1 labels");
        assert_eq!(
            err(Tensor::zeros([2, 3]), vec![0, 2], 2),
            "Dataset::new: label 2 of sample 1 is out of range for 2 classes (0..2)"
        );
        assert_eq!(
            err(Tensor::zeros([2, 3]), vec![0, 0], 0),
            "invalid argument to Dataset: a dataset needs at least one class, got classes = 0"
        );
    }

    #[test]
    fn split_at_keeps_the_order_and_both_halves_are_whole() {
        let data = numbered(10, 4);
        let (head, tail) = data.split_at(8).unwrap();
        assert_eq!((head.len(), tail.len()), (8, 2));
        assert_eq!(head.images().to_vec(), data.images().data()[..24].to_vec());
        assert_eq!(tail.images().to_vec(), data.images().data()[24..].to_vec());
        assert_eq!(tail.labels(), &[0, 1]);
        assert_eq!((head.classes(), tail.classes()), (4, 4));
        let (all, none) = data.split_at(10).unwrap();
        assert_eq!((all.len(), none.len(), none.images().dims()), (10, 0, &[0, 3][..]));
        assert!(none.is_empty());
        assert_eq!(
            data.split_at(11).unwrap_err().to_string(),
            "invalid argument to Dataset::split_at: cannot split 10 samples at 11"
        );
    }

    #[test]
    fn subset_gathers_rows_and_checks_indices() {
        let data = numbered(5, 3);
        let picked = data.subset(&[4, 0, 4]).unwrap();
        assert_eq!(picked.images().to_vec(), vec![4.0, 4.25, 4.5, 0.0, 0.25, 0.5, 4.0, 4.25, 4.5]);
        assert_eq!(picked.labels(), &[1, 0, 1]);
        assert_eq!(
            data.subset(&[1, 5]).unwrap_err().to_string(),
            "invalid argument to Dataset::subset: index 5 out of range for 5 samples"
        );
    }

    #[test]
    fn class_counts_count_every_class_including_absent_ones() {
        let data = Dataset::new(Tensor::<f32>::zeros([4, 1]), vec![2, 0, 2, 2], 4).unwrap();
        assert_eq!(data.class_counts(), vec![1, 0, 3, 0]);
    }
}
