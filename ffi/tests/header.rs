//! `include/bellwether.h` is generated from this crate by cbindgen and committed. This test
//! regenerates it and fails on any difference; `BELLWETHER_BLESS=1` rewrites it instead.
//! It also checks the header's version macros against `Cargo.toml`.

use std::path::PathBuf;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    crate_dir().join("../include/bellwether.h")
}

fn generate() -> String {
    let config = cbindgen::Config::from_file(crate_dir().join("cbindgen.toml"))
        .expect("ffi/cbindgen.toml is valid");
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir())
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

#[test]
fn header_is_up_to_date() {
    let generated = generate();
    if std::env::var_os("BELLWETHER_BLESS").is_some() {
        std::fs::write(header_path(), &generated).expect("include/bellwether.h is writable");
        return;
    }
    let committed = std::fs::read_to_string(header_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "include/bellwether.h differs from what ffi/src generates; run \
         `BELLWETHER_BLESS=1 cargo test -p bellwether-ffi --test header` and commit it"
    );
}

#[test]
fn version_macros_match_cargo_toml() {
    let header = std::fs::read_to_string(header_path()).expect("include/bellwether.h exists");
    for (name, value) in [
        ("MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        let line = format!("#define BELLWETHER_VERSION_{name} {value}");
        assert!(header.contains(&line), "the header lacks `{line}`");
    }
    let core = std::fs::read_to_string(crate_dir().join("../Cargo.toml")).expect("Cargo.toml");
    let core_version = format!("version = \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(
        core.contains(&core_version),
        "the library and the engine crate carry different versions"
    );
}
