//! Weight initialization: Xavier/Glorot and He/Kaiming, uniform and normal, seeded.
//!
//! Every scheme draws from the random generator it is given (pass a seeded
//! `rand::rngs::StdRng`), so the same seed gives the same bits. The fans of a weight of shape
//! `[out, in]` are `fan_in = in` and `fan_out = out`, as PyTorch computes them for `nn.Linear`.
//!
//! | scheme | distribution | scale |
//! | --- | --- | --- |
//! | Xavier/Glorot uniform | U(−a, a) | a = gain·√(6 / (fan_in + fan_out)) |
//! | Xavier/Glorot normal | N(0, σ²) | σ = gain·√(2 / (fan_in + fan_out)) |
//! | He/Kaiming uniform | U(−a, a) | a = gain·√(3 / fan) |
//! | He/Kaiming normal | N(0, σ²) | σ = gain / √fan |
//!
//! Glorot & Bengio (2010) keep the variance of activations and gradients equal across layers
//! for tanh-like units; He et al. (2015) correct for ReLU halving the variance, hence the gain
//! √2 ([`gain::RELU`]). `fan` is `fan_in` by default (preserves the forward variance) or
//! `fan_out` (preserves the backward variance).

use crate::{Error, Result};
use autograd::{Float, Shape, Site, Tensor};
use rand::Rng;

/// Recommended gains for common nonlinearities, as `torch.nn.init.calculate_gain`.
pub mod gain {
    /// Linear, sigmoid, and Xavier's default.
    pub const LINEAR: f64 = 1.0;
    /// tanh: 5/3.
    pub const TANH: f64 = 5.0 / 3.0;
    /// ReLU: √2.
    pub const RELU: f64 = std::f64::consts::SQRT_2;

    /// Leaky ReLU with negative slope `a`: √(2 / (1 + a²)).
    pub fn leaky_relu(slope: f64) -> f64 {
        (2.0 / (1.0 + slope * slope)).sqrt()
    }
}

/// Which fan He/Kaiming initialization scales by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FanMode {
    /// The number of inputs: preserves the variance of the forward pass (PyTorch's default).
    #[default]
    FanIn,
    /// The number of outputs: preserves the variance of the backward pass.
    FanOut,
}

/// An initialization scheme for a tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Every element equal to the value.
    Constant(f64),
    /// U(low, high).
    Uniform {
        /// The lower bound (inclusive).
        low: f64,
        /// The upper bound (exclusive).
        high: f64,
    },
    /// N(mean, std²).
    Normal {
        /// The mean.
        mean: f64,
        /// The standard deviation.
        std: f64,
    },
    /// Xavier/Glorot uniform: U(−a, a), a = gain·√(6 / (fan_in + fan_out)).
    XavierUniform {
        /// The scale for the following nonlinearity (see [`gain`]).
        gain: f64,
    },
    /// Xavier/Glorot normal: N(0, σ²), σ = gain·√(2 / (fan_in + fan_out)).
    XavierNormal {
        /// The scale for the following nonlinearity (see [`gain`]).
        gain: f64,
    },
    /// He/Kaiming uniform: U(−a, a), a = gain·√(3 / fan).
    KaimingUniform {
        /// The scale for the nonlinearity (see [`gain`]; √2 for ReLU).
        gain: f64,
        /// Which fan to scale by.
        mode: FanMode,
    },
    /// He/Kaiming normal: N(0, σ²), σ = gain / √fan.
    KaimingNormal {
        /// The scale for the nonlinearity (see [`gain`]; √2 for ReLU).
        gain: f64,
        /// Which fan to scale by.
        mode: FanMode,
    },
}

impl Init {
    /// Zeros.
    pub const ZEROS: Init = Init::Constant(0.0);

    /// Xavier/Glorot uniform with gain 1.
    pub fn xavier_uniform() -> Self {
        Init::XavierUniform { gain: gain::LINEAR }
    }

    /// Xavier/Glorot normal with gain 1.
    pub fn xavier_normal() -> Self {
        Init::XavierNormal { gain: gain::LINEAR }
    }

    /// He/Kaiming uniform for ReLU (gain √2, fan in).
    pub fn kaiming_uniform() -> Self {
        Init::KaimingUniform { gain: gain::RELU, mode: FanMode::FanIn }
    }

    /// He/Kaiming normal for ReLU (gain √2, fan in).
    pub fn kaiming_normal() -> Self {
        Init::KaimingNormal { gain: gain::RELU, mode: FanMode::FanIn }
    }

    /// PyTorch's default for `nn.Linear` weights and biases: U(−1/√fan_in, 1/√fan_in) (its
    /// `kaiming_uniform_(a = √5)`).
    pub fn pytorch_linear() -> Self {
        Init::KaimingUniform { gain: (1.0f64 / 3.0).sqrt(), mode: FanMode::FanIn }
    }

    /// Draws a tensor of `shape` from this scheme, with the fans of the weight it belongs to.
    ///
    /// Fails if a fan the scheme divides by is zero, a parameter is negative or not finite, or
    /// the values overflow `T` (a gain of 1e40 in `f32`).
    ///
    /// ```
    /// use nn::Init;
    /// use rand::{rngs::StdRng, SeedableRng};
    /// let draw = |seed| Init::xavier_uniform().tensor::<f32>([3, 5], 5, 3, &mut StdRng::seed_from_u64(seed)).unwrap();
    /// assert_eq!(draw(1), draw(1)); // same seed, same bits
    /// let bound = (6.0f32 / 8.0).sqrt();
    /// assert!(draw(2).data().iter().all(|w| w.abs() < bound));
    /// ```
    #[track_caller]
    pub fn tensor<T: Float>(
        &self,
        shape: impl Into<Shape>,
        fan_in: usize,
        fan_out: usize,
        rng: &mut impl Rng,
    ) -> Result<Tensor<T>> {
        let shape = shape.into();
        let site = Site::caller();
        let config = |msg: String| Error::config_at("init", msg, site);
        let fan = |mode: FanMode| match mode {
            FanMode::FanIn => fan_in as f64,
            FanMode::FanOut => fan_out as f64,
        };
        // Fans as f64, so that fan_in + fan_out cannot overflow.
        let positive = |what: &str, n: f64| {
            if n == 0.0 {
                Err(config(format!("{self:?} needs a positive {what}, got 0")))
            } else {
                Ok(n)
            }
        };
        let check = |name: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(v)
            } else {
                Err(config(format!("{name} must be finite and non-negative, got {v}")))
            }
        };
        let uniform =
            |a: f64, rng: &mut _| Tensor::try_rand_uniform(shape.clone(), T::from_f64(-a), T::from_f64(a), rng);
        let normal = |s: f64, rng: &mut _| Tensor::try_rand_normal(shape.clone(), T::ZERO, T::from_f64(s), rng);
        let drawn = match *self {
            Init::Constant(v) => {
                if !v.is_finite() {
                    return Err(config(format!("constant {v} is not finite")));
                }
                Tensor::try_full(shape, T::from_f64(v))
            }
            Init::Uniform { low, high } => {
                if !(low.is_finite() && high.is_finite() && low <= high) {
                    return Err(config(format!("uniform bounds [{low}, {high}) are not an interval")));
                }
                Tensor::try_rand_uniform(shape, T::from_f64(low), T::from_f64(high), rng)
            }
            Init::Normal { mean, std } => {
                if !mean.is_finite() {
                    return Err(config(format!("mean {mean} is not finite")));
                }
                Tensor::try_rand_normal(shape, T::from_f64(mean), T::from_f64(check("std", std)?), rng)
            }
            Init::XavierUniform { gain } => {
                let fans = positive("fan_in + fan_out", fan_in as f64 + fan_out as f64)?;
                uniform(check("gain", gain)? * (6.0 / fans).sqrt(), rng)
            }
            Init::XavierNormal { gain } => {
                let fans = positive("fan_in + fan_out", fan_in as f64 + fan_out as f64)?;
                normal(check("gain", gain)? * (2.0 / fans).sqrt(), rng)
            }
            Init::KaimingUniform { gain, mode } => {
                let n = positive("fan", fan(mode))?;
                uniform(check("gain", gain)? * (3.0 / n).sqrt(), rng)
            }
            Init::KaimingNormal { gain, mode } => {
                let n = positive("fan", fan(mode))?;
                normal(check("gain", gain)? / n.sqrt(), rng)
            }
        };
        // The parameters were checked above, in f64. Finite ones can still give values `T` cannot
        // hold (bounds of ±1e300 have an infinite width; a constant of 1e300 is infinite in f32):
        // an error, not NaN training. A tensor too large for the machine is an error naming its
        // shape and bytes (the fallible constructors), not an abort.
        let overflow = || config(format!("{self:?} gives values that overflow {}", T::DTYPE));
        let drawn = drawn.map_err(|e| match e {
            e @ autograd::Error::Allocation { .. } => Error::from(e),
            _ => overflow(),
        })?;
        if drawn.has_non_finite() {
            return Err(overflow());
        }
        Ok(drawn)
    }
}
