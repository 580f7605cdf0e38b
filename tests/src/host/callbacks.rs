//! The host side of the CLAP callbacks: records every request the plugin makes of the host and
//! answers thread checks.
//!
//! The test host runs everything on the thread that created the instance. While the host is
//! inside `process` or an active `flush`, that thread counts as the audio thread (and not as the
//! main thread), so a plugin that defers main-thread work from `process` asks for a callback
//! which [`PluginUnderTest`](super::PluginUnderTest) then serves after the block. A plugin's
//! editor runs on threads of its own; what it asks of the host from there (`request_callback`,
//! `clap_host_params.request_flush`, `clap_host_gui` calls) is recorded and served by the host
//! thread the next time it serves callbacks.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::ThreadId;

use clack_extensions::audio_ports::{AudioPortRescanFlags, HostAudioPorts, HostAudioPortsImpl};
use clack_extensions::audio_ports_config::{HostAudioPortsConfig, HostAudioPortsConfigImpl};
use clack_extensions::gui::{GuiSize, HostGui, HostGuiImpl};
use clack_extensions::latency::{HostLatency, HostLatencyImpl};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamRescanFlags,
};
use clack_extensions::state::{HostState, HostStateImpl};
use clack_extensions::thread_check::{HostThreadCheck, HostThreadCheckImpl};
use clack_host::prelude::*;

/// How many times the plugin has called each host callback since it was instantiated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostCallCounts {
    /// `clap_host.request_restart`: the plugin wants to be deactivated and reactivated.
    pub restart_requests: u32,
    /// `clap_host.request_process`: the plugin wants `process` to be called.
    pub process_requests: u32,
    /// `clap_host.request_callback`: the plugin wants `on_main_thread` to be called.
    pub callback_requests: u32,
    /// `on_main_thread` calls the host has made in answer.
    pub main_thread_callbacks_served: u32,
    /// `clap_host_params.rescan`, any flags.
    pub param_rescans: u32,
    /// `clap_host_params.rescan` with flags that require a restart (`CLAP_PARAM_RESCAN_ALL`).
    pub param_full_rescans: u32,
    /// `clap_host_params.clear`.
    pub param_clears: u32,
    /// `clap_host_params.request_flush`.
    pub param_flush_requests: u32,
    /// `clap_host_state.mark_dirty`.
    pub state_dirty_marks: u32,
    /// `clap_host_latency.changed`.
    pub latency_changes: u32,
    /// `clap_host_latency.changed` made outside `clap_plugin.activate`, which the CLAP
    /// specification (`ext/latency.h`) does not allow: "The latency is only allowed to change
    /// during plugin->activate. If the plugin is activated, call host->request_restart()".
    pub latency_changes_outside_activate: u32,
    /// `clap_host_audio_ports.rescan`.
    pub audio_ports_rescans: u32,
    /// `clap_host_audio_ports_config.rescan`.
    pub audio_ports_config_rescans: u32,
    /// `clap_host_gui.request_resize` (refused: the test host's editor window has a fixed size).
    pub gui_resize_requests: u32,
    /// `clap_host_gui.closed`.
    pub gui_closed_notices: u32,
}

/// Atomic counters behind [`HostCallCounts`].
#[derive(Default)]
struct CallCounters {
    restart_requests: AtomicU32,
    process_requests: AtomicU32,
    callback_requests: AtomicU32,
    main_thread_callbacks_served: AtomicU32,
    param_rescans: AtomicU32,
    param_full_rescans: AtomicU32,
    param_clears: AtomicU32,
    param_flush_requests: AtomicU32,
    state_dirty_marks: AtomicU32,
    latency_changes: AtomicU32,
    latency_changes_outside_activate: AtomicU32,
    audio_ports_rescans: AtomicU32,
    audio_ports_config_rescans: AtomicU32,
    gui_resize_requests: AtomicU32,
    gui_closed_notices: AtomicU32,
}

fn bump(counter: &AtomicU32) {
    counter.fetch_add(1, Ordering::SeqCst);
}

fn read(counter: &AtomicU32) -> u32 {
    counter.load(Ordering::SeqCst)
}

/// The `HostHandlers` type the test host instantiates plugins with.
pub struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = HostShared;
    type MainThread<'a> = HostMainThread<'a>;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostParams>()
            .register::<HostState>()
            .register::<HostLatency>()
            .register::<HostAudioPorts>()
            .register::<HostAudioPortsConfig>()
            .register::<HostGui>()
            .register::<HostThreadCheck>();
    }
}

/// Host state shared by all threads: call counters and the thread roles.
pub struct HostShared {
    main_thread: ThreadId,
    in_audio_context: AtomicBool,
    in_activate: AtomicBool,
    callback_pending: AtomicBool,
    flush_pending: AtomicBool,
    counters: CallCounters,
}

impl HostShared {
    /// Creates the shared host state; the calling thread becomes the main thread.
    pub fn new() -> Self {
        Self {
            main_thread: std::thread::current().id(),
            in_audio_context: AtomicBool::new(false),
            in_activate: AtomicBool::new(false),
            callback_pending: AtomicBool::new(false),
            flush_pending: AtomicBool::new(false),
            counters: CallCounters::default(),
        }
    }

    /// Marks the main thread as the audio thread (while processing or flushing an active plugin).
    pub fn set_audio_context(&self, active: bool) {
        self.in_audio_context.store(active, Ordering::SeqCst);
    }

    /// Marks the time the host spends inside `clap_plugin.activate`.
    pub fn set_activating(&self, activating: bool) {
        self.in_activate.store(activating, Ordering::SeqCst);
    }

    /// Takes the "plugin asked for `on_main_thread`" flag, clearing it.
    pub fn take_callback_request(&self) -> bool {
        self.callback_pending.swap(false, Ordering::SeqCst)
    }

    /// Takes the "plugin asked for `clap_plugin_params.flush`" flag, clearing it.
    pub fn take_flush_request(&self) -> bool {
        self.flush_pending.swap(false, Ordering::SeqCst)
    }

    /// Counts one `on_main_thread` call made by the host.
    pub fn record_main_thread_callback_served(&self) {
        bump(&self.counters.main_thread_callbacks_served);
    }

    /// A snapshot of the call counters.
    pub fn call_counts(&self) -> HostCallCounts {
        let counters = &self.counters;
        HostCallCounts {
            restart_requests: read(&counters.restart_requests),
            process_requests: read(&counters.process_requests),
            callback_requests: read(&counters.callback_requests),
            main_thread_callbacks_served: read(&counters.main_thread_callbacks_served),
            param_rescans: read(&counters.param_rescans),
            param_full_rescans: read(&counters.param_full_rescans),
            param_clears: read(&counters.param_clears),
            param_flush_requests: read(&counters.param_flush_requests),
            state_dirty_marks: read(&counters.state_dirty_marks),
            latency_changes: read(&counters.latency_changes),
            latency_changes_outside_activate: read(&counters.latency_changes_outside_activate),
            audio_ports_rescans: read(&counters.audio_ports_rescans),
            audio_ports_config_rescans: read(&counters.audio_ports_config_rescans),
            gui_resize_requests: read(&counters.gui_resize_requests),
            gui_closed_notices: read(&counters.gui_closed_notices),
        }
    }

    fn on_host_thread(&self) -> bool {
        std::thread::current().id() == self.main_thread
    }
}

impl Default for HostShared {
    fn default() -> Self {
        Self::new()
    }
}

impl SharedHandler<'_> for HostShared {
    fn request_restart(&self) {
        bump(&self.counters.restart_requests);
    }

    fn request_process(&self) {
        bump(&self.counters.process_requests);
    }

    fn request_callback(&self) {
        bump(&self.counters.callback_requests);
        self.callback_pending.store(true, Ordering::SeqCst);
    }
}

impl HostParamsImplShared for HostShared {
    fn request_flush(&self) {
        bump(&self.counters.param_flush_requests);
        self.flush_pending.store(true, Ordering::SeqCst);
    }
}

impl HostGuiImpl for HostShared {
    fn resize_hints_changed(&self) {}

    fn request_resize(&self, _new_size: GuiSize) -> Result<(), HostError> {
        bump(&self.counters.gui_resize_requests);
        Err(HostError::Message(
            "the test host's editor window has a fixed size",
        ))
    }

    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }

    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }

    fn closed(&self, _was_destroyed: bool) {
        bump(&self.counters.gui_closed_notices);
    }
}

impl HostThreadCheckImpl for HostShared {
    fn is_main_thread(&self) -> bool {
        self.on_host_thread() && !self.in_audio_context.load(Ordering::SeqCst)
    }

    fn is_audio_thread(&self) -> bool {
        self.on_host_thread() && self.in_audio_context.load(Ordering::SeqCst)
    }
}

/// Main-thread host callbacks; each one is counted in the shared state.
pub struct HostMainThread<'a> {
    shared: &'a HostShared,
}

impl<'a> HostMainThread<'a> {
    /// Creates the main-thread handler over the shared state.
    pub fn new(shared: &'a HostShared) -> Self {
        Self { shared }
    }
}

impl<'a> MainThreadHandler<'a> for HostMainThread<'a> {}

impl HostParamsImplMainThread for HostMainThread<'_> {
    fn rescan(&self, flags: ParamRescanFlags) {
        bump(&self.shared.counters.param_rescans);
        if flags.requires_restart() {
            bump(&self.shared.counters.param_full_rescans);
        }
    }

    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {
        bump(&self.shared.counters.param_clears);
    }
}

impl HostStateImpl for HostMainThread<'_> {
    fn mark_dirty(&self) {
        bump(&self.shared.counters.state_dirty_marks);
    }
}

impl HostLatencyImpl for HostMainThread<'_> {
    fn changed(&self) {
        bump(&self.shared.counters.latency_changes);
        if !self.shared.in_activate.load(Ordering::SeqCst) {
            bump(&self.shared.counters.latency_changes_outside_activate);
        }
    }
}

impl HostAudioPortsImpl for HostMainThread<'_> {
    fn is_rescan_flag_supported(&self, _flag: AudioPortRescanFlags) -> bool {
        true
    }

    fn rescan(&self, _flags: AudioPortRescanFlags) {
        bump(&self.shared.counters.audio_ports_rescans);
    }
}

impl HostAudioPortsConfigImpl for HostMainThread<'_> {
    fn rescan(&self) {
        bump(&self.shared.counters.audio_ports_config_rescans);
    }
}
