//! Cross-crate examples of the workspace; see the `examples/` folder.
