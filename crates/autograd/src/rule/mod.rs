//! How a backward rule is written: [`Ctx`] (what the rule sees), and the elementwise machinery
//! that lets an op of one input state its derivative once (`elementwise.rs`).
//!
//! This layer sits between the tape (below: recording) and the primitives (above: `ops/`, which
//! use it); the reverse walk (`backward.rs`) builds a `Ctx` for each node it visits.

mod ctx;
pub(crate) mod elementwise;

pub(crate) use ctx::{accumulate, Ctx};
