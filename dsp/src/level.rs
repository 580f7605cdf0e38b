//! The level calibration both plugins share: digital full scale, dBu and volts.
//!
//! DESIGN.md: −18 dBFS ↔ +4 dBu (nominal line level) and 0 dBFS ↔ +22 dBu. Levels in dBFS follow
//! AES17: a full-scale sine reads 0 dBFS, so a sample value of 1.0 is the peak of a +22 dBu sine.

/// RMS voltage of 0 dBu: √(0.6 W · 600 Ω) = 0.7746 V.
pub const DBU_REFERENCE_VOLTS: f64 = 0.774_596_669;

/// The dBu level of a full-scale (0 dBFS) sine.
pub const FULL_SCALE_DBU: f64 = 22.0;

/// Nominal line level in dBu (+4 dBu), which sits at −18 dBFS.
pub const NOMINAL_LINE_DBU: f64 = 4.0;

/// Peak volts represented by a sample value of 1.0: the peak of a +22 dBu sine, about 13.79 V.
pub const VOLTS_PER_FULL_SCALE: f64 = 13.790_836_9;

/// RMS level (dBFS, RMS of the samples) of nominal line-level program material such as pink noise.
pub const NOMINAL_RMS_DBFS: f64 = -18.0;

/// The dBu level of a signal whose samples have RMS `rms` (1.0 = a full-scale square wave).
///
/// A sine's sample RMS is 3.01 dB below its peak, and the peak of a 0 dBFS sine is +22 dBu RMS,
/// so a sample RMS of 1.0 stands for +25.01 dBu.
#[inline]
pub fn sample_rms_to_dbu(rms: f64) -> f64 {
    gain_to_db(rms * std::f64::consts::SQRT_2) + FULL_SCALE_DBU
}

/// Converts decibels to a linear amplitude ratio.
#[inline]
pub fn db_to_gain(decibels: f64) -> f64 {
    10f64.powf(decibels / 20.0)
}

/// Converts a linear amplitude ratio to decibels (−∞ for 0).
#[inline]
pub fn gain_to_db(gain: f64) -> f64 {
    20.0 * gain.log10()
}

/// The peak voltage of a sine at `level_dbu` (dBu, RMS).
#[inline]
pub fn dbu_to_peak_volts(level_dbu: f64) -> f64 {
    DBU_REFERENCE_VOLTS * db_to_gain(level_dbu) * std::f64::consts::SQRT_2
}

/// The dBu level of a sine whose sample peak is `peak` (1.0 = 0 dBFS = +22 dBu).
#[inline]
pub fn sample_peak_to_dbu(peak: f64) -> f64 {
    gain_to_db(peak) + FULL_SCALE_DBU
}

/// The sample peak of a sine at `level_dbu` (dBu, RMS).
#[inline]
pub fn dbu_to_sample_peak(level_dbu: f64) -> f64 {
    db_to_gain(level_dbu - FULL_SCALE_DBU)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_sine_peak_is_22_dbu_in_volts() {
        let volts = dbu_to_peak_volts(FULL_SCALE_DBU);
        assert!(
            (volts - VOLTS_PER_FULL_SCALE).abs() < 1e-6,
            "+22 dBu peak: got {volts} V, constant says {VOLTS_PER_FULL_SCALE} V"
        );
    }

    #[test]
    fn nominal_line_level_sits_at_minus_18_dbfs() {
        let peak = dbu_to_sample_peak(NOMINAL_LINE_DBU);
        let dbfs = gain_to_db(peak);
        assert!(
            (dbfs + 18.0).abs() < 1e-9,
            "+4 dBu reads {dbfs} dBFS, expected −18"
        );
        assert!((sample_peak_to_dbu(peak) - NOMINAL_LINE_DBU).abs() < 1e-9);
    }
}
