//! The power amp's live readouts: power into the load against the rating, headroom, the clip light,
//! the supply rail and the damping factor, drawn from one [`MeterReadings`] snapshot.

use gainstage_dsp::power_amp::meter::MeterReadings;
use gainstage_ui::egui::{self, CornerRadius, Rect, Sense, Stroke, StrokeKind, Ui, Vec2};
use gainstage_ui::theme;

/// Headroom below which the readout turns amber, dB.
pub const HEADROOM_WARN_DB: f64 = 3.0;
/// Power bar full scale as a percentage of the rating (the bar shows overdrive up to 200 %).
pub const POWER_BAR_FULL_PERCENT: f64 = 200.0;
/// Rail bar scale: the lowest rail shown, percent of idle.
pub const RAIL_BAR_FLOOR_PERCENT: f64 = 60.0;

/// A horizontal bar from `fraction` 0–1 with a marker at `marker` (0–1, if any).
fn bar(ui: &mut Ui, fraction: f64, marker: Option<f64>, colour: egui::Color32, tooltip: &str) {
    let size = Vec2::new(ui.available_width().clamp(120.0, 260.0), 10.0);
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, CornerRadius::same(2), theme::WELL);
    let filled = Rect::from_min_size(
        rect.min,
        Vec2::new(
            rect.width() * fraction.clamp(0.0, 1.0) as f32,
            rect.height(),
        ),
    );
    painter.rect_filled(filled, CornerRadius::same(2), colour);
    if let Some(marker) = marker {
        let x = rect.left() + rect.width() * marker.clamp(0.0, 1.0) as f32;
        painter.line_segment(
            [egui::pos2(x, rect.top()), egui::pos2(x, rect.bottom())],
            Stroke::new(1.5, theme::TEXT),
        );
    }
    painter.rect_stroke(
        rect,
        CornerRadius::same(2),
        Stroke::new(1.0, theme::OUTLINE),
        StrokeKind::Inside,
    );
    response.on_hover_text(tooltip);
}

/// One "name  value" row, both halves with `tooltip`.
fn row(ui: &mut Ui, name: &str, value: String, colour: egui::Color32, tooltip: &str) {
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new(name).color(theme::TEXT_DIM))
            .on_hover_text(tooltip);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.label(
                egui::RichText::new(value)
                    .font(theme::value_font())
                    .color(colour),
            )
            .on_hover_text(tooltip);
        });
    });
}

/// Watts with a sensible number of digits ("0.52 W", "48.1 W", "1210 W").
pub fn watts_text(watts: f64) -> String {
    if !watts.is_finite() || watts <= 0.0 {
        "0 W".to_owned()
    } else if watts < 10.0 {
        format!("{watts:.2} W")
    } else if watts < 1000.0 {
        format!("{watts:.1} W")
    } else {
        format!("{watts:.0} W")
    }
}

/// Draws every readout of `readings` for an amp rated `rated_watts`.
pub fn show(ui: &mut Ui, readings: &MeterReadings, rated_watts: f64) {
    theme::section_title(ui, "Output");
    row(
        ui,
        "Power (RMS)",
        watts_text(readings.average_watts),
        theme::TEXT,
        "Average power into the load (about 0.3 s averaging), watts.",
    );
    row(
        ui,
        "Power (peak)",
        watts_text(readings.peak_watts),
        theme::TEXT,
        "Sine-equivalent peak power into the load (held, 1.5 s release), watts.",
    );
    let percent = readings.percent_of_rating;
    bar(
        ui,
        percent / POWER_BAR_FULL_PERCENT,
        Some(100.0 / POWER_BAR_FULL_PERCENT),
        if percent > 100.0 {
            theme::BAD
        } else {
            theme::GOOD
        },
        "Average power as a share of the rating; the white mark is the rated power.",
    );
    row(
        ui,
        "of rating",
        format!("{percent:.0} % of {}", watts_text(rated_watts)),
        theme::TEXT_DIM,
        "Average power as a percentage of the amp's rated power.",
    );
    let headroom = readings.headroom_db;
    row(
        ui,
        "Headroom",
        if headroom >= 99.0 {
            "> 99 dB".to_owned()
        } else {
            format!("{headroom:+.1} dB")
        },
        if headroom < 0.0 {
            theme::BAD
        } else if headroom < HEADROOM_WARN_DB {
            theme::WARN
        } else {
            theme::GOOD
        },
        "Margin between the present peak and the clipping point, dB (negative: clipping).",
    );
    ui.horizontal(|ui| {
        let (rect, response) = ui.allocate_exact_size(Vec2::new(14.0, 14.0), Sense::hover());
        ui.painter().circle_filled(
            rect.center(),
            6.0,
            if readings.clipping {
                theme::BAD
            } else {
                theme::WELL
            },
        );
        ui.painter()
            .circle_stroke(rect.center(), 6.0, Stroke::new(1.0, theme::OUTLINE));
        let tooltip = "Lights while the drive runs past the output stage's clipping knee.";
        response.on_hover_text(tooltip);
        ui.label(if readings.clipping {
            egui::RichText::new("CLIP").color(theme::BAD).strong()
        } else {
            egui::RichText::new("clip").color(theme::TEXT_DIM)
        })
        .on_hover_text(tooltip);
    });
    ui.add_space(4.0);
    theme::section_title(ui, "Supply");
    let rail = readings.rail_percent;
    row(
        ui,
        "Rail",
        format!("{rail:.1} %"),
        if rail < 90.0 {
            theme::WARN
        } else {
            theme::TEXT
        },
        "Supply rail as a percentage of its idle value: it sags with the current drawn.",
    );
    bar(
        ui,
        (rail - RAIL_BAR_FLOOR_PERCENT) / (100.0 - RAIL_BAR_FLOOR_PERCENT),
        None,
        theme::ACCENT_2,
        "Supply rail from 60 % (left) to its idle value (right).",
    );
    row(
        ui,
        "Damping factor",
        if readings.damping_factor >= 100.0 {
            format!("{:.0}", readings.damping_factor)
        } else {
            format!("{:.2}", readings.damping_factor)
        },
        theme::TEXT,
        "Nominal load over the amp's output impedance at 1 kHz: high values hold the speaker \
         flat, low values let its impedance curve through.",
    );
}
