//! The editor's preset panel: the factory table and the user's preset files behind the shared
//! preset bar. A preset fills the slot being edited; every parameter it names is set as one
//! gesture. A refused file changes nothing and says why.

use std::path::PathBuf;

use gainstage_ui::egui::Ui;
use gainstage_ui::{PresetAction, PresetBar, PresetBarState, PresetEntry, PresetKind};
use nice_plug::prelude::{ParamSetter, Params};

use crate::params::SlotParams;
use crate::presets::{
    FACTORY_PRESETS, PresetFile, capture, delete, list, load, normalized_values, rename, save,
    user_preset_folder,
};

/// Factory presets and user preset files, and the bar's state.
pub struct PresetPanel {
    state: PresetBarState,
    entries: Vec<PresetEntry>,
    /// The file of each user entry (parallel to the user part of `entries`).
    user_paths: Vec<PathBuf>,
    folder: Option<PathBuf>,
}

impl Default for PresetPanel {
    fn default() -> Self {
        Self::new()
    }
}

impl PresetPanel {
    /// A panel over the factory presets and the per-user folder.
    pub fn new() -> Self {
        Self::with_folder(user_preset_folder())
    }

    /// A panel whose user presets live in `folder` (tests use a scratch folder).
    pub fn with_folder(folder: Option<PathBuf>) -> Self {
        let mut panel = Self {
            state: PresetBarState::default(),
            entries: Vec::new(),
            user_paths: Vec::new(),
            folder,
        };
        panel.refresh();
        panel
    }

    /// Re-reads the user folder.
    pub fn refresh(&mut self) {
        let current_name = self
            .state
            .current
            .and_then(|index| self.entries.get(index))
            .cloned();
        self.entries = FACTORY_PRESETS
            .iter()
            .map(|preset| PresetEntry {
                name: preset.name.to_owned(),
                kind: PresetKind::Factory,
            })
            .collect();
        self.user_paths.clear();
        if let Some(folder) = &self.folder {
            for (name, path) in list(folder) {
                self.entries.push(PresetEntry {
                    name,
                    kind: PresetKind::User,
                });
                self.user_paths.push(path);
            }
        }
        self.state.current =
            current_name.and_then(|entry| self.entries.iter().position(|other| *other == entry));
    }

    /// The entries shown, factory first.
    pub fn entries(&self) -> &[PresetEntry] {
        &self.entries
    }

    /// The bar's state (current preset, last error).
    pub fn state(&self) -> &PresetBarState {
        &self.state
    }

    /// Draws the bar and carries out what was asked, on `slot`.
    pub fn show(&mut self, ui: &mut Ui, setter: &ParamSetter, slot: &SlotParams) {
        if let Some(action) = PresetBar::new(&mut self.state, &self.entries).show(ui) {
            self.perform(action, setter, slot);
        }
    }

    /// Carries out `action` on `slot`; failures end up in the bar's error text.
    pub fn perform(&mut self, action: PresetAction, setter: &ParamSetter, slot: &SlotParams) {
        let result = match action {
            PresetAction::Load(index) => self.load(index, setter, slot),
            PresetAction::Save(name) => self.save(&name, slot),
            PresetAction::Rename(index, name) => self.rename(index, &name),
            PresetAction::Delete(index) => self.delete(index),
        };
        if let Err(message) = result {
            self.state.error = Some(message);
        }
    }

    fn user_path(&self, index: usize) -> Option<&PathBuf> {
        index
            .checked_sub(FACTORY_PRESETS.len())
            .and_then(|user| self.user_paths.get(user))
    }

    fn load(
        &mut self,
        index: usize,
        setter: &ParamSetter,
        slot: &SlotParams,
    ) -> Result<(), String> {
        let file: PresetFile = match FACTORY_PRESETS.get(index) {
            Some(factory) => factory.to_file(slot),
            None => {
                let path = self.user_path(index).ok_or("No such preset.")?;
                load(path).map_err(|error| format!("Preset refused: {error}"))?
            }
        };
        let changes =
            normalized_values(slot, &file).map_err(|error| format!("Preset refused: {error}"))?;
        let pointers = slot.param_map();
        for (id, normalized) in changes {
            if let Some((_, pointer, _)) =
                pointers.iter().find(|(candidate, _, _)| *candidate == id)
            {
                // SAFETY: the pointers come from `slot`, which outlives this call.
                unsafe {
                    setter.raw_context.raw_begin_set_parameter(*pointer);
                    setter
                        .raw_context
                        .raw_set_parameter_normalized(*pointer, normalized);
                    setter.raw_context.raw_end_set_parameter(*pointer);
                }
            }
        }
        self.state.current = Some(index);
        self.state.status = Some(format!("Loaded '{}'", file.name));
        Ok(())
    }

    fn save(&mut self, name: &str, slot: &SlotParams) -> Result<(), String> {
        let folder = self
            .folder
            .clone()
            .ok_or("No user preset folder on this system.")?;
        save(&folder, &capture(slot, name)).map_err(|error| format!("Not saved: {error}"))?;
        self.refresh();
        self.state.current = self
            .entries
            .iter()
            .position(|entry| entry.kind == PresetKind::User && entry.name == name);
        self.state.status = Some(format!("Saved '{name}'"));
        Ok(())
    }

    fn rename(&mut self, index: usize, name: &str) -> Result<(), String> {
        let path = self
            .user_path(index)
            .ok_or("Only user presets can be renamed.")?;
        rename(path, name).map_err(|error| format!("Not renamed: {error}"))?;
        self.refresh();
        self.state.current = self
            .entries
            .iter()
            .position(|entry| entry.kind == PresetKind::User && entry.name == name);
        self.state.status = Some(format!("Renamed to '{name}'"));
        Ok(())
    }

    fn delete(&mut self, index: usize) -> Result<(), String> {
        let path = self
            .user_path(index)
            .ok_or("Only user presets can be deleted.")?;
        let name = self.entries[index].name.clone();
        delete(path).map_err(|error| format!("Not deleted: {error}"))?;
        self.state.current = None;
        self.refresh();
        self.state.status = Some(format!("Deleted '{name}'"));
        Ok(())
    }
}
