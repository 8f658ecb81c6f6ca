//! Adamax (Kingma & Ba 2015, §7.1): Adam with the infinity norm, as PyTorch's
//! `torch.optim.Adamax`.

use crate::adam::validate_moments;
use crate::error::{Result, Site};
use crate::optimizer::{impl_optimizer, Core, Options, ParamState, Saved};
use crate::terms;
use autograd::parallel::for_each_parameter_block;
use autograd::{Float, Parameter, Tensor};
use std::borrow::Borrow;

/// Options for [`Adamax`]; the defaults are PyTorch's (note lr = 2e-3, not Adam's 1e-3).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamaxConfig {
    /// Learning rate η (default 2e-3).
    pub lr: f64,
    /// Decay rates (β₁, β₂) of the first moment and of the infinity norm (default
    /// (0.9, 0.999)), each in [0, 1).
    pub betas: (f64, f64),
    /// ε added to |g| inside the maximum, for stability (default 1e-8).
    pub eps: f64,
    /// L2 weight decay λ, added to the gradient as λθ (default 0).
    pub weight_decay: f64,
    /// Maximize the objective instead of minimizing it (default false).
    pub maximize: bool,
}

impl Default for AdamaxConfig {
    fn default() -> Self {
        AdamaxConfig { lr: 2e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.0, maximize: false }
    }
}

/// Adamax: Adam whose second moment is replaced by an exponentially weighted infinity norm u,
/// which needs no bias correction.
///
/// The update, for each parameter θ at step t = 1, 2, … (PyTorch's; m and u start at 0):
/// ```text
/// g ← ∇L(θ)                       (−∇L(θ) if maximize)
/// g ← g + λ·θ                     weight decay λ
/// m ← β₁·m + (1 − β₁)·g
/// u ← max(β₂·u, |g| + ε)          ε inside the maximum, as PyTorch
/// θ ← θ − η/(1 − β₁ᵗ) · m / u
/// ```
pub struct Adamax<T: Float> {
    core: Core<T, AdamaxState<T>, AdamaxConfig>,
}

/// m (`exp_avg`) and u (`exp_inf`).
struct AdamaxState<T: Float> {
    exp_avg: Tensor<T>,
    exp_inf: Tensor<T>,
}

impl<T: Float> ParamState<T> for AdamaxState<T> {
    fn save(&self) -> Vec<(&'static str, Tensor<T>)> {
        vec![("exp_avg", self.exp_avg.clone()), ("exp_inf", self.exp_inf.clone())]
    }
    fn load(&mut self, saved: &mut Saved<'_, T>) -> Result<()> {
        self.exp_avg = saved.buffer("exp_avg")?;
        self.exp_inf = saved.buffer("exp_inf")?;
        Ok(())
    }
}

impl Options for AdamaxConfig {
    const OPTIMIZER: &'static str = "Adamax";
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
        validate_moments::<T>(Self::OPTIMIZER, self.lr, self.betas, self.eps, self.weight_decay, site)
    }
}

impl<T: Float> Adamax<T> {
    /// Adamax over named parameters, which form parameter group 0; fails on a bad
    /// hyper-parameter, an empty list or a duplicate.
    #[track_caller]
    pub fn new<K: Into<String>, P: Borrow<Parameter<T>>>(
        params: impl IntoIterator<Item = (K, P)>,
        config: AdamaxConfig,
    ) -> Result<Self> {
        Ok(Adamax { core: Core::new(params, config, Site::caller())? })
    }

    fn init_state() -> impl Fn(&AdamaxConfig, &Tensor<T>) -> AdamaxState<T> {
        |_, value| AdamaxState {
            exp_avg: Tensor::zeros(value.shape().clone()),
            exp_inf: Tensor::zeros(value.shape().clone()),
        }
    }

    fn apply(&mut self, site: Site) -> Result<()> {
        self.core.step(site, Self::init_state(), |c, state, t, value, grad| {
            let (beta1, beta2) = c.betas;
            let (one_minus_beta1, beta2, eps, wd) =
                (T::from_f64(1.0 - beta1), T::from_f64(beta2), T::from_f64(c.eps), T::from_f64(c.weight_decay));
            // The step size in f64, as PyTorch computes it in Python floats.
            let clr = T::from_f64(c.lr / (1.0 - beta1.powf(t as f64)));
            let (maximize, decay) = (c.maximize, c.weight_decay != 0.0);
            let slices = (value.data_mut(), grad.data(), state.exp_avg.data_mut(), state.exp_inf.data_mut());
            for_each_parameter_block(
                slices,
                #[inline(always)]
                move |(theta, grad, exp_avg, exp_inf)| {
                    for (((p, &g), m), u) in theta.iter_mut().zip(grad).zip(exp_avg).zip(exp_inf) {
                        let mut g = terms::direction(g, maximize);
                        if decay {
                            g = terms::l2(g, *p, wd);
                        }
                        *m = terms::lerp(*m, g, one_minus_beta1);
                        *u = (*u * beta2).max(g.abs() + eps);
                        *p += -clr * *m / *u;
                    }
                },
            );
        })
    }
}

impl_optimizer!(Adamax, AdamaxConfig);
