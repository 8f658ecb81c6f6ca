//! Adagrad (Duchi, Hazan & Singer 2011), as PyTorch's `torch.optim.Adagrad`.

use crate::error::{self, Result, Site};
use crate::optimizer::{impl_optimizer, Core, Options, ParamState, Saved};
use crate::terms;
use autograd::parallel::for_each_parameter_block;
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
    core: Core<T, AdagradState<T>, AdagradConfig>,
}

/// The running sum of squared gradients s.
struct AdagradState<T: Float> {
    sum: Tensor<T>,
}

impl<T: Float> ParamState<T> for AdagradState<T> {
    fn save(&self) -> Vec<(&'static str, Tensor<T>)> {
        vec![("sum", self.sum.clone())]
    }
    fn load(&mut self, saved: &mut Saved<'_, T>) -> Result<()> {
        self.sum = saved.buffer("sum")?;
        Ok(())
    }
}

impl Options for AdagradConfig {
    const OPTIMIZER: &'static str = "Adagrad";
    fn lr(&self) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn validate<T: Float>(&self, site: Site) -> Result<()> {
        const NAME: &str = AdagradConfig::OPTIMIZER;
        error::non_negative_in::<T>(NAME, "lr", self.lr, site)?;
        error::non_negative_in::<T>(NAME, "lr_decay", self.lr_decay, site)?;
        error::non_negative_in::<T>(NAME, "weight_decay", self.weight_decay, site)?;
        error::non_negative_in::<T>(NAME, "initial_accumulator_value", self.initial_accumulator_value, site)?;
        error::non_negative_in::<T>(NAME, "eps", self.eps, site)
    }
}

impl<T: Float> Adagrad<T> {
    /// Adagrad over named parameters, which form parameter group 0; fails on a bad
    /// hyper-parameter, an empty list or a duplicate.
    #[track_caller]
    pub fn new<K: Into<String>, P: Borrow<Parameter<T>>>(
        params: impl IntoIterator<Item = (K, P)>,
        config: AdagradConfig,
    ) -> Result<Self> {
        Ok(Adagrad { core: Core::new(params, config, Site::caller())? })
    }

    fn init_state() -> impl Fn(&AdagradConfig, &Tensor<T>) -> AdagradState<T> {
        |c, value| AdagradState { sum: Tensor::full(value.shape().clone(), T::from_f64(c.initial_accumulator_value)) }
    }

    fn apply(&mut self, site: Site) -> Result<()> {
        self.core.step(site, Self::init_state(), |c, state, t, value, grad| {
            let (wd, eps) = (T::from_f64(c.weight_decay), T::from_f64(c.eps));
            let clr = T::from_f64(c.lr / (1.0 + (t - 1) as f64 * c.lr_decay));
            let (maximize, decay) = (c.maximize, c.weight_decay != 0.0);
            let slices = (value.data_mut(), grad.data(), state.sum.data_mut());
            for_each_parameter_block(
                slices,
                #[inline(always)]
                move |(theta, grad, sums)| {
                    for ((p, &g), sum) in theta.iter_mut().zip(grad).zip(sums) {
                        let mut g = terms::direction(g, maximize);
                        if decay {
                            g = terms::l2(g, *p, wd);
                        }
                        *sum += g * g;
                        *p += -clr * g / (sum.sqrt() + eps);
                    }
                },
            );
        })
    }
}

impl_optimizer!(Adagrad, AdagradConfig);
