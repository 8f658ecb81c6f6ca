//! `Recompute`: a network whose blocks are recomputed during backward trains to the same bits
//! as the plain network, dropout masks included, and leaves the modules' random streams where
//! the plain network leaves them.

use autograd::{Tape, Tensor};
use nn::{cross_entropy, DropoutConfig, Error, LinearConfig, Module, Recompute, Reduction, Relu, Sequential};
use rand::{rngs::StdRng, SeedableRng};

/// Block `b` of the network: linear, ReLU, dropout, linear, ReLU; the same for the same `b`.
fn block(b: u64) -> Sequential<f64> {
    let mut rng = StdRng::seed_from_u64(b);
    Sequential::new()
        .push(LinearConfig::new(8, 8).init(&mut rng).unwrap())
        .push(Relu)
        .push(DropoutConfig::new(0.3).init_seeded(100 + b).unwrap())
        .push(LinearConfig::new(8, 8).init(&mut rng).unwrap())
        .push(Relu)
}

fn network(recomputed: bool) -> Sequential<f64> {
    let mut net = Sequential::new();
    for b in 0..4 {
        match recomputed {
            true => net.push_boxed(Box::new(Recompute::new(block(b)))),
            false => net.push_boxed(Box::new(block(b))),
        }
    }
    net.push(LinearConfig::new(8, 3).init(&mut StdRng::seed_from_u64(9)).unwrap())
}

/// Three training steps' gradients (summed into the buffers) and the state words after them.
fn train(net: &Sequential<f64>) -> (Vec<Vec<u64>>, nn::StateMap) {
    for step in 0..3 {
        let tape = Tape::new();
        let x = Tensor::from_fn([5, 8], |i| ((i * 7 + step) % 13) as f64 / 6.0 - 1.0);
        let logits = net.forward(&tape.constant(x)).unwrap();
        let labels = [0, 2, 1, 1, 0];
        cross_entropy(&logits, &labels, Reduction::Mean).unwrap().backward().unwrap();
    }
    let grads =
        net.parameters().iter().map(|p| p.grad().unwrap().data().iter().map(|v| v.to_bits()).collect()).collect();
    (grads, net.named_state())
}

#[test]
fn a_recomputed_network_has_the_plain_gradients_and_dropout_streams() {
    let (plain, plain_state) = train(&network(false));
    let recomputed_net = network(true);
    let (recomputed, state) = train(&recomputed_net);
    assert_eq!(recomputed, plain);
    assert_eq!(state, plain_state);
    assert_eq!(state.values().filter(|&&k| k == 3).count(), 4, "each dropout drew three masks: {state:?}");
    // The wrapper keeps the wrapped module's names.
    let names: Vec<String> = network(false).named_parameters().into_keys().collect();
    assert_eq!(recomputed_net.named_parameters().into_keys().collect::<Vec<_>>(), names);
    assert!(recomputed_net.describe().contains("Recompute(Sequential("), "{}", recomputed_net.describe());
}

#[test]
fn evaluation_mode_recomputes_too() {
    let (plain, recomputed) = (network(false), network(true));
    plain.eval();
    recomputed.eval();
    assert_eq!(train(&recomputed), train(&plain));
}

#[test]
fn a_wrapped_module_reports_its_own_errors() {
    let wrapped = Recompute::new(block(0));
    let tape = Tape::<f64>::new();
    let err = wrapped.forward(&tape.constant(Tensor::zeros([2, 5]))).unwrap_err();
    assert!(matches!(err, Error::InputShape { .. }), "{err}");
}
