//! `cargo xtask layers`: the library crates keep their layers.
//!
//! Reads every `.rs` file of a crate's `src/`, turns each file into a module
//! (`src/event_loop/run.rs` is `event_loop/run`), and each `crate::…` path in
//! its code (a `use` line or a path written inline; comments and the
//! `#[cfg(test)]` module at the end of a file left out) into an import of the
//! module it names. Then it checks three rules, and names every breach with
//! the file and the line:
//!
//! - **Downward only.** A crate may list its layers, bottom first, as the
//!   folders of its `src/` (poll-loop: `state`, `os`, `event_loop`, `task`,
//!   `toolbox`, `net`, `streams`). A module of one layer imports only from its own
//!   layer and those below; a module outside the layers (`error.rs`) is a
//!   leaf every layer may use, and imports no layer.
//! - **Small circles.** No set of modules that import each other in a
//!   circle (a strongly connected component of the graph) holds more than
//!   three files.
//! - **Within a folder.** No such circle crosses from one top-level folder
//!   of `src/` (a folder with the file of its module, `task.rs` and `task/`)
//!   to another, or to the files of `src/` itself.
//!
//! `lib.rs` is not checked: it declares and re-exports everything.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::DynError;

/// A library crate, and its layers (bottom first; empty: no layer rule).
struct Rules {
    src: &'static str,
    layers: &'static [&'static str],
}

/// The crates checked, by `cargo xtask layers` and by the test that runs it.
const CRATES: &[Rules] = &[
    Rules {
        src: "crates/cb-timer/src",
        layers: &[],
    },
    Rules {
        src: "crates/simple-future/src",
        layers: &[],
    },
    Rules {
        src: "crates/poll-loop/src",
        layers: &[
            "state",
            "os",
            "event_loop",
            "task",
            "toolbox",
            "net",
            "streams",
        ],
    },
];

/// The most files a circle of imports may hold.
const MAX_CIRCLE: usize = 3;

/// Runs the check on every crate of [`CRATES`] under `root`.
pub(crate) fn layers(root: &Path) -> Result<ExitCode, DynError> {
    let mut failed = false;
    for rules in CRATES {
        let src = root.join(rules.src);
        let graph = Graph::read(&src, root)?;
        let breaches = graph.check(rules.layers);
        if breaches.is_empty() {
            println!(
                "ok    {}: {} modules, {} imports, largest circle {} file(s)",
                rules.src,
                graph.modules.len(),
                graph.imports.values().map(BTreeMap::len).sum::<usize>(),
                graph.circles().iter().map(Vec::len).max().unwrap_or(1),
            );
        } else {
            failed = true;
            println!("FAIL  {}", rules.src);
            for breach in &breaches {
                println!("  {breach}");
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// One import, where it was written.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Site {
    file: PathBuf,
    line: usize,
    text: String,
}

/// A crate's modules and the imports between them.
#[derive(Debug, Default)]
struct Graph {
    /// Module path (`event_loop/run`) to its file.
    modules: BTreeMap<String, PathBuf>,
    /// Module to the modules it imports, each with the first place it does.
    imports: BTreeMap<String, BTreeMap<String, Site>>,
}

/// A rule broken.
#[derive(Debug, PartialEq, Eq)]
enum Breach {
    Upward {
        from: String,
        to: String,
        site: Site,
    },
    LeafImportsLayer {
        from: String,
        to: String,
        site: Site,
    },
    BigCircle(Vec<String>),
    CircleAcrossFolders(Vec<String>),
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Breach::Upward { from, to, site } => write!(
                f,
                "upward import: {from} imports {to}, a layer above it ({}:{}: {})",
                site.file.display(),
                site.line,
                site.text
            ),
            Breach::LeafImportsLayer { from, to, site } => write!(
                f,
                "a module outside the layers imports one: {from} imports {to} ({}:{}: {})",
                site.file.display(),
                site.line,
                site.text
            ),
            Breach::BigCircle(members) => write!(
                f,
                "an import circle of {} files (at most {MAX_CIRCLE}): {}",
                members.len(),
                members.join(" <-> ")
            ),
            Breach::CircleAcrossFolders(members) => write!(
                f,
                "an import circle across folders: {}",
                members.join(" <-> ")
            ),
        }
    }
}

impl Graph {
    /// The graph of the crate whose sources are under `src`, its files
    /// named from `base`.
    fn read(src: &Path, base: &Path) -> Result<Graph, DynError> {
        let mut files = Vec::new();
        collect_rs(src, &mut files)?;
        let mut sources = BTreeMap::new();
        for file in files {
            let relative = file.strip_prefix(src)?.to_string_lossy().replace('\\', "/");
            let module = module_of(&relative);
            let source = fs::read_to_string(&file)?;
            let shown = file.strip_prefix(base).unwrap_or(&file).to_path_buf();
            sources.insert(module, (shown, source));
        }
        Ok(Graph::from_sources(
            sources.into_iter().map(|(m, (f, s))| (m, f, s)),
        ))
    }

    /// The graph of `(module, file, source)` triples.
    fn from_sources(sources: impl IntoIterator<Item = (String, PathBuf, String)>) -> Graph {
        let sources: Vec<_> = sources.into_iter().collect();
        let mut graph = Graph::default();
        for (module, file, _) in &sources {
            graph.modules.insert(module.clone(), file.clone());
        }
        for (module, file, source) in &sources {
            if module == "lib" {
                continue;
            }
            let mut imports = BTreeMap::new();
            for (line, text, path) in crate_paths(module, source) {
                let Some(target) = graph.resolve(&path) else {
                    continue; // a re-export at the root, or an item of lib.rs
                };
                if &target == module || target == "lib" {
                    continue;
                }
                imports.entry(target).or_insert_with(|| Site {
                    file: file.clone(),
                    line,
                    text: text.clone(),
                });
            }
            graph.imports.insert(module.clone(), imports);
        }
        graph
    }

    /// The module a path names: its longest prefix that is a module.
    fn resolve(&self, path: &[String]) -> Option<String> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].join("/"))
            .find(|module| self.modules.contains_key(module))
    }

    /// Every rule broken, given the crate's layers.
    fn check(&self, layers: &[&str]) -> Vec<Breach> {
        let mut breaches = Vec::new();
        let rank = |module: &str| {
            layers
                .iter()
                .position(|layer| *layer == self.folder(module))
        };
        if !layers.is_empty() {
            for (from, imports) in &self.imports {
                for (to, site) in imports {
                    match (rank(from), rank(to)) {
                        (Some(a), Some(b)) if b > a => breaches.push(Breach::Upward {
                            from: from.clone(),
                            to: to.clone(),
                            site: site.clone(),
                        }),
                        (None, Some(_)) => breaches.push(Breach::LeafImportsLayer {
                            from: from.clone(),
                            to: to.clone(),
                            site: site.clone(),
                        }),
                        _ => {}
                    }
                }
            }
        }
        for circle in self.circles() {
            if circle.len() > MAX_CIRCLE {
                breaches.push(Breach::BigCircle(circle.clone()));
            }
            let folders: BTreeSet<&str> = circle.iter().map(|m| self.folder(m)).collect();
            if folders.len() > 1 {
                breaches.push(Breach::CircleAcrossFolders(circle));
            }
        }
        breaches
    }

    /// The circles of imports: strongly connected components of more than
    /// one module, each sorted (Tarjan's algorithm, iterative).
    fn circles(&self) -> Vec<Vec<String>> {
        let names: Vec<&String> = self.modules.keys().collect();
        let index_of: BTreeMap<&String, usize> =
            names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let edges: Vec<Vec<usize>> = names
            .iter()
            .map(|n| {
                self.imports
                    .get(*n)
                    .map(|to| to.keys().filter_map(|t| index_of.get(t).copied()).collect())
                    .unwrap_or_default()
            })
            .collect();
        let n = names.len();
        let (mut index, mut low, mut on_stack) = (vec![usize::MAX; n], vec![0; n], vec![false; n]);
        let (mut stack, mut next, mut circles) = (Vec::new(), 0, Vec::new());
        for start in 0..n {
            if index[start] != usize::MAX {
                continue;
            }
            // (node, next edge to look at)
            let mut work = vec![(start, 0)];
            while let Some(&mut (v, ref mut edge)) = work.last_mut() {
                if *edge == 0 && index[v] == usize::MAX {
                    index[v] = next;
                    low[v] = next;
                    next += 1;
                    stack.push(v);
                    on_stack[v] = true;
                }
                if let Some(&w) = edges[v].get(*edge) {
                    *edge += 1;
                    if index[w] == usize::MAX {
                        work.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                    continue;
                }
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut members = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        members.push(names[w].clone());
                        if w == v {
                            break;
                        }
                    }
                    if members.len() > 1 {
                        members.sort();
                        circles.push(members);
                    }
                }
            }
        }
        circles.sort();
        circles
    }
}

impl Graph {
    /// The top-level folder of `src/` a module lives in: `event_loop` for
    /// `event_loop/run`, and for `event_loop.rs` too (the folder's root);
    /// `""` (`src/` itself) for a file with no folder of its own.
    fn folder<'a>(&self, module: &'a str) -> &'a str {
        let top = module.split('/').next().unwrap_or(module);
        let prefix = format!("{top}/");
        let has_folder =
            module.contains('/') || self.modules.keys().any(|m| m.starts_with(&prefix));
        if has_folder { top } else { "" }
    }
}

/// `event_loop/run.rs` is `event_loop/run`; `a/mod.rs` is `a`.
fn module_of(relative: &str) -> String {
    let module = relative.strip_suffix(".rs").unwrap_or(relative);
    module.strip_suffix("/mod").unwrap_or(module).to_string()
}

fn collect_rs(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), DynError> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_rs(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    Ok(())
}

/// The `crate::` paths (and `super::` paths, made absolute) written in
/// `source`'s code, each with its line number and that line: a group
/// (`crate::a::{b, c::d}`) gives one path per member.
fn crate_paths(module: &str, source: &str) -> Vec<(usize, String, Vec<String>)> {
    let code = strip_tests(source);
    let parent: Vec<String> = {
        let mut segments: Vec<String> = module.split('/').map(str::to_string).collect();
        segments.pop();
        segments
    };
    let mut paths = Vec::new();
    let mut statement = String::new();
    let mut first_line = 0;
    for (number, line) in code.lines().enumerate() {
        let line = strip_comment(line);
        let trimmed = line.trim();
        // A `use` may span lines: gather it up to its `;`.
        let is_use = trimmed.starts_with("use ")
            || (trimmed.starts_with("pub") && trimmed.contains(" use "));
        if statement.is_empty() && !is_use {
            for path in inline_paths(line, &parent) {
                paths.push((number + 1, trimmed.to_string(), path));
            }
            continue;
        }
        if statement.is_empty() {
            first_line = number + 1;
        }
        statement.push_str(line);
        statement.push(' ');
        if trimmed.ends_with(';') {
            let text = statement.split_whitespace().collect::<Vec<_>>().join(" ");
            for path in inline_paths(&statement, &parent) {
                paths.push((first_line, text.clone(), path));
            }
            statement.clear();
        }
    }
    paths
}

/// The paths starting with `crate::` or `super::` in `text`.
fn inline_paths(text: &str, parent: &[String]) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for (start, root) in [("crate::", None), ("super::", Some(parent))] {
        let mut rest = text;
        while let Some(at) = rest.find(start) {
            let before = rest[..at].chars().last();
            let tail = &rest[at + start.len()..];
            rest = tail;
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue; // `$crate::`, `foo::crate::`…
            }
            let base: Vec<String> = root.map(<[String]>::to_vec).unwrap_or_default();
            expand(tail, base, &mut paths);
        }
    }
    paths
}

/// Reads one path (with its `{…}` groups) at the start of `text`, after the
/// segments `prefix`, into `out`.
fn expand(text: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    let mut rest = text;
    loop {
        let ident_len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if ident_len == 0 {
            if let Some(group) = rest.strip_prefix('{') {
                for member in split_group(group) {
                    expand(member.trim(), path.clone(), out);
                }
                return;
            }
            break;
        }
        let ident = &rest[..ident_len];
        if ident == "self" {
            break;
        }
        path.push(ident.to_string());
        rest = &rest[ident_len..];
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => break,
        }
    }
    if !path.is_empty() {
        out.push(path);
    }
}

/// The members of a `{…}` group (`text` starts after its `{`), split at its
/// top-level commas, up to its closing `}`.
fn split_group(text: &str) -> Vec<&str> {
    let mut members = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                members.push(&text[start..i]);
                return members;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                members.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    members.push(&text[start..]);
    members
}

/// `line` without a `//` comment (`//` inside a string is rare enough in
/// paths not to matter).
fn strip_comment(line: &str) -> &str {
    line.find("//").map_or(line, |at| &line[..at])
}

/// `source` without its `#[cfg(test)]` module at the end (unit tests may
/// import anything).
fn strip_tests(source: &str) -> &str {
    for marker in ["#[cfg(test)]\nmod ", "#[cfg(all(test"] {
        if let Some(at) = source.find(marker) {
            return &source[..at];
        }
    }
    source
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(sources: &[(&str, &str)]) -> Graph {
        Graph::from_sources(sources.iter().map(|(m, s)| {
            (
                m.to_string(),
                PathBuf::from(format!("{m}.rs")),
                s.to_string(),
            )
        }))
    }

    #[test]
    fn reads_use_lines_groups_inline_paths_and_super() {
        let g = graph(&[
            (
                "a",
                "use crate::b::{X, c::Y};\nfn f() { crate::d::g(); }\n// crate::e\n",
            ),
            ("b", ""),
            ("b/c", "use super::Z;\n"),
            ("d", "pub(crate) use crate::{\n    b::X,\n    e::W,\n};\n"),
            ("e", "#[cfg(test)]\nmod tests {\n    use crate::a::f;\n}\n"),
        ]);
        let to = |m: &str| g.imports[m].keys().cloned().collect::<Vec<_>>();
        assert_eq!(to("a"), ["b", "b/c", "d"]);
        assert_eq!(to("b/c"), ["b"]);
        assert_eq!(to("d"), ["b", "e"]);
        assert!(to("e").is_empty(), "a test module imports freely");
    }

    #[test]
    fn an_upward_import_is_named_with_its_line() {
        let g = graph(&[
            ("state/queue", "use crate::task::poll::Header;\n"),
            ("task/poll", "use crate::state::queue::Queue;\n"),
            ("error", ""),
        ]);
        let breaches = g.check(&["state", "task"]);
        assert_eq!(breaches.len(), 2, "{breaches:#?}"); // upward, and a circle across folders
        assert!(matches!(&breaches[0], Breach::Upward { from, to, site }
            if from == "state/queue" && to == "task/poll" && site.line == 1));
        assert!(
            breaches
                .iter()
                .any(|b| matches!(b, Breach::CircleAcrossFolders(_)))
        );
    }

    #[test]
    fn a_leaf_may_be_imported_by_any_layer_but_imports_none() {
        let g = graph(&[
            ("error", "use crate::task::poll::X;\n"),
            ("task/poll", "use crate::error::E;\n"),
        ]);
        let breaches = g.check(&["task"]);
        assert!(
            breaches
                .iter()
                .any(|b| matches!(b, Breach::LeafImportsLayer { from, .. } if from == "error"))
        );
    }

    #[test]
    fn a_circle_of_four_files_is_too_big_and_three_is_not() {
        let ring = |n: usize| {
            let names: Vec<String> = (0..n).map(|i| format!("m/{i}")).collect();
            let sources: Vec<(String, PathBuf, String)> = (0..n)
                .map(|i| {
                    let next = names[(i + 1) % n].replace('/', "::");
                    (
                        names[i].clone(),
                        PathBuf::from("x.rs"),
                        format!("use crate::{next};\n"),
                    )
                })
                .collect();
            Graph::from_sources(sources).check(&[])
        };
        assert!(ring(3).is_empty());
        assert_eq!(ring(4).len(), 1);
        assert!(matches!(&ring(4)[0], Breach::BigCircle(members) if members.len() == 4));
    }

    #[test]
    fn the_library_crates_keep_their_layers() {
        let root = crate::project_root();
        for rules in CRATES {
            let graph = Graph::read(&root.join(rules.src), &root).unwrap();
            let breaches = graph.check(rules.layers);
            assert!(
                breaches.is_empty(),
                "{}:\n{}",
                rules.src,
                breaches
                    .iter()
                    .map(|b| format!("  {b}\n"))
                    .collect::<String>()
            );
        }
    }
}
