//! What a digital input level means for each input type, so the gain control is real gain.
//!
//! DESIGN.md: the incoming audio stands for an analog level that depends on the input type. At
//! each type's nominal gain, a nominal source (−18 dBFS in) comes out at nominal line level
//! (+4 dBu, −18 dBFS out).

use crate::level::{NOMINAL_LINE_DBU, VOLTS_PER_FULL_SCALE, db_to_gain};

/// Which kind of source the input expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputType {
    /// Microphone input: nominal source −40 dBu (a dynamic mic on a voice at a typical distance).
    Mic,
    /// Instrument (Hi-Z) input: nominal source −16 dBu (a passive pickup played firmly).
    Instrument,
    /// Line input: nominal source +4 dBu.
    Line,
}

impl InputType {
    /// Every input type, in display order.
    pub const ALL: [InputType; 3] = [InputType::Mic, InputType::Instrument, InputType::Line];

    /// The analog level (dBu RMS) that −18 dBFS at the input stands for.
    pub fn nominal_source_dbu(self) -> f64 {
        match self {
            InputType::Mic => -40.0,
            InputType::Instrument => -16.0,
            InputType::Line => NOMINAL_LINE_DBU,
        }
    }

    /// The preamp gain (dB) that brings a nominal source to nominal line level.
    pub fn nominal_gain_db(self) -> f64 {
        NOMINAL_LINE_DBU - self.nominal_source_dbu()
    }

    /// Input resistances (Ω) offered for this input type: `[low, high]`.
    pub fn input_resistances(self) -> [f64; 2] {
        match self {
            // Classic transformer mic inputs (1.2 kΩ) vs. modern bridging inputs (10 kΩ).
            InputType::Mic => [1_200.0, 10_000.0],
            // A loading "vintage" input (10 kΩ, as on some consoles) vs. a proper Hi-Z 1 MΩ.
            InputType::Instrument => [10_000.0, 1_000_000.0],
            InputType::Line => [10_000.0, 100_000.0],
        }
    }
}

/// Volts at the preamp's input terminals per unit of input sample, for `input_type` with the
/// −20 dB pad in or out.
///
/// A sample at −18 dBFS (peak 0.126) stands for a sine at the type's nominal source level.
pub fn input_volts_per_unit(input_type: InputType, pad: bool) -> f64 {
    let source_offset_db = input_type.nominal_source_dbu() - NOMINAL_LINE_DBU;
    let pad_db = if pad { PAD_DB } else { 0.0 };
    VOLTS_PER_FULL_SCALE * db_to_gain(source_offset_db + pad_db)
}

/// Output samples per volt at the preamp's output terminals (line level, DESIGN.md scale).
pub fn output_units_per_volt() -> f64 {
    1.0 / VOLTS_PER_FULL_SCALE
}

/// The input pad's attenuation in dB.
pub const PAD_DB: f64 = -20.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nominal_gain_brings_every_input_type_to_unity() {
        for input_type in InputType::ALL {
            let gain = db_to_gain(input_type.nominal_gain_db());
            let digital = input_volts_per_unit(input_type, false) * gain * output_units_per_volt();
            assert!(
                (digital - 1.0).abs() < 1e-9,
                "{input_type:?}: nominal gain {} dB gives digital gain {digital}",
                input_type.nominal_gain_db()
            );
        }
    }

    #[test]
    fn nominal_gains_are_within_the_0_to_60_db_control() {
        for input_type in InputType::ALL {
            let gain = input_type.nominal_gain_db();
            assert!(
                (0.0..=60.0).contains(&gain),
                "{input_type:?}: nominal gain {gain} dB"
            );
        }
    }
}
