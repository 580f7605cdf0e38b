//! The output transformer's low-frequency core saturation (tube types).
//!
//! The core's flux is the integral of the primary voltage, so for the same voltage it grows as the
//! frequency falls (DESIGN.md; Whitlock, "Audio transformers", in Ballou, *Handbook for Sound
//! Engineers*). As the flux nears saturation the magnetising inductance collapses and the source
//! impedance of the output tubes drops voltage across it: the delivered voltage is modulated down by
//! the flux magnitude. A memoryless-in-flux model of that,
//!
//! ```text
//! x = flux / flux at the rated voltage and the saturation frequency f_sat
//! v_out = v · (1 − k · x² / (1 + x²))
//! ```
//!
//! gives a mostly third-harmonic distortion whose level relative to the fundamental scales with
//! `x²`, i.e. falls about 12 dB per octave of frequency rise at a fixed level, as Whitlock
//! describes; `k` sets it to about 1 % at the rated level and `f_sat`. The flux integrator leaks at
//! the transformer's low corner so that it never accumulates DC.
//!
//! It runs at the base rate: the flux is a low-passed signal, so the product creates no content
//! that could alias.

/// Depth of the saturation modulation `k` (about 1 % THD at the rated level and `f_sat`).
pub const SATURATION_DEPTH: f32 = 0.08;

/// Output-transformer core saturation of one channel.
#[derive(Clone, Copy, Debug, Default)]
pub struct CoreSaturation {
    flux: f32,
    leak: f32,
    integration_gain: f32,
    enabled: bool,
}

impl CoreSaturation {
    /// Configures for a core that reaches the reference flux at the rated voltage at
    /// `saturation_hz`, leaking at `low_corner_hz`, at `sample_rate` Hz; `None` disables it.
    pub fn configure(&mut self, corners: Option<(f64, f64)>, sample_rate: f64) {
        match corners {
            Some((saturation_hz, low_corner_hz)) => {
                self.enabled = true;
                self.leak = (-std::f64::consts::TAU * low_corner_hz / sample_rate).exp() as f32;
                self.integration_gain =
                    (std::f64::consts::TAU * saturation_hz / sample_rate) as f32;
            }
            None => {
                self.enabled = false;
                self.flux = 0.0;
            }
        }
    }

    /// Clears the flux.
    pub fn reset(&mut self) {
        self.flux = 0.0;
    }

    /// Copies the flux of `other`.
    pub fn continue_from(&mut self, other: &CoreSaturation) {
        self.flux = other.flux;
    }

    /// Processes a block of primary voltage (rated units) in place.
    pub fn process_block(&mut self, block: &mut [f32]) {
        if !self.enabled {
            return;
        }
        let mut flux = self.flux;
        for voltage in block.iter_mut() {
            flux = self.leak * flux + self.integration_gain * *voltage;
            let squared = flux * flux;
            *voltage *= 1.0 - SATURATION_DEPTH * squared / (1.0 + squared);
        }
        self.flux = if flux.is_finite() { flux } else { 0.0 };
    }
}
