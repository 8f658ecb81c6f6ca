//! The primitive ops, one module (one file, `src/ops/<name>.rs`) each, named after the op. A
//! module's documentation states the op's formula, its derivative and its convention where the
//! derivative does not exist, so the list of modules below is the table of derivatives; it is
//! generated from the table of primitives (`src/op.rs`), one row per op.
//!
//! Each file holds the op's public method(s) on [`Var`] with the forward kernel, its backward rule
//! (for an elementwise op of one input, only its derivative, from which the rule and its kinks
//! follow), and its rows of the gradient-check table ([`primitive_checks`]). Composites built on
//! an op (`stack` on `concat`, `mean` on `sum_to`, `neg` on `mul_scalar`) sit in its file and
//! have no gradient code. `docs/derivatives.md` collects the conventions at kinks;
//! `docs/architecture.md` has the recipe for adding a primitive.

use crate::error::Site;
use crate::gradcheck::OpCheck;
use crate::op::{primitives, Op};
use crate::rule::{Branches, Ctx, Jvp, JvpCtx, Rule};
use crate::tape::Keep;
use crate::{Error, Float, Result, Tape, Tensor, Var};

mod custom;

/// Generates, from the table's rows, the module of each primitive and the dispatch of a
/// recorded op to its backward rule, its forward-mode rule and its kinks.
macro_rules! define_ops {
    ($( $name:ident $backward:ident $variant:ident $(<$t:ident>)? $({ $($field:ident: $ty:ty),* })?, )*) => {
        $( pub mod $name; )*

        /// Runs the backward rule of a recorded op: one line per primitive, generated from the
        /// table, so that every primitive has one and the compiler checks it.
        #[inline]
        pub(crate) fn backward<'t, T: Float>(op: &Op<T>, ctx: &mut Ctx<'_, 't, T>, g: &Var<'t, T>) -> Result<()> {
            match op {
                Op::Leaf(_) => unreachable!("the backward walk stops at leaves"),
                $( Op::$variant(op) => Rule::backward(op, ctx, g), )*
                Op::Custom(op) => Rule::backward(op, ctx, g),
            }
        }

        /// Runs the forward-mode (JVP) rule of a recorded primitive: one line per primitive,
        /// generated from the table. Custom ops have no rule of their own: the forward walk
        /// (`forward.rs`) derives theirs from their backward.
        #[inline]
        pub(crate) fn jvp<'t, T: Float>(op: &Op<T>, ctx: &JvpCtx<'_, 't, T>) -> Result<Option<Var<'t, T>>> {
            match op {
                Op::Leaf(_) => unreachable!("tangents start at leaves"),
                $( Op::$variant(op) => Jvp::jvp(op, ctx), )*
                Op::Custom(_) => unreachable!("the forward walk derives a custom op's tangent from its backward"),
            }
        }

        /// The gradient-check rows of every primitive, as each op's file states them (arity,
        /// shapes, the domain its inputs are sampled from, tolerance where the default does not
        /// fit), in the order of the table of primitives; rows for composites built on an op
        /// (`mean` on `sum_to`, `stack` on `concat`) come with it. Running each (first and second
        /// order) is what `tests/op_table.rs` does; [`PRIMITIVES`](crate::PRIMITIVES) lists the
        /// ops they cover.
        ///
        /// ```
        /// let rows = autograd::primitive_checks();
        /// assert!(rows.iter().any(|row| row.name() == "relu"));
        /// let relu = rows.iter().find(|row| row.name() == "relu").unwrap();
        /// relu.run().unwrap();
        /// ```
        pub fn primitive_checks() -> Vec<OpCheck<'static>> {
            let mut rows = Vec::new();
            $( rows.extend($name::checks()); )*
            rows
        }

        /// Each primitive's own rows, by name.
        #[cfg(test)]
        fn checks_by_primitive() -> Vec<(&'static str, Vec<OpCheck<'static>>)> {
            crate::PRIMITIVES.iter().copied().zip(vec![$( $name::checks() ),*]).collect()
        }

        /// Notes the branch each element of a recorded op is on (`Rule::branches`).
        fn branches<T: Float>(op: &Op<T>, saved: &[&Tensor<T>], labels: &mut Branches) {
            match op {
                Op::Leaf(_) => {}
                $( Op::$variant(op) => Rule::branches(op, saved, labels), )*
                Op::Custom(op) => Rule::branches(op, saved, labels),
            }
        }
    };
}

primitives!(define_ops);

/// The hash of the branch labels of every kinked op recorded on `tape`, in tape order: what a
/// gradient check compares at `x` and `x ± ε`. Nodes whose saved tensors a backward pass already
/// freed are skipped.
pub(crate) fn branch_hash<T: Float>(tape: &Tape<T>) -> u64 {
    let graph = tape.graph.borrow();
    let mut labels = Branches::new();
    let mut saved = Vec::new();
    for node in graph.nodes.iter().filter(|node| !node.freed) {
        saved.clear();
        saved.extend(graph.saved[node.saved()].iter().map(|s| &s.value));
        branches(&node.op, &saved, &mut labels);
    }
    labels.finish()
}

impl<'t, T: Float> Var<'t, T> {
    /// Records an elementwise op of one input: `y[i] = f(x[i])`.
    #[inline]
    pub(crate) fn unary(&self, op: impl Into<Op<T>>, keep: Keep, site: Site, f: impl Fn(T) -> T + Sync) -> Var<'t, T> {
        let value = self.value.map(f);
        self.tape.record_elementwise(op.into(), &[self], value, site, keep)
    }

    /// Records an elementwise op of two inputs, broadcasting them to a common shape first
    /// (NumPy rules) with explicit `broadcast_to` nodes, so that no elementwise backward rule
    /// ever reasons about shapes.
    #[inline]
    pub(crate) fn binary(
        &self,
        rhs: &Var<'t, T>,
        op: impl Into<Op<T>>,
        keep: Keep,
        site: Site,
        f: impl Fn(T, T) -> T + Sync,
    ) -> Result<Var<'t, T>> {
        self.binary_op(rhs, op.into(), keep, site, f)
    }

    #[inline]
    fn binary_op(
        &self,
        rhs: &Var<'t, T>,
        op: Op<T>,
        keep: Keep,
        site: Site,
        f: impl Fn(T, T) -> T + Sync,
    ) -> Result<Var<'t, T>> {
        if !std::ptr::eq(self.tape, rhs.tape) {
            // Not `same_tape`: naming the op costs a call that every binary op would pay.
            return Err(Error::TapeMismatch { op: op.name(), site });
        }
        if self.shape() == rhs.shape() {
            let value = self.value.zip_map(&rhs.value, f);
            return Ok(self.tape.record_elementwise(op, &[self, rhs], value, site, keep));
        }
        let shape = self.shape().broadcast(rhs.shape()).ok_or_else(|| Error::ShapeMismatch {
            op: op.name(),
            lhs: self.shape().clone(),
            rhs: rhs.shape().clone(),
            site,
        })?;
        let a = self.broadcast_at(&shape, site)?;
        let b = rhs.broadcast_at(&shape, site)?;
        a.binary_op(&b, op, keep, site, f)
    }
}

/// The primitives whose rule declares kinks, found by evaluating each one's check rows and
/// asking its recorded node for branches.
#[cfg(test)]
pub(crate) fn kinked_primitives() -> std::collections::BTreeSet<&'static str> {
    let mut kinked = std::collections::BTreeSet::new();
    for (name, rows) in checks_by_primitive() {
        for row in rows {
            let inputs = row.sample(0).expect("a row samples its first case");
            let tape = Tape::<f64>::new();
            let vars: Vec<Var<'_, f64>> = inputs.into_iter().map(|x| tape.var(x)).collect();
            row.apply(&vars).expect("the row's op applies");
            let graph = tape.graph.borrow();
            for node in graph.nodes.iter().filter(|node| node.op.name() == name) {
                let saved: Vec<&Tensor<f64>> = graph.saved[node.saved()].iter().map(|s| &s.value).collect();
                let (mut labels, nothing) = (Branches::new(), Branches::new().finish());
                branches(&node.op, &saved, &mut labels);
                if labels.finish() != nothing {
                    kinked.insert(name);
                }
            }
        }
    }
    kinked
}

#[cfg(test)]
mod tests {
    use super::checks_by_primitive;

    #[test]
    fn every_primitive_states_rows_that_record_it() {
        for (name, rows) in checks_by_primitive() {
            assert!(!rows.is_empty(), "{name} has no gradient-check row");
            for row in rows {
                let recorded = row.recorded_ops().unwrap_or_else(|e| panic!("{}: {e}", row.name()));
                assert!(recorded.contains(name), "{name}'s row {} does not record {name}: {recorded:?}", row.name());
            }
        }
    }
}
