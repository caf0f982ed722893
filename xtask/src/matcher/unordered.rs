//! Pairs the lines of an `unordered` group with its members: a maximum bipartite matching
//! that stays fast for groups of thousands of lines.
//!
//! Members with the same pattern and window are interchangeable, so they form one *class*
//! with room for as many lines as it has members. A line finds the classes of exact
//! patterns (no wildcard) by hashing its text; only the classes of wildcard patterns are
//! tried against every line. A greedy pass, lines with the fewest choices first, places most
//! lines; each line left over then searches breadth-first (no deep recursion) for a chain of
//! moves that frees a place. A search that fails keeps its marks until the next one
//! succeeds: while the matching is unchanged, nothing it visited can reach a free place (the
//! classic shortcut of Kuhn's algorithm).
//!
//! Cost: about (lines × wildcard classes) pattern tests, plus the hashing. Thousands of
//! lines against a few distinct wildcard patterns, or against exact lines, take
//! milliseconds; thousands of *distinct* wildcard patterns cost their product.

use std::collections::{HashMap, VecDeque};

use crate::transcript::Expect;

/// What makes members interchangeable: the pattern's text and the window's bits.
type ClassKey<'a> = (&'a str, Option<(u64, u64)>);

/// The members of a group, sorted into classes of interchangeable ones.
#[derive(Debug)]
pub(super) struct Classes<'a> {
    /// The members of each class, in transcript order.
    members: Vec<Vec<usize>>,
    /// The classes of exact patterns, by the one text they match.
    exact: HashMap<&'a str, Vec<usize>>,
    /// The classes of patterns with a wildcard.
    wildcard: Vec<usize>,
}

impl<'a> Classes<'a> {
    pub(super) fn new(members: &'a [Expect]) -> Self {
        let mut by_key: HashMap<ClassKey<'_>, usize> = HashMap::new();
        let mut classes = Self {
            members: Vec::new(),
            exact: HashMap::new(),
            wildcard: Vec::new(),
        };
        for (index, member) in members.iter().enumerate() {
            let window = member.window.map(|w| (w.lo.to_bits(), w.hi.to_bits()));
            let key = (member.pattern.source(), window);
            let class = *by_key.entry(key).or_insert_with(|| {
                let class = classes.members.len();
                classes.members.push(Vec::new());
                match member.pattern.literal() {
                    Some(text) => classes.exact.entry(text).or_default().push(class),
                    None => classes.wildcard.push(class),
                }
                class
            });
            classes.members[class].push(index);
        }
        classes
    }

    /// How many classes there are.
    pub(super) fn len(&self) -> usize {
        self.members.len()
    }

    /// The members of `class`, in transcript order.
    pub(super) fn members(&self, class: usize) -> &[usize] {
        &self.members[class]
    }

    /// The classes whose pattern may match `text`: the exact ones for that text, then every
    /// wildcard class.
    pub(super) fn candidates(&self, text: &str) -> impl Iterator<Item = usize> + '_ {
        let exact = self.exact.get(text).map_or(&[][..], Vec::as_slice);
        exact.iter().chain(&self.wildcard).copied()
    }
}

/// Gives as many lines as possible a member. `texts[j]` is line `j`'s text (`None`: not
/// UTF-8, no member takes it); `takes(class, j)` says whether the members of `class` take
/// line `j` (its text and its window). Returns each line's member; within a class, members
/// go to lines in order.
pub(super) fn assign(
    classes: &Classes<'_>,
    texts: &[Option<&str>],
    takes: impl Fn(usize, usize) -> bool,
) -> Vec<Option<usize>> {
    let mut m = Matching {
        holders: vec![Vec::new(); classes.len()],
        slot: vec![0; texts.len()],
        class_of: vec![None; texts.len()],
    };
    let takes = &takes;
    let edges = |line: usize| {
        texts[line]
            .into_iter()
            .flat_map(|text| classes.candidates(text))
            .filter(move |&class| takes(class, line))
    };
    let room = |m: &Matching, class: usize| m.holders[class].len() < classes.members(class).len();

    // Lines with the fewest choices first: a line only a wildcard takes then never waits
    // behind lines that had somewhere else to go.
    let mut order: Vec<(usize, usize)> = (0..texts.len())
        .map(|line| (edges(line).count(), line))
        .collect();
    order.sort_unstable();
    for &(_, line) in &order {
        if let Some(class) = edges(line).find(|&class| room(&m, class)) {
            m.place(line, class);
        }
    }

    let mut search = Search {
        class_mark: vec![0; classes.len()],
        line_mark: vec![0; texts.len()],
        via: vec![0; classes.len()],
        queue: VecDeque::new(),
        stamp: 1,
    };
    for start in 0..texts.len() {
        if m.class_of[start].is_some() {
            continue;
        }
        // Breadth-first over full classes; a class's lines are tried one by one, so the
        // search stops at the first line that can move to a free place.
        search.queue.clear();
        search.line_mark[start] = search.stamp;
        let mut free = search.scan(start, &m, edges(start), room);
        while free.is_none() {
            let Some(class) = search.queue.pop_front() else {
                break;
            };
            for &holder in &m.holders[class] {
                if search.line_mark[holder] == search.stamp {
                    continue;
                }
                search.line_mark[holder] = search.stamp;
                free = search.scan(holder, &m, edges(holder), room);
                if free.is_some() {
                    break;
                }
            }
        }
        let Some(mut class) = free else {
            continue; // Keep the marks: see the module docs.
        };
        // Walk the chain back: each line moves into the class it reached, freeing its
        // old place for the line that reached that one.
        let mut line = search.via[class];
        while let Some(old) = m.move_to(line, class) {
            class = old;
            line = search.via[old];
        }
        search.stamp += 1;
    }

    let mut owner = vec![None; texts.len()];
    for (class, holders) in m.holders.iter_mut().enumerate() {
        holders.sort_unstable();
        for (&line, &member) in holders.iter().zip(classes.members(class)) {
            owner[line] = Some(member);
        }
    }
    owner
}

/// The state of the searches for a free place.
struct Search {
    /// A class or line is visited in the current search if its mark is `stamp`.
    class_mark: Vec<u32>,
    line_mark: Vec<u32>,
    /// The line that reached each class.
    via: Vec<usize>,
    /// Full classes whose lines are still to try.
    queue: VecDeque<usize>,
    stamp: u32,
}

impl Search {
    /// Visits the classes `line` could move to (`edges`): returns one with room, or queues
    /// the full ones.
    fn scan(
        &mut self,
        line: usize,
        m: &Matching,
        edges: impl Iterator<Item = usize>,
        room: impl Fn(&Matching, usize) -> bool,
    ) -> Option<usize> {
        for class in edges {
            if self.class_mark[class] == self.stamp || m.class_of[line] == Some(class) {
                continue;
            }
            self.class_mark[class] = self.stamp;
            self.via[class] = line;
            if room(m, class) {
                return Some(class);
            }
            self.queue.push_back(class);
        }
        None
    }
}

/// Which line is in which class.
struct Matching {
    /// The lines in each class, in no order.
    holders: Vec<Vec<usize>>,
    /// Each placed line's index in its class's `holders`.
    slot: Vec<usize>,
    class_of: Vec<Option<usize>>,
}

impl Matching {
    fn place(&mut self, line: usize, class: usize) {
        self.slot[line] = self.holders[class].len();
        self.holders[class].push(line);
        self.class_of[line] = Some(class);
    }

    /// Moves `line` into `class`; returns the class it left, if it had one.
    fn move_to(&mut self, line: usize, class: usize) -> Option<usize> {
        let old = self.class_of[line];
        if let Some(old) = old {
            let holders = &mut self.holders[old];
            let at = self.slot[line];
            holders.swap_remove(at);
            if let Some(&moved) = holders.get(at) {
                self.slot[moved] = at;
            }
        }
        self.place(line, class);
        old
    }
}
