//! Checkpoints in the safetensors format (the format PyTorch, candle and Hugging Face share),
//! read and written with the `safetensors` crate.
//!
//! A [`Checkpoint`] is an ordered set of named tensors plus string metadata:
//!
//! - the model's parameters under their hierarchical names (`"0.weight"`), exactly as
//!   PyTorch's `state_dict()` names an `nn.Sequential`, so files move between the two;
//! - any number of **sections** of extra tensors under a prefix, such as the optimizer's state
//!   under `"optim."` ([`Checkpoint::insert_section`], [`Checkpoint::section`]). The file's
//!   metadata lists the sections (key `"chainrule.sections"`), so restoring a model knows which
//!   tensors are not parameters without guessing from names;
//! - string metadata ([`Checkpoint::set_metadata`]) for counters and settings (a step count is
//!   exact as a string, not as an `f32`).
//!
//! Writes are atomic: the bytes go to a temporary file in the target's directory, which is
//! flushed to disk (`fsync`) and then renamed over the target, so a crash mid-save leaves the
//! old file intact. Saving over an existing file keeps its permissions, and saving to a
//! symbolic link writes the file the link points to, which is where the temporary file goes
//! (the link stays a link). Restoring checks every name, shape and dtype before changing any parameter,
//! so a mismatch leaves the model as it was; every failure is an [`Error`] naming the parameter
//! and the file.
//!
//! ```
//! use nn::{Checkpoint, LinearConfig, Module};
//! use rand::{rngs::StdRng, SeedableRng};
//!
//! let mut rng = StdRng::seed_from_u64(0);
//! let model = LinearConfig::new(3, 2).init::<f32>(&mut rng).unwrap();
//! let path = std::env::temp_dir().join(format!("nn-doc-{}.safetensors", std::process::id()));
//!
//! let mut ckpt = Checkpoint::from_module(&model);
//! let momentum = model.named_parameters().iter().map(|(n, p)| (n.clone(), p.value().map(|_| 0.0))).collect::<Vec<_>>();
//! ckpt.insert_section("optim", momentum).unwrap();
//! ckpt.set_metadata("optim.step", "10");
//! ckpt.save(&path).unwrap();
//!
//! let fresh = LinearConfig::new(3, 2).init::<f32>(&mut rng).unwrap();
//! let loaded = Checkpoint::<f32>::load(&path).unwrap();
//! loaded.restore_module(&fresh).unwrap();
//! assert_eq!(fresh.weight.value(), model.weight.value());
//! assert_eq!(loaded.section("optim").keys().collect::<Vec<_>>(), ["bias", "weight"]); // sorted by name in the file
//! assert_eq!(loaded.metadata("optim.step"), Some("10"));
//! # std::fs::remove_file(&path).unwrap();
//! ```

use crate::{Error, Module, ParamMap, Result};
use autograd::{DType, Float, Shape, Tensor};
use indexmap::IndexMap;
use safetensors::{Dtype, SafeTensors, View};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The metadata key listing the sections, comma-separated.
const SECTIONS_KEY: &str = "chainrule.sections";

/// Named tensors and metadata to save to, or loaded from, a safetensors file. See the
/// [module documentation](self).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checkpoint<T: Float = f32> {
    tensors: IndexMap<String, Tensor<T>>,
    sections: Vec<String>,
    metadata: BTreeMap<String, String>,
    /// The file this checkpoint was loaded from, for error messages.
    origin: Option<PathBuf>,
}

impl<T: Float> Checkpoint<T> {
    /// An empty checkpoint.
    pub fn new() -> Self {
        Checkpoint { tensors: IndexMap::new(), sections: Vec::new(), metadata: BTreeMap::new(), origin: None }
    }

    /// A snapshot of the current values of `params`, under their names.
    pub fn from_parameters(params: &ParamMap<T>) -> Self {
        let mut ckpt = Checkpoint::new();
        for (name, p) in params {
            ckpt.tensors.insert(name.clone(), p.value());
        }
        ckpt
    }

    /// A snapshot of every parameter of `module` (its
    /// [`named_parameters`](Module::named_parameters)).
    pub fn from_module<M: Module<T> + ?Sized>(module: &M) -> Self {
        Checkpoint::from_parameters(&module.named_parameters())
    }

    /// Adds or replaces a top-level tensor (outside any section).
    pub fn insert(&mut self, name: impl Into<String>, tensor: Tensor<T>) {
        self.tensors.insert(name.into(), tensor);
    }

    /// Adds tensors under `section` (stored as `"{section}.{name}"`) and declares the section,
    /// so that [`restore`](Checkpoint::restore) does not take them for unknown parameters.
    /// Fails if the section name is empty or contains `','` or `'.'`.
    #[track_caller]
    pub fn insert_section(
        &mut self,
        section: &str,
        tensors: impl IntoIterator<Item = (String, Tensor<T>)>,
    ) -> Result<()> {
        if section.is_empty() || section.contains([',', '.']) {
            return Err(Error::config(
                "checkpoint section",
                format!("{section:?}: must be non-empty, without ',' or '.'"),
            ));
        }
        if !self.sections.iter().any(|s| s == section) {
            self.sections.push(section.to_string());
        }
        for (name, tensor) in tensors {
            self.tensors.insert(format!("{section}.{name}"), tensor);
        }
        Ok(())
    }

    /// The tensors of `section`, with the `"{section}."` prefix removed (empty if the section is
    /// absent). In insertion order, or in name order after a load: safetensors stores tensors
    /// sorted by name.
    pub fn section(&self, section: &str) -> IndexMap<String, Tensor<T>> {
        let prefix = format!("{section}.");
        self.tensors
            .iter()
            .filter_map(|(name, t)| name.strip_prefix(&prefix).map(|rest| (rest.to_string(), t.clone())))
            .collect()
    }

    /// The declared sections.
    pub fn sections(&self) -> &[String] {
        &self.sections
    }

    /// A tensor by its full name.
    pub fn get(&self, name: &str) -> Option<&Tensor<T>> {
        self.tensors.get(name)
    }

    /// Every tensor by full name.
    pub fn tensors(&self) -> &IndexMap<String, Tensor<T>> {
        &self.tensors
    }

    /// Sets a metadata entry (saved in the file's `__metadata__` header).
    pub fn set_metadata(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.metadata.insert(key.into(), value.into());
    }

    /// A metadata entry.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).map(String::as_str)
    }

    fn origin(&self) -> PathBuf {
        self.origin.clone().unwrap_or_else(|| PathBuf::from("<in memory>"))
    }

    fn in_section(&self, name: &str) -> bool {
        self.sections.iter().any(|s| name.strip_prefix(s.as_str()).is_some_and(|rest| rest.starts_with('.')))
    }

    /// Copies the saved values into `params`.
    ///
    /// Strict, as PyTorch's `load_state_dict(strict=True)`: every parameter must have a tensor
    /// of the same shape, and every tensor outside the declared sections must be a parameter.
    /// Everything is checked before anything is written, so on error the parameters are
    /// unchanged. Gradient buffers are left as they are.
    pub fn restore(&self, params: &ParamMap<T>) -> Result<()> {
        let path = self.origin();
        for (name, p) in params {
            let Some(saved) = self.tensors.get(name) else {
                return Err(Error::MissingTensor { name: name.clone(), path });
            };
            let expected = p.value().dims().to_vec();
            if saved.dims() != expected {
                let found = saved.dims().to_vec();
                return Err(Error::ParameterShape { name: name.clone(), expected, found, path });
            }
        }
        if let Some(name) = self.tensors.keys().find(|n| !params.contains_key(*n) && !self.in_section(n)) {
            return Err(Error::UnexpectedTensor { name: name.clone(), path });
        }
        for (name, p) in params {
            p.set_value(self.tensors[name].clone());
        }
        Ok(())
    }

    /// [`restore`](Checkpoint::restore) into every parameter of `module`.
    pub fn restore_module<M: Module<T> + ?Sized>(&self, module: &M) -> Result<()> {
        self.restore(&module.named_parameters())
    }

    /// The file's bytes in the safetensors format.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let dtype = dtype_of::<T>();
        let views = self
            .tensors
            .iter()
            .map(|(name, t)| (name.as_str(), Raw { dtype, shape: t.dims().to_vec(), bytes: to_le_bytes(t) }));
        let mut metadata: HashMap<String, String> = self.metadata.clone().into_iter().collect();
        if !self.sections.is_empty() {
            metadata.insert(SECTIONS_KEY.to_string(), self.sections.join(","));
        }
        let metadata = (!metadata.is_empty()).then_some(metadata);
        safetensors::serialize(views, metadata)
            .map_err(|e| Error::CorruptCheckpoint { path: self.origin(), msg: format!("cannot serialize: {e}") })
    }

    /// Parses a safetensors file's bytes; `path` names the file in errors.
    pub fn from_bytes(bytes: &[u8], path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let corrupt =
            |e: safetensors::SafeTensorError| Error::CorruptCheckpoint { path: path.clone(), msg: e.to_string() };
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(corrupt)?;
        let file = SafeTensors::deserialize(bytes).map_err(corrupt)?;
        let mut metadata: BTreeMap<String, String> =
            header.metadata().clone().unwrap_or_default().into_iter().collect();
        let sections = match metadata.remove(SECTIONS_KEY) {
            Some(list) => list.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
            None => Vec::new(),
        };
        let mut tensors = IndexMap::new();
        // In file order (by offset), which the safetensors writer sorts by name.
        for name in header.offset_keys() {
            let view = file.tensor(&name).map_err(corrupt)?;
            if view.dtype() != dtype_of::<T>() {
                return Err(Error::Dtype { name, expected: T::DTYPE.name(), found: view.dtype().to_string(), path });
            }
            let tensor = Tensor::from_vec(from_le_bytes::<T>(view.data()), Shape::from(view.shape()))
                .map_err(|e| Error::CorruptCheckpoint { path: path.clone(), msg: format!("tensor {name:?}: {e}") })?;
            tensors.insert(name, tensor);
        }
        Ok(Checkpoint { tensors, sections, metadata, origin: Some(path) })
    }

    /// Reads a safetensors file. Fails with an error naming the file if it cannot be read or is
    /// not valid safetensors, and naming the tensor if its dtype is not `T`'s.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        Checkpoint::from_bytes(&bytes, path)
    }

    /// Writes the checkpoint to `path` atomically (temporary file in the same directory, fsync,
    /// rename), so a crash mid-save leaves any previous file intact. An existing file keeps its
    /// permissions; a symbolic link keeps pointing at its target, which gets the new contents.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(path.as_ref(), &self.to_bytes()?)
    }
}

/// Saves every parameter of `module` to a safetensors file at `path` (atomically).
pub fn save<T: Float, M: Module<T> + ?Sized>(module: &M, path: impl AsRef<Path>) -> Result<()> {
    Checkpoint::from_module(module).save(path)
}

/// Loads every parameter of `module` from the safetensors file at `path`, strictly (see
/// [`Checkpoint::restore`]).
pub fn load<T: Float, M: Module<T> + ?Sized>(module: &M, path: impl AsRef<Path>) -> Result<()> {
    Checkpoint::<T>::load(path)?.restore_module(module)
}

fn dtype_of<T: Float>() -> Dtype {
    match T::DTYPE {
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
    }
}

/// The values' bytes, little-endian, bit for bit (no arithmetic conversion, which would quiet a
/// signalling NaN).
fn to_le_bytes<T: Float>(t: &Tensor<T>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(t.numel() * T::DTYPE.size());
    for &v in t.data() {
        bytes.extend_from_slice(v.to_le_bytes().as_ref());
    }
    bytes
}

/// The inverse of [`to_le_bytes`]; the caller checked that the file's dtype is `T`'s.
fn from_le_bytes<T: Float>(bytes: &[u8]) -> Vec<T> {
    bytes.chunks_exact(T::DTYPE.size()).map(|b| T::from_le_bytes(b.try_into().expect("chunks of the size"))).collect()
}

/// One tensor's bytes, as the `safetensors` serializer wants them.
struct Raw {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl View for Raw {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

/// Writes `bytes` to `path` through a temporary file next to the file `path` names: write,
/// fsync, rename over it, fsync the directory. The rename is atomic on POSIX file systems, so
/// the file holds either the old or the new contents, never a mixture.
///
/// Saving over an existing file behaves like editing it in place, not like replacing it: if
/// `path` is a symbolic link, the file it points to (through any chain of links) gets the new
/// contents and the link stays a link; and the new file gets the old one's permissions (a
/// checkpoint made private with mode 0600 stays private). The temporary file gets those
/// permissions before any byte is written to it.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let target = resolve_links(path).map_err(io)?;
    let file_name = target
        .file_name()
        .ok_or_else(|| io(std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path does not name a file")))?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let permissions = match std::fs::metadata(&target) {
        Ok(meta) => Some(meta.permissions()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{}.{}.{unique}.tmp", file_name.to_string_lossy(), std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create_new(&tmp)?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &target)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    // Make the rename itself durable. Directories cannot be opened for syncing on every
    // platform; where they can, a failure is reported.
    #[cfg(unix)]
    std::fs::File::open(&dir).and_then(|d| d.sync_all()).map_err(io)?;
    Ok(())
}

/// The file `path` names once symbolic links are followed: `path` itself if it is not a link
/// (or does not exist), else the end of the chain of links, which need not exist yet (a
/// dangling link names the file a write creates, as `open` does). A relative link target is
/// relative to the link's directory. More than 40 links in a row (Linux's limit) is an error,
/// as a cycle would otherwise never end.
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) => dir.join(link),
                    None => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("more than 40 symbolic links in a row (a cycle?)"))
}
