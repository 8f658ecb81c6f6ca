//! How a backward rule is written: [`Rule`] (what every primitive implements: its backward and
//! its kinks), [`Ctx`] (what a rule sees), its forward-mode counterpart [`Jvp`] with [`JvpCtx`]
//! (`jvp.rs`), and the elementwise machinery with which an op of one input states its derivative
//! once (`elementwise.rs`), from which its rule, its JVP and its kinks follow.
//!
//! This layer sits between the tape (below: recording) and the primitives (above: `ops/`, which
//! implement it); the reverse walk (`backward.rs`) builds a `Ctx` for each node it visits and
//! calls the node's rule through the dispatch generated in `ops/mod.rs`.

mod ctx;
pub(crate) mod elementwise;
mod jvp;

pub(crate) use ctx::{accumulate, Ctx};
pub(crate) use jvp::{Jvp, JvpCtx};

use crate::{Float, Result, Tensor, Var};

/// A primitive's backward rule, implemented by the struct holding the op's data (generated from
/// its row in the table in `op.rs`).
pub(crate) trait Rule<T: Float> {
    /// The vector-Jacobian product: given `g = ∂L/∂output`, hands each tracked input its
    /// `∂L/∂input` through `ctx`, written with `Var` ops so that it can be differentiated again.
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()>;

    /// The op's kinks, for gradient checks: from the tensors it saved (the same the backward
    /// reads), notes which piece of its piecewise definition each element is on, so that a check
    /// can tell a finite difference that straddles a kink (the labels at `x ± ε` differ) from a
    /// wrong derivative. A kinked op declares this next to the rule that chooses the derivative
    /// at the kink, from the same expression; smooth ops keep the default, no kinks.
    fn branches(&self, saved: &[&Tensor<T>], branches: &mut Branches) {
        let _ = (saved, branches);
    }
}

/// A running hash of branch labels (FNV-1a), one per element of every kinked op on a tape.
pub(crate) struct Branches(u64);

impl Branches {
    pub fn new() -> Self {
        Branches(0xcbf2_9ce4_8422_2325)
    }

    /// Notes one element's label.
    #[inline]
    pub fn note(&mut self, label: u64) {
        self.0 = (self.0 ^ label).wrapping_mul(0x100_0000_01b3);
    }

    /// Notes one label per element: the bits of a piecewise-constant value (a mask, a slope, a
    /// share of the gradient).
    pub fn note_values<T: Float>(&mut self, values: &Tensor<T>) {
        for v in values.data() {
            self.note(v.to_f64().to_bits());
        }
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}
