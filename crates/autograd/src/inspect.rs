//! Looking at a tape: a printable listing and a Graphviz export, with values and gradients
//! when the tape traces (see [`Tape::set_tracing`]).

use crate::tape::NO_NODE;
use crate::{Float, Tape, Tensor};
use std::fmt::{self, Write};

/// A listing of the tape, one node per line: id, op, inputs, shape, call site; with tracing on,
/// also each node's value and gradient.
///
/// ```
/// use autograd::{Tape, Tensor};
/// let tape = Tape::<f32>::new();
/// let x = tape.var(Tensor::scalar(2.0));
/// let _y = x.exp();
/// let listing = tape.to_string();
/// assert!(listing.contains("exp"));
/// ```
impl<T: Float> fmt::Display for Tape<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let graph = self.graph.borrow();
        let (nodes, info, input_ids) = (&graph.nodes, &graph.info, &graph.input_ids);
        let tracing = graph.traces.iter().any(Option::is_some);
        write!(f, "{:>6}  {:<14} {:<16} {:<12} ", "node", "op", "inputs", "shape")?;
        if tracing {
            write!(f, "{:<24} {:<24} ", "value", "grad")?;
        }
        writeln!(f, "site")?;
        for (id, (node, info)) in nodes.iter().zip(info.iter()).enumerate() {
            let inputs = input_ids[node.inputs()]
                .iter()
                .map(|&i| if i == NO_NODE { "const".to_string() } else { format!("%{i}") })
                .collect::<Vec<_>>()
                .join(", ");
            write!(
                f,
                "{:>6}  {:<14} {:<16} {:<12} ",
                format!("%{id}"),
                node.op.name(),
                inputs,
                info.shape.to_string()
            )?;
            if tracing {
                let trace = graph.trace(id);
                let (value, grad) = (trace.map(|t| &t.value), trace.and_then(|t| t.grad.as_ref()));
                write!(f, "{:<24} {:<24} ", summary(value), summary(grad))?;
            }
            writeln!(f, "{}{}", info.site, if node.freed { " (freed)" } else { "" })?;
        }
        Ok(())
    }
}

impl<T: Float> fmt::Debug for Tape<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A short rendering of a tensor: all values if there are at most four, else shape and range.
fn summary<T: Float>(t: Option<&Tensor<T>>) -> String {
    let Some(t) = t else { return "-".into() };
    let data = t.data();
    if data.len() <= 4 {
        let values: Vec<String> = data.iter().map(|v| format!("{:.4}", v.to_f64())).collect();
        return values.join(" ");
    }
    let (lo, hi) = data.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        let v = v.to_f64();
        (lo.min(v), hi.max(v))
    });
    format!("{} in [{lo:.3}, {hi:.3}]", t.shape())
}

impl<T: Float> Tape<T> {
    /// The names of the recorded ops, in tape order (leaves included, as `"leaf"`).
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let x = tape.var(Tensor::scalar(1.0));
    /// let _ = x.exp().sum();
    /// assert_eq!(tape.op_names()[..2], ["leaf", "exp"]);
    /// ```
    pub fn op_names(&self) -> Vec<&'static str> {
        self.graph.borrow().nodes.iter().map(|n| n.op.name()).collect()
    }

    /// The recorded graph in Graphviz DOT: one box per node (op and shape; value and gradient
    /// when tracing), an edge from each input to its consumer, constants as small grey points.
    /// Render with `dot -Tsvg graph.dot > graph.svg`.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::scalar(1.0));
    /// let _y = (&x * &x).sin();
    /// let dot = tape.to_dot();
    /// assert!(dot.starts_with("digraph tape {"));
    /// assert!(dot.contains("n1 -> n2"));
    /// ```
    pub fn to_dot(&self) -> String {
        let graph = self.graph.borrow();
        let (nodes, info, input_ids) = (&graph.nodes, &graph.info, &graph.input_ids);
        let mut out = String::from("digraph tape {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
        for (id, (node, info)) in nodes.iter().zip(info.iter()).enumerate() {
            let mut label = format!("%{id} {}\\n{}", node.op.name(), info.shape);
            if let Some(trace) = graph.trace(id) {
                let _ = write!(label, "\\nvalue {}", summary(Some(&trace.value)));
                let _ = write!(label, "\\ngrad {}", summary(trace.grad.as_ref()));
            }
            let style = if node.inputs_len == 0 { ", style=filled, fillcolor=\"#dde8ff\"" } else { "" };
            let _ = writeln!(out, "  n{id} [label=\"{label}\"{style}];");
            for (k, &input) in input_ids[node.inputs()].iter().enumerate() {
                if input == NO_NODE {
                    let _ = writeln!(out, "  c{id}_{k} [shape=point, color=grey];\n  c{id}_{k} -> n{id};");
                } else {
                    let _ = writeln!(out, "  n{input} -> n{id};");
                }
            }
        }
        out.push_str("}\n");
        out
    }
}
