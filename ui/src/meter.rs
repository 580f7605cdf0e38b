//! A peak + RMS level meter with peak hold, a dBFS scale on the left and a dBu scale on the right.
//!
//! The dBu scale follows the project's calibration (DESIGN.md, `gainstage_dsp::level`):
//! 0 dBFS peak = +22 dBu, so −18 dBFS = +4 dBu (nominal line level, marked on the meter).
//! The meter shows what the audio thread published; it keeps its own peak hold
//! ([`PEAK_HOLD_SECONDS`], then falling at [`HOLD_FALL_DB_PER_SECOND`]). Clicking it clears the
//! hold and the clip light.

use egui::{Align2, CornerRadius, Pos2, Rect, Response, Sense, Stroke, Ui, Vec2, Widget};
use gainstage_dsp::level::{FULL_SCALE_DBU, NOMINAL_RMS_DBFS};

use crate::theme;

/// Bottom of the meter scale, dBFS.
pub const METER_FLOOR_DBFS: f32 = -60.0;
/// Top of the meter scale, dBFS (audio above 0 dBFS is legal in floating point and shown red).
pub const METER_CEILING_DBFS: f32 = 6.0;
/// How long a new peak is held before it falls, seconds.
pub const PEAK_HOLD_SECONDS: f64 = 1.5;
/// Fall rate of the held peak after the hold time, dB per second.
pub const HOLD_FALL_DB_PER_SECOND: f32 = 20.0;
/// Level above which the bar turns to the warning colour, dBFS.
const WARN_DBFS: f32 = -6.0;

/// dBFS tick marks on the left scale.
const DBFS_TICKS: [f32; 9] = [6.0, 0.0, -6.0, -12.0, -18.0, -24.0, -36.0, -48.0, -60.0];
/// dBu tick marks on the right scale.
const DBU_TICKS: [f32; 7] = [24.0, 16.0, 10.0, 4.0, -10.0, -20.0, -30.0];

/// A held peak: the highest recent level and when it was reached.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PeakHold {
    /// The level shown, dBFS.
    pub level_dbfs: f32,
    /// When the shown level was last raised, seconds (egui time).
    pub raised_at_seconds: f64,
    /// Whether any peak above 0 dBFS has been seen since the last reset.
    pub clipped: bool,
}

impl Default for PeakHold {
    fn default() -> Self {
        Self {
            level_dbfs: f32::NEG_INFINITY,
            raised_at_seconds: 0.0,
            clipped: false,
        }
    }
}

impl PeakHold {
    /// Takes the newest peak reading `peak_dbfs` at time `now_seconds`: a higher peak is held;
    /// after [`PEAK_HOLD_SECONDS`] the held level falls at [`HOLD_FALL_DB_PER_SECOND`] but never
    /// below the present peak. Non-finite readings count as silence.
    pub fn update(&mut self, peak_dbfs: f32, now_seconds: f64) {
        let peak = if peak_dbfs.is_nan() {
            f32::NEG_INFINITY
        } else {
            peak_dbfs
        };
        if peak > 0.0 {
            self.clipped = true;
        }
        if peak >= self.level_dbfs {
            self.level_dbfs = peak;
            self.raised_at_seconds = now_seconds;
            return;
        }
        let falling_for = now_seconds - self.raised_at_seconds - PEAK_HOLD_SECONDS;
        if falling_for > 0.0 {
            let fallen = self.level_dbfs - HOLD_FALL_DB_PER_SECOND * falling_for as f32;
            if fallen <= peak {
                self.level_dbfs = peak;
                self.raised_at_seconds = now_seconds;
            } else {
                // Fall from the hold level continuously: restart the clock at the fallen level.
                self.level_dbfs = fallen;
                self.raised_at_seconds = now_seconds - PEAK_HOLD_SECONDS;
            }
        }
    }
}

/// Converts a dBFS level to dBu with the project's calibration (0 dBFS = +22 dBu).
pub fn dbfs_to_dbu(level_dbfs: f32) -> f32 {
    level_dbfs + FULL_SCALE_DBU as f32
}

/// A vertical peak + RMS meter. Add it with [`Ui::add`].
#[must_use = "add the meter to a Ui with `ui.add(meter)`"]
pub struct LevelMeter {
    label: String,
    peak_dbfs: f32,
    rms_dbfs: f32,
    tooltip: String,
    height: f32,
    dbfs_scale: bool,
    dbu_scale: bool,
}

impl LevelMeter {
    /// A meter labelled `label` showing `peak_dbfs` and `rms_dbfs` (−∞ for silence).
    pub fn new(label: impl Into<String>, peak_dbfs: f32, rms_dbfs: f32) -> Self {
        Self {
            label: label.into(),
            peak_dbfs,
            rms_dbfs,
            tooltip: String::new(),
            height: 180.0,
            dbfs_scale: true,
            dbu_scale: true,
        }
    }

    /// The one-sentence tooltip shown on hover.
    pub fn tooltip(mut self, tooltip: impl Into<String>) -> Self {
        self.tooltip = tooltip.into();
        self
    }

    /// Total height in points (default 180).
    pub fn height(mut self, height: f32) -> Self {
        self.height = height.max(80.0);
        self
    }

    /// Which scales to draw: dBFS on the left, dBu on the right (both by default).
    pub fn scales(mut self, dbfs: bool, dbu: bool) -> Self {
        self.dbfs_scale = dbfs;
        self.dbu_scale = dbu;
        self
    }
}

/// Height of `level_dbfs` within `bar`, clamped to the scale.
fn level_y(bar: Rect, level_dbfs: f32) -> f32 {
    let clamped = if level_dbfs.is_finite() {
        level_dbfs.clamp(METER_FLOOR_DBFS, METER_CEILING_DBFS)
    } else {
        METER_FLOOR_DBFS
    };
    let position = (clamped - METER_FLOOR_DBFS) / (METER_CEILING_DBFS - METER_FLOOR_DBFS);
    bar.bottom() - position * bar.height()
}

fn level_text(level_dbfs: f32) -> String {
    if level_dbfs.is_finite() && level_dbfs > -99.9 {
        format!("{level_dbfs:+.1}")
    } else {
        "−∞".to_owned()
    }
}

impl Widget for LevelMeter {
    fn ui(self, ui: &mut Ui) -> Response {
        let scale_width = 26.0;
        let bar_width = 14.0;
        let label_height = 16.0;
        let readout_height = 16.0;
        let width: f32 = bar_width
            + if self.dbfs_scale { scale_width } else { 4.0 }
            + if self.dbu_scale { scale_width } else { 4.0 };
        let (rect, response) =
            ui.allocate_exact_size(Vec2::new(width.max(48.0), self.height), Sense::click());
        let id = response.id.with("peak_hold");
        let now = ui.input(|input| input.time);
        let mut hold = if response.clicked() {
            PeakHold::default()
        } else {
            ui.data(|data| data.get_temp::<PeakHold>(id))
                .unwrap_or_default()
        };
        hold.update(self.peak_dbfs, now);
        ui.data_mut(|data| data.insert_temp(id, hold));

        let left = rect.center().x - width * 0.5;
        let bar_left = left + if self.dbfs_scale { scale_width } else { 4.0 };
        let bar = Rect::from_min_max(
            Pos2::new(bar_left, rect.top() + label_height + 4.0),
            Pos2::new(bar_left + bar_width, rect.bottom() - readout_height - 2.0),
        );
        let painter = ui.painter();
        painter.text(
            Pos2::new(rect.center().x, rect.top() + label_height * 0.5),
            Align2::CENTER_CENTER,
            &self.label,
            theme::label_font(),
            theme::TEXT_DIM,
        );
        painter.rect_filled(bar, CornerRadius::same(2), theme::WELL);

        // Ticks and scales.
        let scale_font = theme::scale_font();
        for tick in DBFS_TICKS {
            let y = level_y(bar, tick);
            painter.line_segment(
                [Pos2::new(bar.left(), y), Pos2::new(bar.right(), y)],
                Stroke::new(1.0, theme::GRID),
            );
            if self.dbfs_scale {
                painter.text(
                    Pos2::new(bar.left() - 3.0, y),
                    Align2::RIGHT_CENTER,
                    format!("{tick:.0}"),
                    scale_font.clone(),
                    theme::TEXT_DIM,
                );
            }
        }
        if self.dbu_scale {
            for tick in DBU_TICKS {
                let y = level_y(bar, tick - FULL_SCALE_DBU as f32);
                painter.line_segment(
                    [Pos2::new(bar.right(), y), Pos2::new(bar.right() + 3.0, y)],
                    Stroke::new(1.0, theme::TEXT_DIM),
                );
                painter.text(
                    Pos2::new(bar.right() + 5.0, y),
                    Align2::LEFT_CENTER,
                    format!("{tick:+.0}"),
                    scale_font.clone(),
                    theme::TEXT_DIM,
                );
            }
        }

        // Peak bar (light), RMS bar (solid) on top of it.
        let zones = [
            (METER_FLOOR_DBFS, WARN_DBFS, theme::GOOD),
            (WARN_DBFS, 0.0, theme::WARN),
            (0.0, METER_CEILING_DBFS, theme::BAD),
        ];
        for (level, alpha) in [(self.peak_dbfs, 0.45), (self.rms_dbfs, 1.0)] {
            if !level.is_finite() || level <= METER_FLOOR_DBFS {
                continue;
            }
            for (from, to, colour) in zones {
                if level <= from {
                    continue;
                }
                let top = level_y(bar, level.min(to));
                let bottom = level_y(bar, from);
                let segment = Rect::from_min_max(
                    Pos2::new(bar.left() + 1.0, top),
                    Pos2::new(bar.right() - 1.0, bottom),
                );
                painter.rect_filled(segment, CornerRadius::ZERO, colour.gamma_multiply(alpha));
            }
        }
        // Nominal line level marker: −18 dBFS = +4 dBu.
        let nominal_y = level_y(bar, NOMINAL_RMS_DBFS as f32);
        painter.line_segment(
            [
                Pos2::new(bar.left() - 2.0, nominal_y),
                Pos2::new(bar.right() + 2.0, nominal_y),
            ],
            Stroke::new(1.0, theme::ACCENT_2),
        );
        // Held peak.
        if hold.level_dbfs.is_finite() && hold.level_dbfs > METER_FLOOR_DBFS {
            let y = level_y(bar, hold.level_dbfs);
            let colour = if hold.level_dbfs > 0.0 {
                theme::BAD
            } else {
                theme::TEXT
            };
            painter.line_segment(
                [Pos2::new(bar.left(), y), Pos2::new(bar.right(), y)],
                Stroke::new(2.0, colour),
            );
        }
        // Clip light over the top of the bar.
        if hold.clipped {
            let light = Rect::from_min_max(
                Pos2::new(bar.left(), bar.top() - 4.0),
                Pos2::new(bar.right(), bar.top() - 1.0),
            );
            painter.rect_filled(light, CornerRadius::ZERO, theme::BAD);
        }
        painter.text(
            Pos2::new(bar.center().x, rect.bottom() - readout_height * 0.5),
            Align2::CENTER_CENTER,
            level_text(hold.level_dbfs),
            theme::value_font(),
            if hold.clipped {
                theme::BAD
            } else {
                theme::TEXT
            },
        );

        let tooltip = if self.tooltip.is_empty() {
            format!(
                "{}: peak (light) and RMS (solid) in dBFS, left, and dBu, right; click to clear the hold.",
                self.label
            )
        } else {
            self.tooltip
        };
        let detail = format!(
            "\nPeak {} dBFS ({} dBu), RMS {} dBFS.",
            level_text(self.peak_dbfs),
            level_text(dbfs_to_dbu(self.peak_dbfs)),
            level_text(self.rms_dbfs)
        );
        response.on_hover_text(tooltip + &detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_hold_keeps_the_peak_for_the_hold_time_then_falls_at_the_fall_rate() {
        let mut hold = PeakHold::default();
        hold.update(-6.0, 0.0);
        hold.update(-30.0, 1.0);
        assert_eq!(hold.level_dbfs, -6.0, "within the hold time the peak stays");
        hold.update(-30.0, PEAK_HOLD_SECONDS + 0.5);
        let expected = -6.0 - HOLD_FALL_DB_PER_SECOND * 0.5;
        println!(
            "held level 0.5 s after the hold time: {} dBFS (expected {expected})",
            hold.level_dbfs
        );
        assert!((hold.level_dbfs - expected).abs() < 1e-4);
        hold.update(-30.0, PEAK_HOLD_SECONDS + 10.0);
        assert_eq!(hold.level_dbfs, -30.0, "never falls below the present peak");
        assert!(!hold.clipped);
        hold.update(0.5, 20.0);
        assert!(hold.clipped, "a peak above 0 dBFS lights the clip light");
    }

    #[test]
    fn dbu_scale_puts_minus_18_dbfs_at_plus_4_dbu() {
        let dbu = dbfs_to_dbu(-18.0);
        println!("−18 dBFS = {dbu:+.1} dBu");
        assert!((dbu - 4.0).abs() < 1e-6);
        assert!((dbfs_to_dbu(0.0) - 22.0).abs() < 1e-6);
    }
}
