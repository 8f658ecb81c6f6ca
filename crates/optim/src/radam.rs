//! RAdam (Liu et al. 2020): Adam with a rectified adaptive rate, as PyTorch's
//! `torch.optim.RAdam`.

use crate::adam::validate_moments;
use crate::error::{Result, Site};
use crate::optimizer::{impl_optimizer, Core, Options, ParamState, Saved};
use crate::terms;
use autograd::parallel::for_each_parameter_block;
use autograd::{Float, Parameter, Tensor};
use std::borrow::Borrow;

/// Options for [`RAdam`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RAdamConfig {
    /// Learning rate η (default 1e-3).
    pub lr: f64,
    /// Decay rates (β₁, β₂) of the moment averages (default (0.9, 0.999)), each in [0, 1).
    pub betas: (f64, f64),
    /// ε added to the root of the second moment (default 1e-8).
    pub eps: f64,
    /// Weight decay λ (default 0): L2 in the gradient, or decoupled (see
    /// `decoupled_weight_decay`).
    pub weight_decay: f64,
    /// Decoupled weight decay, θ ← θ·(1 − ηλ), as AdamW, instead of L2 (default false;
    /// PyTorch calls this variant RAdamW).
    pub decoupled_weight_decay: bool,
    /// Maximize the objective instead of minimizing it (default false).
    pub maximize: bool,
}

impl Default for RAdamConfig {
    fn default() -> Self {
        RAdamConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
            maximize: false,
        }
    }
}

/// RAdam: Adam that, while the second moment's average spans too few steps to be trusted,
/// steps with momentum alone, then turns the adaptive rate on scaled by a rectification term r_t.
///
/// The update, for each parameter θ at step t = 1, 2, … (PyTorch's; m, v start at 0):
/// ```text
/// g ← ∇L(θ)                       (−∇L(θ) if maximize)
/// g ← g + λ·θ                     weight decay λ (or θ ← θ·(1 − ηλ) if decoupled)
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// m̂ ← m / (1 − β₁ᵗ)
/// ρ∞ ← 2/(1 − β₂) − 1,   ρ_t ← ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)     length of the moving average
/// if ρ_t > 5:  r_t ← √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))
///              θ ← θ − η·m̂·√(1 − β₂ᵗ)/(√v + ε)·r_t
/// else:        θ ← θ − η·m̂
/// ```
pub struct RAdam<T: Float> {
    core: Core<T, RAdamState<T>, RAdamConfig>,
}

/// m (`exp_avg`) and v (`exp_avg_sq`).
struct RAdamState<T: Float> {
    exp_avg: Tensor<T>,
    exp_avg_sq: Tensor<T>,
}

impl<T: Float> ParamState<T> for RAdamState<T> {
    fn save(&self) -> Vec<(&'static str, Tensor<T>)> {
        vec![("exp_avg", self.exp_avg.clone()), ("exp_avg_sq", self.exp_avg_sq.clone())]
    }
    fn load(&mut self, saved: &mut Saved<'_, T>) -> Result<()> {
        self.exp_avg = saved.buffer("exp_avg")?;
        self.exp_avg_sq = saved.buffer("exp_avg_sq")?;
        Ok(())
    }
}

impl Options for RAdamConfig {
    const OPTIMIZER: &'static str = "RAdam";
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

impl<T: Float> RAdam<T> {
    /// RAdam over named parameters, which form parameter group 0; fails on a bad
    /// hyper-parameter, an empty list or a duplicate.
    #[track_caller]
    pub fn new<K: Into<String>, P: Borrow<Parameter<T>>>(
        params: impl IntoIterator<Item = (K, P)>,
        config: RAdamConfig,
    ) -> Result<Self> {
        Ok(RAdam { core: Core::new(params, config, Site::caller())? })
    }

    fn init_state() -> impl Fn(&RAdamConfig, &Tensor<T>) -> RAdamState<T> {
        |_, value| RAdamState {
            exp_avg: Tensor::zeros(value.shape().clone()),
            exp_avg_sq: Tensor::zeros(value.shape().clone()),
        }
    }

    fn apply(&mut self, site: Site) -> Result<()> {
        self.core.step(site, Self::init_state(), |c, state, t, value, grad| {
            let (beta1, beta2) = c.betas;
            let step = t as f64;
            // The scalars in f64, as PyTorch computes them in Python floats.
            let bias_correction1 = 1.0 - beta1.powf(step);
            let bias_correction2 = 1.0 - beta2.powf(step);
            let rho_inf = 2.0 / (1.0 - beta2) - 1.0;
            let rho_t = rho_inf - 2.0 * step * beta2.powf(step) / bias_correction2;
            let rect = (rho_t > 5.0).then(|| {
                T::from_f64(
                    ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)).powf(0.5),
                )
            });
            let (lr, bias_correction1, bias_correction2_sqrt) =
                (T::from_f64(c.lr), T::from_f64(bias_correction1), T::from_f64(bias_correction2.powf(0.5)));
            let (one_minus_beta1, beta2_t, one_minus_beta2) =
                (T::from_f64(1.0 - beta1), T::from_f64(beta2), T::from_f64(1.0 - beta2));
            let (eps, wd, decay) =
                (T::from_f64(c.eps), T::from_f64(c.weight_decay), T::from_f64(1.0 - c.lr * c.weight_decay));
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
                        let corrected = *m / bias_correction1;
                        *p -= match rect {
                            Some(r) => corrected * lr * (bias_correction2_sqrt / (v.sqrt() + eps)) * r,
                            None => corrected * lr,
                        };
                    }
                },
            );
        })
    }
}

impl_optimizer!(RAdam, RAdamConfig);
