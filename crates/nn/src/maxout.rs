//! [`Maxout`] (Goodfellow et al., 2013): each of `units` outputs is the maximum of `k` linear
//! pieces of the input, `hᵤ(x) = maxⱼ (wᵤⱼ·x + bᵤⱼ)`.
//!
//! Built from autograd ops: one [`Linear`] to `units·k` outputs, then [`maxout`]: a reshape to
//! `[…, units, k]` and a max over the last axis (`max_axes`). The max's backward sends the gradient only to the
//! winning piece of each unit (split evenly on an exact tie), so for a given input the network is the
//! "thinner" linear network made of the winning pieces, and the losing pieces' weights receive
//! exactly zero gradient from that sample.

use crate::{Error, Init, Linear, LinearConfig, Module, Result};
use autograd::{Float, Site, Var};
use rand::Rng;

/// The maxout activation on precomputed pieces: groups the last axis of `z` into runs of
/// `pieces` consecutive values and keeps the largest of each, `[…, units·k] → […, units]`.
/// [`Maxout`] is this after its own linear layer.
///
/// Fails if `pieces` is 0 or does not divide the last axis.
///
/// ```
/// use autograd::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let z = tape.var(Tensor::vector(&[1.0, 3.0, -2.0, 5.0, 0.0, 4.0]));
/// let h = nn::maxout(&z, 3).unwrap();
/// assert_eq!(h.value().to_vec(), vec![3.0, 5.0]);
/// h.sum().backward().unwrap();
/// assert_eq!(z.grad().unwrap().to_vec(), vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0]); // winners only
/// ```
#[track_caller]
pub fn maxout<'t, T: Float>(z: &Var<'t, T>, pieces: usize) -> Result<Var<'t, T>> {
    let width = z.dims().last().copied().unwrap_or(0);
    if pieces == 0 || z.rank() == 0 || width % pieces != 0 {
        let expected = format!("[…, units × {pieces}]");
        return Err(Error::InputShape { layer: "maxout", expected, got: z.shape().clone(), site: Site::caller() });
    }
    let mut dims = z.dims()[..z.rank() - 1].to_vec();
    dims.extend([width / pieces, pieces]);
    let grouped = z.reshape(dims)?;
    Ok(grouped.max_axes(&[grouped.rank() - 1], false)?)
}

/// How to build a [`Maxout`] layer.
#[derive(Clone, Debug, PartialEq)]
pub struct MaxoutConfig {
    /// Input features.
    pub in_features: usize,
    /// Output units.
    pub units: usize,
    /// Linear pieces per unit (`k ≥ 1`; `k = 1` is a plain linear layer).
    pub pieces: usize,
    /// Initialization of the pieces' weights (default Xavier uniform: the pieces are linear).
    pub weight_init: Init,
    /// Initialization of the pieces' biases (default zeros).
    pub bias_init: Init,
}

impl MaxoutConfig {
    /// `units` maxout units of `pieces` pieces each over `in_features` inputs.
    pub fn new(in_features: usize, units: usize, pieces: usize) -> Self {
        MaxoutConfig { in_features, units, pieces, weight_init: Init::xavier_uniform(), bias_init: Init::ZEROS }
    }

    /// Draws the pieces' weights from `rng` (seeded: same seed, same bits).
    #[track_caller]
    pub fn init<T: Float>(&self, rng: &mut impl Rng) -> Result<Maxout<T>> {
        let site = Site::caller();
        if self.units == 0 || self.pieces == 0 {
            let msg = format!("units ({}) and pieces ({}) must be positive", self.units, self.pieces);
            return Err(Error::config_at("Maxout", msg, site));
        }
        let rows = self.units.checked_mul(self.pieces).ok_or_else(|| {
            Error::config_at("Maxout", format!("{} units × {} pieces overflows usize", self.units, self.pieces), site)
        })?;
        let linear = LinearConfig {
            weight_init: self.weight_init,
            bias_init: self.bias_init,
            ..LinearConfig::new(self.in_features, rows)
        }
        .init(rng)?;
        Ok(Maxout { linear, units: self.units, pieces: self.pieces })
    }
}

/// A maxout layer (Goodfellow et al., 2013): `[…, in] → […, units]`. Output `u` is the max of
/// the linear layer's outputs `u·k … u·k + k − 1`, so each unit is a learned convex
/// piecewise-linear function of the input.
///
/// The max sends the gradient only to the winning piece of each unit, so for a given input
/// the network is the "thinner" linear network of the winning pieces; the losing pieces'
/// weights get exactly zero gradient from that sample.
///
/// Parameters: `"linear.weight"` `[units·k, in]` and `"linear.bias"` `[units·k]`.
#[derive(Clone, Debug)]
pub struct Maxout<T: Float = f32> {
    /// The `units·k` linear pieces; rows `u·k … u·k + k − 1` belong to unit `u`.
    pub linear: Linear<T>,
    units: usize,
    pieces: usize,
}

impl<T: Float> Maxout<T> {
    /// Output units.
    pub fn units(&self) -> usize {
        self.units
    }

    /// Pieces per unit.
    pub fn pieces(&self) -> usize {
        self.pieces
    }
}

impl<T: Float> Module<T> for Maxout<T> {
    #[track_caller]
    fn forward<'t>(&self, x: &Var<'t, T>) -> Result<Var<'t, T>> {
        maxout(&self.linear.forward(x)?, self.pieces)
    }

    fn visit_children(&self, visit: &mut dyn FnMut(&str, &dyn Module<T>)) {
        visit("linear", &self.linear);
    }

    fn describe(&self) -> String {
        format!("Maxout({} → {} × {} pieces)", self.linear.in_features(), self.units, self.pieces)
    }
}
