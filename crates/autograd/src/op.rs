//! What the tape records for each node: an [`Op`], the primitive that produced the value, with
//! the non-tensor data its backward rule needs; and [`CustomOp`], the way to add an op from
//! outside the crate.
//!
//! # The table of primitives
//!
//! [`primitives!`] below is the one list of built-in primitives: one row each. A row gives
//!
//! 1. the op's **name**, which is its name everywhere: the file `ops/<name>.rs` that implements
//!    it, the method `Var::<name>` that records it, the string that errors and tape listings
//!    show, and, in CamelCase, its `Op` variant and the struct holding its data (a trailing `_`
//!    only escapes a Rust keyword: `where_` is the op `where`);
//! 2. where its **backward** comes from: `rule`, the op implements `rule::Rule` itself; or
//!    `derivative`, an elementwise op of one input that only states its derivative
//!    (`rule::elementwise::Derivative`), from which both its backward rule and its kinks follow;
//! 3. its **variant** and the **data** the variant carries, if any.
//!
//! Everything else is generated from the rows: here, the data structs, `enum Op`, `Op::name`
//! and [`PRIMITIVES`]; in `ops/mod.rs`, the module list, the dispatch of backward rules and
//! kink declarations, and the gradient-check rows. Adding a primitive is one new file,
//! `ops/<name>.rs`, and one row.

use crate::{Float, Indices, Result, Tensor, Var};
use std::sync::Arc;

/// The table of primitives (see the module documentation). Expands to `$then! { rows }`, so
/// each module that needs the list generates its part from the same rows.
macro_rules! primitives {
    ($then:ident) => {
        $then! {
            // name        backward     variant and data
            //
            // Arithmetic.
            add            rule         Add,
            add_scalar     rule         AddScalar,
            sub            rule         Sub,
            mul            rule         Mul,
            mul_scalar     rule         MulScalar<T> { c: T },
            div            rule         Div,
            powf           rule         Powf<T> { p: T },
            pow            rule         Pow,
            // Elementwise functions of one input.
            exp            derivative   Exp,
            log            derivative   Log,
            sqrt           derivative   Sqrt,
            abs            derivative   Abs,
            sign           rule         Sign,
            sin            derivative   Sin,
            cos            derivative   Cos,
            tanh           derivative   Tanh,
            sigmoid        derivative   Sigmoid,
            relu           derivative   Relu,
            leaky_relu     derivative   LeakyRelu<T> { slope: T },
            elu            derivative   Elu<T> { alpha: T },
            softplus       derivative   Softplus,
            clamp          derivative   Clamp<T> { lo: T, hi: T },
            erf            derivative   Erf,
            // Elementwise functions of two inputs, and selection by a mask.
            maximum        rule         Maximum,
            minimum        rule         Minimum,
            where_         rule         Where,
            // Matrix products.
            matmul         rule         Matmul { transpose_a: bool, transpose_b: bool },
            linear         rule         Linear,
            // Reductions and normalizations.
            sum_to         rule         SumTo,
            max_axes       rule         MaxAxes,
            min_axes       rule         MinAxes,
            logsumexp      rule         Logsumexp,
            softmax        rule         Softmax { axis: usize },
            log_softmax    rule         LogSoftmax { axis: usize },
            // Indexing.
            gather         rule         Gather { index: AxisIndex },
            scatter_add    rule         ScatterAdd { index: AxisIndex },
            index_select   rule         IndexSelect { index: AxisIndex },
            index_add      rule         IndexAdd { index: AxisIndex },
            // Shapes.
            reshape        rule         Reshape,
            broadcast_to   rule         BroadcastTo,
            permute        rule         Permute { perm: Arc<[usize]> },
            concat         rule         Concat { axis: usize },
            narrow         rule         Narrow { axis: usize, start: usize },
            pad            rule         Pad { axis: usize, before: usize },
        }
    };
}
pub(crate) use primitives;

/// Generates, from the table's rows, one struct per primitive holding its data, `enum Op`, its
/// conversions from those structs, `Op::name` and `PRIMITIVES`.
macro_rules! define_op {
    ($( $name:ident $backward:ident $variant:ident $(<$t:ident>)? $({ $($field:ident: $ty:ty),* })?, )*) => {
        $( define_op!(@data $variant $(<$t>)? $({ $($field: $ty),* })?); )*

        /// A recorded op with the non-tensor data its backward rule needs. Kept at three words
        /// (a test checks): larger data (index lists, permutations) lives behind an `Arc`.
        pub(crate) enum Op<T: Float> {
            /// An input of the graph: index into the tape's leaf slots.
            Leaf(u32),
            $( $variant(define_op!(@payload $backward $variant $(<$t>)?)), )*
            /// A user-defined op.
            Custom(Arc<dyn CustomOp<T>>),
        }

        impl<T: Float> Clone for Op<T> {
            fn clone(&self) -> Self {
                match self {
                    Op::Leaf(index) => Op::Leaf(*index),
                    $( Op::$variant(op) => Op::$variant(op.clone()), )*
                    Op::Custom(op) => Op::Custom(op.clone()),
                }
            }
        }

        $(
            impl<T: Float> From<$variant $(<$t>)?> for Op<T> {
                #[inline]
                fn from(op: $variant $(<$t>)?) -> Self {
                    Op::$variant(define_op!(@wrap $backward op))
                }
            }
        )*

        impl<T: Float> Op<T> {
            /// The op's name, as errors, tape listings and graph exports show it.
            pub(crate) fn name(&self) -> &'static str {
                match self {
                    Op::Leaf(_) => "leaf",
                    $( Op::$variant(_) => {
                        const NAME: &str = primitive_name(stringify!($name));
                        NAME
                    } )*
                    Op::Custom(op) => op.name(),
                }
            }
        }

        /// The name of every built-in primitive, in the order of the table in `op.rs`: what
        /// tape listings and errors show. Everything else is composed of these (or is a
        /// [`CustomOp`]); each has its own gradient-check rows ([`primitive_checks`](crate::primitive_checks)).
        pub const PRIMITIVES: &[&str] = &[$( primitive_name(stringify!($name)) ),*];

        /// Every row as written: `(name, backward, variant)`, for the tests that the names, the
        /// files and the docs agree with the table.
        #[cfg(test)]
        pub(crate) const ROWS: &[(&str, &str, &str)] =
            &[$( (stringify!($name), stringify!($backward), stringify!($variant)) ),*];
    };
    (@data $variant:ident) => {
        #[derive(Clone, Copy)]
        pub(crate) struct $variant;
    };
    (@data $variant:ident <$t:ident> { $($field:ident: $ty:ty),* }) => {
        #[derive(Clone, Copy)]
        pub(crate) struct $variant<$t> { $(pub $field: $ty),* }
    };
    (@data $variant:ident { $($field:ident: $ty:ty),* }) => {
        #[derive(Clone)]
        pub(crate) struct $variant { $(pub $field: $ty),* }
    };
    (@payload derivative $variant:ident $(<$t:ident>)?) => { Unary<$variant $(<$t>)?> };
    (@payload rule $variant:ident $(<$t:ident>)?) => { $variant $(<$t>)? };
    (@wrap derivative $op:ident) => { Unary($op) };
    (@wrap rule $op:ident) => { $op };
}

primitives!(define_op);

/// An elementwise op of one input given by its derivative (a row marked `derivative`): the
/// backward rule and the kinks of `Unary<D>` follow from `D`'s `Derivative`.
#[derive(Clone, Copy)]
pub(crate) struct Unary<D>(pub D);

/// Positions along one axis: the data of the four indexing ops (`gather`, `scatter_add`,
/// `index_select`, `index_add`), shared by an op and the adjoint its backward records. The axis
/// and the index live in one allocation behind a pointer of one word, so that `Op` stays at
/// three.
#[derive(Clone)]
pub(crate) struct AxisIndex(Arc<(usize, Indices)>);

impl AxisIndex {
    pub fn new(axis: usize, index: Indices) -> Self {
        AxisIndex(Arc::new((axis, index)))
    }

    pub fn axis(&self) -> usize {
        self.0 .0
    }

    /// The index, with its shape (`gather`, `scatter_add`) or as a vector (`index_select`,
    /// `index_add`).
    pub fn indices(&self) -> &Indices {
        &self.0 .1
    }

    pub fn positions(&self) -> &[usize] {
        self.0 .1.data()
    }
}

/// A row's name as the op's name: a trailing underscore, which only escapes a Rust keyword in
/// the method's name (`where_`), is dropped.
const fn primitive_name(row: &'static str) -> &'static str {
    match row.as_bytes() {
        [head @ .., b'_'] => match std::str::from_utf8(head) {
            Ok(name) => name,
            Err(_) => panic!("op names are ASCII"),
        },
        _ => row,
    }
}

/// An op defined outside this crate: a forward kernel and its backward rule.
///
/// See the crate documentation (section "Custom activations and losses") for Swish written as
/// a custom op and gradient-checked at both orders.
pub trait CustomOp<T: Float>: Send + Sync + 'static {
    /// The op's name, for errors, tape listings and graph exports.
    fn name(&self) -> &'static str;

    /// Computes the output from the inputs' values. Return [`Error::Custom`](crate::Error::Custom)
    /// (or any other error) for invalid inputs.
    fn forward(&self, inputs: &[&Tensor<T>]) -> Result<Tensor<T>>;

    /// Given the inputs, the output and `grad = ∂L/∂output`, returns `∂L/∂input` for each input
    /// (`None` where no gradient flows; each gradient must have its input's shape). Use `Var`
    /// ops to make the rule differentiable.
    fn backward<'t>(
        &self,
        inputs: &[Var<'t, T>],
        output: &Var<'t, T>,
        grad: &Var<'t, T>,
    ) -> Result<Vec<Option<Var<'t, T>>>>;

    /// Labels of the branch each element takes at the op's kinks, if it has any (for example
    /// `x > 0` for a ReLU-like op). Gradient checks compare the labels at `x ± ε` to tell a
    /// kink from a wrong derivative. The default declares no kinks.
    fn branches(&self, inputs: &[&Tensor<T>]) -> Vec<u64> {
        let _ = inputs;
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::{primitive_name, Op, PRIMITIVES, ROWS};
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    #[test]
    fn op_stays_small() {
        // Every recorded node holds an `Op`: keep it at three words.
        assert!(std::mem::size_of::<Op<f64>>() <= 24, "{}", std::mem::size_of::<Op<f64>>());
    }

    #[test]
    fn one_name_per_op() {
        let mut unique = PRIMITIVES.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), PRIMITIVES.len(), "names are unique");
        for (row, _, variant) in ROWS {
            let camel: String =
                primitive_name(row).split('_').map(|word| word[..1].to_uppercase() + &word[1..]).collect();
            assert_eq!(&camel, variant, "the variant of {row} is its name in CamelCase");
        }
        assert_eq!(PRIMITIVES.iter().find(|&&n| n.starts_with("where")), Some(&"where"));
    }

    /// A file of the repository, read from the crate's directory.
    fn read(relative: &str) -> String {
        let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        std::fs::read_to_string(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
    }

    /// The op names in the first column of a markdown table: backticked names, arguments and a
    /// keyword-escaping trailing `_` removed.
    fn first_column_ops(table: &str) -> BTreeSet<String> {
        let mut ops = BTreeSet::new();
        for line in table.lines().filter(|l| l.starts_with('|')) {
            let cell = line.split('|').nth(1).unwrap_or("");
            for (k, piece) in cell.split('`').enumerate() {
                if k % 2 == 1 {
                    let name = piece.split('(').next().unwrap_or("").trim().trim_end_matches('_');
                    for word in name.split_whitespace() {
                        ops.insert(word.to_string());
                    }
                }
            }
        }
        ops
    }

    /// The recipe in `docs/architecture.md` ("Adding a primitive") holds for every primitive:
    /// its file is named after it and holds what step 1 lists, its row is in this table (step 2),
    /// its kinks are in the table of conventions (step 3); the docs that list ops agree with the
    /// table.
    #[test]
    fn docs_agree_with_the_table() {
        let architecture = read("docs/architecture.md");
        let recipe = architecture.split("## Adding a primitive").nth(1).expect("the recipe in docs/architecture.md");
        let recipe = recipe.split("\n## ").next().unwrap_or(recipe);
        for step in
            ["1. Write `crates/autograd/src/ops/<name>.rs`", "2. Add one row", "3. If the op has kinks", "4. Run"]
        {
            assert!(recipe.contains(step), "the recipe lost its step {step:?}");
        }
        for path in ["crates/autograd/src/op.rs", "docs/derivatives.md", "crates/autograd/tests/op_table.rs"] {
            assert!(recipe.contains(path), "the recipe names {path}");
            read(path);
        }
        let table = read("crates/autograd/src/op.rs");
        for (row, backward, variant) in ROWS {
            // Step 1: the file, its doc comment, its method, its backward and its rows.
            let file = read(&format!("crates/autograd/src/ops/{row}.rs"));
            assert!(file.starts_with("//! "), "ops/{row}.rs starts with the op's formula");
            assert!(file.contains(&format!("pub fn {row}(")), "ops/{row}.rs defines Var::{row}");
            let implemented = match *backward {
                "derivative" => format!("Derivative<T> for {variant}"),
                _ => format!("Rule<T> for {variant}"),
            };
            assert!(file.contains(&implemented), "ops/{row}.rs implements {implemented}");
            // Forward mode: a `derivative` row's JVP follows from its derivative.
            if *backward == "rule" {
                let jvp = format!("Jvp<T> for {variant}");
                assert!(file.contains(&jvp), "ops/{row}.rs implements {jvp}");
            }
            assert!(file.contains("pub(super) fn checks() -> Vec<OpCheck<'static>>"), "ops/{row}.rs states its rows");
            // Step 2: the row.
            let row_line = table.lines().any(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                words.len() >= 3 && words[0] == *row && words[1] == *backward && words[2].starts_with(variant)
            });
            assert!(row_line, "op.rs has the row of {row}");
        }
        // Step 3: the conventions at kinks list exactly the primitives that declare kinks.
        let derivatives = read("docs/derivatives.md");
        let conventions =
            derivatives.split("## Conventions at kinks and ties").nth(1).expect("the table of conventions");
        let conventions = conventions.split("\n## ").next().unwrap_or(conventions);
        let listed: BTreeSet<String> =
            first_column_ops(conventions).into_iter().filter(|op| PRIMITIVES.contains(&op.as_str())).collect();
        let kinked: BTreeSet<String> = crate::ops::kinked_primitives().into_iter().map(str::to_string).collect();
        assert!(kinked.len() >= 8, "only {kinked:?} declare kinks");
        assert_eq!(listed, kinked, "docs/derivatives.md's conventions must list the primitives that declare kinks");
        // The README's count of primitives, if it gives one.
        let readme = read("README.md");
        for (i, _) in readme.match_indices(" primitive") {
            let before: String = readme[..i].chars().rev().take_while(|c| c.is_ascii_digit()).collect();
            if !before.is_empty() {
                let count: usize = before.chars().rev().collect::<String>().parse().expect("digits");
                assert_eq!(count, PRIMITIVES.len(), "README.md counts {count} primitives");
            }
        }
    }
}
