//! The one Gainstage dark theme: colours, text sizes and spacing every widget draws with.
//!
//! All sizes are in egui points, so the whole editor scales with the window's zoom factor
//! (100 % and 200 % UI scale draw the same layout, twice as sharp).

use egui::{Color32, CornerRadius, FontFamily, FontId, Stroke, TextStyle, Visuals};

/// Window background.
pub const BACKGROUND: Color32 = Color32::from_rgb(0x17, 0x19, 0x1d);
/// Panel (group) background.
pub const PANEL: Color32 = Color32::from_rgb(0x21, 0x24, 0x2a);
/// Background of a control's well (knob track, meter trough, plot area).
pub const WELL: Color32 = Color32::from_rgb(0x10, 0x11, 0x14);
/// Outline of panels and wells.
pub const OUTLINE: Color32 = Color32::from_rgb(0x3a, 0x3f, 0x48);
/// Grid lines in plots and meters.
pub const GRID: Color32 = Color32::from_rgb(0x33, 0x38, 0x40);
/// Main text.
pub const TEXT: Color32 = Color32::from_rgb(0xe6, 0xe8, 0xec);
/// Secondary text: labels, scales.
pub const TEXT_DIM: Color32 = Color32::from_rgb(0xa4, 0xaa, 0xb4);
/// The accent: active values, selected choices, the main curve.
pub const ACCENT: Color32 = Color32::from_rgb(0xf2, 0xa1, 0x3b);
/// A second curve colour (a reference or a second trace).
pub const ACCENT_2: Color32 = Color32::from_rgb(0x4f, 0xb8, 0xe8);
/// Frequency-response and impedance curves (used for nothing else, so a test can find them).
pub const RESPONSE: Color32 = Color32::from_rgb(0xff, 0xc8, 0x5a);
/// "Good / engaged" colour: level match on, meter body.
pub const GOOD: Color32 = Color32::from_rgb(0x5c, 0xc8, 0x6e);
/// Warning colour: meters near full scale.
pub const WARN: Color32 = Color32::from_rgb(0xe8, 0xc5, 0x4a);
/// Error / clip colour.
pub const BAD: Color32 = Color32::from_rgb(0xe8, 0x4f, 0x4f);

/// Corner radius of panels and buttons, points.
pub const RADIUS: u8 = 4;

/// Font for control labels ("Gain").
pub fn label_font() -> FontId {
    FontId::new(12.0, FontFamily::Proportional)
}

/// Font for values ("34.0 dB").
pub fn value_font() -> FontId {
    FontId::new(12.5, FontFamily::Monospace)
}

/// Font for scales and axis ticks.
pub fn scale_font() -> FontId {
    FontId::new(10.0, FontFamily::Proportional)
}

/// Font for section titles.
pub fn title_font() -> FontId {
    FontId::new(13.5, FontFamily::Proportional)
}

/// Applies the theme to every style of `ctx` (call once when the editor opens).
pub fn apply(ctx: &egui::Context) {
    ctx.set_theme(egui::Theme::Dark);
    ctx.all_styles_mut(|style| {
        let mut visuals = Visuals::dark();
        visuals.panel_fill = BACKGROUND;
        visuals.window_fill = PANEL;
        visuals.extreme_bg_color = WELL;
        visuals.faint_bg_color = PANEL;
        visuals.override_text_color = None;
        visuals.selection.bg_fill = ACCENT.gamma_multiply(0.55);
        visuals.selection.stroke = Stroke::new(1.0, TEXT);
        let radius = CornerRadius::same(RADIUS);
        for widget in [
            &mut visuals.widgets.noninteractive,
            &mut visuals.widgets.inactive,
            &mut visuals.widgets.hovered,
            &mut visuals.widgets.active,
            &mut visuals.widgets.open,
        ] {
            widget.corner_radius = radius;
        }
        visuals.widgets.noninteractive.bg_stroke = Stroke::new(1.0, OUTLINE);
        visuals.widgets.noninteractive.fg_stroke = Stroke::new(1.0, TEXT_DIM);
        visuals.widgets.inactive.bg_fill = Color32::from_rgb(0x2c, 0x30, 0x37);
        visuals.widgets.inactive.weak_bg_fill = Color32::from_rgb(0x2c, 0x30, 0x37);
        visuals.widgets.inactive.fg_stroke = Stroke::new(1.0, TEXT);
        visuals.widgets.hovered.bg_fill = Color32::from_rgb(0x38, 0x3d, 0x46);
        visuals.widgets.hovered.weak_bg_fill = Color32::from_rgb(0x38, 0x3d, 0x46);
        visuals.widgets.active.bg_fill = Color32::from_rgb(0x45, 0x4b, 0x55);
        visuals.widgets.active.weak_bg_fill = Color32::from_rgb(0x45, 0x4b, 0x55);
        style.visuals = visuals;
        style.text_styles.insert(TextStyle::Body, label_font());
        style.text_styles.insert(TextStyle::Button, label_font());
        style.text_styles.insert(TextStyle::Small, scale_font());
        style.text_styles.insert(TextStyle::Monospace, value_font());
        style.text_styles.insert(TextStyle::Heading, title_font());
        style.spacing.item_spacing = egui::vec2(6.0, 6.0);
        style.spacing.button_padding = egui::vec2(7.0, 3.0);
        style.interaction.tooltip_delay = 0.4;
    });
}

/// A titled panel frame in the theme's colours.
pub fn panel_frame() -> egui::Frame {
    egui::Frame::new()
        .fill(PANEL)
        .stroke(Stroke::new(1.0, OUTLINE))
        .corner_radius(CornerRadius::same(RADIUS))
        .inner_margin(egui::Margin::same(8))
}

/// Draws a section title in the theme's title font and colour.
pub fn section_title(ui: &mut egui::Ui, title: &str) {
    ui.label(
        egui::RichText::new(title)
            .font(title_font())
            .color(TEXT_DIM)
            .strong(),
    );
}
