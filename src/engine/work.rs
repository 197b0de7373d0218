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
/// Held as 64-bit digests, not strings (8 bytes an id): two of the ~400,000 ids a 100,000-customer
/// job holds share a digest with odds near n²/2⁶⁵ ≈ 4·10⁻⁹ (128-bit digests cost 4 MiB more there).
#[derive(Default)]
pub struct Claims(RefCell<HashSet<u64>>);

impl Claims {
    pub fn claim(&self, id: &str) -> bool {
        self.0.borrow_mut().insert(digest(id))
    }

    /// Claims all given ids, or none when any is taken.
    pub fn claim_all(&self, ids: &[Option<&str>]) -> bool {
        let mut claimed = self.0.borrow_mut();
        let ids: Vec<u64> = ids.iter().flatten().map(|id| digest(id)).collect();
        if ids.iter().any(|id| claimed.contains(id)) {
            return false;
        }
        claimed.extend(ids);
        true
    }
}

/// A fixed-key 64-bit digest of an id (SipHash with fixed keys: the same in every run, so it needs
/// no randomness from the host).
fn digest(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    #[allow(deprecated)] // SipHasher: fixed keys on purpose; DefaultHasher's are unspecified
    let mut h = std::hash::SipHasher::new_with_keys(0x706f_7274_616c, 0x6d69_6772_6174);
    id.hash(&mut h);
    h.finish()
}

/// The customers of a job in source order, kept in the parts the sources found them in (a company
/// each, then the rest): a part is freed as soon as its customers are taken, and the list is never
/// copied into one big vector (which would hold it twice while it is built).
///
/// Each customer waits packed (`Packed`): its own texts in one allocation, the texts customers
/// share (company, source, attribute, object type, space) once per list. 100,000 waiting customers
/// took ~0.5 KiB each as `Work` (eight strings, one allocation each), packed ~0.2 KiB.
#[derive(Default)]
pub struct WorkList {
    parts: Vec<Vec<Packed>>,
    shared: Shared,
}

impl WorkList {
    pub fn push_part(&mut self, part: Vec<Work>) {
        if !part.is_empty() {
            let packed = part.into_iter().map(|w| self.shared.pack(w)).collect();
            self.parts.push(packed);
        }
    }

    pub fn len(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    /// Appends one customer (in parts of `PART`, each freed once it is used up).
    pub fn push(&mut self, w: Work) {
        let packed = self.shared.pack(w);
        match self.parts.last_mut() {
            Some(p) if p.len() < PART => p.push(packed),
            _ => self.parts.push(vec![packed]),
        }
    }

    /// The customers in order, each part dropped once it is used up.
    pub fn into_works(self) -> impl Iterator<Item = Work> {
        let shared = self.shared;
        self.parts
            .into_iter()
            .flatten()
            .map(move |p| shared.unpack(p))
    }
}

impl From<Vec<Work>> for WorkList {
    fn from(v: Vec<Work>) -> Self {
        let mut l = WorkList::default();
        l.push_part(v);
        l
    }
}

/// Customers per part of a list built one at a time.
const PART: usize = 1024;

/// No value (an index into `Shared`, or a text's length).
const NONE: u32 = u32::MAX;

/// A waiting customer: `text` holds the reference, the email, the object id, the attribute's value
/// (when it is not the reference itself) and the skip reason, one after another; `lens` says where
/// each ends (`NONE`: absent). The rest are indexes into the list's shared texts.
struct Packed {
    text: Box<str>,
    lens: [u32; 5],
    kind: u8,
    shared: [u32; 5],
}

impl Packed {
    /// One of the customer's own texts (`REFERENCE`, `EMAIL`, `OBJECT`, `VALUE`, `SKIP`).
    fn own(&self, which: usize) -> Option<&str> {
        let mut at = 0usize;
        for (i, len) in self.lens.iter().enumerate() {
            let stored = *len < VALUE_IS_REFERENCE;
            if i == which {
                return stored.then(|| &self.text[at..at + *len as usize]);
            }
            if stored {
                at += *len as usize;
            }
        }
        None
    }
}

/// `Packed::kind`: bits 0-1 the reference's kind, this bit an Assets object.
const HAS_ASSET: u8 = 4;

const REFERENCE: usize = 0;
const EMAIL: usize = 1;
const OBJECT: usize = 2;
const VALUE: usize = 3;
const SKIP: usize = 4;
/// The attribute's value is the reference's own text (the usual case: the portal-only id).
const VALUE_IS_REFERENCE: u32 = NONE - 1;

const COMPANY: usize = 0;
const SOURCE: usize = 1;
const ATTRIBUTE: usize = 2;
const OBJECT_TYPE: usize = 3;
const SPACE: usize = 4;

/// Texts many customers share, each held once.
#[derive(Default)]
struct Shared {
    texts: Vec<Box<str>>,
    index: std::collections::HashMap<Box<str>, u32>,
}

impl Shared {
    fn intern(&mut self, t: Option<String>) -> u32 {
        let Some(t) = t else { return NONE };
        if let Some(i) = self.index.get(t.as_str()) {
            return *i;
        }
        let i = self.texts.len() as u32;
        let t: Box<str> = t.into();
        self.texts.push(t.clone());
        self.index.insert(t, i);
        i
    }

    fn text(&self, i: u32) -> Option<String> {
        (i != NONE).then(|| self.texts[i as usize].to_string())
    }

    fn pack(&mut self, w: Work) -> Packed {
        let (kind, reference) = match w.reference {
            None => (0, None),
            Some(CustomerRef::Portal(p)) => (1, Some(p.0)),
            Some(CustomerRef::Account(a)) => (2, Some(a.0)),
            Some(CustomerRef::Email(e)) => (3, Some(e)),
        };
        let (object, object_type, attribute, value, has_asset) = match w.asset {
            Some(a) => (
                Some(a.object.0),
                a.object_type.map(|t| t.0),
                Some(a.attribute.0),
                a.value,
                true,
            ),
            None => (None, None, None, None, false),
        };
        let value_is_reference = value.is_some() && value == reference;
        let mut text = String::new();
        let mut lens = [NONE; 5];
        let own = [
            reference,
            w.email,
            object,
            if value_is_reference { None } else { value },
            w.skip_reason,
        ];
        for (i, t) in own.into_iter().enumerate() {
            if let Some(t) = t {
                text.push_str(&t);
                lens[i] = t.len() as u32;
            }
        }
        if value_is_reference {
            lens[VALUE] = VALUE_IS_REFERENCE;
        }
        let shared = [
            self.intern(w.company),
            self.intern(Some(w.source)),
            self.intern(attribute),
            self.intern(object_type),
            self.intern(w.space.map(|s| s.0)),
        ];
        Packed {
            text: text.into(),
            lens,
            kind: kind | if has_asset { HAS_ASSET } else { 0 },
            shared,
        }
    }

    fn unpack(&self, p: Packed) -> Work {
        let own = |i: usize| p.own(i).map(str::to_string);
        let (reference, email, object) = (own(REFERENCE), own(EMAIL), own(OBJECT));
        let (mut value, skip_reason) = (own(VALUE), own(SKIP));
        if p.lens[VALUE] == VALUE_IS_REFERENCE {
            value = reference.clone();
        }
        let reference = reference.and_then(|r| match p.kind & 3 {
            1 => Some(CustomerRef::Portal(crate::ids::PortalCustomerId(r))),
            2 => Some(CustomerRef::Account(crate::ids::AccountId(r))),
            3 => Some(CustomerRef::Email(r)),
            _ => None,
        });
        let asset = (p.kind & HAS_ASSET != 0).then(|| AssetRef {
            object: ObjectId(object.unwrap_or_default()),
            object_type: self.text(p.shared[OBJECT_TYPE]).map(ObjectTypeId),
            attribute: AttributeId(self.text(p.shared[ATTRIBUTE]).unwrap_or_default()),
            value,
        });
        Work {
            reference,
            email,
            company: self.text(p.shared[COMPANY]),
            asset,
            source: self.text(p.shared[SOURCE]).unwrap_or_default(),
            skip_reason,
            space: self.text(p.shared[SPACE]).map(SpaceKey),
        }
    }
}

/// Keeps the first work item per customer: the same Assets object, or the same id or email, counts
/// once. Company sources come first, so a customer also named explicitly keeps its company (and space).
/// Fed one customer at a time, in the order the job meets them.
#[derive(Default)]
pub struct Dedupe {
    objects: HashSet<u64>,
    refs: HashSet<u64>,
}

impl Dedupe {
    /// Whether `w` is the first work item of its customer (and now remembered).
    pub fn first(&mut self, w: &Work) -> bool {
        let Some(reference) = &w.reference else {
            return true;
        };
        if let Some(a) = &w.asset {
            if !self.objects.insert(digest(&a.object.0)) {
                return false;
            }
        }
        self.refs.insert(match reference {
            CustomerRef::Portal(p) => digest(&p.0),
            CustomerRef::Account(a) => digest(&a.0),
            CustomerRef::Email(e) => digest(&e.to_ascii_lowercase()),
        })
    }
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
        let mut d = Dedupe::default();
        let out: Vec<Work> = list.into_works().filter(|w| d.first(w)).collect();
        assert_eq!(out.len(), 2, "across parts too");
        assert_eq!(out[0].company.as_deref(), Some("ACME"));
    }

    #[test]
    fn a_packed_customer_comes_back_as_it_went_in() {
        let asset = |value: Option<&str>, object_type: Option<&str>| AssetRef {
            object: ObjectId::new("4711"),
            object_type: object_type.map(ObjectTypeId::new),
            attribute: AttributeId::new("91"),
            value: value.map(str::to_string),
        };
        let works = vec![
            Work {
                email: Some("ivan@initech.example".into()),
                asset: Some(asset(Some("qm:1:a"), Some("7"))),
                source: "company:INITECH".into(),
                ..w("qm:1:a", None, Some("INITECH"))
            },
            Work {
                asset: Some(asset(Some("712020:other"), None)),
                space: Some(SpaceKey::new("INI")),
                ..w("qm:2:b", None, Some("INITECH"))
            },
            Work {
                reference: None,
                asset: Some(asset(None, Some("7"))),
                skip_reason: Some("object 4711 has no value in \"Portal Account\"".into()),
                ..w("qm:x", None, None)
            },
            w("Ann@X.example", None, None),
            w("712020:cecf4c53", None, Some("ACME")),
            Work {
                email: Some(String::new()),
                asset: Some(asset(Some(""), Some(""))),
                ..w("qm:3:c", None, Some(""))
            },
        ];
        let out: Vec<Work> = WorkList::from(works.clone()).into_works().collect();
        assert_eq!(out, works);
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
