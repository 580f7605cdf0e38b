//! The host side of `clap.gui`: embeds a plugin's editor in an X11 window the caller made, and
//! serves what the open editor asks of the host.
//!
//! The editor runs on threads of its own (nice-plug-egui opens a baseview window with its own
//! event loop). When the user moves a control it queues the automation gesture in the plugin and
//! calls `clap_host_params.request_flush`; the plugin writes the queued events to the host at the
//! end of the next `process` or in `clap_plugin_params.flush`
//! ([`serve_flush_request`](PluginUnderTest::serve_flush_request)), and the host reads them with
//! [`take_output_param_events`](PluginUnderTest::take_output_param_events). Host automation
//! reaches the editor the other way: the plugin asks for `on_main_thread` (served after every
//! block) and repaints from there.

use anyhow::{anyhow, ensure};
use clack_extensions::gui::{GuiApiType, GuiConfiguration, PluginGui, Window};

use super::PluginUnderTest;
use super::params::ParamOutputEvent;

/// An editor's size in physical pixels, as `clap_plugin_gui.get_size` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditorSize {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
}

/// Embedded (not floating) X11 windows: the configuration the test host asks for.
fn embedded_x11() -> GuiConfiguration<'static> {
    GuiConfiguration {
        api_type: GuiApiType::X11,
        is_floating: false,
    }
}

impl PluginUnderTest {
    /// Whether the plugin offers `clap.gui` and accepts an editor embedded in an X11 window.
    pub fn supports_embedded_x11_editor(&mut self) -> bool {
        match self.extensions.gui {
            Some(gui) => gui.is_api_supported(&self.instance.plugin_handle(), embedded_x11()),
            None => false,
        }
    }

    /// Creates the editor for embedding in an X11 window (on the display named by `$DISPLAY`)
    /// at UI scale `scale` (1.0 = 100 %), as a DAW does before it makes the window to hold it:
    /// `is_api_supported`, `create`, `set_scale`, `get_size`. Returns the editor's size in pixels;
    /// then make a window that size and call
    /// [`show_editor_in_x11_window`](Self::show_editor_in_x11_window).
    pub fn create_editor_x11(&mut self, scale: f64) -> anyhow::Result<EditorSize> {
        ensure!(!self.editor_open, "the editor is already open");
        let gui = self.gui_extension()?;
        let handle = self.instance.plugin_handle();
        ensure!(
            gui.is_api_supported(&handle, embedded_x11()),
            "the plugin does not support embedded X11 editors"
        );
        gui.create(&handle, embedded_x11())
            .map_err(|error| anyhow!("clap_plugin_gui.create(x11, embedded): {error}"))?;
        self.editor_open = true;
        // CLAP lets a plugin ignore the scale (it may read the system's own): a refusal is not
        // an error.
        let _scale_applied = gui.set_scale(&handle, scale).is_ok();
        let size = gui
            .get_size(&handle)
            .ok_or_else(|| anyhow!("clap_plugin_gui.get_size failed"))?;
        self.serve_main_thread_callbacks();
        Ok(EditorSize {
            width: size.width,
            height: size.height,
        })
    }

    /// Embeds the editor made by [`create_editor_x11`](Self::create_editor_x11) in the X11
    /// window `parent_window` and shows it (`set_parent`, `show`). The window must stay alive
    /// until [`close_editor`](Self::close_editor) (called on drop).
    pub fn show_editor_in_x11_window(&mut self, parent_window: u32) -> anyhow::Result<()> {
        ensure!(self.editor_open, "create the editor first");
        let gui = self.gui_extension()?;
        let handle = self.instance.plugin_handle();
        // SAFETY: an X11 window is named by a server-side resource ID, not a pointer: a window
        // that disappears early makes the plugin's X requests fail with protocol errors, it cannot
        // make this process touch freed memory. The caller keeps it alive while the editor is open.
        unsafe {
            gui.set_parent(
                &handle,
                Window::from_x11_handle(std::ffi::c_ulong::from(parent_window)),
            )
        }
        .map_err(|error| anyhow!("clap_plugin_gui.set_parent({parent_window:#x}): {error}"))?;
        gui.show(&handle)
            .map_err(|error| anyhow!("clap_plugin_gui.show: {error}"))?;
        self.serve_main_thread_callbacks();
        Ok(())
    }

    /// Whether an editor is open (between [`create_editor_x11`](Self::create_editor_x11) and
    /// [`close_editor`](Self::close_editor)).
    pub fn is_editor_open(&self) -> bool {
        self.editor_open
    }

    /// Hides and destroys the editor if it is open.
    pub fn close_editor(&mut self) {
        if !self.editor_open {
            return;
        }
        if let Some(gui) = self.extensions.gui {
            let handle = self.instance.plugin_handle();
            // A failed hide changes nothing: the window is destroyed next anyway.
            let _ = gui.hide(&handle);
            gui.destroy(&handle);
        }
        self.editor_open = false;
        self.serve_main_thread_callbacks();
    }

    /// Answers a pending `clap_host_params.request_flush`: calls `clap_plugin_params.flush` (on
    /// the audio thread between blocks while active, on the main thread while inactive) with no
    /// input events, collecting what the plugin writes. Returns whether a flush was pending.
    pub fn serve_flush_request(&mut self) -> anyhow::Result<bool> {
        let requested = self
            .instance
            .access_shared_handler(|shared| shared.take_flush_request());
        if requested {
            self.set_params_by_id(&[])?;
        }
        Ok(requested)
    }

    /// The parameter events the plugin has sent the host (output events of `process` and of
    /// `flush`) since the last call, oldest first.
    pub fn take_output_param_events(&mut self) -> Vec<ParamOutputEvent> {
        let mut events = std::mem::take(&mut self.inactive_output_param_events);
        if let Some(active) = self.active.as_mut() {
            events.extend(active.take_output_param_events());
        }
        events
    }

    fn gui_extension(&self) -> anyhow::Result<PluginGui> {
        self.extensions
            .gui
            .ok_or_else(|| anyhow!("plugin does not offer clap.gui"))
    }
}
