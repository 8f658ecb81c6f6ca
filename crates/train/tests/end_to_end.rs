//! The data pipeline and the fit loop drive a real training run: an MLP learns the vendored
//! digits, and the seed alone fixes every bit of the result.

use nn::{LinearConfig, Module, Relu, Sequential};
use optim::{Sgd, SgdConfig};
use rand::{rngs::StdRng, SeedableRng};
use train::data::{load_mnist, random_shift, Dataset};
use train::progress::ProgressMode;
use train::{Fit, History};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist-10k");

/// Trains a 784-64-10 MLP with SGD + momentum on `train_set` for `epochs` epochs, digits
/// shifted by up to `shift` pixels; returns the model and the history.
fn fit(train_set: &Dataset, epochs: usize, shift: usize, seed: u64) -> (Sequential, History) {
    let mut rng = StdRng::seed_from_u64(seed);
    let model = Sequential::new()
        .push(LinearConfig::new(784, 64).init(&mut rng).unwrap())
        .push(Relu)
        .push(LinearConfig::new(64, 10).init(&mut rng).unwrap());
    let mut sgd =
        Sgd::new(model.named_parameters(), SgdConfig { lr: 0.05, momentum: 0.9, ..Default::default() }).unwrap();
    let history = Fit::new(&model, &mut sgd, train_set)
        .epochs(epochs)
        .batch_size(64)
        .seed(seed)
        .augment(|images, rng| random_shift(images, 28, 28, shift, rng))
        .progress(ProgressMode::Quiet)
        .run()
        .unwrap();
    (model, history)
}

#[test]
fn an_mlp_learns_the_digits() {
    let (train_set, test_set) = load_mnist(DIR).unwrap();
    let (model, history) = fit(&train_set, 2, 0, 0);
    // ln 10 = 2.30 is the loss of a uniform guess; a pipeline that mismatched images and
    // labels would stay near it and at 10% accuracy.
    let losses = history.metric("loss").unwrap();
    assert!(losses[0] < 0.6 && losses[1] < losses[0], "losses per epoch {losses:?}");
    let test = train::evaluate(&model, &test_set, 500, train::cross_entropy).unwrap();
    assert!(test.accuracy > 0.9, "test accuracy {} after 2 epochs", test.accuracy); // 91.95% when written
    assert!(test.loss < 0.4, "test loss {}", test.loss);
}

#[test]
fn the_seed_fixes_every_bit_of_a_run() {
    let (train_set, _) = load_mnist(DIR).unwrap();
    let (small, _) = train_set.split_at(1_000).unwrap();
    let bits = |model: &Sequential| -> Vec<Vec<u32>> {
        model.parameters().iter().map(|p| p.value().data().iter().map(|v| v.to_bits()).collect()).collect()
    };
    let (a, history_a) = fit(&small, 2, 1, 7);
    let (b, history_b) = fit(&small, 2, 1, 7);
    let (c, _) = fit(&small, 2, 1, 8);
    assert_eq!(history_a.metric("loss"), history_b.metric("loss"));
    assert_eq!(bits(&a), bits(&b));
    assert_ne!(bits(&a), bits(&c));
}
