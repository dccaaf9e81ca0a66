// SPDX-License-Identifier: GPL-2.0

//! The cpulist parser.
//!
//! Every file under `/sys/devices/system/cpu/proxy/` that takes CPUs takes a
//! *cpulist*, the format the kernel already uses for `isolcpus=`,
//! `/sys/devices/system/cpu/online` and `cpulist_parse()`: comma-separated
//! regions, each a number (`2`), a range (`1-3`), `all`, or a range with a
//! stride (`0-15:2/4`, the first two of every four). `N` stands for the last
//! CPU number. A newline or NUL ends the list.
//!
//! The accepted language, the resulting mask and the error class of every
//! input are those of `bitmap_parselist()` in `lib/bitmap-str.c`, so that a
//! user sees no difference between this and any other cpulist file. The
//! in-kernel test (`lib/test_cpu_proxy.c`) checks that claim differentially
//! against the C parser; the unit tests below check it on the host.
//!
//! This module is pure logic: it uses nothing but `core`, so `cargo test`
//! runs it on the host.

/// Why a cpulist was rejected. Mirrors the errnos of `bitmap_parselist()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Malformed region or stray character (`EINVAL`).
    Invalid,
    /// A number does not fit in 32 bits (`EOVERFLOW`).
    Overflow,
    /// A CPU number is not below the mask width (`ERANGE`).
    Range,
}

/// A mask that the parser fills in: the bit operations it needs, and no
/// more, so that the kernel's `struct cpumask` and a host-side bitmap can
/// both be targets.
pub(crate) trait Bits {
    /// Number of valid bits (for a cpumask, `nr_cpu_ids`).
    fn nbits(&self) -> u32;
    /// Clears every bit.
    fn clear_all(&mut self);
    /// Sets bit `bit`; `bit < self.nbits()` is guaranteed by the caller.
    fn set(&mut self, bit: u32);
}

/// One region of a list: `start-end:off/group_len`.
#[derive(Clone, Copy, Default)]
struct Region {
    start: u32,
    end: u32,
    off: u32,
    group_len: u32,
}

/// A cursor over the input. Reading past the end yields NUL, like reading
/// the terminator of a C string; an embedded NUL also ends the list.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> u8 {
        self.peek_at(0)
    }

    fn peek_at(&self, ahead: usize) -> u8 {
        self.s.get(self.pos + ahead).copied().unwrap_or(0)
    }
}

/// `isspace()` of the kernel's `lib/ctype.c`, which counts 0xa0 as space.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0xa0)
}

fn end_of_str(c: u8) -> bool {
    c == 0 || c == b'\n'
}

fn between_regions(c: u8) -> bool {
    is_space(c) || c == b','
}

fn end_of_region(c: u8) -> bool {
    between_regions(c) || end_of_str(c)
}

/// Reads a decimal number or `N` (the last bit).
fn get_num(cur: &mut Cursor<'_>, lastbit: u32) -> Result<u32, ParseError> {
    if cur.peek() == b'N' {
        cur.pos += 1;
        return Ok(lastbit);
    }
    let mut n: u64 = 0;
    let mut overflow = false;
    let mut len = 0;
    while let c @ b'0'..=b'9' = cur.peek_at(len) {
        match n
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
        {
            Some(v) => n = v,
            None => overflow = true,
        }
        len += 1;
    }
    if len == 0 {
        return Err(ParseError::Invalid);
    }
    cur.pos += len;
    if overflow {
        return Err(ParseError::Overflow);
    }
    u32::try_from(n).map_err(|_| ParseError::Overflow)
}

/// Parses one region starting at a non-separator. Returns `true` if the
/// list ends right after it.
fn parse_region(cur: &mut Cursor<'_>, r: &mut Region, lastbit: u32) -> Result<bool, ParseError> {
    let rest = &cur.s[cur.pos.min(cur.s.len())..];
    let has_pattern;
    if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"all") {
        r.start = 0;
        r.end = lastbit;
        cur.pos += 3;
        has_pattern = !end_of_region(cur.peek());
    } else {
        r.start = get_num(cur, lastbit)?;
        if end_of_region(cur.peek()) {
            r.end = r.start;
            has_pattern = false;
        } else {
            if cur.peek() != b'-' {
                return Err(ParseError::Invalid);
            }
            cur.pos += 1;
            r.end = get_num(cur, lastbit)?;
            has_pattern = !end_of_region(cur.peek());
        }
    }

    if !has_pattern {
        r.off = r.end.wrapping_add(1);
        r.group_len = r.end.wrapping_add(1);
        return Ok(end_of_str(cur.peek()));
    }

    if cur.peek() != b':' {
        return Err(ParseError::Invalid);
    }
    cur.pos += 1;
    r.off = get_num(cur, lastbit)?;
    if cur.peek() != b'/' {
        return Err(ParseError::Invalid);
    }
    cur.pos += 1;
    r.group_len = get_num(cur, lastbit)?;
    // Like the C parser, whatever follows a stride is looked at as the
    // start of the next region.
    Ok(false)
}

fn check_region(r: &Region, nbits: u32) -> Result<(), ParseError> {
    if r.start > r.end || r.group_len == 0 || r.off > r.group_len {
        return Err(ParseError::Invalid);
    }
    if r.end >= nbits {
        return Err(ParseError::Range);
    }
    Ok(())
}

fn set_region<B: Bits + ?Sized>(r: &Region, bits: &mut B) {
    let mut start = r.start;
    loop {
        let n = (r.end - start + 1).min(r.off);
        for bit in start..start + n {
            bits.set(bit);
        }
        match start.checked_add(r.group_len) {
            Some(next) if next <= r.end => start = next,
            _ => break,
        }
    }
}

/// Parses the cpulist in `s` into `bits`.
///
/// `bits` is cleared first; on error it holds the regions parsed before the
/// faulty one (as with `bitmap_parselist()`), so callers parse into a
/// scratch mask and commit only on success.
pub(crate) fn parse<B: Bits + ?Sized>(s: &[u8], bits: &mut B) -> Result<(), ParseError> {
    let nbits = bits.nbits();
    // `N` of an empty mask is never a valid bit; the range check catches it.
    let lastbit = nbits.wrapping_sub(1);
    bits.clear_all();

    let mut cur = Cursor { s, pos: 0 };
    loop {
        while between_regions(cur.peek()) {
            cur.pos += 1;
        }
        if end_of_str(cur.peek()) {
            return Ok(());
        }
        let mut r = Region::default();
        let done = parse_region(&mut cur, &mut r, lastbit)?;
        check_region(&r, nbits)?;
        set_region(&r, bits);
        if done {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::{format, string::String, vec, vec::Vec};

    struct Mask {
        nbits: u32,
        set: Vec<bool>,
    }

    impl Mask {
        fn new(nbits: u32) -> Self {
            Self {
                nbits,
                set: vec![false; nbits as usize],
            }
        }

        fn list(&self) -> Vec<u32> {
            (0..self.nbits).filter(|&b| self.set[b as usize]).collect()
        }
    }

    impl Bits for Mask {
        fn nbits(&self) -> u32 {
            self.nbits
        }
        fn clear_all(&mut self) {
            self.set.iter_mut().for_each(|b| *b = false);
        }
        fn set(&mut self, bit: u32) {
            assert!(bit < self.nbits, "set({bit}) beyond nbits {}", self.nbits);
            self.set[bit as usize] = true;
        }
    }

    fn p(s: &str, nbits: u32) -> Result<Vec<u32>, ParseError> {
        let mut m = Mask::new(nbits);
        parse(s.as_bytes(), &mut m).map(|()| m.list())
    }

    #[test]
    fn well_formed() {
        assert_eq!(p("", 8), Ok(vec![]));
        assert_eq!(p("\n", 8), Ok(vec![]));
        assert_eq!(p("2", 8), Ok(vec![2]));
        assert_eq!(p("2\n", 8), Ok(vec![2]));
        assert_eq!(p("1-3", 8), Ok(vec![1, 2, 3]));
        assert_eq!(p("1,3", 8), Ok(vec![1, 3]));
        assert_eq!(p("3,1", 8), Ok(vec![1, 3]));
        assert_eq!(p("1-2,2-3", 8), Ok(vec![1, 2, 3]));
        assert_eq!(p(" ,1 ,, 3\t", 8), Ok(vec![1, 3]));
        assert_eq!(p("N", 8), Ok(vec![7]));
        assert_eq!(p("5-N", 8), Ok(vec![5, 6, 7]));
        assert_eq!(p("all", 4), Ok(vec![0, 1, 2, 3]));
        assert_eq!(p("ALL\n", 4), Ok(vec![0, 1, 2, 3]));
        assert_eq!(p("0-7:2/4", 8), Ok(vec![0, 1, 4, 5]));
        assert_eq!(p("all:1/2", 8), Ok(vec![0, 2, 4, 6]));
        assert_eq!(p("1-6:3/3", 8), Ok(vec![1, 2, 3, 4, 5, 6]));
        assert_eq!(p("007", 8), Ok(vec![7]));
        assert_eq!(p("0-63", 64).map(|v| v.len()), Ok(64));
    }

    #[test]
    fn newline_ends_the_list() {
        assert_eq!(p("1\n2", 8), Ok(vec![1]));
        assert_eq!(p("1\0 2", 8), Ok(vec![1]));
        // Between regions a newline is only white space, as in C.
        assert_eq!(p("1,\n2", 8), Ok(vec![1, 2]));
    }

    #[test]
    fn malformed() {
        for s in [
            "x", "-1", "1-", "1--2", "1-x", "3-1", "1:1/2", "0-3:", "0-3:1", "0-3:1/", "0-3:1/0",
            "0-3:3/2", "1.5", "1 2-", "a", "0x1", "+1", "1;2", "N5", "5N", "al", "alll",
            "0-3:1/2x",
        ] {
            assert_eq!(p(s, 8), Err(ParseError::Invalid), "{s:?}");
        }
    }

    #[test]
    fn out_of_range_and_overflow() {
        assert_eq!(p("8", 8), Err(ParseError::Range));
        assert_eq!(p("0-8", 8), Err(ParseError::Range));
        assert_eq!(p("1,9999", 8), Err(ParseError::Range));
        assert_eq!(p("0", 0), Err(ParseError::Range));
        assert_eq!(p("4294967294", 8), Err(ParseError::Range));
        // end + 1 wraps to a zero-length group in C: shape error, not range.
        assert_eq!(p("4294967295", 8), Err(ParseError::Invalid));
        assert_eq!(p("4294967296", 8), Err(ParseError::Overflow));
        assert_eq!(p("99999999999999999999999", 8), Err(ParseError::Overflow));
        assert_eq!(p("0-3:4294967296/2", 8), Err(ParseError::Overflow));
        // Errors are found in order: the first faulty region decides.
        assert_eq!(p("9,x", 8), Err(ParseError::Range));
        assert_eq!(p("x,9", 8), Err(ParseError::Invalid));
        // Shape is checked before range, as in bitmap_check_region().
        assert_eq!(p("9-8", 8), Err(ParseError::Invalid));
    }

    #[test]
    fn stride_quirk_matches_c() {
        // bitmap_parselist() looks at what follows a stride as a new region.
        assert_eq!(p("0-3:1/2N", 8), Ok(vec![0, 2, 7]));
        assert_eq!(p("0-3:1/2,5", 8), Ok(vec![0, 2, 5]));
    }

    fn format_list(v: &[u32]) -> String {
        let mut out = String::new();
        let mut i = 0;
        while i < v.len() {
            let mut j = i;
            while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
                j += 1;
            }
            if !out.is_empty() {
                out.push(',');
            }
            if i == j {
                out += &format!("{}", v[i]);
            } else {
                out += &format!("{}-{}", v[i], v[j]);
            }
            i = j + 1;
        }
        out
    }

    /// xorshift64*: deterministic, so a failure reproduces.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn round_trip_of_random_masks() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let nbits = 1 + rng.below(256) as u32;
            let want: Vec<u32> = (0..nbits).filter(|_| rng.below(3) == 0).collect();
            let text = format_list(&want) + if rng.below(2) == 0 { "\n" } else { "" };
            assert_eq!(p(&text, nbits), Ok(want.clone()), "{text:?}");
        }
    }

    #[test]
    fn random_garbage_is_rejected_or_in_range() {
        let alphabet = b"0123456789,-:/N \nax\x00\xa0";
        let mut rng = Rng(42);
        for _ in 0..200_000 {
            let len = rng.below(12) as usize;
            let s: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                .collect();
            let nbits = 1 + rng.below(64) as u32;
            let mut m = Mask::new(nbits);
            // Mask::set asserts every bit set is in range; no panic anywhere.
            let _ = parse(&s, &mut m);
        }
    }
}
