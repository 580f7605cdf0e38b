//! Instrument voicings: the source a voicing expects, the input it plugs into, and the low-cut and
//! EQ it starts from. The user can change everything afterwards.

use super::calibration::InputType;
use super::source::{SourceImpedance, SourceLoad};
use super::tone::{EqSettings, LowCutSettings, LowCutSlope};

/// Which input resistance of the input type's pair is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputImpedance {
    /// The lower of the pair (1.2 kΩ mic, 10 kΩ instrument, 10 kΩ line).
    Low,
    /// The higher of the pair (10 kΩ mic, 1 MΩ instrument, 100 kΩ line).
    High,
}

impl InputImpedance {
    /// The input resistance in Ω for `input_type`.
    pub fn resistance(self, input_type: InputType) -> f64 {
        let [low, high] = input_type.input_resistances();
        match self {
            InputImpedance::Low => low,
            InputImpedance::High => high,
        }
    }
}

/// The instrument voicings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Voicing {
    /// No source modelling: a low-impedance line source into a line input, flat EQ.
    Flat,
    /// A dynamic vocal microphone into a mic input.
    Vocal,
    /// An under-saddle piezo pickup into a Hi-Z input.
    AcousticGuitar,
    /// A passive single-coil-style magnetic pickup into a Hi-Z input.
    ElectricGuitar,
    /// A passive bass pickup into a Hi-Z input.
    Bass,
    /// Keyboards and other line sources.
    KeysLine,
    /// Dynamic drum microphones into a mic input.
    Drums,
}

/// What a voicing sets up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VoicingDefaults {
    /// The input the source plugs into.
    pub input_type: InputType,
    /// The input resistance the voicing selects.
    pub impedance: InputImpedance,
    /// The low-cut it starts from.
    pub low_cut: LowCutSettings,
    /// The EQ it starts from.
    pub eq: EqSettings,
}

/// Typical instrument cable: 5 m at about 100 pF per metre.
const INSTRUMENT_CABLE_FARADS: f64 = 500e-12;
/// Typical balanced microphone or line cable: 10 m at about 100 pF per metre.
const BALANCED_CABLE_FARADS: f64 = 1_000e-12;

impl Voicing {
    /// Every voicing, in display order.
    pub const ALL: [Voicing; 7] = [
        Voicing::Flat,
        Voicing::Vocal,
        Voicing::AcousticGuitar,
        Voicing::ElectricGuitar,
        Voicing::Bass,
        Voicing::KeysLine,
        Voicing::Drums,
    ];

    /// The source's electrical model and its cable.
    ///
    /// Published-style values: a dynamic mic is about 300 Ω with a few mH of coil; a passive
    /// single-coil guitar pickup about 6.5 kΩ and 2.5 H; a passive bass pickup about 8 kΩ and 4 H;
    /// an under-saddle piezo about 1.5 nF; line outputs 50–150 Ω.
    pub fn source(self) -> (SourceImpedance, f64) {
        match self {
            Voicing::Flat | Voicing::KeysLine => (
                SourceImpedance::Resistive { resistance: 100.0 },
                BALANCED_CABLE_FARADS,
            ),
            Voicing::Vocal | Voicing::Drums => (
                SourceImpedance::Inductive {
                    resistance: 300.0,
                    inductance: 3e-3,
                },
                BALANCED_CABLE_FARADS,
            ),
            Voicing::AcousticGuitar => (
                SourceImpedance::Capacitive {
                    capacitance: 1.5e-9,
                },
                INSTRUMENT_CABLE_FARADS,
            ),
            Voicing::ElectricGuitar => (
                SourceImpedance::Inductive {
                    resistance: 6_500.0,
                    inductance: 2.5,
                },
                INSTRUMENT_CABLE_FARADS,
            ),
            Voicing::Bass => (
                SourceImpedance::Inductive {
                    resistance: 8_000.0,
                    inductance: 4.0,
                },
                INSTRUMENT_CABLE_FARADS,
            ),
        }
    }

    /// The source loaded by `input_type` at `impedance`.
    pub fn source_load(self, input_type: InputType, impedance: InputImpedance) -> SourceLoad {
        let (source, cable_capacitance) = self.source();
        SourceLoad {
            source,
            cable_capacitance,
            input_resistance: impedance.resistance(input_type),
        }
    }

    /// The starting point the voicing sets.
    pub fn defaults(self) -> VoicingDefaults {
        let off = LowCutSettings::OFF;
        let flat = EqSettings::FLAT;
        let (input_type, impedance, low_cut, eq) = match self {
            Voicing::Flat => (InputType::Line, InputImpedance::High, off, flat),
            Voicing::KeysLine => (
                InputType::Line,
                InputImpedance::High,
                LowCutSettings::at(30.0, LowCutSlope::Db12),
                flat,
            ),
            Voicing::Vocal => (
                InputType::Mic,
                InputImpedance::Low,
                LowCutSettings::at(80.0, LowCutSlope::Db18),
                EqSettings {
                    low_gain_db: -1.0,
                    mid_gain_db: -1.5,
                    mid_frequency_hz: 350.0,
                    mid_q: 0.9,
                    high_gain_db: 2.5,
                },
            ),
            Voicing::Drums => (
                InputType::Mic,
                InputImpedance::Low,
                LowCutSettings::at(40.0, LowCutSlope::Db12),
                EqSettings {
                    low_gain_db: 1.5,
                    mid_gain_db: -2.5,
                    mid_frequency_hz: 450.0,
                    mid_q: 1.2,
                    high_gain_db: 1.5,
                },
            ),
            Voicing::AcousticGuitar => (
                InputType::Instrument,
                InputImpedance::High,
                LowCutSettings::at(70.0, LowCutSlope::Db12),
                EqSettings {
                    low_gain_db: -1.5,
                    mid_gain_db: -2.0,
                    mid_frequency_hz: 250.0,
                    mid_q: 1.0,
                    high_gain_db: 2.0,
                },
            ),
            Voicing::ElectricGuitar => (
                InputType::Instrument,
                InputImpedance::High,
                LowCutSettings::at(60.0, LowCutSlope::Db12),
                EqSettings {
                    low_gain_db: 0.0,
                    mid_gain_db: 1.0,
                    mid_frequency_hz: 800.0,
                    mid_q: 0.8,
                    high_gain_db: 0.0,
                },
            ),
            Voicing::Bass => (
                InputType::Instrument,
                InputImpedance::High,
                LowCutSettings::at(30.0, LowCutSlope::Db12),
                EqSettings {
                    low_gain_db: 2.0,
                    mid_gain_db: -1.5,
                    mid_frequency_hz: 300.0,
                    mid_q: 0.8,
                    high_gain_db: 0.0,
                },
            ),
        };
        VoicingDefaults {
            input_type,
            impedance,
            low_cut,
            eq,
        }
    }
}
