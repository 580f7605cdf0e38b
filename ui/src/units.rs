//! Text → value parsers for parameters, so typed entry accepts what people type.
//!
//! nice-plug's own Hz parser reads "3.5k" as 3.5 Hz (it only scales by 1000 for a full "kHz");
//! [`s2v_frequency`] accepts "3.5k", "3.5 kHz", "3500", "3500 Hz" and "3,5k".

use std::sync::Arc;

/// A parameter's text → value function, as nice-plug's `with_string_to_value` takes it.
pub type StringToValue = Arc<dyn Fn(&str) -> Option<f32> + Send + Sync>;

/// Parses a frequency in Hz: a number with an optional `k`/`K` multiplier (×1000) and an optional
/// `Hz` unit, any case, spaces allowed, comma or point as the decimal mark.
pub fn s2v_frequency() -> StringToValue {
    Arc::new(parse_frequency)
}

/// The frequency `text` stands for, Hz (see [`s2v_frequency`]).
pub fn parse_frequency(text: &str) -> Option<f32> {
    let mut rest = text.trim().to_ascii_lowercase().replace(',', ".");
    if let Some(stripped) = rest.strip_suffix("hz") {
        rest = stripped.trim_end().to_owned();
    }
    let (number, multiplier) = match rest.strip_suffix('k') {
        Some(stripped) => (stripped.trim_end(), 1_000.0),
        None => (rest.as_str(), 1.0),
    };
    let value: f32 = number.trim().parse().ok()?;
    let hertz = value * multiplier;
    hertz.is_finite().then_some(hertz)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequency_parser_reads_k_khz_hz_and_bare_numbers() {
        let cases = [
            ("3.5k", Some(3_500.0)),
            ("3.5 kHz", Some(3_500.0)),
            ("3,5K", Some(3_500.0)),
            ("3500", Some(3_500.0)),
            ("3500 Hz", Some(3_500.0)),
            (" 120hz ", Some(120.0)),
            ("loud", None),
            ("", None),
            ("inf", None),
        ];
        for (text, expected) in cases {
            let parsed = parse_frequency(text);
            println!("{text:?} → {parsed:?}");
            assert_eq!(parsed, expected, "{text:?}");
        }
    }
}
