//! Gainstage's shared egui widgets: knobs, meters, plots, A/B and preset bars.
