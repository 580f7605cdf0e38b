//! Loading a `.vst3` bundle on Linux: the shared library inside it, its `ModuleEntry`, its plugin
//! factory, and the factory's class list.
//!
//! Bundle layout and entry points as in the VST3 SDK's "VST 3 Locations / Format" documentation:
//! `<name>.vst3/Contents/x86_64-linux/<name>.so`, exporting `GetPluginFactory` and, on Linux,
//! `ModuleEntry(void* sharedLibraryHandle)` / `ModuleExit()`, which a host calls once after
//! loading and before unloading. This host never unloads a module (see [`Vst3Module::load`]), so
//! `ModuleExit` is never due.

use std::collections::HashMap;
use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, anyhow, bail};
use vst3::ComPtr;
use vst3::Steinberg::{
    FUnknown, IPluginFactory, IPluginFactory2, IPluginFactory2Trait, IPluginFactory3,
    IPluginFactory3Trait, IPluginFactoryTrait, PClassInfo, PClassInfo2, PClassInfoW, PFactoryInfo,
    TUID, kResultOk,
};

use super::host_context::{read_char8, read_utf16};

/// The class category of an audio processor component (`kVstAudioEffectClass`).
pub const AUDIO_MODULE_CLASS: &str = "Audio Module Class";
/// The class category of a separate edit controller (`kVstComponentControllerClass`).
pub const COMPONENT_CONTROLLER_CLASS: &str = "Component Controller Class";

/// The factory's own description (`PFactoryInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactoryInfo {
    /// Vendor name.
    pub vendor: String,
    /// Vendor URL.
    pub url: String,
    /// Vendor e-mail.
    pub email: String,
    /// `PFactoryInfo::FactoryFlags` bits.
    pub flags: i32,
}

/// One class the factory can create, merged from `PClassInfo`, `PClassInfo2` (if the factory
/// offers `IPluginFactory2`) and `PClassInfoW` (if it offers `IPluginFactory3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassInfo {
    /// Index in the factory.
    pub index: i32,
    /// The class ID.
    pub cid: [u8; 16],
    /// `kManyInstances` (0x7FFFFFFF) or a limit.
    pub cardinality: i32,
    /// Category, e.g. [`AUDIO_MODULE_CLASS`].
    pub category: String,
    /// Name (the UTF-16 name from `IPluginFactory3` when offered).
    pub name: String,
    /// `ComponentFlags` (`IPluginFactory2` and later; 0 otherwise).
    pub class_flags: u32,
    /// Sub-categories separated by `|`, e.g. "Fx|Distortion" (empty before `IPluginFactory2`).
    pub sub_categories: String,
    /// Vendor (empty before `IPluginFactory2`).
    pub vendor: String,
    /// Version string (empty before `IPluginFactory2`).
    pub version: String,
    /// The SDK version the class was built with (empty before `IPluginFactory2`).
    pub sdk_version: String,
    /// Which factory interfaces answered: 1, 2 or 3.
    pub factory_version: u8,
}

/// A loaded VST3 module and its plugin factory.
pub struct Vst3Module {
    path: PathBuf,
    factory: ComPtr<IPluginFactory>,
}

/// The shared library inside a `.vst3` bundle folder on x86-64 Linux.
pub fn library_path(bundle: &Path) -> PathBuf {
    let stem = bundle
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    bundle
        .join("Contents")
        .join("x86_64-linux")
        .join(format!("{stem}.so"))
}

/// Libraries loaded so far (by library path) and whether their `ModuleEntry` succeeded.
static LOADED_MODULES: Mutex<Option<HashMap<PathBuf, bool>>> = Mutex::new(None);

type GetPluginFactory = unsafe extern "system" fn() -> *mut c_void;
type ModuleEntry = unsafe extern "C" fn(*mut c_void) -> bool;

impl Vst3Module {
    /// Loads the bundle at `bundle` (a `.vst3` folder), calls `ModuleEntry` the first time this
    /// process loads it (if exported), and takes its plugin factory.
    ///
    /// A module, once loaded, stays loaded until the process exits, as the CLAP host does with
    /// CLAP bundles: a Rust plugin leaves thread-exit destructors on every thread that ran its
    /// code, so unloading it while test threads live would crash them when they exit.
    pub fn load(bundle: &Path) -> anyhow::Result<Self> {
        let path = library_path(bundle);
        anyhow::ensure!(
            path.exists(),
            "VST3 bundle {} has no Linux library at {}",
            bundle.display(),
            path.display()
        );
        // SAFETY: loading a library runs its initialisers; these are our own plugins, built from
        // this workspace.
        let library = unsafe { libloading::os::unix::Library::new(&path) }
            .with_context(|| format!("loading {}", path.display()))?;
        let mut loaded = LOADED_MODULES
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let loaded = loaded.get_or_insert_with(HashMap::new);
        if !loaded.contains_key(&path) {
            // SAFETY: the symbol, if present, has the SDK's `ModuleEntry` signature.
            let entered = match unsafe { library.get::<ModuleEntry>(b"ModuleEntry\0") } {
                Ok(module_entry) => {
                    let handle = library.into_raw();
                    // SAFETY: `handle` is the dlopen handle of the library just loaded, which is
                    // what the SDK passes; re-wrapping it below keeps it loaded.
                    let entered = unsafe { module_entry(handle) };
                    // SAFETY: `handle` came from `into_raw` just above.
                    let library = unsafe { libloading::os::unix::Library::from_raw(handle) };
                    std::mem::forget(library);
                    entered
                }
                Err(_) => {
                    std::mem::forget(library);
                    true
                }
            };
            loaded.insert(path.clone(), entered);
        }
        if !loaded[&path] {
            bail!("ModuleEntry of {} returned false", path.display());
        }
        // The library is loaded (and pinned) now; take the factory from a fresh handle, which
        // is also leaked so the module is never unloaded.
        // SAFETY: as above.
        let library = unsafe { libloading::os::unix::Library::new(&path) }
            .with_context(|| format!("loading {}", path.display()))?;
        // SAFETY: `GetPluginFactory` has the SDK's signature.
        let get_factory = unsafe { library.get::<GetPluginFactory>(b"GetPluginFactory\0") }
            .map_err(|error| anyhow!("{} exports no GetPluginFactory: {error}", path.display()))?;
        // SAFETY: returns an owned (add-ref'd) IPluginFactory pointer or null.
        let raw_factory = unsafe { get_factory() };
        std::mem::forget(library);
        // SAFETY: ownership of the returned reference passes to the ComPtr.
        let factory = unsafe { ComPtr::from_raw(raw_factory.cast::<IPluginFactory>()) }
            .ok_or_else(|| anyhow!("GetPluginFactory of {} returned null", path.display()))?;
        Ok(Self { path, factory })
    }

    /// Wraps a factory that is already in hand, such as one implemented inside a test to check
    /// the host itself; `path` only names it in messages.
    pub fn from_factory(path: PathBuf, factory: ComPtr<IPluginFactory>) -> Self {
        Self { path, factory }
    }

    /// The library's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The factory, for creating instances.
    pub fn factory(&self) -> &ComPtr<IPluginFactory> {
        &self.factory
    }

    /// Whether the factory also offers `IPluginFactory2` / `IPluginFactory3`.
    pub fn factory_versions(&self) -> (bool, bool) {
        (
            self.factory.cast::<IPluginFactory2>().is_some(),
            self.factory.cast::<IPluginFactory3>().is_some(),
        )
    }

    /// The factory's description.
    pub fn factory_info(&self) -> anyhow::Result<FactoryInfo> {
        // SAFETY: PFactoryInfo is plain data; zeroed is a valid value.
        let mut info: PFactoryInfo = unsafe { std::mem::zeroed() };
        // SAFETY: a valid out pointer.
        let result = unsafe { self.factory.getFactoryInfo(&mut info) };
        anyhow::ensure!(result == kResultOk, "getFactoryInfo returned {result}");
        Ok(FactoryInfo {
            vendor: read_char8(&info.vendor),
            url: read_char8(&info.url),
            email: read_char8(&info.email),
            flags: info.flags,
        })
    }

    /// Every class the factory lists.
    pub fn classes(&self) -> anyhow::Result<Vec<ClassInfo>> {
        let factory2 = self.factory.cast::<IPluginFactory2>();
        let factory3 = self.factory.cast::<IPluginFactory3>();
        // SAFETY: a plain call on a live factory.
        let count = unsafe { self.factory.countClasses() };
        (0..count)
            .map(|index| {
                // SAFETY: the PClassInfo* structs are plain data; zeroed is valid.
                let mut info: PClassInfo = unsafe { std::mem::zeroed() };
                // SAFETY: a valid out pointer.
                let result = unsafe { self.factory.getClassInfo(index, &mut info) };
                anyhow::ensure!(
                    result == kResultOk,
                    "getClassInfo({index}) returned {result}"
                );
                let mut class = ClassInfo {
                    index,
                    cid: info.cid.map(|byte| byte as u8),
                    cardinality: info.cardinality,
                    category: read_char8(&info.category),
                    name: read_char8(&info.name),
                    class_flags: 0,
                    sub_categories: String::new(),
                    vendor: String::new(),
                    version: String::new(),
                    sdk_version: String::new(),
                    factory_version: 1,
                };
                if let Some(factory2) = &factory2 {
                    // SAFETY: as above.
                    let mut info2: PClassInfo2 = unsafe { std::mem::zeroed() };
                    // SAFETY: a valid out pointer.
                    let result = unsafe { factory2.getClassInfo2(index, &mut info2) };
                    anyhow::ensure!(
                        result == kResultOk,
                        "getClassInfo2({index}) returned {result}"
                    );
                    anyhow::ensure!(
                        info2.cid == info.cid,
                        "getClassInfo2({index}) names another class than getClassInfo"
                    );
                    class.class_flags = info2.classFlags;
                    class.sub_categories = read_char8(&info2.subCategories);
                    class.vendor = read_char8(&info2.vendor);
                    class.version = read_char8(&info2.version);
                    class.sdk_version = read_char8(&info2.sdkVersion);
                    class.factory_version = 2;
                }
                if let Some(factory3) = &factory3 {
                    // SAFETY: as above.
                    let mut info_w: PClassInfoW = unsafe { std::mem::zeroed() };
                    // SAFETY: a valid out pointer.
                    let result = unsafe { factory3.getClassInfoUnicode(index, &mut info_w) };
                    anyhow::ensure!(
                        result == kResultOk,
                        "getClassInfoUnicode({index}) returned {result}"
                    );
                    anyhow::ensure!(
                        info_w.cid == info.cid,
                        "getClassInfoUnicode({index}) names another class than getClassInfo"
                    );
                    class.name = read_utf16(&info_w.name);
                    class.vendor = read_utf16(&info_w.vendor);
                    class.version = read_utf16(&info_w.version);
                    class.sdk_version = read_utf16(&info_w.sdkVersion);
                    class.factory_version = 3;
                }
                Ok(class)
            })
            .collect()
    }

    /// Gives the factory the host context through `IPluginFactory3::setHostContext`, if offered.
    pub fn set_host_context(&self, context: &ComPtr<FUnknown>) -> anyhow::Result<()> {
        if let Some(factory3) = self.factory.cast::<IPluginFactory3>() {
            // SAFETY: `context` is a live host object for the duration of the call; the factory
            // add-refs it if it keeps it.
            let result = unsafe { factory3.setHostContext(context.as_ptr()) };
            anyhow::ensure!(result == kResultOk, "setHostContext returned {result}");
        }
        Ok(())
    }

    /// Creates an instance of class `cid` and returns it as interface `I`.
    pub fn create<I: vst3::Interface>(&self, cid: &[u8; 16]) -> anyhow::Result<ComPtr<I>> {
        let cid: TUID = cid.map(|byte| byte as std::ffi::c_char);
        let iid: TUID = I::IID.map(|byte| byte as std::ffi::c_char);
        let mut object: *mut c_void = std::ptr::null_mut();
        // SAFETY: valid class and interface IDs and out pointer; on success the factory hands
        // over one reference, which the ComPtr takes.
        let result = unsafe {
            self.factory
                .createInstance(cid.as_ptr(), iid.as_ptr(), &mut object)
        };
        anyhow::ensure!(result == kResultOk, "createInstance returned {result}");
        // SAFETY: as above.
        unsafe { ComPtr::from_raw(object.cast::<I>()) }
            .ok_or_else(|| anyhow!("createInstance succeeded but returned null"))
    }
}
