//! `include/bellwether.h` is generated from this crate by cbindgen and committed. This test
//! regenerates it and fails on any difference; `BELLWETHER_BLESS=1` rewrites it instead.
//! It also checks the header's version macros against `Cargo.toml`, and that its comments
//! read as C: Doxygen style, no rustdoc links.

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

/// Whether `line` has a rustdoc intra-doc link written bare: `[name]` or `[path::name]`
/// after something that is not part of an identifier (`buf[BW_MAX_MESSAGE_SIZE]`, an array
/// in a C example, is not one).
fn has_bare_link(line: &str) -> bool {
    let bytes = line.as_bytes();
    bytes.iter().enumerate().any(|(at, &byte)| {
        let after_identifier = at
            .checked_sub(1)
            .and_then(|before| bytes.get(before))
            .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_');
        if byte != b'[' || after_identifier {
            return false;
        }
        let rest = bytes.get(at + 1..).unwrap_or_default();
        let name_len = rest
            .iter()
            .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
            .count();
        name_len > 0
            && rest.first().is_some_and(u8::is_ascii_alphabetic)
            && rest.get(name_len) == Some(&b']')
    })
}

/// The header is written for C readers: Doxygen comments (`/** ... */`), and none of
/// rustdoc's link syntax (`[`x`](y)`, `[`Foo`]`, `[Foo]`) leaking from the Rust docs.
#[test]
fn header_comments_read_as_c() {
    let header = std::fs::read_to_string(header_path()).expect("include/bellwether.h exists");
    assert!(
        header.contains("/**\n") && !header.contains("\n/// "),
        "the header's comments are not Doxygen comments (documentation_style = \"doxy\")"
    );
    let comments: Vec<(usize, &str)> = header
        .lines()
        .enumerate()
        .filter(|(_, line)| line.trim_start().starts_with('*'))
        .collect();
    assert!(comments.len() > 100, "the header has hardly any comments");
    let leaks: Vec<String> = comments
        .iter()
        .filter(|(_, line)| {
            line.contains("](") || line.contains("[`") || line.contains("`]") || has_bare_link(line)
        })
        .map(|(number, line)| format!("{}: {line}", number + 1))
        .collect();
    assert!(
        leaks.is_empty(),
        "rustdoc link syntax in include/bellwether.h (write the ffi docs for C readers):\n{}",
        leaks.join("\n")
    );
}

#[test]
fn the_link_check_finds_rustdoc_links() {
    for leak in [
        " * See [`bw_config`](crate::bw_config).",
        " * Fill it with [`bw_config_init`].",
        " * As [bw_node_init] says.",
        " * The [config::Config].",
    ] {
        let found = leak.contains("](")
            || leak.contains("[`")
            || leak.contains("`]")
            || has_bare_link(leak);
        assert!(found, "missed {leak:?}");
    }
    for fine in [
        " * uint8_t buf[BW_MAX_MESSAGE_SIZE];",
        " * bytes[0] and slots[1]",
        " * [0, 1)",
    ] {
        assert!(!has_bare_link(fine), "flagged {fine:?}");
    }
}
