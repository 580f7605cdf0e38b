//! An op-amp (or discrete transistor) gain stage: a non-inverting amplifier whose output stage
//! saturates toward the rails, inside a feedback loop with large but finite open-loop gain.
//!
//! Model: the output stage maps the internal drive `v` to the output with Rapp's solid-state
//! amplifier saturation law (C. Rapp, "Effects of HPA-nonlinearity on 4-DPSK/OFDM-signal for a
//! digital sound broadcasting system", ECSC 1991), in rail units:
//!
//! ```text
//! out(v) = v / (1 + |v|^(2p))^(1/(2p))            (→ ±1 = ±rail; p = smoothness of the knee)
//! ```
//!
//! The amplifier closes the loop with open-loop gain `A` and feedback fraction `β = 1/G`:
//! `y = Vrail·out(A·(x − β·y)/Vrail)`. In rail units with `u = G·x/Vrail` (the ideal output over the
//! rail) this is `ŷ = out(L·(u − ŷ))` with loop gain `L = A/G`, solved by bisection on a grid at
//! construction into a [`TabulatedCurve`] and played with first-order ADAA.
//!
//! What that gives: far below the rails the loop divides the output stage's own (odd, cubic)
//! distortion by `1 + L`, so the stage is clean (THD ≈ (u²/8)/(1 + L) for p = 1, u the output over
//! the rail: about 0.0004 % at 20 dB below clipping with the defaults at G = 10, L = 300); close to
//! the rails the output stage runs out of gain, the loop gain collapses and the curve bends within
//! a few percent of the rail: a quick, symmetric knee (odd harmonics only), 1 % THD at a
//! fundamental of about 1.02 × the rail, 0.16 % at 1 dB below that.
//!
//! The knee sharpens as the loop gain grows (smaller `G`); with the defaults at G = 10 the 7 kHz
//! aliasing test reads about −94 dB at 4× minimum-phase oversampling with ADAA; at G = 1
//! (L = 3000) the knee is as hard as a clipper's and aliasing rises accordingly.
//!
//! Scaling: `process_sample` takes the stage's input in volts and returns its output in volts,
//! `G·x` while clean, never beyond ±`rail_voltage`. The preamp's op-amp model clips at about
//! +21 dBu, i.e. 8.7 V RMS = 12.3 V peak: pass the peak.

use super::adaa::{Adaa, TabulatedCurve};
use super::solve::closed_loop;
use crate::Processor;
use crate::guard::sanitize;

/// Design values of the op-amp stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpAmpSettings {
    /// Peak output the rails allow, volts (> 0).
    pub rail_voltage: f64,
    /// Closed-loop gain `G = 1/β` of the non-inverting amplifier (≥ 1).
    pub closed_loop_gain: f64,
    /// Open-loop gain `A` of the amplifier in the audio band (linear, e.g. 3e3 ≈ 70 dB).
    pub open_loop_gain: f64,
    /// Rapp smoothness `p` of the output stage's saturation (1 = soft … 4 = hard).
    pub output_stage_smoothness: f64,
}

impl OpAmpSettings {
    /// An IC op-amp on ±15 V (12.3 V peak swing, +21 dBu) at the given closed-loop gain, with
    /// 70 dB (×3000) open-loop gain — what a typical op-amp still has at a few kHz — and a
    /// smoothness-1 output stage.
    pub fn ic_op_amp(closed_loop_gain: f64) -> Self {
        Self {
            rail_voltage: super::dbu_to_peak_volts(21.0),
            closed_loop_gain,
            open_loop_gain: 3.0e3,
            output_stage_smoothness: 1.0,
        }
    }

    /// Loop gain `A/G`.
    pub fn loop_gain(&self) -> f64 {
        self.open_loop_gain / self.closed_loop_gain.max(1.0)
    }
}

/// Input range of the normalised table (ideal output over the rail); beyond it the curve is flat
/// to within 1e−6 and continues linearly.
const NORMALISED_RANGE: f64 = 2.0;
/// Segments of the normalised table (0.001 steps, resolving the knee of loop gains up to ~1e4).
const SEGMENTS: usize = 4096;

/// The rail-limited feedback gain stage with ADAA.
#[derive(Clone, Debug)]
pub struct OpAmpStage {
    settings: OpAmpSettings,
    curve: TabulatedCurve,
    input_scale: f64,
    output_scale: f64,
    adaa: Adaa,
}

impl OpAmpStage {
    /// An IC op-amp stage ([`OpAmpSettings::ic_op_amp`]) with the given rail (peak volts) and
    /// closed-loop gain.
    pub fn new(rail_voltage: f32, closed_loop_gain: f32) -> Self {
        let mut settings = OpAmpSettings::ic_op_amp(f64::from(closed_loop_gain));
        settings.rail_voltage = f64::from(rail_voltage);
        Self::with_settings(settings)
    }

    /// A stage with explicit settings. Solves and tabulates the loop (tens of ms).
    pub fn with_settings(settings: OpAmpSettings) -> Self {
        let loop_gain = settings.loop_gain();
        let exponent = 2.0 * settings.output_stage_smoothness.max(0.1);
        let output_stage =
            move |drive: f64| drive / (1.0 + drive.abs().powf(exponent)).powf(1.0 / exponent);
        let curve = TabulatedCurve::from_function(
            |ideal| closed_loop(output_stage, loop_gain, ideal, 1.0),
            -NORMALISED_RANGE,
            NORMALISED_RANGE,
            SEGMENTS,
        );
        let mut stage = Self {
            settings,
            curve,
            input_scale: 0.0,
            output_scale: 0.0,
            adaa: Adaa::default(),
        };
        stage.set_rail_voltage(settings.rail_voltage as f32);
        stage.reset();
        stage
    }

    /// Changes the rail (peak volts); cheap, allowed on the audio thread.
    pub fn set_rail_voltage(&mut self, rail_voltage: f32) {
        let rail = f64::from(rail_voltage).max(1.0e-3);
        self.settings.rail_voltage = rail;
        self.input_scale = self.settings.closed_loop_gain / rail;
        self.output_scale = rail;
    }

    /// The settings in force.
    pub fn settings(&self) -> &OpAmpSettings {
        &self.settings
    }

    /// Small-signal gain in volts per volt: `G·L/(1 + L)`.
    pub fn small_signal_gain(&self) -> f64 {
        self.settings.closed_loop_gain * self.curve.slope(0.0)
    }

    /// The normalised closed-loop curve (ideal output / rail → output / rail).
    pub fn curve(&self) -> &TabulatedCurve {
        &self.curve
    }
}

impl Processor for OpAmpStage {
    fn prepare(&mut self, _sample_rate: f32, _max_block: usize) {
        self.reset();
    }

    fn reset(&mut self) {
        self.adaa.settle(&self.curve, 0.0);
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        let ideal = f64::from(sanitize(input)) * self.input_scale;
        (self.adaa.process(&self.curve, ideal) * self.output_scale) as f32
    }

    /// [`OpAmpStage::process_sample`] over a block with the ADAA memory and the scales in
    /// locals, so nothing goes through memory between samples; the same arithmetic.
    fn process_block(&mut self, block: &mut [f32]) {
        let (input_scale, output_scale) = (self.input_scale, self.output_scale);
        let mut adaa = self.adaa;
        for sample in block.iter_mut() {
            let ideal = f64::from(sanitize(*sample)) * input_scale;
            *sample = (adaa.process(&self.curve, ideal) * output_scale) as f32;
        }
        self.adaa = adaa;
    }
}
