//! AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019), as PyTorch's
//! `torch.optim.AdamW`. It shares Adam's kernel ([`adam.rs`](crate::Adam)); only the decay differs.

use crate::adam::{AdamState, Hyper};
use crate::error::{Result, Site};
use crate::optimizer::{impl_optimizer, Core, Options};
use autograd::{Float, Parameter, Tensor};
use std::borrow::Borrow;

/// Options for [`AdamW`]; the defaults are PyTorch's (note λ = 1e-2, where Keras uses 4e-3).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWConfig {
    /// Learning rate η (default 1e-3).
    pub lr: f64,
    /// Decay rates (β₁, β₂) of the moment averages (default (0.9, 0.999)), each in [0, 1).
    pub betas: (f64, f64),
    /// ε added to the root of the second moment (default 1e-8).
    pub eps: f64,
    /// Decoupled weight decay λ: θ shrinks by the factor 1 − ηλ each step (default 1e-2).
    pub weight_decay: f64,
    /// AMSGrad, as in [`AdamConfig::amsgrad`](crate::AdamConfig::amsgrad) (default false).
    pub amsgrad: bool,
    /// Maximize the objective instead of minimizing it (default false).
    pub maximize: bool,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 1e-2, amsgrad: false, maximize: false }
    }
}

/// AdamW: Adam whose weight decay shrinks the parameter directly instead of entering the
/// gradient, so it is not rescaled by the adaptive denominator.
///
/// The update, for each parameter θ at step t (PyTorch's):
/// ```text
/// θ ← θ·(1 − η·λ)                 decoupled weight decay, applied first
/// g ← ∇L(θ_old)                    (−∇L if maximize; no λθ term)
/// m, v, m̂, v̂ as in Adam
/// θ ← θ − η·m̂ / (√v̂ + ε)
/// ```
/// For Adam, L2 in the gradient (`Adam` with `weight_decay`) and this are different methods.
pub struct AdamW<T: Float> {
    core: Core<T, AdamState<T>, AdamWConfig>,
}

impl AdamWConfig {
    fn hyper(&self) -> Hyper {
        let AdamWConfig { lr, betas, eps, weight_decay, amsgrad, maximize } = *self;
        Hyper { lr, betas, eps, weight_decay, amsgrad, maximize, decoupled: true }
    }
}

impl Options for AdamWConfig {
    const OPTIMIZER: &'static str = "AdamW";
    const MOMENTUM: Option<&'static str> = Some("betas[0]");
    fn lr(&self) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn momentum(&self) -> Option<f64> {
        Some(self.betas.0)
    }
    fn set_momentum(&mut self, beta1: f64) {
        self.betas.0 = beta1;
    }
    fn validate<T: Float>(&self, site: Site) -> Result<()> {
        self.hyper().validate::<T>(Self::OPTIMIZER, site)
    }
}

impl<T: Float> AdamW<T> {
    /// AdamW over named parameters, which form parameter group 0; fails on a bad
    /// hyper-parameter, an empty list or a duplicate.
    #[track_caller]
    pub fn new<K: Into<String>, P: Borrow<Parameter<T>>>(
        params: impl IntoIterator<Item = (K, P)>,
        config: AdamWConfig,
    ) -> Result<Self> {
        Ok(AdamW { core: Core::new(params, config, Site::caller())? })
    }

    fn init_state() -> impl Fn(&AdamWConfig, &Tensor<T>) -> AdamState<T> {
        |c, value| c.hyper().init_state(value)
    }

    fn apply(&mut self, site: Site) -> Result<()> {
        self.core.step(site, Self::init_state(), |c, state, t, value, grad| c.hyper().update(state, t, value, grad))
    }
}

impl_optimizer!(AdamW, AdamWConfig);
