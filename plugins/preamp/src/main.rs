//! Standalone Gainstage Preamp: runs the plugin on JACK or ALSA, or on the dummy backend when the
//! machine has no audio device (`--backend dummy`).

use nice_plug::prelude::*;

fn main() {
    nice_export_standalone::<gainstage_preamp::Preamp>();
}
