//! A transfer-curve panel: output against input of a nonlinear stage, on linear axes.
//!
//! The caller supplies the measured or computed (input, output) points; the panel adds the
//! straight "clean" line for reference and optional markers (e.g. the present input peak).

use egui::{Align2, Color32, CornerRadius, Pos2, Rect, Response, Sense, Shape, Stroke, Ui, Vec2};

use crate::theme;

/// A transfer-curve panel. Build it, then call [`TransferPanel::show`].
#[must_use = "draw the panel with `.show(ui)`"]
pub struct TransferPanel {
    title: String,
    points: Vec<[f32; 2]>,
    input_range: f32,
    output_range: f32,
    markers: Vec<f32>,
    input_label: String,
    output_label: String,
    tooltip: String,
    size: Vec2,
    colour: Color32,
}

impl TransferPanel {
    /// A panel titled `title` drawing `points` (input, output) on axes spanning ±`range` both ways.
    pub fn new(title: impl Into<String>, points: Vec<[f32; 2]>, range: f32) -> Self {
        Self {
            title: title.into(),
            points,
            input_range: range.max(1e-6),
            output_range: range.max(1e-6),
            markers: Vec::new(),
            input_label: "in".to_owned(),
            output_label: "out".to_owned(),
            tooltip: String::new(),
            size: Vec2::new(200.0, 200.0),
            colour: theme::ACCENT,
        }
    }

    /// A separate output range (±`range`).
    pub fn output_range(mut self, range: f32) -> Self {
        self.output_range = range.max(1e-6);
        self
    }

    /// Axis names (default "in" and "out").
    pub fn axis_labels(mut self, input: impl Into<String>, output: impl Into<String>) -> Self {
        self.input_label = input.into();
        self.output_label = output.into();
        self
    }

    /// Input values marked with vertical lines at ±value (e.g. the present input peak).
    pub fn markers(mut self, markers: Vec<f32>) -> Self {
        self.markers = markers;
        self
    }

    /// The one-sentence tooltip shown on hover.
    pub fn tooltip(mut self, tooltip: impl Into<String>) -> Self {
        self.tooltip = tooltip.into();
        self
    }

    /// Panel size in points (default 200 × 200).
    pub fn size(mut self, size: Vec2) -> Self {
        self.size = size;
        self
    }

    /// Draws the panel.
    pub fn show(self, ui: &mut Ui) -> Response {
        let size = Vec2::new(
            self.size.x.min(ui.available_width()).max(120.0),
            self.size.y,
        );
        let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
        let title_height = 24.0;
        let area = Rect::from_min_max(
            Pos2::new(rect.left() + 22.0, rect.top() + title_height),
            Pos2::new(rect.right() - 8.0, rect.bottom() - 16.0),
        );
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, CornerRadius::same(theme::RADIUS), theme::PANEL);
        painter.rect_filled(area, CornerRadius::ZERO, theme::WELL);
        painter.text(
            Pos2::new(rect.left() + 6.0, rect.top() + title_height * 0.5),
            Align2::LEFT_CENTER,
            &self.title,
            theme::label_font(),
            theme::TEXT_DIM,
        );
        let to_screen = |input: f32, output: f32| {
            Pos2::new(
                area.center().x + area.width() * 0.5 * (input / self.input_range).clamp(-1.0, 1.0),
                area.center().y
                    - area.height() * 0.5 * (output / self.output_range).clamp(-1.0, 1.0),
            )
        };
        let scale_font = theme::scale_font();
        for fraction in [-1.0_f32, -0.5, 0.0, 0.5, 1.0] {
            let x = to_screen(fraction * self.input_range, 0.0).x;
            let y = to_screen(0.0, fraction * self.output_range).y;
            let colour = if fraction == 0.0 {
                theme::OUTLINE
            } else {
                theme::GRID
            };
            painter.line_segment(
                [Pos2::new(x, area.top()), Pos2::new(x, area.bottom())],
                Stroke::new(1.0, colour),
            );
            painter.line_segment(
                [Pos2::new(area.left(), y), Pos2::new(area.right(), y)],
                Stroke::new(1.0, colour),
            );
            if fraction != 0.0 {
                painter.text(
                    Pos2::new(x, area.bottom() + 2.0),
                    Align2::CENTER_TOP,
                    format!("{}", fraction * self.input_range),
                    scale_font.clone(),
                    theme::TEXT_DIM,
                );
                painter.text(
                    Pos2::new(area.left() - 3.0, y),
                    Align2::RIGHT_CENTER,
                    format!("{}", fraction * self.output_range),
                    scale_font.clone(),
                    theme::TEXT_DIM,
                );
            }
        }
        painter.text(
            Pos2::new(area.right() - 2.0, area.center().y + 2.0),
            Align2::RIGHT_TOP,
            &self.input_label,
            scale_font.clone(),
            theme::TEXT_DIM,
        );
        painter.text(
            Pos2::new(area.center().x + 3.0, area.top() + 2.0),
            Align2::LEFT_TOP,
            &self.output_label,
            scale_font,
            theme::TEXT_DIM,
        );
        let clip = painter.with_clip_rect(area);
        let reach = self.input_range.min(self.output_range);
        clip.line_segment(
            [to_screen(-reach, -reach), to_screen(reach, reach)],
            Stroke::new(1.0, theme::TEXT_DIM.gamma_multiply(0.5)),
        );
        for &marker in &self.markers {
            for signed in [-marker, marker] {
                let x = to_screen(signed, 0.0).x;
                clip.line_segment(
                    [Pos2::new(x, area.top()), Pos2::new(x, area.bottom())],
                    Stroke::new(1.0, theme::ACCENT_2),
                );
            }
        }
        let points: Vec<Pos2> = self
            .points
            .iter()
            .filter(|point| point[0].is_finite() && point[1].is_finite())
            .map(|point| to_screen(point[0], point[1]))
            .collect();
        if points.len() >= 2 {
            clip.add(Shape::line(points, Stroke::new(2.0, self.colour)));
        }
        if self.tooltip.is_empty() {
            response
        } else {
            response.on_hover_text(self.tooltip)
        }
    }
}
