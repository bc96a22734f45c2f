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
        Ok(())
    }
}
