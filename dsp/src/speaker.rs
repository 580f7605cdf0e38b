//! Loudspeaker loads: impedance Z(f) from Thiele-Small parameters and the amp-to-speaker voltage divider.
