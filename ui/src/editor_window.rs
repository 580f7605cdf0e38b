//! A resizable egui editor window whose size is saved with the plugin's state, and which tells
//! the audio thread (through one flag) whether it is open.
//!
//! nice-plug-egui's `EguiEditorState` fixes its size when it is created, which happens before the
//! host restores the plugin's state. [`ResizableEditor`] instead builds a fresh egui editor each
//! time the window opens, at the size stored in a [`PersistedEditorSize`] (a `#[persist]` field
//! of the plugin's parameters), and records every resize back into it; the host's session then
//! remembers the window size.

use std::error::Error;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::{LogicalSize, NativeSize, Size};
use nice_plug::editor::{
    Editor, EditorHandle, HostMethods, Modifiers, ParentWindowHandle, ResizeHint, SpawnedEditor,
    VirtualKeyCode,
};
use nice_plug::plugin::TrackInfo;
use nice_plug_egui::{
    EguiEditor, EguiEditorHandle, EguiEditorState, EguiNiceSettings, NiceEguiApp,
    create_egui_editor,
};
use nice_plug_egui::{Frame, RepaintNotifier, baseview};
use serde::{Deserialize, Serialize};

/// An editor window size in logical points (before UI scaling).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditorSize {
    /// Width, points.
    pub width: u32,
    /// Height, points.
    pub height: u32,
}

/// Largest window side accepted from a saved state, points.
pub const MAX_EDITOR_POINTS: u32 = 8192;

/// The window size as a persisted field: put it in the plugin's `Params` struct as
/// `#[persist = "editor-size"] editor_size: PersistedEditorSize`. Read and written on the GUI
/// and main threads only, never by the audio thread.
pub type PersistedEditorSize = Arc<RwLock<EditorSize>>;

/// Creates a [`PersistedEditorSize`] starting at `size`.
pub fn persisted_size(size: EditorSize) -> PersistedEditorSize {
    Arc::new(RwLock::new(size))
}

fn read_size(size: &PersistedEditorSize) -> EditorSize {
    *size
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A resizable egui editor: see the module documentation.
pub struct ResizableEditor<A: NiceEguiApp> {
    title: String,
    size: PersistedEditorSize,
    min_size: EditorSize,
    scale_factor_bits: Arc<std::sync::atomic::AtomicU32>,
    open: Arc<AtomicBool>,
    make_app: Box<dyn Fn() -> A + Send + Sync>,
    repaint: RepaintNotifier,
}

impl<A: NiceEguiApp> ResizableEditor<A> {
    /// An editor titled `title` whose window size lives in `size` (never smaller than
    /// `min_size`); `make_app` builds the app each time the window opens.
    pub fn new(
        title: impl Into<String>,
        size: PersistedEditorSize,
        min_size: EditorSize,
        make_app: impl Fn() -> A + Send + Sync + 'static,
    ) -> Self {
        Self {
            title: title.into(),
            size,
            min_size,
            scale_factor_bits: Arc::new(std::sync::atomic::AtomicU32::new(1.0_f32.to_bits())),
            open: Arc::new(AtomicBool::new(false)),
            make_app: Box::new(make_app),
            repaint: RepaintNotifier::new(),
        }
    }

    /// Uses `open` as the flag that is true while the window is open (e.g. the flag a
    /// [`crate::spectrum_tap::spectrum_channel`] was made with).
    pub fn with_open_flag(mut self, open: Arc<AtomicBool>) -> Self {
        self.open = open;
        self
    }

    /// The flag that is true while the window is open.
    pub fn open_flag(&self) -> Arc<AtomicBool> {
        self.open.clone()
    }

    fn clamped_size(&self) -> EditorSize {
        let size = read_size(&self.size);
        // A damaged saved size cannot make the window unusable.
        EditorSize {
            width: size.width.clamp(self.min_size.width, MAX_EDITOR_POINTS),
            height: size.height.clamp(self.min_size.height, MAX_EDITOR_POINTS),
        }
    }

    fn settings(&self) -> EguiNiceSettings {
        EguiNiceSettings::new()
            .with_tile(self.title.clone())
            .with_resize_hint(
                ResizeHint::resizable().with_min_logical_size(LogicalSize::new(
                    self.min_size.width as f32,
                    self.min_size.height as f32,
                )),
            )
    }
}

/// Wraps the plugin's app: records resizes into the persisted size.
struct SizeRecordingApp<A: NiceEguiApp> {
    app: A,
    size: PersistedEditorSize,
    scale_factor_bits: Arc<std::sync::atomic::AtomicU32>,
}

impl<A: NiceEguiApp> NiceEguiApp for SizeRecordingApp<A> {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        frame: &mut Frame,
    ) -> Result<(), baseview::HandlerError> {
        self.app.build(egui_ctx, nice_gui_ctx, frame)
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut Frame) {
        self.app.ui(ui, frame);
    }

    fn resized(&mut self, new_size: baseview::WindowSize) {
        let logical = new_size.logical;
        if logical.width >= 1.0
            && logical.height >= 1.0
            && let Ok(mut size) = self.size.write()
        {
            *size = EditorSize {
                width: logical.width.round() as u32,
                height: logical.height.round() as u32,
            };
        }
        self.scale_factor_bits
            .store((new_size.scale_factor as f32).to_bits(), Ordering::Relaxed);
        self.app.resized(new_size);
    }

    fn zoom_factor_changed(&mut self, zoom_factor: f32) {
        self.app.zoom_factor_changed(zoom_factor);
    }

    fn editor_closed(&mut self) {
        self.app.editor_closed();
    }

    fn track_info_changed(&mut self, info: TrackInfo) {
        self.app.track_info_changed(info);
    }
}

/// The open window's handle; clears the open flag when the window closes.
pub struct ResizableEditorHandle {
    inner: EguiEditorHandle,
    open: Arc<AtomicBool>,
}

impl Drop for ResizableEditorHandle {
    fn drop(&mut self) {
        self.open.store(false, Ordering::Release);
    }
}

impl<A: NiceEguiApp> Editor for ResizableEditor<A> {
    type Handle = ResizableEditorHandle;

    fn spawn(
        &self,
        parent: Option<ParentWindowHandle>,
        wait_for_parent: bool,
        fallback_scale_factor: Option<f64>,
        gui_context: GuiContext,
        host: Option<HostMethods>,
    ) -> Result<SpawnedEditor<Self::Handle>, Box<dyn Error>> {
        let size = self.clamped_size();
        let state = EguiEditorState::from_size(
            LogicalSize::new(f64::from(size.width), f64::from(size.height)),
            1.0,
        );
        let app = SizeRecordingApp {
            app: (self.make_app)(),
            size: self.size.clone(),
            scale_factor_bits: self.scale_factor_bits.clone(),
        };
        let editor: EguiEditor<SizeRecordingApp<A>> =
            create_egui_editor(state, self.repaint.clone(), self.settings(), app)
                .ok_or("the egui editor could not be created")?;
        // Open before the window runs, so the first frames already have audio to show.
        self.open.store(true, Ordering::Release);
        match editor.spawn(
            parent,
            wait_for_parent,
            fallback_scale_factor,
            gui_context,
            host,
        ) {
            Ok(spawned) => Ok(SpawnedEditor {
                handle: ResizableEditorHandle {
                    inner: spawned.handle,
                    open: self.open.clone(),
                },
                window: spawned.window,
            }),
            Err(error) => {
                self.open.store(false, Ordering::Release);
                Err(error)
            }
        }
    }

    fn size(&self) -> NativeSize<u32> {
        let size = self.clamped_size();
        let scale = f32::from_bits(self.scale_factor_bits.load(Ordering::Relaxed));
        NativeSize::from_size(
            Size::Logical(LogicalSize::new(
                f64::from(size.width),
                f64::from(size.height),
            )),
            f64::from(scale),
        )
    }

    fn resize_hint(&self) -> ResizeHint {
        self.settings().resize_hint
    }

    fn track_info_updated(&self, _info: TrackInfo) {
        self.repaint.request_repaint();
    }

    unsafe fn assume_standalone_in_process(&self) {
        // SAFETY: the caller upholds `Editor::assume_standalone_in_process`'s contract, which is
        // baseview's.
        unsafe { baseview::assume_standalone_in_process() };
    }
}

impl EditorHandle for ResizableEditorHandle {
    type Window = <EguiEditorHandle as EditorHandle>::Window;
    type Error = <EguiEditorHandle as EditorHandle>::Error;

    fn run_until_closed(window: Self::Window) -> Result<(), Self::Error> {
        EguiEditorHandle::run_until_closed(window)
    }

    fn set_parent(
        &self,
        parent: ParentWindowHandle,
        window: &Self::Window,
    ) -> Result<(), Self::Error> {
        self.inner.set_parent(parent, window)
    }

    fn show(&self, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.show(window)
    }

    fn hide(&self, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.hide(window)
    }

    fn set_size(
        &self,
        new_size: NativeSize<u32>,
        window: &Self::Window,
    ) -> Result<(), Self::Error> {
        self.inner.set_size(new_size, window)
    }

    fn host_main_thread_callback(&self, window: &Self::Window) {
        self.inner.host_main_thread_callback(window);
    }

    fn adjust_size(
        &self,
        new_size: NativeSize<u32>,
        window: &Self::Window,
    ) -> Option<NativeSize<u32>> {
        self.inner.adjust_size(new_size, window)
    }

    fn set_fallback_scale_factor(
        &self,
        scale_factor: f64,
        window: &Self::Window,
    ) -> Result<(), Self::Error> {
        self.inner.set_fallback_scale_factor(scale_factor, window)
    }

    fn on_virtual_key_from_host(
        &self,
        key_code: VirtualKeyCode,
        is_down: bool,
        modifiers: Modifiers,
    ) -> bool {
        self.inner
            .on_virtual_key_from_host(key_code, is_down, modifiers)
    }

    fn state_changed(&self) {
        self.inner.state_changed();
    }

    fn param_value_changed(&self, id: &str, normalized_value: f32) {
        self.inner.param_value_changed(id, normalized_value);
    }

    fn param_modulation_changed(&self, id: &str, modulation_offset: f32) {
        self.inner.param_modulation_changed(id, modulation_offset);
    }
}
