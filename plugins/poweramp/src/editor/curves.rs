//! The editor's plot data: |Z(f)| of the selected load and the response at the speaker terminals,
//! computed from the DSP crate's analytic functions (the ones the DSP tests check the filters
//! against), so the drawn curves are what the audio path realises.
//!
//! - Load impedance: the load's rational model, [`RationalImpedance::at_frequency`] (the
//!   semi-inductance as its R‖L ladder; within 0.3 dB of the exact `Re + K·(jω)^n + Z_M`).
//! - Terminal response: the presence/depth feedback shape times the amp-to-speaker network with
//!   that same load model, [`NetworkDesign::drive_response`] × [`NetworkDesign::model_response`]
//!   (0 dB = the rated voltage in mid band into a resistive nominal load).

use gainstage_dsp::power_amp::output_network::NetworkDesign;
use gainstage_dsp::power_amp::{InputCalibration, OutputMode, PowerAmpSettings, Quality};
use gainstage_dsp::speaker::RationalImpedance;

/// Lowest plotted frequency, Hz.
pub const PLOT_MIN_HZ: f64 = 20.0;
/// Highest plotted frequency, Hz.
pub const PLOT_MAX_HZ: f64 = 20_000.0;
/// Points per curve (log-spaced).
pub const PLOT_POINTS: usize = 160;

/// `count` log-spaced frequencies from `low_hz` to `high_hz`, Hz.
pub fn log_spaced(low_hz: f64, high_hz: f64, count: usize) -> Vec<f64> {
    let steps = count.max(2) - 1;
    (0..=steps)
        .map(|step| low_hz * (high_hz / low_hz).powf(step as f64 / steps as f64))
        .collect()
}

/// The two curves for one setting of the amp, and the damping factor that goes with them.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadCurves {
    /// Frequencies of the points, Hz.
    pub frequencies_hz: Vec<f64>,
    /// |Z(f)| of the load at each frequency, ohms.
    pub impedance_ohms: Vec<f64>,
    /// |H(f)| at the speaker terminals at each frequency, dB (0 dB = rated voltage, mid band,
    /// into a resistive nominal load).
    pub terminal_db: Vec<f64>,
    /// Damping factor: nominal load over the source impedance at 1 kHz.
    pub damping_factor: f64,
}

/// The load model and network of `settings`, as the DSP builds them.
fn model_of(settings: &PowerAmpSettings) -> (RationalImpedance, NetworkDesign) {
    (settings.load.rational_impedance(), settings.network())
}

/// |Z(f)| of `settings`' load at `frequency_hz`, ohms (rational model).
pub fn load_impedance_ohms(load: &RationalImpedance, frequency_hz: f64) -> f64 {
    load.at_frequency(frequency_hz).norm()
}

/// |H(f)| at the speaker terminals at `frequency_hz`, dB.
pub fn terminal_response_db(
    network: &NetworkDesign,
    load: &RationalImpedance,
    frequency_hz: f64,
) -> f64 {
    let response =
        network.drive_response(frequency_hz) * network.model_response(frequency_hz, load);
    20.0 * response.norm().max(1.0e-12).log10()
}

impl LoadCurves {
    /// The curves of `settings` at `frequencies_hz`.
    pub fn compute(settings: &PowerAmpSettings, frequencies_hz: &[f64]) -> Self {
        let (load, network) = model_of(settings);
        Self {
            frequencies_hz: frequencies_hz.to_vec(),
            impedance_ohms: frequencies_hz
                .iter()
                .map(|&frequency| load_impedance_ohms(&load, frequency))
                .collect(),
            terminal_db: frequencies_hz
                .iter()
                .map(|&frequency| terminal_response_db(&network, &load, frequency))
                .collect(),
            damping_factor: network.damping_factor(),
        }
    }

    /// The impedance curve as plot points `[frequency, ohms]`.
    pub fn impedance_points(&self) -> Vec<[f64; 2]> {
        self.frequencies_hz
            .iter()
            .zip(&self.impedance_ohms)
            .map(|(&frequency, &ohms)| [frequency, ohms])
            .collect()
    }

    /// The terminal response as plot points `[frequency, dB]`.
    pub fn terminal_points(&self) -> Vec<[f64; 2]> {
        self.frequencies_hz
            .iter()
            .zip(&self.terminal_db)
            .map(|(&frequency, &db)| [frequency, db])
            .collect()
    }

    /// Largest |Z| on the curve, ohms.
    pub fn peak_impedance_ohms(&self) -> f64 {
        self.impedance_ohms.iter().copied().fold(0.0, f64::max)
    }
}

/// Recomputes the curves only when the settings they depend on change (the editor asks every
/// frame; the root finding behind a load model is not free).
#[derive(Debug, Default)]
pub struct CurveCache {
    computed_for: Option<PowerAmpSettings>,
    curves: Option<LoadCurves>,
}

impl CurveCache {
    /// The curves for `settings` (recomputed if they differ from last time).
    pub fn curves(&mut self, settings: &PowerAmpSettings) -> &LoadCurves {
        // Only what shapes the curves counts; gains, sag and quality do not.
        let key = PowerAmpSettings {
            rated_watts: 100.0,
            input: InputCalibration::Sensitivity { dbu: 0.0 },
            sag: 0.0,
            output: OutputMode::Normalised,
            quality: Quality::Standard4x,
            ..*settings
        };
        if self.computed_for != Some(key) {
            self.curves = None;
            self.computed_for = Some(key);
        }
        self.curves.get_or_insert_with(|| {
            LoadCurves::compute(&key, &log_spaced(PLOT_MIN_HZ, PLOT_MAX_HZ, PLOT_POINTS))
        })
    }
}
