//! One customer to process as a source found it, the claims that make a customer run once per job
//! whichever ids it goes by, and the dedupe across sources.

use crate::ids::{AttributeId, CustomerRef, ObjectId, ObjectTypeId, SpaceKey};
use std::cell::RefCell;
use std::collections::HashSet;

#[derive(Clone, Debug, PartialEq)]
pub struct Work {
    /// `None` when the source found an object without a usable id (reported as skipped).
    pub reference: Option<CustomerRef>,
    pub email: Option<String>,
    pub company: Option<String>,
    /// The Assets object and the attribute holding the account id, with its current value.
    pub asset: Option<AssetRef>,
    pub source: String,
    /// Why the customer is skipped, when `reference` is `None`.
    pub skip_reason: Option<String>,
    /// The space the request names for this customer (before any lookup).
    pub space: Option<SpaceKey>,
}

impl Work {
    /// The portal-only id the customer is known by, when the source gave one.
    pub fn portal_id(&self) -> Option<&str> {
        match &self.reference {
            Some(CustomerRef::Portal(p)) => Some(p.as_str()),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct AssetRef {
    pub object: ObjectId,
    /// Its object type, sent back with the write (§14).
    pub object_type: Option<ObjectTypeId>,
    pub attribute: AttributeId,
    pub value: Option<String>,
}

/// The ids customers of this job were claimed by: the same customer met by its old id in one source
/// and its new id in another (Assets after a crash) runs once.
/// Held as 128-bit digests, not strings (16 bytes an id, a job of 100,000 customers holds ~6 MB
/// less); two ids share a digest with odds near n²/2¹²⁹, far below any other failure.
#[derive(Default)]
pub struct Claims(RefCell<HashSet<u128>>);

impl Claims {
    pub fn claim(&self, id: &str) -> bool {
        self.0.borrow_mut().insert(digest(id))
    }

    /// Claims all given ids, or none when any is taken.
    pub fn claim_all(&self, ids: &[Option<&str>]) -> bool {
        let mut claimed = self.0.borrow_mut();
        let ids: Vec<u128> = ids.iter().flatten().map(|id| digest(id)).collect();
        if ids.iter().any(|id| claimed.contains(id)) {
            return false;
        }
        claimed.extend(ids);
        true
    }
}

/// A fixed-key 128-bit digest of an id (two SipHash runs with different keys; the same in every
/// run, so it needs no randomness from the host).
fn digest(id: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let half = |salt: u8| {
        #[allow(deprecated)] // SipHasher: fixed keys on purpose; DefaultHasher's are unspecified
        let mut h = std::hash::SipHasher::new_with_keys(0x706f_7274_616c, u64::from(salt));
        id.hash(&mut h);
        h.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

/// The customers of a job in source order, kept in the parts the sources found them in (a company
/// each, then the rest): a part is freed as soon as its customers are taken, and the list is never
/// copied into one big vector (which would hold it twice while it is built).
#[derive(Default)]
pub struct WorkList(Vec<Vec<Work>>);

impl WorkList {
    pub fn push_part(&mut self, part: Vec<Work>) {
        if !part.is_empty() {
            self.0.push(part);
        }
    }

    pub fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    /// The customers in order, each part dropped once it is used up.
    pub fn into_works(self) -> impl Iterator<Item = Work> {
        self.0.into_iter().flatten()
    }
}

impl From<Vec<Work>> for WorkList {
    fn from(v: Vec<Work>) -> Self {
        let mut l = WorkList::default();
        l.push_part(v);
        l
    }
}

/// Keeps the first work item per customer: the same Assets object, or the same id or email, counts
/// once. Company sources come first, so a customer also named explicitly keeps its company (and space).
pub fn dedupe(mut work: WorkList) -> WorkList {
    let mut objects: HashSet<u128> = HashSet::new();
    let mut refs: HashSet<u128> = HashSet::new();
    for part in &mut work.0 {
        part.retain(|w| {
            let Some(reference) = &w.reference else {
                return true;
            };
            if let Some(a) = &w.asset {
                if !objects.insert(digest(&a.object.0)) {
                    return false;
                }
            }
            refs.insert(match reference {
                CustomerRef::Portal(p) => digest(&p.0),
                CustomerRef::Account(a) => digest(&a.0),
                CustomerRef::Email(e) => digest(&e.to_ascii_lowercase()),
            })
        });
    }
    work.0.retain(|p| !p.is_empty());
    work
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(reference: &str, object: Option<&str>, company: Option<&str>) -> Work {
        Work {
            reference: CustomerRef::parse(reference),
            email: None,
            company: company.map(str::to_string),
            asset: object.map(|o| AssetRef {
                object: ObjectId::new(o),
                object_type: None,
                attribute: AttributeId::new("91"),
                value: None,
            }),
            source: String::new(),
            skip_reason: None,
            space: None,
        }
    }

    #[test]
    fn dedupe_keeps_the_first_source_of_a_customer() {
        let mut list = WorkList::from(vec![w("qm:1", Some("10"), Some("ACME"))]);
        list.push_part(vec![
            w("qm:1", None, None),
            w("qm:2", Some("10"), None),
            w("A@x.example", None, None),
            w("a@X.example", None, None),
        ]);
        let out: Vec<Work> = dedupe(list).into_works().collect();
        assert_eq!(out.len(), 2, "across parts too");
        assert_eq!(out[0].company.as_deref(), Some("ACME"));
    }

    #[test]
    fn claims_are_all_or_nothing() {
        let c = Claims::default();
        assert!(c.claim_all(&[Some("qm:1"), None, Some("a:1")]));
        assert!(!c.claim_all(&[Some("a:1"), Some("qm:9")]));
        assert!(c.claim("qm:9"), "a refused claim took nothing");
        assert!(!c.claim("qm:1"));
    }
}
