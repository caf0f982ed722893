//! What the workspace's benchmarks share: their markdown report and their Python peers.
//!
//! Each benchmark measures its crate side by side with peers, prints one markdown table
//! per scenario ([`report::Table`]), then its verdicts on the crate's targets
//! ([`report::print_targets`]). A peer written in Python is the benchmark's own
//! `peer.py`, run by [`python::run`] (or [`python::Background`] for a server that
//! another process loads). Server benchmarks pin their processes with [`cpu`] and speak
//! the little HTTP of [`http`].

pub mod cpu;
pub mod http;
pub mod python;
pub mod report;

/// A measured number, or why there is none (printed as `n/a` with the reason as a note).
pub type Measured = Result<f64, String>;

/// The nearest-rank percentile `p` (0 to 1) of `values`; an error if there are none.
pub fn percentile(values: &[f64], p: f64) -> Measured {
    if values.is_empty() {
        return Err("no samples".to_string());
    }
    let mut values = values.to_vec();
    values.sort_by(f64::total_cmp);
    let rank = (p * values.len() as f64).ceil() as usize;
    Ok(values[rank.clamp(1, values.len()) - 1])
}

/// The CPU time this thread has spent so far in user space and in the kernel, from
/// `/proc/thread-self/stat` (10 ms ticks: the kernel's `USER_HZ` is 100); `None` off Linux.
pub fn thread_times() -> Option<(std::time::Duration, std::time::Duration)> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Field 2 is the command name in parentheses and may hold spaces: split after the
    // last `)`. What follows starts at field 3; utime and stime are fields 14 and 15.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    let tick = std::time::Duration::from_millis(10);
    Some((
        tick * u32::try_from(ticks(14)?).ok()?,
        tick * u32::try_from(ticks(15)?).ok()?,
    ))
}

/// The `i`th of a fixed sequence of pseudo-random numbers (splitmix64, from a fixed seed):
/// the same delays for every peer of a benchmark, and for poll-loop's `peer.py`, which
/// computes the same sequence.
pub fn splitmix64(i: u64) -> u64 {
    let mut z = 0x5eed_u64.wrapping_add((i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(percentile(&values, 0.0), Ok(1.0));
        assert_eq!(percentile(&values, 0.5), Ok(3.0));
        assert_eq!(percentile(&values, 0.99), Ok(5.0));
        assert!(percentile(&[], 0.5).is_err());
    }

    #[test]
    fn splitmix64_is_a_fixed_sequence() {
        assert_eq!(splitmix64(0), splitmix64(0));
        assert_ne!(splitmix64(0), splitmix64(1));
    }
}
