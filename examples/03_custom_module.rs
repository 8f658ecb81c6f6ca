//! Writing your own modules: a custom activation in three lines, and a custom layer with a
//! parameter of its own and a child module. Neither contains gradient code: `forward` is
//! written with tape ops, and backward comes from the tape.
//!
//! The example builds a small network from built-in and custom modules, lists its parameters
//! by hierarchical name, trains it on a toy problem with plain gradient descent (the `optim`
//! crate does this properly), and saves and restores it as a safetensors checkpoint.
//!
//! Run with `cargo run --example 03_custom_module`.

use chainrule::autograd::{Float, Parameter, Tape, Tensor, Var};
use chainrule::nn::{self, Checkpoint, LinearConfig, Module, Reduction, Sequential};
use rand::{rngs::StdRng, SeedableRng};

/// A custom activation: Swish, `x·σ(x)`. No parameters, so `forward` is all there is.
struct Swish;

impl<T: Float> Module<T> for Swish {
    fn forward<'t>(&self, x: &Var<'t, T>) -> nn::Result<Var<'t, T>> {
        Ok(x.mul(&x.sigmoid())?)
    }
}

/// A custom layer: a gated residual block, `y = x + g ⊙ f(x)`, with `f = Linear → Swish` and a
/// learned gate `g`, one per feature, starting at 0 (so the block starts as the identity).
struct GatedResidual<T: Float> {
    inner: Sequential<T>,
    gate: Parameter<T>,
}

impl<T: Float> GatedResidual<T> {
    fn new(features: usize, rng: &mut StdRng) -> nn::Result<Self> {
        Ok(GatedResidual {
            inner: Sequential::new().push(LinearConfig::new(features, features).init(rng)?).push(Swish),
            gate: Parameter::new(Tensor::zeros([features])),
        })
    }
}

impl<T: Float> Module<T> for GatedResidual<T> {
    fn forward<'t>(&self, x: &Var<'t, T>) -> nn::Result<Var<'t, T>> {
        // The parameter goes on the input's tape; backward fills its gradient buffer.
        let gate = x.tape().param(&self.gate);
        Ok(x.add(&self.inner.forward(x)?.mul(&gate)?)?)
    }

    // Name the parameter and the child: names, counts, train/eval, zero_grad and checkpoints
    // all follow from these two.
    fn visit_parameters(&self, visit: &mut dyn FnMut(&str, &Parameter<T>)) {
        visit("gate", &self.gate);
    }

    fn visit_children(&self, visit: &mut dyn FnMut(&str, &dyn Module<T>)) {
        visit("inner", &self.inner);
    }
}

fn main() -> nn::Result<()> {
    let mut rng = StdRng::seed_from_u64(0);
    let model = Sequential::<f32>::new()
        .push(LinearConfig::new(2, 16).init(&mut rng)?)
        .push(Swish)
        .push(GatedResidual::new(16, &mut rng)?)
        .push(LinearConfig::new(16, 2).init(&mut rng)?);
    println!("{}", model.describe());
    for (name, p) in model.named_parameters() {
        println!("  {name:<22} {}", p.value().shape());
    }
    println!("  {} parameters", model.num_parameters());

    // A toy problem: is the point in the first or third quadrant? (Not linearly separable.)
    let n = 128;
    let x = Tensor::rand_uniform([n, 2], -1.0, 1.0, &mut rng);
    let labels: Vec<usize> = (0..n).map(|i| usize::from(x.at(&[i, 0]) * x.at(&[i, 1]) > 0.0)).collect();

    let learning_rate = 0.5;
    for step in 0..=400 {
        let tape = Tape::new();
        let logits = model.forward(&tape.constant(x.clone()))?;
        let loss = nn::cross_entropy(&logits, &labels, Reduction::Mean)?;
        model.zero_grad();
        loss.backward()?;
        // Every parameter took part in the loss; an empty gradient buffer would name the culprit.
        let missing = nn::without_grad(&model.named_parameters());
        assert!(missing.is_empty(), "no gradient for {missing:?}");
        for p in model.parameters() {
            p.update(|value, grad| {
                let grad = grad.expect("checked above");
                for (v, g) in value.data_mut().iter_mut().zip(grad.data()) {
                    *v -= learning_rate * g;
                }
            });
        }
        if step % 100 == 0 {
            println!("step {step:>3}: loss {:.4}, accuracy {:.3}", loss.item(), accuracy(&logits, &labels));
        }
    }

    // Save, restore into a fresh model of the same architecture, and check the outputs agree.
    let path = std::env::temp_dir().join(format!("chainrule-example-03-{}.safetensors", std::process::id()));
    Checkpoint::from_module(&model).save(&path)?;
    let fresh = Sequential::<f32>::new()
        .push(LinearConfig::new(2, 16).init(&mut rng)?)
        .push(Swish)
        .push(GatedResidual::new(16, &mut rng)?)
        .push(LinearConfig::new(16, 2).init(&mut rng)?);
    nn::checkpoint::load(&fresh, &path)?;
    std::fs::remove_file(&path).map_err(|source| nn::Error::Io { path: path.clone(), source })?;
    let tape = Tape::new();
    let input = tape.constant(x);
    assert_eq!(model.forward(&input)?.value(), fresh.forward(&input)?.value());
    println!("saved and restored {} tensors; the restored model gives the same outputs", fresh.parameters().len());
    Ok(())
}

/// The fraction of rows whose largest logit is the label.
fn accuracy(logits: &Var<'_, f32>, labels: &[usize]) -> f64 {
    let v = logits.value();
    let hits = labels.iter().enumerate().filter(|&(i, &y)| (v.at(&[i, 1]) > v.at(&[i, 0])) == (y == 1)).count();
    hits as f64 / labels.len() as f64
}
