//! Power-amplifier models: amp types, rails from wattage, supply sag, negative feedback, output impedance.
