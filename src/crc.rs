//! CRC-32 (IEEE 802.3), shared by the durable record and the checksummed wire envelope.

/// CRC-32 (IEEE 802.3: reflected polynomial `0xEDB88320`, initial value and final XOR
/// `0xFFFFFFFF`), bit by bit: no table, for a small flash footprint.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0, |crc, &byte| {
        (0..8).fold(crc ^ u32::from(byte), |crc, _| {
            (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }
}
