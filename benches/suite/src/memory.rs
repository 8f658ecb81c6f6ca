//! Resident memory of this process from `/proc/self/status` (Linux): the current resident set
//! (`VmRSS`) and its high-water mark (`VmHWM`), in MiB. `None` where the file does not exist.

/// The peak resident set size so far.
pub fn peak_rss_mib() -> Option<f64> {
    status_kib("VmHWM:").map(kib_to_mib)
}

/// The resident set size now.
pub fn rss_mib() -> Option<f64> {
    status_kib("VmRSS:").map(kib_to_mib)
}

fn kib_to_mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Reads a line such as `VmHWM:     48212 kB`.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}
