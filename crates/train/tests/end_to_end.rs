//! The data pipeline drives a real training run: an MLP learns the vendored digits, and the
//! seed alone fixes every bit of the result.

use autograd::{Tape, Tensor};
use nn::{cross_entropy, LinearConfig, Module, Reduction, Relu, Sequential};
use optim::{Optimizer, Sgd, SgdConfig};
use rand::{rngs::StdRng, SeedableRng};
use train::data::{random_shift, DataLoader, Dataset};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist-10k");

fn mnist() -> Dataset {
    Dataset::from_idx(format!("{DIR}/images-idx3-ubyte.gz"), format!("{DIR}/labels-idx1-ubyte.gz"), 10).unwrap()
}

/// Trains a 784-64-10 MLP with SGD + momentum; returns the mean loss of each epoch and the
/// final parameters.
fn fit(train_set: &Dataset, epochs: u64, shift: usize, seed: u64) -> (Sequential, Vec<f64>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let model = Sequential::new()
        .push(LinearConfig::new(784, 64).init(&mut rng).unwrap())
        .push(Relu)
        .push(LinearConfig::new(64, 10).init(&mut rng).unwrap());
    let mut sgd =
        Sgd::new(model.named_parameters(), SgdConfig { lr: 0.05, momentum: 0.9, ..Default::default() }).unwrap();
    let loader = DataLoader::new(train_set, 64).unwrap().shuffle(seed);
    let mut tape = Tape::new();
    let mut losses = vec![];
    for epoch in 0..epochs {
        let mut sum = 0.0;
        for batch in loader.epoch(epoch) {
            let x = tape.constant(random_shift(&batch.images, 28, 28, shift, &mut rng).unwrap());
            let loss = cross_entropy(&model.forward(&x).unwrap(), &batch.labels, Reduction::Mean).unwrap();
            loss.backward().unwrap();
            sum += f64::from(loss.item()) * batch.len() as f64;
            sgd.step().unwrap();
            tape.clear();
        }
        losses.push(sum / train_set.len() as f64);
    }
    (model, losses)
}

fn accuracy(model: &Sequential, data: &Dataset) -> f64 {
    let tape = Tape::new();
    let logits = tape.no_grad(|| model.forward(&tape.constant(data.images().clone()))).unwrap();
    let logits: &Tensor = logits.value();
    let correct =
        logits.data().chunks_exact(10).zip(data.labels()).filter(|(row, &y)| row.iter().all(|&v| v <= row[y])).count();
    correct as f64 / data.len() as f64
}

#[test]
fn an_mlp_learns_the_digits() {
    let (train_set, test_set) = mnist().split_at(8_000).unwrap();
    let (model, losses) = fit(&train_set, 2, 0, 0);
    // ln 10 = 2.30 is the loss of a uniform guess; a pipeline that mismatched images and
    // labels would stay near it and at 10% accuracy.
    assert!(losses[0] < 0.6 && losses[1] < losses[0], "losses per epoch {losses:?}");
    let accuracy = accuracy(&model, &test_set);
    assert!(accuracy > 0.9, "test accuracy {accuracy} after 2 epochs"); // 91.95% when written
}

#[test]
fn the_seed_fixes_every_bit_of_a_run() {
    let (small, _) = mnist().split_at(1_000).unwrap();
    let bits = |model: &Sequential| -> Vec<Vec<u32>> {
        model.parameters().iter().map(|p| p.value().data().iter().map(|v| v.to_bits()).collect()).collect()
    };
    let (a, loss_a) = fit(&small, 2, 1, 7);
    let (b, loss_b) = fit(&small, 2, 1, 7);
    let (c, _) = fit(&small, 2, 1, 8);
    assert_eq!(loss_a, loss_b);
    assert_eq!(bits(&a), bits(&b));
    assert_ne!(bits(&a), bits(&c));
}
