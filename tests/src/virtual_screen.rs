//! A private Xvfb display and the X11 client pieces an editor test needs: a window for the host
//! to embed the editor in, synthetic pointer input through the XTEST extension, and captures of
//! the screen's pixels (`GetImage`).
//!
//! [`VirtualScreen::start`] runs `Xvfb -displayfd`, which picks a free display number itself, and
//! connects to it with x11rb's pure-Rust connection (no C X11 library). The Xvfb process is killed
//! when the screen is dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail, ensure};
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::res::ConnectionExt as _;
use x11rb::protocol::xproto::{
    ConnectionExt as _, CreateWindowAux, EventMask, ImageFormat, WindowClass,
};
use x11rb::protocol::xtest::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;

/// How long Xvfb may take to start and accept a connection.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// X protocol event codes used with `XTestFakeInput` (X11 protocol, "Events": ButtonPress = 4,
/// ButtonRelease = 5, MotionNotify = 6).
const BUTTON_PRESS: u8 = 4;
const BUTTON_RELEASE: u8 = 5;
const MOTION_NOTIFY: u8 = 6;

/// A rectangle of screen pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelRect {
    /// Left edge, pixels from the screen's (or image's) left.
    pub x: i32,
    /// Top edge, pixels from the top.
    pub y: i32,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
}

impl PixelRect {
    /// Whether pixel (`x`, `y`) lies inside.
    pub fn contains(&self, x: i32, y: i32) -> bool {
        x >= self.x
            && y >= self.y
            && x < self.x + self.width as i32
            && y < self.y + self.height as i32
    }
}

/// A captured block of 24-bit pixels, row by row, each as `0x00RRGGBB`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// `width × height` pixels, rows top to bottom.
    pub pixels: Vec<u32>,
}

impl Capture {
    /// The pixels that differ from `other` (same size), as (x, y) positions.
    ///
    /// # Panics
    ///
    /// Panics if the captures differ in size.
    pub fn changed_pixels(&self, other: &Capture) -> Vec<(i32, i32)> {
        assert_eq!(
            (self.width, self.height),
            (other.width, other.height),
            "captures of different sizes"
        );
        self.pixels
            .iter()
            .zip(&other.pixels)
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .map(|(index, _)| {
                (
                    (index % self.width as usize) as i32,
                    (index / self.width as usize) as i32,
                )
            })
            .collect()
    }
}

/// A private X server (Xvfb) with one client connection to it.
pub struct VirtualScreen {
    xvfb: Child,
    display: String,
    connection: RustConnection,
    root: u32,
    root_depth: u8,
    root_visual: u32,
    width: u16,
    height: u16,
}

impl VirtualScreen {
    /// Starts Xvfb with one `width` × `height` × 24-bit screen on a free display number and
    /// connects to it.
    ///
    /// # Errors
    ///
    /// Fails with the install command if Xvfb is missing, or if it does not start within
    /// [`START_TIMEOUT`], or lacks the XTEST extension.
    pub fn start(width: u16, height: u16) -> anyhow::Result<Self> {
        // -displayfd 1: Xvfb chooses a free display number and writes it to its stdout once it
        // accepts connections.
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &format!("{width}x{height}x24"),
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| {
                anyhow!(
                    "cannot start Xvfb ({error}); the editor-in-host test needs it: \
                     sudo apt-get install xvfb (see the README's apt line)"
                )
            })?;
        let stdout = xvfb.stdout.take().expect("stdout is piped");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let display_number = match receiver.recv_timeout(START_TIMEOUT) {
            Ok(line) if !line.trim().is_empty() => line.trim().to_owned(),
            _ => {
                let _ = xvfb.kill();
                let _ = xvfb.wait();
                bail!("Xvfb did not report a display number within {START_TIMEOUT:?}");
            }
        };
        let display = format!(":{display_number}");
        let connected = Self::connect(&display);
        let (connection, screen_number) = match connected {
            Ok(connected) => connected,
            Err(error) => {
                let _ = xvfb.kill();
                let _ = xvfb.wait();
                return Err(error);
            }
        };
        let screen = &connection.setup().roots[screen_number];
        let (root, root_depth, root_visual) = (screen.root, screen.root_depth, screen.root_visual);
        let screen = Self {
            xvfb,
            display,
            connection,
            root,
            root_depth,
            root_visual,
            width,
            height,
        };
        for extension in [
            x11rb::protocol::xtest::X11_EXTENSION_NAME,
            x11rb::protocol::res::X11_EXTENSION_NAME,
        ] {
            ensure!(
                screen
                    .connection
                    .extension_information(extension)?
                    .is_some(),
                "Xvfb on {} lacks the {extension} extension",
                screen.display
            );
        }
        Ok(screen)
    }

    fn connect(display: &str) -> anyhow::Result<(RustConnection, usize)> {
        let started = Instant::now();
        loop {
            match x11rb::connect(Some(display)) {
                Ok(connected) => return Ok(connected),
                Err(error) if started.elapsed() > START_TIMEOUT => {
                    return Err(error).context(format!("connecting to Xvfb on {display}"));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// The display name, e.g. ":3", for `$DISPLAY`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The screen's size in pixels.
    pub fn size(&self) -> (u16, u16) {
        (self.width, self.height)
    }

    /// Creates and maps a top-level window (black background) at `rect`; returns its ID.
    pub fn create_window(&self, rect: PixelRect) -> anyhow::Result<u32> {
        let window = self.connection.generate_id()?;
        self.connection.create_window(
            self.root_depth,
            window,
            self.root,
            i16::try_from(rect.x)?,
            i16::try_from(rect.y)?,
            u16::try_from(rect.width)?,
            u16::try_from(rect.height)?,
            0,
            WindowClass::INPUT_OUTPUT,
            self.root_visual,
            &CreateWindowAux::new()
                .background_pixel(0)
                .event_mask(EventMask::STRUCTURE_NOTIFY),
        )?;
        self.connection.map_window(window)?;
        self.sync()?;
        Ok(window)
    }

    /// Destroys a window made by [`create_window`](Self::create_window).
    pub fn destroy_window(&self, window: u32) -> anyhow::Result<()> {
        self.connection.destroy_window(window)?;
        self.sync()
    }

    /// Moves the pointer to screen position (`x`, `y`) through XTEST, as a real mouse would.
    pub fn move_pointer(&self, x: i32, y: i32) -> anyhow::Result<()> {
        self.connection.xtest_fake_input(
            MOTION_NOTIFY,
            0,
            x11rb::CURRENT_TIME,
            self.root,
            i16::try_from(x)?,
            i16::try_from(y)?,
            0,
        )?;
        self.sync()
    }

    /// Presses (`down`) or releases mouse button `button` (1 = left) through XTEST.
    pub fn press_button(&self, button: u8, down: bool) -> anyhow::Result<()> {
        let event = if down { BUTTON_PRESS } else { BUTTON_RELEASE };
        self.connection
            .xtest_fake_input(event, button, x11rb::CURRENT_TIME, self.root, 0, 0, 0)?;
        self.sync()
    }

    /// The screen's pixels inside `rect`.
    pub fn capture(&self, rect: PixelRect) -> anyhow::Result<Capture> {
        let reply = self
            .connection
            .get_image(
                ImageFormat::Z_PIXMAP,
                self.root,
                i16::try_from(rect.x)?,
                i16::try_from(rect.y)?,
                u16::try_from(rect.width)?,
                u16::try_from(rect.height)?,
                u32::MAX,
            )?
            .reply()?;
        let pixel_count = rect.width as usize * rect.height as usize;
        ensure!(
            reply.depth == 24 && reply.data.len() == pixel_count * 4,
            "GetImage gave depth {} and {} bytes for {} pixels (expected 24-bit, 4 bytes each)",
            reply.depth,
            reply.data.len(),
            pixel_count
        );
        let little_endian = self.connection.setup().image_byte_order
            == x11rb::protocol::xproto::ImageOrder::LSB_FIRST;
        let pixels = reply
            .data
            .chunks_exact(4)
            .map(|bytes| {
                let bytes = [bytes[0], bytes[1], bytes[2], bytes[3]];
                let value = if little_endian {
                    u32::from_le_bytes(bytes)
                } else {
                    u32::from_be_bytes(bytes)
                };
                value & 0x00ff_ffff
            })
            .collect();
        Ok(Capture {
            width: rect.width,
            height: rect.height,
            pixels,
        })
    }

    /// How many clients are connected to the server, this one included (X-Resource
    /// `QueryClients`).
    pub fn client_count(&self) -> anyhow::Result<usize> {
        Ok(self.connection.res_query_clients()?.reply()?.clients.len())
    }

    /// Waits (up to `timeout`) until at most `clients` clients are connected, e.g. until a closed
    /// editor has let go of the display, so that stopping the server breaks no one's
    /// connection. Returns the number connected at the end.
    pub fn wait_for_client_count_at_most(
        &self,
        clients: usize,
        timeout: Duration,
    ) -> anyhow::Result<usize> {
        let started = Instant::now();
        loop {
            let connected = self.client_count()?;
            if connected <= clients || started.elapsed() >= timeout {
                return Ok(connected);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until the server has handled every request sent so far.
    fn sync(&self) -> anyhow::Result<()> {
        self.connection.get_input_focus()?.reply()?;
        Ok(())
    }
}

impl Drop for VirtualScreen {
    fn drop(&mut self) {
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}
