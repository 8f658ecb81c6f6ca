//! How a backward rule is written: [`Rule`] (what every primitive implements), [`Ctx`] (what a
//! rule sees), and the elementwise machinery with which an op of one input states its
//! derivative once (`elementwise.rs`).
//!
//! This layer sits between the tape (below: recording) and the primitives (above: `ops/`, which
//! implement it); the reverse walk (`backward.rs`) builds a `Ctx` for each node it visits and
//! calls the node's rule through the dispatch generated in `ops/mod.rs`.

mod ctx;
pub(crate) mod elementwise;

pub(crate) use ctx::{accumulate, Ctx};

use crate::{Float, Result, Var};

/// A primitive's backward rule, implemented by the struct holding the op's data (generated from
/// its row in the table in `op.rs`).
pub(crate) trait Rule<T: Float> {
    /// The vector-Jacobian product: given `g = ∂L/∂output`, hands each tracked input its
    /// `∂L/∂input` through `ctx`, written with `Var` ops so that it can be differentiated again.
    fn backward<'t>(&self, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()>;
}
