//! The preset bar: previous / next, a menu of factory and user presets, and save, rename and
//! delete for user presets, with the last error shown in plain words.
//!
//! The bar knows nothing about preset files: it shows [`PresetEntry`]s and reports a
//! [`PresetAction`]; the plugin's editor performs it and reports failures back through
//! [`PresetBarState::error`].

use egui::{Key, RichText, Ui};

use crate::theme;

/// Where a preset comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresetKind {
    /// Built in; cannot be renamed or deleted.
    Factory,
    /// A file in the user's preset folder.
    User,
}

/// One preset in the menu.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresetEntry {
    /// Display name.
    pub name: String,
    /// Factory or user.
    pub kind: PresetKind,
}

/// What the user asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PresetAction {
    /// Load the entry at this index.
    Load(usize),
    /// Save the present settings as a user preset with this name.
    Save(String),
    /// Rename the user preset at this index.
    Rename(usize, String),
    /// Delete the user preset at this index.
    Delete(usize),
}

/// Which name field is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NameEdit {
    Save,
    Rename(usize),
}

/// The bar's state between frames; keep one in the editor.
#[derive(Clone, Debug, Default)]
pub struct PresetBarState {
    /// Index of the preset last loaded or saved, if the settings still come from one.
    pub current: Option<usize>,
    /// The last failure, shown in red until the next action ("Preset refused: …").
    pub error: Option<String>,
    /// A short confirmation ("Saved 'Warm vocal'"), shown until the next action.
    pub status: Option<String>,
    editing: Option<NameEdit>,
    name: String,
    confirm_delete: Option<usize>,
}

/// The preset bar. Build it, then call [`PresetBar::show`].
#[must_use = "draw the bar with `.show(ui)`"]
pub struct PresetBar<'a> {
    state: &'a mut PresetBarState,
    entries: &'a [PresetEntry],
}

impl<'a> PresetBar<'a> {
    /// A bar over `entries` (factory presets first, then user presets) with its `state`.
    pub fn new(state: &'a mut PresetBarState, entries: &'a [PresetEntry]) -> Self {
        Self { state, entries }
    }

    /// Draws the bar; returns the action asked for this frame, if any.
    pub fn show(self, ui: &mut Ui) -> Option<PresetAction> {
        let PresetBar { state, entries } = self;
        let mut action = None;
        ui.horizontal(|ui| {
            let count = entries.len();
            if ui
                .add_enabled(count > 0, egui::Button::new("<"))
                .on_hover_text("Load the previous preset.")
                .clicked()
            {
                let index = state.current.map_or(count.saturating_sub(1), |current| {
                    (current + count - 1) % count
                });
                action = Some(PresetAction::Load(index));
            }
            if ui
                .add_enabled(count > 0, egui::Button::new(">"))
                .on_hover_text("Load the next preset.")
                .clicked()
            {
                let index = state.current.map_or(0, |current| (current + 1) % count);
                action = Some(PresetAction::Load(index));
            }
            let selected_text = state
                .current
                .and_then(|index| entries.get(index))
                .map_or("(unsaved settings)".to_owned(), |entry| entry.name.clone());
            egui::ComboBox::from_id_salt("preset_menu")
                .width(170.0)
                .selected_text(selected_text)
                .show_ui(ui, |ui| {
                    for kind in [PresetKind::Factory, PresetKind::User] {
                        let heading = match kind {
                            PresetKind::Factory => "Factory",
                            PresetKind::User => "User",
                        };
                        ui.label(RichText::new(heading).color(theme::TEXT_DIM).small());
                        let mut any = false;
                        for (index, entry) in entries.iter().enumerate() {
                            if entry.kind == kind {
                                any = true;
                                if ui
                                    .selectable_label(state.current == Some(index), &entry.name)
                                    .clicked()
                                {
                                    action = Some(PresetAction::Load(index));
                                }
                            }
                        }
                        if !any {
                            ui.label(RichText::new("none yet").color(theme::TEXT_DIM).italics());
                        }
                    }
                })
                .response
                .on_hover_text("Choose a factory or user preset; it fills the slot being edited.");

            let current_user = state.current.filter(|&index| {
                entries
                    .get(index)
                    .is_some_and(|e| e.kind == PresetKind::User)
            });
            match state.editing {
                None => {
                    if ui
                        .button("Save")
                        .on_hover_text("Save the slot being edited as a user preset.")
                        .clicked()
                    {
                        state.editing = Some(NameEdit::Save);
                        state.name = state
                            .current
                            .and_then(|index| entries.get(index))
                            .map_or_else(String::new, |entry| entry.name.clone());
                    }
                    if ui
                        .add_enabled(current_user.is_some(), egui::Button::new("Rename"))
                        .on_hover_text("Rename the loaded user preset.")
                        .on_disabled_hover_text("Load a user preset to rename it.")
                        .clicked()
                        && let Some(index) = current_user
                    {
                        state.editing = Some(NameEdit::Rename(index));
                        state.name = entries[index].name.clone();
                    }
                    match state.confirm_delete {
                        Some(index) if Some(index) == current_user => {
                            if ui
                                .button(RichText::new("Really delete?").color(theme::BAD))
                                .on_hover_text("Click again to delete the preset file for good.")
                                .clicked()
                            {
                                action = Some(PresetAction::Delete(index));
                                state.confirm_delete = None;
                            }
                        }
                        _ => {
                            if ui
                                .add_enabled(current_user.is_some(), egui::Button::new("Delete"))
                                .on_hover_text("Delete the loaded user preset (asks once more).")
                                .on_disabled_hover_text("Load a user preset to delete it.")
                                .clicked()
                            {
                                state.confirm_delete = current_user;
                            }
                        }
                    }
                }
                Some(mode) => {
                    let field = ui.add(
                        egui::TextEdit::singleline(&mut state.name)
                            .desired_width(150.0)
                            .hint_text("preset name"),
                    );
                    field.request_focus();
                    let enter = ui.input(|input| input.key_pressed(Key::Enter));
                    let escape = ui.input(|input| input.key_pressed(Key::Escape));
                    let confirm = ui
                        .button(if mode == NameEdit::Save {
                            "Save"
                        } else {
                            "Rename"
                        })
                        .on_hover_text("Confirm the name.")
                        .clicked();
                    let cancel = ui
                        .button("Cancel")
                        .on_hover_text("Keep things as they were.")
                        .clicked();
                    let name = state.name.trim().to_owned();
                    if cancel || escape {
                        state.editing = None;
                    } else if (confirm || enter) && !name.is_empty() {
                        action = Some(match mode {
                            NameEdit::Save => PresetAction::Save(name),
                            NameEdit::Rename(index) => PresetAction::Rename(index, name),
                        });
                        state.editing = None;
                    }
                }
            }
            if let Some(error) = &state.error {
                ui.label(RichText::new(error).color(theme::BAD))
                    .on_hover_text("The last preset action failed; nothing was changed.");
            } else if let Some(status) = &state.status {
                ui.label(RichText::new(status).color(theme::GOOD));
            }
        });
        if action.is_some() {
            state.error = None;
            state.status = None;
        }
        action
    }
}
