//! "Did you mean" suggestions for names given in the config.

/// ` (did you mean "X"?)`, ` (known: A, B, C)` or an empty string.
pub fn suggest(wanted: &str, known: &[&str]) -> String {
    if let Some(best) = closest(wanted, known) {
        return format!(" (did you mean \"{best}\"?)");
    }
    if known.is_empty() {
        return String::new();
    }
    let list: Vec<&str> = known.iter().take(10).copied().collect();
    format!(" (known: {})", list.join(", "))
}

/// The known name closest to `wanted` (case-insensitive), if any is close enough to be a typo.
pub fn closest<'k>(wanted: &str, known: &[&'k str]) -> Option<&'k str> {
    let w = wanted.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (distance(&w, &k.to_ascii_lowercase()), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) || k.to_ascii_lowercase().contains(&w))
        .min()
        .map(|(_, k)| k)
}

/// Levenshtein distance over chars.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name_or_lists_known_ones() {
        assert_eq!(
            suggest("portal-migrted", &["portal-migrated", "confluence-guests"]),
            " (did you mean \"portal-migrated\"?)"
        );
        assert_eq!(
            suggest("zzz", &["a-long-name", "b-long-name"]),
            " (known: a-long-name, b-long-name)"
        );
        assert_eq!(suggest("x", &[]), "");
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
