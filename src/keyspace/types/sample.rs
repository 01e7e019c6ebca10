//! Random draws shared by sets and sorted sets (SRANDMEMBER, ZRANDMEMBER,
//! SPOP), with Redis's strategies and no allocation in proportion to the
//! requested count.
//!
//! A collection describes itself through [`Draws`]: encodings with random
//! access expose *slots* (table slots, some vacant, or intset positions);
//! sequential ones (listpacks) a walk in order. [`Distinct`] then draws
//! distinct elements by selection sampling over the walk or, for slots, by a
//! sweep when more than a third is wanted (Redis's "copy and subtract"
//! case) or random picks that skip repeats otherwise. [`Repeated`] draws
//! with repetition: random slots, or a walk decoded once (bounded by the
//! collection's length, never by the count).

use std::collections::HashSet;

use rand::{Rng, RngExt};

/// Knuth's selection sampling: asked once per candidate in order, says
/// whether to take it so that exactly `wanted` of `candidates` are taken,
/// each subset equally likely.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Selection {
    wanted: usize,
    candidates: usize,
}

impl Selection {
    pub(crate) fn new(wanted: usize, candidates: usize) -> Self {
        Selection {
            wanted: wanted.min(candidates),
            candidates,
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.wanted
    }

    pub(crate) fn take<R: Rng + ?Sized>(&mut self, rng: &mut R) -> bool {
        if self.wanted == 0 || self.candidates == 0 {
            return false;
        }
        let taken = rng.random_range(0..self.candidates) < self.wanted;
        self.candidates -= 1;
        if taken {
            self.wanted -= 1;
        }
        taken
    }
}

/// What a collection offers random draws (see the module docs).
pub trait Draws<'a> {
    type Item: Copy;
    type Walk: Iterator<Item = Self::Item>;

    fn len(&self) -> usize;

    /// The elements in order, for an encoding without random access; None
    /// if it has slots.
    fn walk(&'a self) -> Option<Self::Walk>;

    /// How many slots there are (0 for a walked encoding).
    fn slot_count(&self) -> usize;

    /// The element in a slot, None if the slot is vacant.
    fn slot(&'a self, index: usize) -> Option<Self::Item>;

    /// A uniformly chosen occupied slot.
    fn random_slot<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<usize>;
}

/// `min(count, len)` distinct elements; see the module docs for the order.
pub struct Distinct<'a, D: Draws<'a> + ?Sized, R: ?Sized> {
    source: &'a D,
    rng: &'a mut R,
    state: DistinctState<D::Walk>,
}

enum DistinctState<W> {
    Walk(Selection, W),
    Sweep { next: usize, selection: Selection },
    Picks { left: usize, seen: HashSet<usize> },
}

impl<'a, D: Draws<'a> + ?Sized, R: Rng + ?Sized> Distinct<'a, D, R> {
    pub(crate) fn new(source: &'a D, count: usize, rng: &'a mut R) -> Self {
        let len = source.len();
        let wanted = count.min(len);
        let state = match source.walk() {
            Some(walk) => DistinctState::Walk(Selection::new(wanted, len), walk),
            None if wanted.saturating_mul(3) > len => DistinctState::Sweep {
                next: 0,
                selection: Selection::new(wanted, len),
            },
            None => DistinctState::Picks {
                left: wanted,
                seen: HashSet::new(),
            },
        };
        Distinct { source, rng, state }
    }
}

impl<'a, D: Draws<'a> + ?Sized, R: Rng + ?Sized> Iterator for Distinct<'a, D, R> {
    type Item = D::Item;

    fn next(&mut self) -> Option<D::Item> {
        match &mut self.state {
            DistinctState::Walk(selection, walk) => {
                while selection.remaining() > 0 {
                    let item = walk.next()?;
                    if selection.take(self.rng) {
                        return Some(item);
                    }
                }
                None
            }
            DistinctState::Sweep { next, selection } => {
                while selection.remaining() > 0 && *next < self.source.slot_count() {
                    *next += 1;
                    if let Some(item) = self.source.slot(*next - 1)
                        && selection.take(self.rng)
                    {
                        return Some(item);
                    }
                }
                None
            }
            DistinctState::Picks { left, seen } => {
                // At most a third is wanted, so repeats are rare.
                while *left > 0 {
                    let index = self.source.random_slot(self.rng)?;
                    if seen.insert(index) {
                        *left -= 1;
                        return self.source.slot(index);
                    }
                }
                None
            }
        }
    }
}

/// `count` elements drawn with repetition (in random order); lazy, so a
/// huge count costs nothing until consumed.
pub struct Repeated<'a, D: Draws<'a> + ?Sized, R: ?Sized> {
    source: &'a D,
    rng: &'a mut R,
    left: usize,
    /// A walked encoding's elements, decoded on the first draw.
    walked: Option<Vec<D::Item>>,
}

impl<'a, D: Draws<'a> + ?Sized, R: Rng + ?Sized> Repeated<'a, D, R> {
    pub(crate) fn new(source: &'a D, count: usize, rng: &'a mut R) -> Self {
        Repeated {
            source,
            rng,
            left: if source.len() == 0 { 0 } else { count },
            walked: None,
        }
    }
}

impl<'a, D: Draws<'a> + ?Sized, R: Rng + ?Sized> Iterator for Repeated<'a, D, R> {
    type Item = D::Item;

    fn next(&mut self) -> Option<D::Item> {
        self.left = self.left.checked_sub(1)?;
        if self.walked.is_none()
            && let Some(walk) = self.source.walk()
        {
            self.walked = Some(walk.collect());
        }
        match &self.walked {
            Some(items) if !items.is_empty() => Some(items[self.rng.random_range(0..items.len())]),
            Some(_) => None,
            None => self.source.slot(self.source.random_slot(self.rng)?),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    /// Slots 0..slots, every third one vacant; or a walk over 0..len.
    struct Toy {
        slots: usize,
        walked: bool,
    }

    impl<'a> Draws<'a> for Toy {
        type Item = usize;
        type Walk = std::ops::Range<usize>;

        fn len(&self) -> usize {
            if self.walked {
                self.slots
            } else {
                (0..self.slots).filter(|i| !i.is_multiple_of(3)).count()
            }
        }
        fn walk(&'a self) -> Option<Self::Walk> {
            self.walked.then_some(0..self.slots)
        }
        fn slot_count(&self) -> usize {
            if self.walked { 0 } else { self.slots }
        }
        fn slot(&'a self, index: usize) -> Option<usize> {
            (!index.is_multiple_of(3) && index < self.slots).then_some(index)
        }
        fn random_slot<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<usize> {
            (self.len() > 0).then(|| {
                loop {
                    let i = rng.random_range(0..self.slots);
                    if !i.is_multiple_of(3) {
                        return i;
                    }
                }
            })
        }
    }

    #[test]
    fn selection_takes_exactly_the_wanted_number() {
        let mut rng = SmallRng::seed_from_u64(3);
        for (wanted, candidates) in [(0, 5), (5, 5), (3, 10), (10, 3), (1, 1)] {
            let mut s = Selection::new(wanted, candidates);
            let taken = (0..candidates).filter(|_| s.take(&mut rng)).count();
            assert_eq!(taken, wanted.min(candidates));
            assert!(!s.take(&mut rng));
        }
    }

    #[test]
    fn distinct_draws_never_repeat_and_stop_at_the_length() {
        let mut rng = SmallRng::seed_from_u64(9);
        for walked in [false, true] {
            for (count, slots) in [
                (2, 300),
                (50, 100),
                (100, 100),
                (1 << 62, 7),
                (0, 5),
                (3, 1),
            ] {
                let toy = Toy { slots, walked };
                let got: Vec<usize> = Distinct::new(&toy, count, &mut rng).collect();
                let unique: HashSet<usize> = got.iter().copied().collect();
                assert_eq!(unique.len(), got.len(), "repeats in {got:?}");
                assert_eq!(got.len(), count.min(toy.len()));
                assert!(got.iter().all(|&i| toy.slot(i).is_some() || walked));
            }
        }
    }

    #[test]
    fn repeated_draws_cover_the_elements_and_honour_the_count() {
        let mut rng = SmallRng::seed_from_u64(5);
        for walked in [false, true] {
            let toy = Toy { slots: 6, walked };
            let got: HashSet<usize> = Repeated::new(&toy, 500, &mut rng).collect();
            let expect: HashSet<usize> = if walked {
                (0..6).collect()
            } else {
                [1, 2, 4, 5].into_iter().collect()
            };
            assert_eq!(got, expect);
            assert_eq!(Repeated::new(&toy, usize::MAX, &mut rng).take(3).count(), 3);
            let empty = Toy { slots: 0, walked };
            assert_eq!(Repeated::new(&empty, usize::MAX, &mut rng).count(), 0);
        }
    }
}
