//! Delta debugging: the smallest subsequence of commands that still fails.

/// Shrinks `items` while `fails` holds, trying at most `budget` candidates.
/// Removes chunks of halving size (ddmin's complement step), then single
/// items, so the result is 1-minimal when the budget allows.
pub fn ddmin<T: Clone>(
    mut items: Vec<T>,
    mut fails: impl FnMut(&[T]) -> bool,
    budget: usize,
) -> Vec<T> {
    let mut tries = 0;
    let mut chunks = 2;
    while items.len() >= 2 && tries < budget {
        let size = items.len().div_ceil(chunks);
        let mut removed = false;
        let mut start = 0;
        while start < items.len() && tries < budget {
            let end = (start + size).min(items.len());
            let candidate: Vec<T> = items[..start]
                .iter()
                .chain(&items[end..])
                .cloned()
                .collect();
            tries += 1;
            if !candidate.is_empty() && fails(&candidate) {
                items = candidate;
                removed = true;
            } else {
                start = end;
            }
        }
        if removed {
            chunks = (chunks - 1).max(2);
        } else if size == 1 {
            break;
        } else {
            chunks = (chunks * 2).min(items.len());
        }
    }
    items
}
