//! A plot panel with a logarithmic frequency axis, for frequency responses and impedance curves.
//!
//! The panel draws what it is given: curves as (frequency in Hz, value) points, already computed
//! by the caller from the DSP's analytic functions. [`FrequencyAxes`] is the mapping between
//! those values and the screen, public so a test can read a drawn curve back into values.

use egui::{Align2, Color32, CornerRadius, Pos2, Rect, Response, Sense, Shape, Stroke, Ui, Vec2};

use crate::theme;

/// The mapping between (frequency, value) and screen positions inside a plot's area.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrequencyAxes {
    /// The plot area on screen, points.
    pub rect: Rect,
    /// Frequency at the left edge, Hz.
    pub min_hz: f64,
    /// Frequency at the right edge, Hz.
    pub max_hz: f64,
    /// Value at the bottom edge (in the plot's unit).
    pub min_value: f64,
    /// Value at the top edge.
    pub max_value: f64,
}

impl FrequencyAxes {
    /// Screen x of `frequency_hz` (log scale).
    pub fn x(&self, frequency_hz: f64) -> f32 {
        let position =
            (frequency_hz.max(1e-9) / self.min_hz).ln() / (self.max_hz / self.min_hz).ln();
        self.rect.left() + self.rect.width() * position as f32
    }

    /// Screen y of `value` (linear scale; not clamped).
    pub fn y(&self, value: f64) -> f32 {
        let position = (value - self.min_value) / (self.max_value - self.min_value);
        self.rect.bottom() - self.rect.height() * position as f32
    }

    /// Screen position of (`frequency_hz`, `value`), with the value clamped to the visible range.
    pub fn to_screen(&self, frequency_hz: f64, value: f64) -> Pos2 {
        let clamped = if value.is_finite() {
            value.clamp(self.min_value, self.max_value)
        } else if value > 0.0 {
            self.max_value
        } else {
            self.min_value
        };
        Pos2::new(self.x(frequency_hz), self.y(clamped))
    }

    /// The (frequency in Hz, value) a screen position stands for (the inverse of
    /// [`FrequencyAxes::to_screen`] inside the visible range).
    pub fn from_screen(&self, position: Pos2) -> (f64, f64) {
        let x = f64::from((position.x - self.rect.left()) / self.rect.width());
        let y = f64::from((self.rect.bottom() - position.y) / self.rect.height());
        (
            self.min_hz * (self.max_hz / self.min_hz).powf(x),
            self.min_value + (self.max_value - self.min_value) * y,
        )
    }
}

/// One curve: (frequency in Hz, value) points in increasing frequency, a colour and a legend.
#[derive(Clone, Debug)]
pub struct Curve {
    /// The points, (Hz, value).
    pub points: Vec<[f64; 2]>,
    /// Line colour.
    pub colour: Color32,
    /// Legend text ("" for none).
    pub label: String,
    /// Line width, points.
    pub width: f32,
}

impl Curve {
    /// A curve through `points` drawn in `colour`.
    pub fn new(points: Vec<[f64; 2]>, colour: Color32) -> Self {
        Self {
            points,
            colour,
            label: String::new(),
            width: 2.0,
        }
    }

    /// The legend text.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Line width in points (default 2).
    pub fn width(mut self, width: f32) -> Self {
        self.width = width;
        self
    }
}

/// Log-spaced frequencies from `min_hz` to `max_hz` inclusive, `count` of them (at least 2): the
/// points a response plot evaluates its curve at.
pub fn log_frequencies(min_hz: f64, max_hz: f64, count: usize) -> Vec<f64> {
    let count = count.max(2);
    (0..count)
        .map(|index| min_hz * (max_hz / min_hz).powf(index as f64 / (count - 1) as f64))
        .collect()
}

/// A plot panel with a log-frequency x axis. Build it, then call [`FrequencyPlot::show`].
#[must_use = "draw the plot with `.show(ui)`"]
pub struct FrequencyPlot {
    title: String,
    unit: String,
    min_hz: f64,
    max_hz: f64,
    min_value: f64,
    max_value: f64,
    value_step: f64,
    size: Vec2,
    curves: Vec<Curve>,
    tooltip: String,
    reference: Option<f64>,
}

impl FrequencyPlot {
    /// An empty plot titled `title` whose values are in `unit` ("dB", "Ω").
    pub fn new(title: impl Into<String>, unit: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            unit: unit.into(),
            min_hz: 20.0,
            max_hz: 20_000.0,
            min_value: -24.0,
            max_value: 24.0,
            value_step: 6.0,
            size: Vec2::new(360.0, 200.0),
            curves: Vec::new(),
            tooltip: String::new(),
            reference: Some(0.0),
        }
    }

    /// The frequency axis range, Hz (default 20 Hz–20 kHz).
    pub fn frequency_range(mut self, min_hz: f64, max_hz: f64) -> Self {
        self.min_hz = min_hz.max(1e-3);
        self.max_hz = max_hz.max(self.min_hz * 1.01);
        self
    }

    /// The value axis range and the spacing of its grid lines.
    pub fn value_range(mut self, min_value: f64, max_value: f64, step: f64) -> Self {
        self.min_value = min_value;
        self.max_value = max_value.max(min_value + 1e-9);
        self.value_step = step.max(1e-9);
        self
    }

    /// Size of the whole panel, points (default 360 × 200; the panel shrinks to fit the space).
    pub fn size(mut self, size: Vec2) -> Self {
        self.size = size;
        self
    }

    /// A value drawn as a brighter reference line (default 0; `None` for none).
    pub fn reference(mut self, value: Option<f64>) -> Self {
        self.reference = value;
        self
    }

    /// Adds a curve.
    pub fn curve(mut self, curve: Curve) -> Self {
        self.curves.push(curve);
        self
    }

    /// The one-sentence tooltip shown on hover.
    pub fn tooltip(mut self, tooltip: impl Into<String>) -> Self {
        self.tooltip = tooltip.into();
        self
    }

    /// Draws the plot; returns its response and the axes its curves were drawn with.
    pub fn show(self, ui: &mut Ui) -> (Response, FrequencyAxes) {
        let size = Vec2::new(
            self.size.x.min(ui.available_width()).max(160.0),
            self.size.y.max(100.0),
        );
        let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
        let title_height = 24.0;
        let area = Rect::from_min_max(
            Pos2::new(rect.left() + 34.0, rect.top() + title_height),
            Pos2::new(rect.right() - 8.0, rect.bottom() - 16.0),
        );
        let axes = FrequencyAxes {
            rect: area,
            min_hz: self.min_hz,
            max_hz: self.max_hz,
            min_value: self.min_value,
            max_value: self.max_value,
        };
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, CornerRadius::same(theme::RADIUS), theme::PANEL);
        painter.rect_filled(area, CornerRadius::ZERO, theme::WELL);
        painter.text(
            Pos2::new(rect.left() + 6.0, rect.top() + title_height * 0.45),
            Align2::LEFT_CENTER,
            if self.unit.is_empty() {
                self.title.clone()
            } else {
                format!("{} ({})", self.title, self.unit)
            },
            theme::label_font(),
            theme::TEXT_DIM,
        );

        // Frequency grid: every 1-2-5 decade step labelled, the other integers faint.
        let scale_font = theme::scale_font();
        let mut decade = 10f64.powf(self.min_hz.log10().floor());
        while decade <= self.max_hz {
            for multiple in 1..10 {
                let frequency = decade * f64::from(multiple);
                if frequency < self.min_hz * 0.999 || frequency > self.max_hz * 1.001 {
                    continue;
                }
                let x = axes.x(frequency);
                let labelled = matches!(multiple, 1 | 2 | 5);
                let colour = if labelled {
                    theme::GRID
                } else {
                    theme::GRID.gamma_multiply(0.5)
                };
                painter.line_segment(
                    [Pos2::new(x, area.top()), Pos2::new(x, area.bottom())],
                    Stroke::new(1.0, colour),
                );
                if labelled {
                    painter.text(
                        Pos2::new(x, area.bottom() + 2.0),
                        Align2::CENTER_TOP,
                        frequency_label(frequency),
                        scale_font.clone(),
                        theme::TEXT_DIM,
                    );
                }
            }
            decade *= 10.0;
        }
        // Value grid.
        let first = (self.min_value / self.value_step).ceil() as i64;
        let last = (self.max_value / self.value_step).floor() as i64;
        for index in first..=last {
            let value = index as f64 * self.value_step;
            let y = axes.y(value);
            let colour = if self.reference == Some(value) {
                theme::OUTLINE
            } else {
                theme::GRID
            };
            painter.line_segment(
                [Pos2::new(area.left(), y), Pos2::new(area.right(), y)],
                Stroke::new(1.0, colour),
            );
            painter.text(
                Pos2::new(area.left() - 3.0, y),
                Align2::RIGHT_CENTER,
                format!("{value:.0}"),
                scale_font.clone(),
                theme::TEXT_DIM,
            );
        }

        let clip = painter.with_clip_rect(area);
        // Legend: one line per labelled curve, top right inside the plot area, on the well colour
        // so grid lines do not cross the text.
        let mut legend_y = area.top() + 4.0;
        for curve in &self.curves {
            let points: Vec<Pos2> = curve
                .points
                .iter()
                .filter(|point| point[0] >= self.min_hz * 0.999 && point[0] <= self.max_hz * 1.001)
                .map(|point| axes.to_screen(point[0], point[1]))
                .collect();
            if points.len() >= 2 {
                clip.add(Shape::line(points, Stroke::new(curve.width, curve.colour)));
            }
        }
        for curve in self.curves.iter().filter(|curve| !curve.label.is_empty()) {
            let galley =
                painter.layout_no_wrap(curve.label.clone(), scale_font.clone(), curve.colour);
            let text_rect = Align2::RIGHT_TOP
                .anchor_size(Pos2::new(area.right() - 6.0, legend_y), galley.size());
            painter.rect_filled(text_rect.expand(2.0), CornerRadius::same(2), theme::WELL);
            painter.galley(text_rect.min, galley, curve.colour);
            legend_y = text_rect.bottom() + 3.0;
        }

        let mut response = response;
        if let Some(position) = response
            .hover_pos()
            .filter(|position| area.contains(*position))
        {
            let (frequency, value) = axes.from_screen(position);
            let readout = format!("{} · {value:.1} {}", frequency_label(frequency), self.unit);
            response = response.on_hover_text_at_pointer(if self.tooltip.is_empty() {
                readout
            } else {
                format!("{}\n{readout}", self.tooltip)
            });
        } else if !self.tooltip.is_empty() {
            response = response.on_hover_text(self.tooltip);
        }
        (response, axes)
    }
}

/// "50", "500", "1k", "2.5k", "20k".
pub fn frequency_label(frequency_hz: f64) -> String {
    if frequency_hz >= 1_000.0 {
        let kilohertz = frequency_hz / 1_000.0;
        if (kilohertz - kilohertz.round()).abs() < 0.05 {
            format!("{kilohertz:.0}k")
        } else {
            format!("{kilohertz:.1}k")
        }
    } else {
        format!("{frequency_hz:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_round_trip_frequency_and_value_through_the_screen() {
        let axes = FrequencyAxes {
            rect: Rect::from_min_size(Pos2::new(10.0, 20.0), Vec2::new(400.0, 200.0)),
            min_hz: 20.0,
            max_hz: 20_000.0,
            min_value: -24.0,
            max_value: 24.0,
        };
        let mut worst_octaves = 0.0_f64;
        let mut worst_value = 0.0_f64;
        for frequency in log_frequencies(20.0, 20_000.0, 31) {
            for value in [-24.0, -3.5, 0.0, 7.25, 24.0] {
                let (back_hz, back_value) = axes.from_screen(axes.to_screen(frequency, value));
                worst_octaves = worst_octaves.max((back_hz / frequency).log2().abs());
                worst_value = worst_value.max((back_value - value).abs());
            }
        }
        println!("round trip error: {worst_octaves:.2e} octaves, {worst_value:.2e} dB");
        assert!(worst_octaves < 1e-4 && worst_value < 1e-3);
        assert!((axes.x(20.0) - 10.0).abs() < 1e-3 && (axes.x(20_000.0) - 410.0).abs() < 1e-3);
    }
}
