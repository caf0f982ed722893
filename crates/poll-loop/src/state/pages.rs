//! A growable array stored in fixed-size pages, for the loop's slabs of
//! timers and tasks.
//
// A `Vec` doubles: at 100,000 entries it holds room for 131,072, and while
// it grows the old buffer and the new one are both allocated, the old one
// copied. With 100,000 sleeping tasks the timer slab and the task slab
// growing that way were a fifth of the peak heap (benches/tasks). Pages
// are never moved or copied: a push allocates at most one page, and at
// most one page is ever unused.

use std::ops::{Index, IndexMut};

/// Entries per page: a power of two, so an index splits with a shift.
const PAGE: usize = 1024;

pub(crate) struct Pages<T> {
    pages: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Pages<T> {
    fn default() -> Self {
        Pages {
            pages: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Pages<T> {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn push(&mut self, value: T) {
        if self.len % PAGE == 0 {
            self.pages.push(Vec::with_capacity(PAGE));
        }
        self.pages.last_mut().expect("a page with room").push(value);
        self.len += 1;
    }

    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.pages.get(index / PAGE)?.get(index % PAGE)
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.pages.get_mut(index / PAGE)?.get_mut(index % PAGE)
    }
}

impl<T> Index<usize> for Pages<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        self.get(index).expect("index within the pages")
    }
}

impl<T> IndexMut<usize> for Pages<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        self.get_mut(index).expect("index within the pages")
    }
}

impl<T> IntoIterator for Pages<T> {
    type Item = T;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<T>>>;

    /// The entries in index order.
    fn into_iter(self) -> Self::IntoIter {
        self.pages.into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::{PAGE, Pages};

    #[test]
    fn entries_keep_their_index_across_pages() {
        let mut pages = Pages::default();
        for i in 0..3 * PAGE + 5 {
            pages.push(i);
        }
        assert_eq!(pages.len(), 3 * PAGE + 5);
        assert_eq!(pages[0], 0);
        assert_eq!(pages[PAGE - 1], PAGE - 1);
        assert_eq!(pages[PAGE], PAGE);
        assert_eq!(pages.get(3 * PAGE + 4), Some(&(3 * PAGE + 4)));
        assert_eq!(pages.get(3 * PAGE + 5), None);
        pages[PAGE + 1] = 7;
        assert_eq!(pages[PAGE + 1], 7);
        let all: Vec<usize> = pages.into_iter().collect();
        assert_eq!(all.len(), 3 * PAGE + 5);
        assert_eq!(all[PAGE + 1], 7);
        assert_eq!(all[3 * PAGE + 4], 3 * PAGE + 4);
    }

    #[test]
    fn a_page_is_allocated_only_when_needed() {
        let mut pages = Pages::default();
        assert_eq!(pages.pages.len(), 0);
        pages.push(1_u8);
        assert_eq!(pages.pages.len(), 1);
        for _ in 1..PAGE {
            pages.push(1);
        }
        assert_eq!(pages.pages.len(), 1, "a full page, no more");
        pages.push(1);
        assert_eq!(pages.pages.len(), 2);
    }
}
