//! A reader for the IDX format of the MNIST files, gzipped or plain.
//!
//! An IDX file is a 4-byte magic number, one big-endian `u32` per dimension, then the data in
//! row-major order (format described at <http://yann.lecun.com/exdb/mnist/>). The magic number
//! is `0x00 0x00 <type> <rank>`; MNIST uses unsigned bytes (type `0x08`):
//!
//! | file   | magic        | dimensions          | data                        |
//! | ------ | ------------ | ------------------- | --------------------------- |
//! | images | `0x00000803` | count, rows, cols   | count·rows·cols grey levels |
//! | labels | `0x00000801` | count               | count class indices         |
//!
//! A file that starts with the gzip signature (`1f 8b`) is decompressed first, whatever its
//! name; so `train-images-idx3-ubyte` and `train-images-idx3-ubyte.gz` both read. Every way a
//! file can be wrong (missing, corrupt gzip, bad magic, short or long data) is an [`Error`]
//! naming the file.

use crate::{Error, Result};
use flate2::read::MultiGzDecoder;
use std::io::Read;
use std::path::Path;

/// The magic number of an IDX file of unsigned-byte images (rank 3: count, rows, cols).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// The magic number of an IDX file of unsigned-byte labels (rank 1: count).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// The contents of an IDX images file: `count` images of `rows × cols` grey levels (0–255).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxImages {
    /// The number of images.
    pub count: usize,
    /// The rows of each image.
    pub rows: usize,
    /// The columns of each image.
    pub cols: usize,
    /// `count · rows · cols` bytes, image after image, each row-major.
    pub pixels: Vec<u8>,
}

/// Reads an IDX images file (magic `0x00000803`), gzipped or plain.
///
/// ```no_run
/// let images = train::data::idx::read_images("data/mnist-10k/images-idx3-ubyte.gz").unwrap();
/// assert_eq!((images.rows, images.cols), (28, 28));
/// ```
pub fn read_images(path: impl AsRef<Path>) -> Result<IdxImages> {
    let path = path.as_ref();
    let mut bytes = read_maybe_gzipped(path)?;
    let (dims, pixels) = parse(&bytes, path, "images", IMAGES_MAGIC)?;
    let [count, rows, cols] = dims[..] else { unreachable!("the images magic number fixes the rank at 3") };
    // The pixels stay in the buffer they were decompressed into (MNIST's are 47 MB): no copy.
    let header = bytes.len() - pixels.len();
    bytes.drain(..header);
    Ok(IdxImages { count, rows, cols, pixels: bytes })
}

/// Reads an IDX labels file (magic `0x00000801`), gzipped or plain: one byte per sample.
pub fn read_labels(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    let path = path.as_ref();
    let bytes = read_maybe_gzipped(path)?;
    let (_, labels) = parse(&bytes, path, "labels", LABELS_MAGIC)?;
    Ok(labels.to_vec())
}

/// The file's bytes, decompressed if they start with the gzip signature.
fn read_maybe_gzipped(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    // `MultiGzDecoder`: a gzip file may hold several members, as `cat a.gz b.gz` makes.
    let mut bytes = Vec::with_capacity(raw.len() * 4);
    MultiGzDecoder::new(&raw[..])
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Gzip { path: path.to_owned(), source })?;
    Ok(bytes)
}

/// Checks the header against `magic` and returns the dimensions and the data bytes.
fn parse<'a>(bytes: &'a [u8], path: &Path, kind: &'static str, magic: u32) -> Result<(Vec<usize>, &'a [u8])> {
    let truncated = |expected: u128| Error::Truncated { path: path.to_owned(), expected, found: bytes.len() };
    let rank = (magic & 0xff) as usize;
    let header = 4 + 4 * rank;
    let Some(magic_bytes) = bytes.get(..4) else { return Err(truncated(header as u128)) };
    let found = u32::from_be_bytes(magic_bytes.try_into().expect("a 4-byte slice"));
    if found != magic {
        return Err(Error::BadMagic { path: path.to_owned(), kind, expected: magic, found });
    }
    let Some(dim_bytes) = bytes.get(4..header) else { return Err(truncated(header as u128)) };
    let dims: Vec<usize> =
        dim_bytes.chunks_exact(4).map(|b| u32::from_be_bytes(b.try_into().expect("a 4-byte chunk")) as usize).collect();
    // u128: three u32 dimensions multiply to at most 2^96, so a hostile header cannot overflow.
    let expected = header as u128 + dims.iter().map(|&d| d as u128).product::<u128>();
    if (bytes.len() as u128) < expected {
        return Err(truncated(expected));
    }
    let expected = expected as usize; // ≤ bytes.len(), so it fits
    if bytes.len() > expected {
        return Err(Error::TrailingBytes { path: path.to_owned(), expected, extra: bytes.len() - expected });
    }
    Ok((dims, &bytes[header..]))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;
    use std::path::PathBuf;

    /// A fresh, empty directory for one test's files, removed when dropped.
    pub(crate) struct ScratchDir(PathBuf);

    impl std::ops::Deref for ScratchDir {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for ScratchDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    pub(crate) fn scratch_dir(test: &str) -> ScratchDir {
        let dir = std::env::temp_dir().join(format!("chainrule-train-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        ScratchDir(dir)
    }

    /// The bytes of an IDX file with the given magic number, dimensions and data.
    pub(crate) fn idx_bytes(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut bytes = magic.to_be_bytes().to_vec();
        dims.iter().for_each(|d| bytes.extend_from_slice(&d.to_be_bytes()));
        bytes.extend_from_slice(data);
        bytes
    }

    /// Writes `bytes` to `dir/name`, gzipped if the name ends in `.gz`.
    pub(crate) fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        let contents = if name.ends_with(".gz") { gzip(bytes) } else { bytes.to_vec() };
        std::fs::write(&path, contents).expect("write a test file");
        path
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).expect("gzip into memory");
        encoder.finish().expect("gzip into memory")
    }

    #[test]
    fn images_and_labels_round_trip_plain_and_gzipped() {
        let dir = scratch_dir("round-trip");
        let pixels: Vec<u8> = (0..3 * 2 * 4).map(|i| (i * 11) as u8).collect();
        for name in ["images", "images.gz"] {
            let path = write_file(&dir, name, &idx_bytes(IMAGES_MAGIC, &[3, 2, 4], &pixels));
            let images = read_images(&path).unwrap();
            assert_eq!(images, IdxImages { count: 3, rows: 2, cols: 4, pixels: pixels.clone() });
        }
        for name in ["labels", "labels.gz"] {
            let path = write_file(&dir, name, &idx_bytes(LABELS_MAGIC, &[4], &[7, 0, 9, 3]));
            assert_eq!(read_labels(&path).unwrap(), vec![7, 0, 9, 3]);
        }
    }

    #[test]
    fn a_gzip_file_of_several_members_reads_whole() {
        let dir = scratch_dir("multi-member");
        let bytes = idx_bytes(LABELS_MAGIC, &[5], &[1, 2, 3, 4, 5]);
        let (head, tail) = bytes.split_at(6);
        let path = dir.join("labels.gz");
        std::fs::write(&path, [gzip(head), gzip(tail)].concat()).unwrap();
        assert_eq!(read_labels(&path).unwrap(), vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn an_empty_file_of_zero_samples_reads() {
        let dir = scratch_dir("zero-samples");
        let path = write_file(&dir, "images", &idx_bytes(IMAGES_MAGIC, &[0, 28, 28], &[]));
        assert_eq!(read_images(&path).unwrap().count, 0);
    }

    #[test]
    fn a_missing_file_names_its_path() {
        let path = scratch_dir("missing").join("no-such-images.gz");
        let err = read_images(&path).unwrap_err();
        assert!(matches!(&err, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound));
        let msg = err.to_string();
        assert!(msg.starts_with(&format!("cannot read {}: ", path.display())), "{msg}");
    }

    #[test]
    fn a_labels_file_read_as_images_is_a_bad_magic_number() {
        let dir = scratch_dir("bad-magic");
        let path = write_file(&dir, "labels.gz", &idx_bytes(LABELS_MAGIC, &[2], &[1, 2]));
        let err = read_images(&path).unwrap_err();
        assert!(matches!(err, Error::BadMagic { expected: IMAGES_MAGIC, found: LABELS_MAGIC, .. }));
        assert_eq!(
            err.to_string(),
            format!("{} is not an IDX images file: magic number 0x00000801, expected 0x00000803", path.display())
        );
        let err = read_labels(write_file(&dir, "text", b"hello world")).unwrap_err();
        assert!(err.to_string().ends_with("is not an IDX labels file: magic number 0x68656c6c, expected 0x00000801"));
    }

    #[test]
    fn truncated_headers_and_data_are_errors() {
        let dir = scratch_dir("truncated");
        // Shorter than the magic number, shorter than the header, shorter than the data.
        let cases: [(&[u8], u128, usize); 3] = [
            (&[0, 0], 16, 2),
            (&idx_bytes(IMAGES_MAGIC, &[2, 28], &[])[..], 16, 12),
            (&idx_bytes(IMAGES_MAGIC, &[2, 3, 3], &[0; 17])[..], 34, 33),
        ];
        for (i, (bytes, expected, found)) in cases.into_iter().enumerate() {
            for name in [format!("short{i}"), format!("short{i}.gz")] {
                let path = write_file(&dir, &name, bytes);
                let err = read_images(&path).unwrap_err();
                assert!(matches!(err, Error::Truncated { expected: e, found: f, .. } if e == expected && f == found));
                assert_eq!(
                    err.to_string(),
                    format!(
                        "{} is truncated: its header announces {expected} bytes, the file holds {found}",
                        path.display()
                    )
                );
            }
        }
    }

    #[test]
    fn a_huge_announced_size_is_truncation_not_overflow() {
        let dir = scratch_dir("huge");
        let path = write_file(&dir, "images", &idx_bytes(IMAGES_MAGIC, &[u32::MAX; 3], &[1, 2, 3]));
        let err = read_images(&path).unwrap_err();
        let expected = 16 + (u32::MAX as u128).pow(3);
        assert!(matches!(err, Error::Truncated { expected: e, found: 19, .. } if e == expected));
    }

    #[test]
    fn bytes_beyond_the_announced_data_are_an_error() {
        let dir = scratch_dir("trailing");
        let path = write_file(&dir, "labels", &idx_bytes(LABELS_MAGIC, &[2], &[1, 2, 3]));
        let err = read_labels(&path).unwrap_err();
        assert!(matches!(err, Error::TrailingBytes { expected: 10, extra: 1, .. }));
        assert_eq!(err.to_string(), format!("{} has 1 bytes after the 10 its header announces", path.display()));
    }

    #[test]
    fn corrupt_and_cut_gzip_streams_are_errors() {
        let dir = scratch_dir("bad-gzip");
        let good = gzip(&idx_bytes(LABELS_MAGIC, &[300], &[1; 300]));
        let cut = dir.join("cut.gz");
        std::fs::write(&cut, &good[..good.len() / 2]).unwrap();
        let mut flipped = good.clone();
        flipped[12] ^= 0xff;
        let corrupt = dir.join("corrupt.gz");
        std::fs::write(&corrupt, &flipped).unwrap();
        for path in [cut, corrupt] {
            let err = read_labels(&path).unwrap_err();
            assert!(matches!(err, Error::Gzip { .. }), "{err}");
            let msg = err.to_string();
            assert!(
                msg.starts_with(&format!("cannot decompress {} (corrupt or truncated gzip data): ", path.display())),
                "{msg}"
            );
        }
    }
}
