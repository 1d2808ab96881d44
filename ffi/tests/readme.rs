//! The README's "Using from C" section shows `examples/c/minimal.c` in full; this keeps the
//! two identical (the install test builds and runs the file).

#[test]
fn readme_shows_the_minimal_c_program_exactly() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let program = std::fs::read_to_string(root.join("examples/c/minimal.c")).expect("minimal.c");
    let block = format!("```c\n{program}```");
    assert!(
        readme.contains(&block),
        "README.md must contain examples/c/minimal.c verbatim in a ```c block"
    );
}
