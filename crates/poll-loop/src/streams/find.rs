//! [`find`]: where a separator first starts in what a reader has buffered.

/// Where `needle` (not empty) first starts in `haystack`.
pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    // Each candidate is a place where the first byte is, found word-wise.
    while let Some(at) = find_byte(&haystack[from..], first) {
        let start = from + at;
        if haystack[start + 1..].starts_with(rest) {
            return Some(start);
        }
        from = start + 1;
    }
    None
}

/// Where `byte` first is in `haystack`, eight bytes at a time: a line
/// protocol's reader spends most of its time here, and a byte-at-a-time
/// search took long lines twice as long as a reader with `memchr`.
fn find_byte(haystack: &[u8], byte: u8) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let pattern = ONES * u64::from(byte);
    let mut words = haystack.chunks_exact(8);
    for (i, word) in words.by_ref().enumerate() {
        let bytes: [u8; 8] = word.try_into().expect("chunks of 8");
        // A byte equal to `byte` is a zero byte here, and a word has a
        // zero byte exactly when this test is non-zero.
        let x = u64::from_ne_bytes(bytes) ^ pattern;
        if x.wrapping_sub(ONES) & !x & HIGHS != 0 {
            return word.iter().position(|&b| b == byte).map(|at| 8 * i + at);
        }
    }
    let tail = words.remainder();
    let tail_start = haystack.len() - tail.len();
    tail.iter()
        .position(|&b| b == byte)
        .map(|at| tail_start + at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The obvious search, to compare with.
    fn naive(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    #[test]
    #[cfg_attr(miri, ignore = "tens of thousands of searches: too slow for miri")]
    fn finds_what_the_obvious_search_finds() {
        // Every byte value beside and as the one sought, at every place and
        // alignment, for one- and many-byte separators.
        let separators: [&[u8]; 5] = [b"\n", b"\r\n", b"\r\n\r\n", &[0], &[0xff, 0x80]];
        for separator in separators {
            for len in 0..40 {
                for at in 0..=len {
                    for filler in [0u8, 1, 0x7f, 0x80, 0xfe, 0xff, b'\r', b'\n'] {
                        let mut haystack = vec![filler; len];
                        haystack.splice(at..at, separator.iter().copied());
                        assert_eq!(
                            find(&haystack, separator),
                            naive(&haystack, separator),
                            "{separator:?} in {haystack:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn finds_nothing_where_there_is_nothing() {
        assert_eq!(find(b"", b"\n"), None);
        assert_eq!(find(b"\r", b"\r\n"), None);
        assert_eq!(find(&[b'x'; 100], b"\n"), None);
        assert_eq!(find(b"abc\r\r\n", b"\r\n"), Some(4));
    }
}
