//! Adagrad (Duchi, Hazan & Singer 2011), as PyTorch's `torch.optim.Adagrad`.

use crate::error::{self, Result};
use crate::optimizer::{impl_optimizer, Core, Getter, ParamState};
use crate::terms;
use autograd::{Float, Parameter, Tensor};
use std::borrow::Borrow;

/// Options for [`Adagrad`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdagradConfig {
    /// Learning rate η (default 1e-2).
    pub lr: f64,
    /// Learning-rate decay: step t uses η / (1 + (t − 1)·lr_decay) (default 0).
    pub lr_decay: f64,
    /// L2 weight decay λ, added to the gradient as λθ (default 0).
    pub weight_decay: f64,
    /// The starting value s₀ of the sum of squared gradients (default 0).
    pub initial_accumulator_value: f64,
    /// ε added to the square root of the sum, for stability (default 1e-10).
    pub eps: f64,
    /// Maximize the objective instead of minimizing it (default false).
    pub maximize: bool,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            maximize: false,
        }
    }
}

/// Adagrad: each coordinate's step is η divided by the root of the sum of its past squared
/// gradients, so steep coordinates slow down and flat ones keep moving.
///
/// The update, for each parameter θ at step t = 1, 2, … (PyTorch's):
/// ```text
/// g  ← ∇L(θ)                      (−∇L(θ) if maximize)
/// g  ← g + λ·θ                    weight decay λ
/// η̃  ← η / (1 + (t − 1)·lr_decay)
/// s  ← s + g²                     s₀ = initial_accumulator_value
/// θ  ← θ − η̃·g / (√s + ε)         ε outside the root, as PyTorch (Keras puts it inside)
/// ```
pub struct Adagrad<T: Float> {
    config: AdagradConfig,
    core: Core<T, AdagradState<T>>,
}

/// The running sum of squared gradients s.
struct AdagradState<T: Float> {
    sum: Tensor<T>,
}

impl<T: Float> ParamState<T> for AdagradState<T> {
    fn save(&self) -> Vec<(&'static str, Tensor<T>)> {
        vec![("sum", self.sum.clone())]
    }
    fn load(&mut self, get: &mut Getter<'_, T>) -> Result<()> {
        self.sum = get("sum", &self.sum)?;
        Ok(())
    }
}

impl<T: Float> Adagrad<T> {
    /// Adagrad over named parameters; fails on a bad hyper-parameter, an empty list or a
    /// duplicate.
    pub fn new<K: Into<String>, P: Borrow<Parameter<T>>>(
        params: impl IntoIterator<Item = (K, P)>,
        config: AdagradConfig,
    ) -> Result<Self> {
        const NAME: &str = "Adagrad";
        error::non_negative(NAME, "lr_decay", config.lr_decay)?;
        error::non_negative(NAME, "weight_decay", config.weight_decay)?;
        error::non_negative(NAME, "initial_accumulator_value", config.initial_accumulator_value)?;
        error::non_negative(NAME, "eps", config.eps)?;
        Ok(Adagrad { config, core: Core::new(NAME, params, config.lr)? })
    }

    /// The options.
    pub fn config(&self) -> &AdagradConfig {
        &self.config
    }

    fn init_state(&self) -> impl Fn(&Tensor<T>) -> AdagradState<T> {
        let s0 = T::from_f64(self.config.initial_accumulator_value);
        move |value| AdagradState { sum: Tensor::full(value.shape().clone(), s0) }
    }

    fn apply(&mut self) -> Result<()> {
        let c = self.config;
        let (wd, eps) = (T::from_f64(c.weight_decay), T::from_f64(c.eps));
        let lr = self.core.lr;
        let init = self.init_state();
        self.core.step(init, |state, t, theta, grad| {
            let clr = T::from_f64(lr / (1.0 + (t - 1) as f64 * c.lr_decay));
            let (maximize, decay) = (c.maximize, c.weight_decay != 0.0);
            for ((p, &g), sum) in theta.iter_mut().zip(grad).zip(state.sum.data_mut()) {
                let mut g = terms::direction(g, maximize);
                if decay {
                    g = terms::l2(g, *p, wd);
                }
                *sum += g * g;
                *p += -clr * g / (sum.sqrt() + eps);
            }
        })
    }
}

impl_optimizer!(Adagrad);
