//! The combined frequency response the editor draws: source loading (the voicing), low-cut and
//! EQ, and the colour model's voicing, each from the DSP's own analytic response.

use gainstage_dsp::preamp::channel::ChannelSettings;
use gainstage_dsp::preamp::colour::ColourResponse;
use gainstage_dsp::preamp::model::PreampModel;
use gainstage_dsp::preamp::source::SourceFilter;
use gainstage_dsp::preamp::tone::ToneResponse;

/// Points the response curves are evaluated at.
pub const RESPONSE_POINTS: usize = 240;
/// Lowest frequency drawn, Hz.
pub const RESPONSE_MIN_HZ: f64 = 20.0;
/// Highest frequency drawn, Hz.
pub const RESPONSE_MAX_HZ: f64 = 20_000.0;

/// The curves of one set of settings, each as (Hz, dB) points.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseCurves {
    /// Source loading × low-cut and EQ × colour voicing (when the colour model is on).
    pub combined_db: Vec<[f64; 2]>,
    /// Source loading alone (what the voicing does).
    pub source_db: Vec<[f64; 2]>,
}

/// Evaluates the response of `settings` at `sample_rate` Hz on [`RESPONSE_POINTS`] log-spaced
/// frequencies: [`SourceFilter::response`] × [`ToneResponse::at`] (the designed-once form of
/// `tone::settings_response`) × [`ColourResponse::at`] (that of `colour::model_response`), the
/// same factors as `PreampChannel::response`.
pub fn response_curves(settings: &ChannelSettings, sample_rate: f32) -> ResponseCurves {
    let load = settings.voicing.source_load(
        settings.effective_input_type(),
        settings.effective_impedance(),
    );
    let source = SourceFilter::new(load, sample_rate);
    let tone = ToneResponse::new(&settings.low_cut, &settings.eq, sample_rate);
    let colour = (settings.model == PreampModel::Colour).then(|| ColourResponse::new(sample_rate));
    let nyquist = f64::from(sample_rate) * 0.5;
    let frequencies = gainstage_ui::plot::log_frequencies(
        RESPONSE_MIN_HZ,
        RESPONSE_MAX_HZ.min(nyquist * 0.999),
        RESPONSE_POINTS,
    );
    let mut combined_db = Vec::with_capacity(frequencies.len());
    let mut source_db = Vec::with_capacity(frequencies.len());
    for frequency in frequencies {
        let source_response = source.response(frequency);
        let mut response = source_response * tone.at(frequency);
        if let Some(colour) = &colour {
            response *= colour.at(frequency);
        }
        combined_db.push([frequency, decibels(response.norm())]);
        source_db.push([frequency, decibels(source_response.norm())]);
    }
    ResponseCurves {
        combined_db,
        source_db,
    }
}

fn decibels(magnitude: f64) -> f64 {
    20.0 * magnitude.max(1e-9).log10()
}
