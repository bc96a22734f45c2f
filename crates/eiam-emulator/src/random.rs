//! Random values, all from the system random number generator of aws-lc-rs.

use crate::error::EmulatorError;

/// `n` random bytes.
pub(crate) fn bytes(n: usize) -> Result<Vec<u8>, EmulatorError> {
    let mut buf = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut buf).map_err(|_| EmulatorError::Random)?;
    Ok(buf)
}

/// `n` characters drawn uniformly from `alphabet` (at most 256 symbols), by rejection
/// sampling of random bytes.
fn from_alphabet(n: usize, alphabet: &[u8]) -> Result<String, EmulatorError> {
    let size = alphabet.len();
    // The largest multiple of `size` that fits in a byte value range (256).
    let limit = 256 - 256 % size;
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for b in bytes(n)? {
            let b = usize::from(b);
            if b < limit
                && out.len() < n
                && let Some(&c) = alphabet.get(b % size)
            {
                out.push(char::from(c));
            }
        }
    }
    Ok(out)
}

/// `n` random ASCII letters and digits.
pub(crate) fn alphanumeric(n: usize) -> Result<String, EmulatorError> {
    from_alphabet(
        n,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    )
}

/// `n` random decimal digits.
pub(crate) fn digits(n: usize) -> Result<String, EmulatorError> {
    from_alphabet(n, b"0123456789")
}

/// `n` random upper-case hexadecimal digits.
pub(crate) fn hex_upper(n: usize) -> Result<String, EmulatorError> {
    from_alphabet(n, b"0123456789ABCDEF")
}

/// `n` random lower-case hexadecimal digits.
pub(crate) fn hex_lower(n: usize) -> Result<String, EmulatorError> {
    from_alphabet(n, b"0123456789abcdef")
}

/// A uniformly random integer in `low..=high` (`low <= high`), by rejection sampling of
/// random `u32` values.
pub(crate) fn in_range(low: u32, high: u32) -> Result<u32, EmulatorError> {
    let span = u64::from(high.saturating_sub(low)) + 1;
    // The largest multiple of `span` that fits in the u32 value range.
    let limit = (1u64 << 32) - (1u64 << 32) % span;
    loop {
        let b = bytes(4)?;
        let v = b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
        if v < limit {
            let offset = u32::try_from(v % span).map_err(|_| EmulatorError::Random)?;
            return Ok(low.saturating_add(offset));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() -> Result<(), EmulatorError> {
        let a = alphanumeric(32)?;
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, alphanumeric(32)?);
        let d = digits(6)?;
        assert_eq!(d.len(), 6);
        assert!(d.bytes().all(|b| b.is_ascii_digit()));
        let h = hex_upper(9)?;
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
        );
        let l = hex_lower(32)?;
        assert_eq!(l.len(), 32);
        assert!(
            l.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            let v = in_range(40, 45)?;
            assert!((40..=45).contains(&v), "{v}");
            seen.insert(v);
        }
        assert_eq!(seen.len(), 6);
        assert_eq!(in_range(7, 7)?, 7);
        Ok(())
    }
}
