//! The vendored digits (`data/mnist-10k`) load, and are the data their README describes.

use train::data::{load_mnist, DataLoader, Dataset};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist-10k");

fn mnist() -> Dataset {
    Dataset::from_idx(format!("{DIR}/images-idx3-ubyte.gz"), format!("{DIR}/labels-idx1-ubyte.gz"), 10)
        .expect("the vendored MNIST files load")
}

#[test]
fn the_vendored_digits_match_their_readme() {
    let data = mnist();
    assert_eq!((data.len(), data.features(), data.classes()), (10_000, 784, 10));
    // "Class counts: 1001 1127 991 1032 980 863 1014 1070 944 978." (data/mnist-10k/README.md)
    assert_eq!(data.class_counts(), [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    let pixels = data.images().data();
    assert!(pixels.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert_eq!(pixels.iter().copied().fold(f32::MIN, f32::max), 1.0);
    // MNIST digits are mostly background: about a fifth of the pixels are ink.
    let ink = pixels.iter().filter(|&&v| v > 0.0).count() as f64 / pixels.len() as f64;
    assert!((0.1..0.3).contains(&ink), "fraction of non-zero pixels {ink}");
}

#[test]
fn the_train_test_split_holds_every_class_on_both_sides() {
    let (train_set, test_set) = mnist().split_at(8_000).unwrap();
    assert_eq!((train_set.len(), test_set.len()), (8_000, 2_000));
    assert!(train_set.class_counts().iter().all(|&n| n > 600));
    assert!(test_set.class_counts().iter().all(|&n| n > 150));
    let loader = DataLoader::new(&train_set, 64).unwrap().shuffle(0);
    assert_eq!(loader.batches_per_epoch(), 125);
    let last = loader.epoch(0).last().unwrap();
    assert_eq!(last.images.dims(), &[8_000 - 124 * 64, 784]);
}

#[test]
fn load_mnist_splits_the_vendored_digits_8000_to_2000_in_order() {
    let (train_set, test_set) = load_mnist::<f32>(DIR).unwrap();
    let (head, tail) = mnist().split_at(8_000).unwrap();
    assert_eq!((train_set.images(), train_set.labels()), (head.images(), head.labels()));
    assert_eq!((test_set.images(), test_set.labels()), (tail.images(), tail.labels()));
}
