//! What several experiments share: the MNIST digits, multilayer perceptrons with a chosen
//! activation, and norms of parameters and their gradients.

use crate::Result;
use autograd::{Float, Parameter};
use nn::{Init, LeakyRelu, LinearConfig, MaxoutConfig, Module, PRelu, Relu, Sequential, Sigmoid};
use optim::{Adagrad, AdagradConfig, Adam, AdamConfig, Optimizer, RmsProp, RmsPropConfig, Sgd, SgdConfig};
use rand::Rng;
use std::path::Path;
use train::data::Dataset;

/// The bundled MNIST digits split as every example in the repository splits them: the first
/// 8,000 to train, the last 2,000 to test.
#[derive(Clone, Debug)]
pub struct Mnist {
    /// The first 8,000 digits.
    pub train: Dataset,
    /// The last 2,000 digits, never trained on.
    pub test: Dataset,
}

impl Mnist {
    /// Reads `images-idx3-ubyte.gz` and `labels-idx1-ubyte.gz` from `dir` (the bundled
    /// `data/mnist-10k`, or the full MNIST training files: any count above 2,000 works, the last
    /// 2,000 are the test set).
    pub fn load(dir: &Path) -> Result<Mnist> {
        let all = Dataset::from_idx(dir.join("images-idx3-ubyte.gz"), dir.join("labels-idx1-ubyte.gz"), 10)?;
        let test_size = 2_000.min(all.len() / 5);
        let (train, test) = all.split_at(all.len() - test_size)?;
        Ok(Mnist { train, test })
    }

    /// The first `n` training digits (all of them if `n` is larger).
    pub fn train_prefix(&self, n: usize) -> Result<Dataset> {
        Ok(self.train.subset(&(0..n.min(self.train.len())).collect::<Vec<_>>())?)
    }

    /// The first `n` test digits (all of them if `n` is larger).
    pub fn test_prefix(&self, n: usize) -> Result<Dataset> {
        Ok(self.test.subset(&(0..n.min(self.test.len())).collect::<Vec<_>>())?)
    }
}

/// The nonlinearity between the linear layers of a [`mlp`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// 1 / (1 + e⁻ˣ).
    Sigmoid,
    /// max(0, x).
    Relu,
    /// max(0, x) + s·min(0, x) with a fixed slope `s`.
    LeakyRelu(f64),
    /// max(0, x) + a·min(0, x) with one learned slope per unit, starting at the value given.
    PRelu(f64),
    /// Each unit the max of this many linear pieces (the linear layer before it grows by the
    /// same factor).
    Maxout(usize),
}

impl Activation {
    /// A short name for tables and legends.
    pub fn name(&self) -> String {
        match self {
            Activation::Sigmoid => "sigmoid".into(),
            Activation::Relu => "ReLU".into(),
            Activation::LeakyRelu(s) => format!("leaky ReLU ({s})"),
            Activation::PRelu(_) => "PReLU".into(),
            Activation::Maxout(k) => format!("maxout (k={k})"),
        }
    }
}

/// How a network's linear layers start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InitScheme {
    /// He-uniform weights, U(±√6/√fan_in), and zero biases: [`LinearConfig`]'s default, made
    /// for ReLU.
    #[default]
    He,
    /// PyTorch's `nn.Linear` default: weights and biases U(±1/√fan_in), √6 times narrower.
    PyTorch,
}

impl InitScheme {
    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            InitScheme::He => "He",
            InitScheme::PyTorch => "PyTorch default",
        }
    }

    fn weight_and_bias(self) -> (Init, Init) {
        match self {
            InitScheme::He => (Init::kaiming_uniform(), Init::ZEROS),
            InitScheme::PyTorch => (Init::pytorch_linear(), Init::pytorch_linear()),
        }
    }
}

/// A fully connected network with `sizes[0]` inputs, hidden layers of `sizes[1..n-1]` units
/// each followed by `activation`, and `sizes[n-1]` outputs (logits). Weights are He-uniform
/// (the default of [`LinearConfig`]) drawn from `rng`, biases zero; a maxout layer's pieces
/// likewise.
///
/// [`weight_matrices`] lists the weights in layer order, whatever the modules are called.
pub fn mlp<T: Float>(sizes: &[usize], activation: Activation, rng: &mut impl Rng) -> Result<Sequential<T>> {
    mlp_with_init(sizes, activation, InitScheme::He, rng)
}

/// [`mlp`] with the linear layers started by `init`.
pub fn mlp_with_init<T: Float>(
    sizes: &[usize],
    activation: Activation,
    init: InitScheme,
    rng: &mut impl Rng,
) -> Result<Sequential<T>> {
    let (weight_init, bias_init) = init.weight_and_bias();
    let mut net = Sequential::new();
    let last = sizes.len().saturating_sub(1);
    for (l, pair) in sizes.windows(2).enumerate() {
        let (n_in, n_out) = (pair[0], pair[1]);
        let linear = LinearConfig { weight_init, bias_init, ..LinearConfig::new(n_in, n_out) };
        if l + 1 == last {
            net = net.push(linear.init(rng)?);
            break;
        }
        net = match activation {
            Activation::Maxout(k) => {
                net.push(MaxoutConfig { weight_init, bias_init, ..MaxoutConfig::new(n_in, n_out, k) }.init(rng)?)
            }
            _ => net.push(linear.init(rng)?),
        };
        net = match activation {
            Activation::Sigmoid => net.push(Sigmoid),
            Activation::Relu => net.push(Relu),
            Activation::LeakyRelu(slope) => net.push(LeakyRelu { slope }),
            Activation::PRelu(init) => net.push(PRelu::per_channel(n_out, init)?),
            Activation::Maxout(_) => net,
        };
    }
    Ok(net)
}

/// The weight matrices of a network in layer order, with their names.
pub fn weight_matrices<T: Float>(net: &dyn Module<T>) -> Vec<(String, Parameter<T>)> {
    net.named_parameters().into_iter().filter(|(_, p)| p.value().rank() == 2).collect()
}

/// The Euclidean norm of a parameter's gradient (0 if it has none).
pub fn grad_norm<T: Float>(p: &Parameter<T>) -> f64 {
    p.grad().map_or(0.0, |g| norm(g.data()))
}

/// The Euclidean norm of a parameter's value.
pub fn value_norm<T: Float>(p: &Parameter<T>) -> f64 {
    norm(p.value().data())
}

/// √Σ v², accumulated in `f64`.
pub fn norm<T: Float>(values: &[T]) -> f64 {
    values.iter().map(|v| v.to_f64().powi(2)).sum::<f64>().sqrt()
}

/// An optimizer and its hyper-parameters, to build over a network's parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerKind {
    /// Plain gradient descent: θ ← θ − η∇L.
    Sgd {
        /// η.
        lr: f64,
    },
    /// Gradient descent with momentum λ: v ← λv + ∇L, θ ← θ − ηv (PyTorch's form of the
    /// lecture's v ← λv − η∇L, θ ← θ + v: the same steps for a constant η).
    Momentum {
        /// η.
        lr: f64,
        /// λ.
        momentum: f64,
    },
    /// Adagrad: η divided by the root of the sum of all past squared gradients.
    Adagrad {
        /// η.
        lr: f64,
    },
    /// RMSProp: η divided by the root of a decaying average of squared gradients.
    RmsProp {
        /// η.
        lr: f64,
    },
    /// Adam: momentum on the gradient, divided as in RMSProp, both bias-corrected.
    Adam {
        /// η.
        lr: f64,
    },
}

impl OptimizerKind {
    /// A short name for tables and legends.
    pub fn name(&self) -> &'static str {
        match self {
            OptimizerKind::Sgd { .. } => "SGD",
            OptimizerKind::Momentum { .. } => "momentum",
            OptimizerKind::Adagrad { .. } => "Adagrad",
            OptimizerKind::RmsProp { .. } => "RMSProp",
            OptimizerKind::Adam { .. } => "Adam",
        }
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        match *self {
            OptimizerKind::Sgd { lr }
            | OptimizerKind::Momentum { lr, .. }
            | OptimizerKind::Adagrad { lr }
            | OptimizerKind::RmsProp { lr }
            | OptimizerKind::Adam { lr } => lr,
        }
    }

    /// The same optimizer with learning rate `lr`.
    pub fn with_lr(self, lr: f64) -> Self {
        match self {
            OptimizerKind::Sgd { .. } => OptimizerKind::Sgd { lr },
            OptimizerKind::Momentum { momentum, .. } => OptimizerKind::Momentum { lr, momentum },
            OptimizerKind::Adagrad { .. } => OptimizerKind::Adagrad { lr },
            OptimizerKind::RmsProp { .. } => OptimizerKind::RmsProp { lr },
            OptimizerKind::Adam { .. } => OptimizerKind::Adam { lr },
        }
    }

    /// The optimizer over `params`, every other option at PyTorch's default.
    pub fn build<T: Float, K: Into<String>, P: std::borrow::Borrow<Parameter<T>>>(
        &self,
        params: impl IntoIterator<Item = (K, P)>,
    ) -> Result<Box<dyn Optimizer<T>>> {
        Ok(match *self {
            OptimizerKind::Sgd { lr } => Box::new(Sgd::new(params, SgdConfig { lr, ..Default::default() })?),
            OptimizerKind::Momentum { lr, momentum } => {
                Box::new(Sgd::new(params, SgdConfig { lr, momentum, ..Default::default() })?)
            }
            OptimizerKind::Adagrad { lr } => {
                Box::new(Adagrad::new(params, AdagradConfig { lr, ..Default::default() })?)
            }
            OptimizerKind::RmsProp { lr } => {
                Box::new(RmsProp::new(params, RmsPropConfig { lr, ..Default::default() })?)
            }
            OptimizerKind::Adam { lr } => Box::new(Adam::new(params, AdamConfig { lr, ..Default::default() })?),
        })
    }
}
