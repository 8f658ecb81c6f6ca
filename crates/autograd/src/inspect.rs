//! Looking at a tape: a printable listing, a Graphviz export (and its rendering to SVG), and the
//! backward trace, the chain rule made visible. Values and gradients appear when the tape traces
//! (see [`Tape::set_tracing`]); names given with [`Tape::var_named`] and
//! [`Var::named`](crate::Var::named) appear everywhere in place of tape positions.

use crate::op::Op;
use crate::tape::{Graph, NodeId, NO_NODE};
use crate::{Error, Float, Result, Tape, Tensor};
use std::fmt::{self, Write};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// A listing of the tape, one node per line: position and name, op, inputs (constants by their
/// value when tracing, by their shape otherwise), shape, call site; with tracing on, also each
/// node's value and the gradient the last backward pass gave it.
///
/// ```
/// use autograd::{Tape, Tensor};
/// let tape = Tape::<f32>::new();
/// let x = tape.var_named("x", Tensor::scalar(2.0));
/// let _y = x.exp();
/// let listing = tape.to_string();
/// assert!(listing.contains("exp") && listing.contains("%0 x"));
/// ```
impl<T: Float> fmt::Display for Tape<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let graph = self.graph.borrow();
        let tracing = graph.traces.iter().any(Option::is_some);
        let mut header = vec!["node", "op", "inputs", "shape"];
        if tracing {
            header.extend(["value", "grad"]);
        }
        header.push("site");
        let mut rows = vec![header.into_iter().map(String::from).collect::<Vec<_>>()];
        for (id, (node, info)) in graph.nodes.iter().zip(&graph.info).enumerate() {
            let id = id as NodeId;
            let inputs = (0..node.inputs_len as usize).map(|k| input_label(&graph, id, k)).collect::<Vec<_>>();
            let mut row = vec![
                match graph.name(id) {
                    Some(name) => format!("%{id} {name}"),
                    None => format!("%{id}"),
                },
                node.op.name().to_string(),
                inputs.join(", "),
                info.shape.to_string(),
            ];
            if tracing {
                let trace = graph.trace(id as usize);
                row.push(summary(trace.map(|t| &t.value)));
                row.push(summary(trace.and_then(|t| t.grad.as_ref())));
            }
            row.push(format!("{}{}", info.site, if node.freed { " (freed)" } else { "" }));
            rows.push(row);
        }
        write_columns(f, &rows)
    }
}

impl<T: Float> fmt::Debug for Tape<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Writes rows as left-aligned columns (the first, node positions, right-aligned), two spaces
/// apart.
fn write_columns(f: &mut fmt::Formatter<'_>, rows: &[Vec<String>]) -> fmt::Result {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> =
        (0..columns).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    for row in rows {
        let mut line = String::new();
        for (c, (cell, width)) in row.iter().zip(&widths).enumerate() {
            let pad = width - cell.chars().count();
            if c + 1 == columns {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad + 2));
            }
        }
        writeln!(f, "{}", line.trim_end())?;
    }
    Ok(())
}

/// How a node's input `k` is shown: its name or position if tracked; if a constant, its value
/// when the tape traced the node, else its shape.
fn input_label<T: Float>(graph: &Graph<T>, node: NodeId, k: usize) -> String {
    let n = &graph.nodes[node as usize];
    match graph.input_ids[n.inputs()][k] {
        NO_NODE => match constant_value(graph, node, k) {
            Some(value) => format!("const {}", summary(Some(value))),
            None => format!("const shape {}", graph.constant_input_shape(node, k)),
        },
        input => graph.label(input),
    }
}

/// The value of constant input `k` of `node`, if the tape traced the node.
fn constant_value<T: Float>(graph: &Graph<T>, node: NodeId, k: usize) -> Option<&Tensor<T>> {
    let trace = graph.trace(node as usize)?;
    trace.constants.iter().find(|(i, _)| *i as usize == k).map(|(_, value)| value)
}

/// A short rendering of a tensor: one value bare, up to six in brackets, more as the shape and
/// the first four.
fn summary<T: Float>(t: Option<&Tensor<T>>) -> String {
    const SHOWN: usize = 6;
    let Some(t) = t else { return "-".into() };
    let data = t.data();
    let values = |n: usize| data.iter().take(n).map(|v| number(v.to_f64())).collect::<Vec<_>>().join(" ");
    match data.len() {
        1 => number(data[0].to_f64()),
        n if n <= SHOWN => format!("[{}]", values(n)),
        _ => format!("{} [{} …]", t.shape(), values(4)),
    }
}

/// A number in at most four decimals without trailing zeros (`0.5`, `-0.6536`, `2`), or in
/// scientific notation when that would hide it (`1.234e-7`).
fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { format!("{v}") };
    }
    if (1e-3..1e5).contains(&v.abs()) {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        return if s == "-0" { "0".into() } else { s.to_string() };
    }
    format!("{v:.3e}")
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

    /// The recorded graph in Graphviz DOT: one box per node (name or position, op and shape;
    /// value and gradient when tracing), an edge from each input to its consumer, constants as
    /// small grey boxes with their value (when tracing) or shape. Render it with
    /// [`write_svg`](Tape::write_svg) or `dot -Tsvg graph.dot > graph.svg`.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var_named("x", Tensor::scalar(1.0));
    /// let _y = (&x * &x).sin();
    /// let dot = tape.to_dot();
    /// assert!(dot.starts_with("digraph tape {"));
    /// assert!(dot.contains("n1 -> n2") && dot.contains("label=\"x\\nleaf"));
    /// ```
    pub fn to_dot(&self) -> String {
        let graph = self.graph.borrow();
        let mut out = String::from("digraph tape {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
        for (id, (node, info)) in graph.nodes.iter().zip(&graph.info).enumerate() {
            let id = id as NodeId;
            let mut label = match graph.name(id) {
                Some(name) => format!("{}\\n{} {}", escape(name), node.op.name(), info.shape),
                None => format!("%{id}\\n{} {}", node.op.name(), info.shape),
            };
            if let Some(trace) = graph.trace(id as usize) {
                let _ = write!(label, "\\nvalue {}", escape(&summary(Some(&trace.value))));
                let _ = write!(label, "\\ngrad {}", escape(&summary(trace.grad.as_ref())));
            }
            let style = if node.inputs_len == 0 { ", style=filled, fillcolor=\"#dde8ff\"" } else { "" };
            let _ = writeln!(out, "  n{id} [label=\"{label}\"{style}];");
            for (k, &input) in graph.input_ids[node.inputs()].iter().enumerate() {
                if input == NO_NODE {
                    let value = escape(&input_label(&graph, id, k));
                    let _ = writeln!(
                        out,
                        "  c{id}_{k} [label=\"{value}\", color=grey, fontcolor=grey30, fontsize=10];\n  c{id}_{k} -> n{id};"
                    );
                } else {
                    let _ = writeln!(out, "  n{input} -> n{id};");
                }
            }
        }
        out.push_str("}\n");
        out
    }

    /// Renders [`to_dot`](Tape::to_dot) to an SVG file with Graphviz's `dot` program. Graphviz
    /// is not a dependency: without it this returns [`Error::GraphvizMissing`], which says how
    /// to install it (`apt-get install graphviz` on Debian and Ubuntu, `brew install graphviz`
    /// on macOS).
    pub fn write_svg(&self, path: impl AsRef<Path>) -> Result<()> {
        render_svg("dot", &self.to_dot(), path.as_ref())
    }

    /// What the last backward pass did, node by node from the output down: the chain rule made
    /// visible. Needs [`set_tracing`](Tape::set_tracing) on before the forward pass; empty
    /// otherwise. Printing it shows, for each node, the gradient arriving there (with the sum
    /// when the value was used more than once), the local derivative of elementwise ops, and
    /// the product sent to each input.
    ///
    /// ```
    /// use autograd::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// tape.set_tracing(true);
    /// let a = tape.var_named("a", Tensor::scalar(0.5));
    /// let l = (&a * &a).named("l"); // a is used twice
    /// l.backward().unwrap();
    /// let trace = tape.backward_trace();
    /// assert_eq!(trace.entry("a").unwrap().received.len(), 2);
    /// assert!(trace.to_string().contains("∂l/∂a = 0.5 + 0.5 = 1 (2 uses)"));
    /// ```
    pub fn backward_trace(&self) -> BackwardTrace<T> {
        let graph = self.graph.borrow();
        let mut entries = Vec::new();
        for id in (0..graph.nodes.len()).rev() {
            let Some(trace) = graph.trace(id) else { continue };
            let Some(grad) = &trace.grad else { continue };
            let node = &graph.nodes[id];
            let inputs = graph.input_ids[node.inputs()]
                .iter()
                .enumerate()
                .map(|(k, &input)| {
                    let of =
                        |list: &[(u16, Tensor<T>)]| list.iter().find(|(i, _)| *i as usize == k).map(|(_, t)| t.clone());
                    let tracked = input != NO_NODE;
                    TraceInput {
                        node: tracked.then_some(input as usize),
                        name: if tracked { graph.name(input).map(str::to_string) } else { None },
                        value: match tracked {
                            true => graph.trace(input as usize).map(|t| t.value.clone()),
                            false => of(&trace.constants),
                        },
                        local: of(&trace.local),
                        sent: of(&trace.sent),
                    }
                })
                .collect();
            entries.push(TraceEntry {
                node: id,
                name: graph.name(id as NodeId).map(str::to_string),
                op: node.op.name(),
                leaf: matches!(node.op, Op::Leaf(_)),
                value: trace.value.clone(),
                grad: grad.clone(),
                received: Vec::new(),
                inputs,
            });
        }
        // Each value's gradient is the sum of what its uses sent it (and the seed, at an output).
        let position = |node: usize| entries.iter().position(|e| e.node == node);
        let mut received: Vec<(usize, Received<T>)> = Vec::new();
        for (root, seed) in &graph.trace_roots {
            if let Some(k) = position(*root as usize) {
                received.push((k, Received { from: None, grad: seed.clone() }));
            }
        }
        for entry in &entries {
            for (input, sent) in entry.inputs.iter().filter_map(|i| Some((i.node?, i.sent.clone()?))) {
                if let Some(k) = position(input) {
                    received.push((k, Received { from: Some(entry.node), grad: sent }));
                }
            }
        }
        for (k, r) in received {
            entries[k].received.push(r);
        }
        let output = match graph.trace_roots.as_slice() {
            [(root, _)] => graph.name(*root).map_or_else(|| format!("%{root}"), str::to_string),
            _ => "L".into(),
        };
        BackwardTrace { output, entries }
    }
}

/// Runs `program -Tsvg -o path` on a DOT graph.
fn render_svg(program: &str, dot: &str, path: &Path) -> Result<()> {
    let failed = |msg: String| Error::Graphviz { msg };
    let mut child = Command::new(program)
        .args(["-Tsvg", "-o"])
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::GraphvizMissing { program: program.to_string() },
            _ => failed(format!("could not run `{program}`: {e}")),
        })?;
    let mut stdin = child.stdin.take().expect("stdin was piped");
    let written = stdin.write_all(dot.as_bytes());
    drop(stdin);
    let output = child.wait_with_output().map_err(|e| failed(format!("`{program}` did not finish: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(failed(format!(
            "`{program}` failed writing {} ({}): {}",
            path.display(),
            output.status,
            stderr.trim()
        )));
    }
    written.map_err(|e| failed(format!("could not send the graph to `{program}`: {e}")))
}

/// Escapes a string for a quoted DOT label.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// What one backward pass did, node by node from the output down ([`Tape::backward_trace`]).
///
/// Printing it (`{trace}`) shows each node the pass visited: the gradient `∂L/∂value` arriving
/// there, as the sum of what each use of the value sent back; the local derivative of
/// elementwise ops (`sigmoid'(z1) = [0.1683 0.1874]`); and what the node's rule sent to each
/// input, as `incoming · local = product` where the local derivative is defined. The entries
/// hold the same numbers for code to check.
#[derive(Clone, Debug)]
pub struct BackwardTrace<T: Float = f32> {
    /// How the output is called in `∂output/∂value`: its name, its position (`%7`), or `L` when
    /// the pass started from several outputs.
    pub output: String,
    /// One entry per node the pass reached, from the output down (reverse tape order).
    pub entries: Vec<TraceEntry<T>>,
}

/// One node in a [`BackwardTrace`].
#[derive(Clone, Debug)]
pub struct TraceEntry<T: Float = f32> {
    /// The node's tape position.
    pub node: usize,
    /// Its name, if it was given one.
    pub name: Option<String>,
    /// The op that produced it (`"leaf"` for an input of the graph).
    pub op: &'static str,
    /// Whether it is a leaf, whose gradient the pass deposited in its gradient slot.
    pub leaf: bool,
    /// The node's value.
    pub value: Tensor<T>,
    /// `∂L/∂value`: the sum of [`received`](TraceEntry::received).
    pub grad: Tensor<T>,
    /// What each use of the value sent back (and the seed, at the output), in the order the
    /// pass added them.
    pub received: Vec<Received<T>>,
    /// The node's inputs, in order.
    pub inputs: Vec<TraceInput<T>>,
}

/// One contribution to a node's gradient.
#[derive(Clone, Debug)]
pub struct Received<T: Float = f32> {
    /// The node that sent it (the consumer of the value), or `None` for the seed of the pass.
    pub from: Option<usize>,
    /// The contribution.
    pub grad: Tensor<T>,
}

/// One input of a node in a [`BackwardTrace`].
#[derive(Clone, Debug)]
pub struct TraceInput<T: Float = f32> {
    /// The input's tape position, or `None` for a constant.
    pub node: Option<usize>,
    /// Its name, if it was given one.
    pub name: Option<String>,
    /// Its value, if the tape traced it.
    pub value: Option<Tensor<T>>,
    /// The local derivative `∂output/∂input` elementwise, for the ops that define one (the
    /// elementwise ops): the factor by which the incoming gradient is multiplied.
    pub local: Option<Tensor<T>>,
    /// What the node's rule sent to this input, `∂L/∂input` through this use (`None` for a
    /// constant, which no gradient reaches).
    pub sent: Option<Tensor<T>>,
}

impl<T: Float> BackwardTrace<T> {
    /// The entry of a node, by name or by position written `%3`.
    pub fn entry(&self, label: &str) -> Option<&TraceEntry<T>> {
        self.entries.iter().find(|e| e.name.as_deref() == Some(label) || format!("%{}", e.node) == label)
    }
}

impl<T: Float> TraceEntry<T> {
    /// The node's name, or its position written `%3`.
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| format!("%{}", self.node))
    }

    /// The first input with this name or position (`%3`).
    pub fn input(&self, label: &str) -> Option<&TraceInput<T>> {
        self.inputs.iter().find(|i| i.label() == label)
    }
}

impl<T: Float> TraceInput<T> {
    /// The input's name, its position written `%3`, or `const` and its value.
    pub fn label(&self) -> String {
        match (&self.name, self.node) {
            (Some(name), _) => name.clone(),
            (None, Some(node)) => format!("%{node}"),
            (None, None) => format!("const {}", summary(self.value.as_ref())),
        }
    }
}

impl<T: Float> fmt::Display for BackwardTrace<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.entries.is_empty() {
            return writeln!(f, "no backward trace: turn tracing on (tape.set_tracing(true)) before the forward pass");
        }
        let out = &self.output;
        writeln!(f, "backward pass from {out}, from the output down (∂{out}/∂v: the gradient arriving at v)")?;
        for e in &self.entries {
            let label = e.label();
            let position = if e.name.is_some() { format!("%{}, ", e.node) } else { String::new() };
            let about = format!("({position}shape {})", e.value.shape());
            writeln!(f)?;
            if e.leaf {
                writeln!(f, "{label}: leaf {about}")?;
            } else {
                let args = e.inputs.iter().map(TraceInput::label).collect::<Vec<_>>().join(", ");
                writeln!(f, "{label} = {}({args}) {about}", e.op)?;
            }
            write!(f, "    ∂{out}/∂{label} = ")?;
            match e.received.as_slice() {
                [] | [_] => write!(f, "{}", summary(Some(&e.grad)))?,
                parts => {
                    let terms = parts.iter().map(|r| summary(Some(&r.grad))).collect::<Vec<_>>().join(" + ");
                    write!(f, "{terms} = {} ({} uses)", summary(Some(&e.grad)), parts.len())?;
                }
            }
            writeln!(f, "{}", if e.received.first().is_some_and(|r| r.from.is_none()) { " (seed)" } else { "" })?;
            let unary = e.inputs.len() == 1;
            for input in e.inputs.iter().filter(|i| i.node.is_some()) {
                let name = input.label();
                let Some(sent) = &input.sent else { continue };
                match &input.local {
                    Some(local) => {
                        let derivative =
                            if unary { format!("{}'({name})", e.op) } else { format!("∂{label}/∂{name}") };
                        writeln!(f, "    {derivative} = {}", summary(Some(local)))?;
                        let times = if e.grad.numel() > 1 && local.numel() > 1 { "⊙" } else { "·" };
                        let (g, local, sent) = (summary(Some(&e.grad)), summary(Some(local)), summary(Some(sent)));
                        writeln!(f, "    → {name}: {g} {times} {local} = {sent}")?;
                    }
                    None => writeln!(f, "    → {name}: {}", summary(Some(sent)))?,
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{number, render_svg, summary};
    use crate::{Error, Tensor};

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(-0.653_643_6), "-0.6536");
        assert_eq!(number(2.0), "2");
        assert_eq!(number(-0.000_01), "-1.000e-5");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(-0.000_000_1 * 0.0), "0");
        assert_eq!(summary(Some(&Tensor::vector(&[0.1683, 0.1874]))), "[0.1683 0.1874]");
        let big = Tensor::<f64>::from_fn([2, 4], |i| i as f64);
        assert_eq!(summary(Some(&big)), "[2, 4] [0 1 2 3 …]");
    }

    #[test]
    fn a_missing_graphviz_is_an_error_that_says_how_to_install_it() {
        let path = std::env::temp_dir().join("chainrule-never-written.svg");
        let err = render_svg("chainrule-no-such-program", "digraph g {}", &path).unwrap_err();
        assert_eq!(err, Error::GraphvizMissing { program: "chainrule-no-such-program".into() });
        let msg = err.to_string();
        assert!(msg.contains("`chainrule-no-such-program` program of Graphviz was not found"), "{msg}");
        assert!(msg.contains("apt-get install graphviz"), "{msg}");
        assert!(!path.exists());
    }
}
