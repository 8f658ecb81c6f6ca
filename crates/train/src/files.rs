//! Writing a run's files: atomically, so that a run killed mid-write leaves the previous version
//! of each file whole (the same scheme as `nn`'s checkpoints: temporary file, fsync, rename).

use crate::{Error, Result};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes `bytes` to `path` through a temporary file in the same folder, flushed to disk and
/// renamed over `path`: a reader sees the old file or the new one, never a mixture.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let error = |source| Error::WriteFile { path: path.to_path_buf(), source };
    let name = path
        .file_name()
        .ok_or_else(|| error(std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path does not name a file")))?;
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{}.{}.{unique}.tmp", name.to_string_lossy(), std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create_new(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(error(source));
    }
    Ok(())
}

/// Creates the output folder (and its parents) and checks that a file can be created in it, so a
/// run fails before its first epoch rather than after its last.
pub(crate) fn prepare_output_dir(dir: &Path) -> Result<()> {
    let error = |source| Error::OutputDir { path: dir.to_path_buf(), source };
    std::fs::create_dir_all(dir).map_err(error)?;
    let probe = dir.join(format!(".write-check.{}", std::process::id()));
    std::fs::File::create(&probe).map_err(error)?;
    std::fs::remove_file(&probe).map_err(error)
}
