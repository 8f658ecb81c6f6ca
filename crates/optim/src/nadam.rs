//! NAdam (Dozat 2016): Adam with Nesterov momentum, as PyTorch's `torch.optim.NAdam`.

use crate::adam::validate_moments;
use crate::error::{self, Result, Site};
use crate::optimizer::{impl_optimizer, Core, Options, ParamState, Saved};
use crate::terms;
use autograd::parallel::for_each_parameter_block;
use autograd::{Float, Parameter, Tensor};
use std::borrow::Borrow;

/// Options for [`NAdam`]; the defaults are PyTorch's (note lr = 2e-3, not Adam's 1e-3).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NAdamConfig {
    /// Learning rate η (default 2e-3).
    pub lr: f64,
    /// Decay rates (β₁, β₂) of the moment averages (default (0.9, 0.999)), each in [0, 1).
    pub betas: (f64, f64),
    /// ε added to the root of the second moment (default 1e-8).
    pub eps: f64,
    /// Weight decay λ (default 0): L2 in the gradient, or decoupled (see
    /// `decoupled_weight_decay`).
    pub weight_decay: f64,
    /// ψ, how fast the momentum schedule μ_t warms up to β₁ (default 4e-3, Dozat's value).
    pub momentum_decay: f64,
    /// Decoupled weight decay, θ ← θ·(1 − ηλ), as AdamW, instead of L2 (default false;
    /// PyTorch calls this variant NAdamW).
    pub decoupled_weight_decay: bool,
    /// Maximize the objective instead of minimizing it (default false).
    pub maximize: bool,
}

impl Default for NAdamConfig {
    fn default() -> Self {
        NAdamConfig {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            momentum_decay: 4e-3,
            decoupled_weight_decay: false,
            maximize: false,
        }
    }
}

/// NAdam: Adam whose step looks ahead along the momentum, with Dozat's warming momentum
/// schedule μ_t.
///
/// The update, for each parameter θ at step t = 1, 2, … (PyTorch's; m, v start at 0 and the
/// product Π starts at 1):
/// ```text
/// g ← ∇L(θ)                       (−∇L(θ) if maximize)
/// g ← g + λ·θ                     weight decay λ (or θ ← θ·(1 − ηλ) if decoupled)
/// μ_t ← β₁·(1 − ½·0.96^(t·ψ)),  μ_{t+1} ← β₁·(1 − ½·0.96^((t+1)·ψ))
/// Π ← Π·μ_t                       (`mu_product`)
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// d ← √(v / (1 − β₂ᵗ)) + ε
/// θ ← θ − η·(1 − μ_t)/(1 − Π) · g/d − η·μ_{t+1}/(1 − Π·μ_{t+1}) · m/d
/// ```
pub struct NAdam<T: Float> {
    core: Core<T, NAdamState<T>, NAdamConfig>,
}

/// Π (`mu_product`, a scalar kept in the element type as PyTorch keeps it in a tensor), m
/// (`exp_avg`) and v (`exp_avg_sq`).
struct NAdamState<T: Float> {
    mu_product: T,
    exp_avg: Tensor<T>,
    exp_avg_sq: Tensor<T>,
}

impl<T: Float> ParamState<T> for NAdamState<T> {
    fn save(&self) -> Vec<(&'static str, Tensor<T>)> {
        vec![("exp_avg", self.exp_avg.clone()), ("exp_avg_sq", self.exp_avg_sq.clone())]
    }
    fn scalars(&self) -> Vec<(&'static str, T)> {
        vec![("mu_product", self.mu_product)]
    }
    fn load(&mut self, saved: &mut Saved<'_, T>) -> Result<()> {
        self.mu_product = saved.scalar("mu_product")?;
        self.exp_avg = saved.buffer("exp_avg")?;
        self.exp_avg_sq = saved.buffer("exp_avg_sq")?;
        Ok(())
    }
}

impl Options for NAdamConfig {
    const OPTIMIZER: &'static str = "NAdam";
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
        const NAME: &str = NAdamConfig::OPTIMIZER;
        validate_moments::<T>(NAME, self.lr, self.betas, self.eps, self.weight_decay, site)?;
        error::non_negative_in::<T>(NAME, "momentum_decay", self.momentum_decay, site)
    }
}

impl<T: Float> NAdam<T> {
    /// NAdam over named parameters, which form parameter group 0; fails on a bad
    /// hyper-parameter, an empty list or a duplicate.
    #[track_caller]
    pub fn new<K: Into<String>, P: Borrow<Parameter<T>>>(
        params: impl IntoIterator<Item = (K, P)>,
        config: NAdamConfig,
    ) -> Result<Self> {
        Ok(NAdam { core: Core::new(params, config, Site::caller())? })
    }

    fn init_state() -> impl Fn(&NAdamConfig, &Tensor<T>) -> NAdamState<T> {
        |_, value| {
            let zeros = || Tensor::zeros(value.shape().clone());
            NAdamState { mu_product: T::ONE, exp_avg: zeros(), exp_avg_sq: zeros() }
        }
    }

    fn apply(&mut self, site: Site) -> Result<()> {
        self.core.step(site, Self::init_state(), |c, state, t, value, grad| {
            let (beta1, beta2) = c.betas;
            let (lr, step) = (c.lr, t as f64);
            // The momentum schedule and the step sizes in f64, as PyTorch computes them in Python
            // floats; Π is updated in the element type, as PyTorch's tensor.
            let mu = beta1 * (1.0 - 0.5 * 0.96f64.powf(step * c.momentum_decay));
            let mu_next = beta1 * (1.0 - 0.5 * 0.96f64.powf((step + 1.0) * c.momentum_decay));
            state.mu_product = T::from_f64(state.mu_product.to_f64() * mu);
            let mu_product = state.mu_product.to_f64();
            let gradient_step = T::from_f64(-lr * (1.0 - mu) / (1.0 - mu_product));
            let momentum_step = T::from_f64((-lr * mu_next) / (1.0 - mu_product * mu_next));
            let bias_correction2 = T::from_f64(1.0 - beta2.powf(step));
            let (one_minus_beta1, beta2_t, one_minus_beta2) =
                (T::from_f64(1.0 - beta1), T::from_f64(beta2), T::from_f64(1.0 - beta2));
            let (eps, wd, decay) =
                (T::from_f64(c.eps), T::from_f64(c.weight_decay), T::from_f64(1.0 - lr * c.weight_decay));
            let (maximize, coupled, decoupled) = (
                c.maximize,
                c.weight_decay != 0.0 && !c.decoupled_weight_decay,
                c.weight_decay != 0.0 && c.decoupled_weight_decay,
            );
            let slices = (value.data_mut(), grad.data(), state.exp_avg.data_mut(), state.exp_avg_sq.data_mut());
            for_each_parameter_block(
                slices,
                #[inline(always)]
                move |(theta, grad, exp_avg, exp_avg_sq)| {
                    for (((p, &g), m), v) in theta.iter_mut().zip(grad).zip(exp_avg).zip(exp_avg_sq) {
                        let mut g = terms::direction(g, maximize);
                        if decoupled {
                            *p = terms::decoupled_decay(*p, decay);
                        } else if coupled {
                            g = terms::l2(g, *p, wd);
                        }
                        *m = terms::lerp(*m, g, one_minus_beta1);
                        *v = *v * beta2_t + one_minus_beta2 * g * g;
                        let denom = (*v / bias_correction2).sqrt() + eps;
                        *p += gradient_step * g / denom;
                        *p += momentum_step * *m / denom;
                    }
                },
            );
        })
    }
}

impl_optimizer!(NAdam, NAdamConfig);
