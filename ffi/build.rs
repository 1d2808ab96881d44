//! Versions the shared library: on ELF platforms `libbellwether.so` carries the SONAME
//! `libbellwether.so.<major>`, so programs linked with it record that name and the ABI
//! major version they need, and ffi/CMakeLists.txt installs the usual links
//! (`libbellwether.so` -> `libbellwether.so.<major>` -> `libbellwether.so.<version>`).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let elf = ["linux", "android", "freebsd", "netbsd", "openbsd"];
    if elf.contains(&os.as_str()) {
        let major = env!("CARGO_PKG_VERSION_MAJOR");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libbellwether.so.{major}");
    }
}
