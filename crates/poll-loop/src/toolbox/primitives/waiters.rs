//! The FIFO list of waiting futures that every primitive here is built on.
//
// A slab of nodes threaded into a doubly linked list, so that a waiter is
// queued, handed its turn and removed (when its future is dropped) in O(1)
// each. A node outlives its place in the list: `notify` unlinks the head
// and marks it notified, but only the waiter's own future frees the node,
// when it sees the notification or is dropped. So a key is valid for the
// whole life of its future and never refers to another waiter's node.

use std::task::Waker;

const NIL: usize = usize::MAX;

/// Waiting futures in arrival order.
pub(crate) struct WaitList {
    nodes: Vec<Node>,
    /// First free node, the free ones chained through `next`.
    free: usize,
    head: usize,
    tail: usize,
    /// Nodes in the list (waiting, not yet notified).
    len: usize,
}

struct Node {
    waker: Option<Waker>,
    prev: usize,
    next: usize,
    linked: bool,
}

impl WaitList {
    pub(crate) const fn new() -> WaitList {
        WaitList {
            nodes: Vec::new(),
            free: NIL,
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }

    /// How many wait (notified waiters that have not looked yet do not
    /// count).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Queues a waiter at the back; returns its key.
    pub(crate) fn push_back(&mut self, waker: Waker) -> usize {
        let node = Node {
            waker: Some(waker),
            prev: self.tail,
            next: NIL,
            linked: true,
        };
        let key = if self.free == NIL {
            self.nodes.push(node);
            self.nodes.len() - 1
        } else {
            let key = self.free;
            self.free = self.nodes[key].next;
            self.nodes[key] = node;
            key
        };
        match self.tail {
            NIL => self.head = key,
            tail => self.nodes[tail].next = key,
        }
        self.tail = key;
        self.len += 1;
        key
    }

    /// The first waiter's key.
    pub(crate) fn front(&self) -> Option<usize> {
        (self.head != NIL).then_some(self.head)
    }

    /// Takes the first waiter out of the list and marks it notified;
    /// returns its key and its waker, for the caller to wake once it holds
    /// no borrow.
    pub(crate) fn notify_front(&mut self) -> Option<(usize, Option<Waker>)> {
        let key = self.front()?;
        self.unlink(key);
        Some((key, self.nodes[key].waker.take()))
    }

    /// True while the waiter is in the list: false once notified.
    pub(crate) fn is_waiting(&self, key: usize) -> bool {
        self.nodes[key].linked
    }

    /// Stores the waker to wake for this waiter, if it is a different one;
    /// returns the one it replaces, for the caller to drop outside its
    /// borrow.
    pub(crate) fn update_waker(&mut self, key: usize, waker: &Waker) -> Option<Waker> {
        let slot = &mut self.nodes[key].waker;
        match slot {
            Some(old) if old.will_wake(waker) => None,
            _ => slot.replace(waker.clone()),
        }
    }

    /// Frees a waiter's node (its future is done or dropped); returns
    /// whether it was still waiting, and its waker, for the caller to drop
    /// outside its borrow.
    pub(crate) fn remove(&mut self, key: usize) -> (bool, Option<Waker>) {
        let waiting = self.nodes[key].linked;
        if waiting {
            self.unlink(key);
        }
        let node = &mut self.nodes[key];
        let waker = node.waker.take();
        node.next = self.free;
        self.free = key;
        (waiting, waker)
    }

    fn unlink(&mut self, key: usize) {
        let (prev, next) = {
            let node = &mut self.nodes[key];
            node.linked = false;
            (node.prev, node.next)
        };
        match prev {
            NIL => self.head = next,
            prev => self.nodes[prev].next = next,
        }
        match next {
            NIL => self.tail = prev,
            next => self.nodes[next].prev = prev,
        }
        self.len -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waker() -> Waker {
        Waker::noop().clone()
    }

    #[test]
    fn fifo_with_removal_from_the_middle() {
        let mut list = WaitList::new();
        let a = list.push_back(waker());
        let b = list.push_back(waker());
        let c = list.push_back(waker());
        assert!(list.remove(b).0);
        assert_eq!(list.notify_front().map(|n| n.0), Some(a));
        assert!(!list.is_waiting(a));
        let (waiting, _) = list.remove(a);
        assert!(!waiting);
        let d = list.push_back(waker());
        assert_eq!(d, a, "the freed node is reused");
        assert_eq!(list.len(), 2);
        assert_eq!(list.notify_front().map(|n| n.0), Some(c));
        assert_eq!(list.notify_front().map(|n| n.0), Some(d));
        assert!(list.notify_front().is_none());
        assert_eq!(list.len(), 0);
    }
}
