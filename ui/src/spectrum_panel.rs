//! The spectrum panel: the analyser's levels on a log-frequency plot, one value per pixel column
//! (the loudest bin in it), with the harmonic levels of the strongest tone as text.

use egui::{Response, Ui, Vec2};

use crate::plot::{Curve, FrequencyPlot};
use crate::spectrum_analyser::SPECTRUM_FLOOR_DB;
use crate::theme;

/// Columns the spectrum is reduced to before drawing.
const COLUMNS: usize = 320;

/// A spectrum panel. Build it, then call [`SpectrumPanel::show`].
#[must_use = "draw the panel with `.show(ui)`"]
pub struct SpectrumPanel<'a> {
    title: String,
    levels_db: &'a [f32],
    bin_hz: f32,
    harmonics: Option<(f32, Vec<f32>)>,
    tooltip: String,
    size: Vec2,
    floor_db: f64,
}

impl<'a> SpectrumPanel<'a> {
    /// A panel titled `title` for `levels_db` (one per FFT bin, bin k at k·`bin_hz` Hz).
    pub fn new(title: impl Into<String>, levels_db: &'a [f32], bin_hz: f32) -> Self {
        Self {
            title: title.into(),
            levels_db,
            bin_hz,
            harmonics: None,
            tooltip: String::new(),
            size: Vec2::new(360.0, 200.0),
            floor_db: -120.0,
        }
    }

    /// The fundamental (Hz) and its harmonics' levels relative to it (dB, from H2 up), shown as
    /// text in the title.
    pub fn harmonics(mut self, harmonics: Option<(f32, Vec<f32>)>) -> Self {
        self.harmonics = harmonics;
        self
    }

    /// The one-sentence tooltip shown on hover.
    pub fn tooltip(mut self, tooltip: impl Into<String>) -> Self {
        self.tooltip = tooltip.into();
        self
    }

    /// Panel size in points.
    pub fn size(mut self, size: Vec2) -> Self {
        self.size = size;
        self
    }

    /// The bottom of the level axis, dBFS (default −120).
    pub fn floor_db(mut self, floor_db: f64) -> Self {
        self.floor_db = floor_db;
        self
    }

    /// Draws the panel.
    pub fn show(self, ui: &mut Ui) -> Response {
        let (min_hz, max_hz) = (20.0_f64, 20_000.0_f64);
        let mut points = Vec::with_capacity(COLUMNS);
        for column in 0..COLUMNS {
            let low = min_hz * (max_hz / min_hz).powf(column as f64 / COLUMNS as f64);
            let high = min_hz * (max_hz / min_hz).powf((column + 1) as f64 / COLUMNS as f64);
            let first = (low / f64::from(self.bin_hz)).floor() as usize;
            let last = ((high / f64::from(self.bin_hz)).ceil() as usize).max(first + 1);
            let level = self
                .levels_db
                .get(first.min(self.levels_db.len())..last.min(self.levels_db.len()))
                .map_or(SPECTRUM_FLOOR_DB, |bins| {
                    bins.iter().copied().fold(SPECTRUM_FLOOR_DB, f32::max)
                });
            points.push([(low * high).sqrt(), f64::from(level)]);
        }
        // The harmonic levels are relative (dB); the axis is dBFS.
        let mut title = format!("{} (dBFS)", self.title);
        if let Some((fundamental, harmonics)) = &self.harmonics {
            title.push_str(&format!("   fundamental {fundamental:.0} Hz"));
            for (index, level) in harmonics.iter().enumerate() {
                title.push_str(&format!("  H{} {level:.0} dB", index + 2));
            }
        }
        let tooltip = if self.tooltip.is_empty() {
            "Spectrum of the audio just processed, dB relative to a full-scale sine.".to_owned()
        } else {
            self.tooltip
        };
        FrequencyPlot::new(title, "")
            .frequency_range(min_hz, max_hz)
            .value_range(self.floor_db, 0.0, 20.0)
            .reference(None)
            .size(self.size)
            .curve(Curve::new(points, theme::ACCENT_2).width(1.5))
            .tooltip(tooltip)
            .show(ui)
            .0
    }
}
