//! The crate's modules depend downward only: data (tensors, kernels) below the tape, the tape
//! below the rule layer (what a backward rule sees), that below the primitives, and those below
//! the reverse walk and the gradient checker. So the tape, the backward walk and the primitives
//! never import each other in a circle. This test reads every source file's `use` declarations
//! and `crate::`/`super::` paths (test modules aside), resolves each to the file that defines
//! the item, and fails on any import that points upward.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first, and the source files (relative to `src/`) in each. A file may
/// import from its own layer and the layers below it.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "data",
        &[
            "float.rs",
            "shape.rs",
            "axis.rs",
            "tensor.rs",
            "indices.rs",
            "error.rs",
            "parameter.rs",
            "thread_bound.rs",
            "kernels/",
        ],
    ),
    ("tape", &["tape.rs", "var.rs", "op.rs", "hook.rs"]),
    ("rule", &["rule/", "inspect.rs", "gradcheck/options.rs", "gradcheck/report.rs", "gradcheck/opcheck.rs"]),
    ("primitives", &["ops/"]),
    ("walk", &["backward.rs", "forward.rs"]),
    (
        "checks and facade",
        &["gradcheck/", "functional.rs", "recompute.rs", "operators.rs", "ranking.rs", "lib.rs", "testing.rs"],
    ),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, relative, with `/` separators.
fn source_files() -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("under src/").to_string_lossy().replace('\\', "/");
                out.push(rel);
            }
        }
    }
    let mut files = Vec::new();
    walk(&src(), &src(), &mut files);
    files.sort();
    files
}

fn layer_of(file: &str) -> usize {
    // The most specific entry wins: `gradcheck/opcheck.rs` before `gradcheck/`.
    let mut best: Option<(usize, usize)> = None;
    for (layer, (_, entries)) in LAYERS.iter().enumerate() {
        for entry in *entries {
            let matches = if entry.ends_with('/') { file.starts_with(entry) } else { file == *entry };
            if matches && best.is_none_or(|(len, _)| entry.len() > len) {
                best = Some((entry.len(), layer));
            }
        }
    }
    best.unwrap_or_else(|| panic!("{file} is in no layer: add it to LAYERS")).1
}

/// The module path of a file: `ops/relu.rs` is `["ops", "relu"]`, `ops/mod.rs` is `["ops"]`.
fn module_of(file: &str) -> Vec<String> {
    let stem = file.trim_end_matches(".rs");
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    if matches!(parts.last().map(String::as_str), Some("mod") | Some("lib")) {
        parts.pop();
    }
    parts
}

/// The file of a module path, if it is a module.
fn file_of(module: &[String], files: &BTreeSet<String>) -> Option<String> {
    if module.is_empty() {
        return Some("lib.rs".into());
    }
    let base = module.join("/");
    [format!("{base}.rs"), format!("{base}/mod.rs")].into_iter().find(|f| files.contains(f))
}

/// The code of a file without its test module (which, by the crate's convention, comes last)
/// and without comments.
fn code(file: &str) -> String {
    let text = std::fs::read_to_string(src().join(file)).expect("a source file");
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Expands a use tree (`crate::{a::{b, c}, d}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or(tree).trim().to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').expect("a closing brace")];
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| expand(p).into_iter().map(|q| format!("{prefix}{q}").replace("::self", "")))
        .collect()
}

/// The `crate::`/`super::` paths a file refers to: its use trees and the paths in its code.
fn references(file: &str) -> Vec<String> {
    let code = code(file);
    let (mut paths, mut rest) = (Vec::new(), String::new());
    let mut text = code.as_str();
    // Use trees first (cut out of the text), then paths written in the code itself.
    while let Some(i) = text.find("use ") {
        let starts_word = text[..i].chars().last().is_none_or(|c| !c.is_alphanumeric() && c != '_');
        let end = i + text[i..].find(';').unwrap_or(text.len() - i);
        if starts_word {
            rest.push_str(&text[..i]);
            paths.extend(expand(&text[i + 4..end]));
        } else {
            rest.push_str(&text[..end]);
        }
        text = &text[end..];
    }
    rest.push_str(text);
    for start in ["crate::", "super::"] {
        let mut text = rest.as_str();
        while let Some(i) = text.find(start) {
            let tail = &text[i..];
            let len = tail.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(tail.len());
            paths.push(tail[..len].trim_end_matches(':').to_string());
            text = &tail[len..];
        }
    }
    paths.retain(|p| p.starts_with("crate::") || p.starts_with("super::") || p.starts_with("self::"));
    paths
}

/// `pub use`/`pub(crate) use` re-exports of a module file: exported name → path it names.
fn reexports(file: &str) -> BTreeMap<String, String> {
    let code = code(file);
    let mut out = BTreeMap::new();
    for stmt in code.split(';') {
        let stmt = stmt.trim();
        let Some(tree) = stmt.strip_prefix("pub use ").or_else(|| stmt.strip_prefix("pub(crate) use ")) else {
            continue;
        };
        for path in expand(tree) {
            let name = path.rsplit("::").next().expect("a last segment").to_string();
            out.insert(name, path);
        }
    }
    out
}

/// The file that defines what `path` (written in `from`) names.
fn resolve(path: &str, from: &str, files: &BTreeSet<String>, depth: usize) -> String {
    assert!(depth < 8, "re-exports of {path} loop");
    let mut segments: Vec<&str> = path.split("::").collect();
    let mut module = module_of(from);
    match segments.first() {
        Some(&"crate") => module.clear(),
        Some(&"super") => {
            module.pop();
        }
        _ => {}
    }
    segments.remove(0);
    while segments.first() == Some(&"super") {
        module.pop();
        segments.remove(0);
    }
    for (k, seg) in segments.iter().enumerate() {
        let mut child = module.clone();
        child.push(seg.to_string());
        if file_of(&child, files).is_some() {
            module = child;
            continue;
        }
        // An item of `module`: defined there, or re-exported from elsewhere.
        let here = file_of(&module, files).expect("a module file");
        let Some(target) = reexports(&here).get(*seg).cloned() else {
            return here;
        };
        let mut full = target;
        for rest in &segments[k + 1..] {
            full = format!("{full}::{rest}");
        }
        if !(full.starts_with("crate::") || full.starts_with("super::") || full.starts_with("self::")) {
            full = format!("self::{full}");
        }
        return resolve(&full, &here, files, depth + 1);
    }
    file_of(&module, files).expect("a module file")
}

#[test]
fn modules_import_downward_only() {
    let files: BTreeSet<String> = source_files().into_iter().collect();
    assert!(files.contains("tape.rs") && files.contains("backward.rs") && files.contains("ops/mod.rs"));
    let mut upward = Vec::new();
    let mut edges = 0;
    for file in &files {
        for path in references(file) {
            let target = resolve(&path, file, &files, 0);
            if &target == file {
                continue;
            }
            edges += 1;
            let (from, to) = (layer_of(file), layer_of(&target));
            if to > from {
                upward.push(format!("{file} ({}) imports {path} from {target} ({})", LAYERS[from].0, LAYERS[to].0));
            }
        }
    }
    assert!(edges > 100, "only {edges} imports found: the parser is broken");
    assert!(upward.is_empty(), "imports that point upward:\n{}", upward.join("\n"));
}

#[test]
fn the_resolver_sees_through_reexports() {
    let files: BTreeSet<String> = source_files().into_iter().collect();
    assert_eq!(resolve("crate::Var", "ops/relu.rs", &files, 0), "var.rs");
    assert_eq!(resolve("crate::kernels::sigmoid", "ops/sigmoid.rs", &files, 0), "kernels/scalar.rs");
    assert_eq!(resolve("crate::gradcheck::OpCheck", "ops/relu.rs", &files, 0), "gradcheck/opcheck.rs");
    assert_eq!(resolve("super::check_axis", "ops/softmax.rs", &files, 0), "ops/mod.rs");
    assert_eq!(resolve("crate::op::Op::Leaf", "var.rs", &files, 0), "op.rs");
    assert!(references("backward.rs").iter().any(|p| p == "crate::ops"), "{:?}", references("backward.rs"));
}
