//! Same seed, same bits, on any number of threads: the MNIST-sized MLP (784-256-128-10, ReLU,
//! cross-entropy, SGD with momentum) trained for a few steps at batch 512, where its products,
//! elementwise kernels, bias gradients and updates are all large enough to be split across
//! threads, ends with the same parameters, bit for bit, on 1, 2 and 3 threads; so does
//! inference with the trained model.

use chainrule::autograd::{set_num_threads, Tape, Tensor};
use chainrule::nn::{cross_entropy, LinearConfig, Module, Reduction, Relu, Sequential};
use chainrule::optim::{Optimizer, Sgd, SgdConfig};
use rand::{rngs::StdRng, Rng, SeedableRng};

const BATCH: usize = 512;
const STEPS: usize = 3;

/// The parameters after training from seed 0, as bits, and the logits of the last batch in
/// evaluation mode.
fn train(threads: usize) -> (Vec<Vec<u32>>, Vec<u32>) {
    set_num_threads(threads).unwrap();
    let mut rng = StdRng::seed_from_u64(0);
    let model = Sequential::new()
        .push(LinearConfig::new(784, 256).init(&mut rng).unwrap())
        .push(Relu)
        .push(LinearConfig::new(256, 128).init(&mut rng).unwrap())
        .push(Relu)
        .push(LinearConfig::new(128, 10).init(&mut rng).unwrap());
    let config = SgdConfig { lr: 0.05, momentum: 0.9, ..Default::default() };
    let mut sgd = Sgd::new(model.named_parameters(), config).unwrap();
    let mut tape = Tape::new();
    let mut images = Tensor::zeros([1]);
    for _ in 0..STEPS {
        images = Tensor::rand_uniform([BATCH, 784], 0.0, 1.0, &mut rng);
        let labels: Vec<usize> = (0..BATCH).map(|_| rng.random_range(0..10)).collect();
        let logits = model.forward(&tape.constant(images.clone())).unwrap();
        cross_entropy(&logits, &labels, Reduction::Mean).unwrap().backward().unwrap();
        sgd.step().unwrap();
        tape.clear();
    }
    model.eval();
    let logits = tape.no_grad(|| model.forward(&tape.constant(images))).unwrap();
    let bits = |t: &Tensor| t.data().iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
    let params = model.named_parameters().iter().map(|(_, p)| bits(&p.value())).collect();
    (params, bits(logits.value()))
}

#[test]
fn training_gives_the_same_bits_on_any_number_of_threads() {
    let one = train(1);
    for threads in [2, 3, 2] {
        assert!(train(threads) == one, "{threads} threads differ from one");
    }
    set_num_threads(1).unwrap();
}
